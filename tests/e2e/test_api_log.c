/* Black-box tests of per-job logs through the API with FILE + REDIS backends on two nodes
 * (two engines and two API servers on one Redis): a DEMO log served by both nodes, retries
 * appended after separators, live follow (lines arrive while the job runs, the stream ends
 * when it finishes), traversal refused, and the REDIS key's cap and TTL. */
#include "test.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "api_fixture.h"
#include "berth/jobs.h"
#include "engine_fixture.h"
#include "joblog/joblog.h"
#include "util/alloc.h"
#include "wait.h"

typedef struct node {
    char dir[256];
    joblog_set *logs;
    berth_engine *eng;
    api_server *api;
    hc cli;
} node;

static redis_fixture rf;
static node A, B;
static atomic_int flaky_runs;

static int flaky_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params, (void)ud;
    int n = atomic_fetch_add(&flaky_runs, 1) + 1;
    BERTH_JINFO(ctx, "attempt %d", n);
    return n < 3 ? berth_ctx_fail(ctx, "attempt %d fails", n) : 0;
}

static int ticker_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params, (void)ud;
    for (int i = 0; i < 8; i++) {
        BERTH_JINFO(ctx, "tick %d", i);
        berth_ctx_sleep(ctx, 150);
    }
    BERTH_JINFO(ctx, "ticker done");
    return 0;
}

static int node_up(node *n, const char *name)
{
    snprintf(n->dir, sizeof n->dir, "%s/%s", rf.dir, name);
    if (mkdir(n->dir, 0700) != 0)
        return -1;
    rtarget t = {.unix_path = rf.sock};
    joblog_backend_cfg b[2] = {{.kind = JOBLOG_FILE, .level = BERTH_LOG_DEBUG, .base_dir = n->dir},
                               {.kind = JOBLOG_REDIS, .level = BERTH_LOG_DEBUG}};
    joblog_config jc = {.backends = b, .nbackends = 2, .redis = &t, .ns = "t"};
    char err[256];
    if (joblog_set_new(&jc, &n->logs, err, sizeof err) != 0)
        return -1;
    joblog_set_start(n->logs);
    berth_engine_config c = engine_fixture_config(&rf);
    c.job_logs = n->logs;
    if (berth_engine_new(&c, &n->eng, err, sizeof err) != 0 ||
        berth_jobs_register_demo(n->eng, API_DEMO_HOLD_MS) != 0 ||
        berth_engine_register(n->eng, &(berth_job_type){.name = "FLAKY", .max_fails = 3,
                                                        .run = flaky_run}) != 0 ||
        berth_engine_register(n->eng, &(berth_job_type){.name = "TICKER", .run = ticker_run}) != 0 ||
        berth_engine_start(n->eng) != 0)
        return -1;
    api_ctx ctx = {.engine = n->eng, .secret = API_SECRET, .ns = "t", .max_retrieve_bytes = 1 << 20};
    if (api_server_start(&ctx, "127.0.0.1", 0, &n->api, err, sizeof err) != 0)
        return -1;
    hc_init(&n->cli, api_server_port(n->api));
    return 0;
}

static void node_down(node *n)
{
    hc_cleanup(&n->cli);
    api_server_stop(n->api);
    berth_engine_free(n->eng);
    joblog_set_free(n->logs);
}

static int setup(void **state)
{
    (void)state;
    if (redis_fixture_start(&rf, NULL) != 0)
        return -1;
    return node_up(&A, "a") == 0 && node_up(&B, "b") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    node_down(&A);
    node_down(&B);
    redis_fixture_stop(&rf);
    return 0;
}

static char *launch(node *n, const char *name)
{
    char body[256];
    snprintf(body, sizeof body, "{\"job\":{\"name\":\"%s\",\"parameters\":{\"image\":"
             "\"demo\"},\"metadata\":{\"kind\":\"Generic\"}}}", name);
    hc_resp r;
    assert_int_equal(hc_post(&n->cli, "/api/v1/jobs", API_AUTH, body, &r), 0);
    assert_int_equal(r.status, 202);
    char *id = strndup(strstr(r.body, "\"id\":\"") + 6, 24);
    hc_resp_free(&r);
    return id;
}

static hc_resp get_log(node *n, const char *id, const char *query)
{
    char path[160];
    snprintf(path, sizeof path, "/api/v1/jobs/%s/log%s", id, query ? query : "");
    hc_resp r;
    assert_int_equal(hc_get(&n->cli, path, API_AUTH, &r), 0);
    return r;
}

static bool file_has(const node *n, const char *id)
{
    char path[320];
    snprintf(path, sizeof path, "%s/%s.log", n->dir, id);
    struct stat st;
    return stat(path, &st) == 0;
}

static void test_demo_both_nodes(void **state)
{
    (void)state;
    char *id = launch(&A, "DEMO");
    assert_true(engine_fixture_wait_status(A.eng, id, "Success", 15000));
    assert_true(file_has(&A, id) || file_has(&B, id));      /* FILE on the node that ran it */
    node *nodes[2] = {&A, &B};
    for (int i = 0; i < 2; i++) {                           /* REDIS: any node serves it */
        hc_resp r = get_log(nodes[i], id, NULL);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, "[INFO] ["));
        assert_non_null(strstr(r.body, "]: Sample job starting\n"));
        assert_non_null(strstr(r.body, "]: Sample job exit\n"));
        assert_non_null(strstr(r.body, "---- run of revision "));
        hc_resp_free(&r);
    }
    long long ttl = redis_fixture_int(&rf, "TTL {t}:berth:joblog:%s", id);
    assert_true(ttl > 86000 && ttl <= 86400);              /* 1 d after Success, as the stats */
    free(id);
}

static void test_retries_appended(void **state)
{
    (void)state;
    atomic_store(&flaky_runs, 0);
    char *id = launch(&B, "FLAKY");
    assert_true(engine_fixture_wait_status(B.eng, id, "Success", 15000));
    hc_resp r = get_log(&A, id, NULL);
    assert_int_equal(r.status, 200);
    const char *prev = r.body;
    for (int i = 1; i <= 3; i++) {
        const char *sep = strstr(prev, "---- run of revision ");
        char want[32];
        snprintf(want, sizeof want, "]: attempt %d\n", i);
        const char *line = strstr(prev, want);
        assert_non_null(sep);
        assert_non_null(line);
        assert_true(sep < line);
        prev = line;
    }
    assert_null(strstr(prev, "---- run of revision "));
    hc_resp_free(&r);
    free(id);
}

typedef struct stream_rx {
    char body[65536];
    size_t len;
    long long first_tick_ms;     /* when "tick 0" arrived */
} stream_rx;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    stream_rx *rx = ud;
    size_t k = size * n;
    if (rx->len + k < sizeof rx->body) {
        memcpy(rx->body + rx->len, p, k);
        rx->len += k;
        rx->body[rx->len] = '\0';
    }
    if (!rx->first_tick_ms && strstr(rx->body, "]: tick 0\n"))
        rx->first_tick_ms = wait_now_ms();
    return k;
}

static void test_follow_streams(void **state)
{
    (void)state;
    char *id = launch(&A, "TICKER");
    char url[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/jobs/%s/log?follow=true",
             api_server_port(B.api), id);     /* followed through the other node */
    stream_rx rx = {0};
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Authorization: " API_AUTH);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &rx);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    long long t0 = wait_now_ms();
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    long long end = wait_now_ms(), status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    assert_int_equal(status, 200);
    for (int i = 0; i < 8; i++) {
        char want[32];
        snprintf(want, sizeof want, "]: tick %d\n", i);
        assert_non_null(strstr(rx.body, want));
    }
    assert_non_null(strstr(rx.body, "]: ticker done\n"));
    char st[32];
    engine_fixture_status(A.eng, id, st, sizeof st);
    assert_string_equal(st, "Success");          /* the stream ended at the final status */
    fprintf(stderr, "follow: first line after %lld ms, stream ended after %lld ms\n",
            rx.first_tick_ms - t0, end - t0);
    assert_true(rx.first_tick_ms > 0 && end - rx.first_tick_ms >= 700);  /* streamed live */
    assert_true(end - t0 < 6000);
    free(id);
}

static void test_refusals(void **state)
{
    (void)state;
    hc_resp r = get_log(&A, "a..b", "?follow=true");
    assert_int_equal(r.status, 400);
    assert_string_equal(r.body, "invalid Job ID: a..b");
    hc_resp_free(&r);
    r = get_log(&A, "..", NULL);
    assert_true(r.status == 400 || r.status == 301);   /* a `..` segment is cleaned first */
    hc_resp_free(&r);
    r = get_log(&B, "0123456789abcdef0123ffff", "?follow=true");
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body, "{\"code\":10010,\"message\":\"object is not found\","
                                "\"details\":\"0123456789abcdef0123ffff\"}");
    hc_resp_free(&r);
    r = get_log(&B, "0123456789abcdef0123ffff", NULL);
    assert_int_equal(r.status, 404);
    hc_resp_free(&r);
}

static void test_redis_cap(void **state)
{
    (void)state;
    rtarget t = {.unix_path = rf.sock};
    joblog_backend_cfg b = {.kind = JOBLOG_REDIS, .max_bytes = 4096};
    joblog_config jc = {.backends = &b, .nbackends = 1, .redis = &t, .ns = "t"};
    joblog_set *s;
    char err[128];
    assert_int_equal(joblog_set_new(&jc, &s, err, sizeof err), 0);
    const char *id = "fedcba9876543210fedcba98";
    joblog_run *r = joblog_run_open(s, id, 5, "p");
    for (int i = 0; i < 200; i++)
        joblog_run_write(r, BERTH_LOG_INFO, "x.c", 1, "a line that fills the redis cap");
    joblog_run_close(r, false);
    long long len = redis_fixture_int(&rf, "STRLEN {t}:berth:joblog:%s", id);
    assert_true(len >= 3900 && len < 4096 + 200);
    long long ttl = redis_fixture_int(&rf, "TTL {t}:berth:joblog:%s", id);
    assert_true(ttl > 7 * 86400 - 100);                 /* 7 d after a failed run */
    joblog_data d;
    assert_int_equal(joblog_get(s, id, 0, &d, err, sizeof err), 0);
    assert_int_equal(d.fd, -1);
    assert_non_null(strstr(d.bytes, "reached its cap in Redis"));
    assert_int_equal(d.bytes[d.bytes_len - 1], '\n');
    berth_free(d.bytes);
    joblog_set_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_both_nodes),
        cmocka_unit_test(test_retries_appended),
        cmocka_unit_test(test_follow_streams),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_redis_cap),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
