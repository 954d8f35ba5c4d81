/* Black-box tests of the API server over real HTTP (spec §2.1–§2.4, §2.11, §2.12):
 * auth, routing answers, keep-alive, timeouts, the body cap, concurrency, stats, config,
 * and every Redis-backed route with Redis down. The job routes are in test_api_jobs.c;
 * the fixture (redis-server, engine with DEMO and SCHEDULER, server on port 0) in
 * tests/support/api_fixture.c. Differences from Harbor checked here: docs/compat.md. */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api_fixture.h"
#include "berth/jobs.h"
#include "berth/version.h"
#include "engine_fixture.h"
#include "wait.h"

/* ---- auth (spec §2.2) ---------------------------------------------------------------- */

static void expect_401(const char *path, const char *auth, const char *why)
{
    hc_resp r;
    assert_int_equal(hc_get(&af.cli, path, auth, &r), 0);
    af_expect_header(&r, "Content-Type", "text/plain; charset=utf-8");
    af_expect_header(&r, "Server", "berthd/" BERTH_VERSION);   /* errors name it too */
    char body[256];
    snprintf(body, sizeof body, "{\"code\":10011,\"message\":\"unauthorized\",\"details\":\"%s\"}",
             why);
    af_expect(&r, 401, body);
}

static void test_auth_failures(void **state)
{
    (void)state;
    expect_401("/api/v1/jobs/abc", NULL, "header 'Authorization' missing");
    expect_401("/api/v1/jobs/abc", "", "header 'Authorization' missing");
    expect_401("/api/v1/jobs/abc", "Bearer " API_SECRET,
               "'Authorization' should start with 'Harbor-Secret'");
    expect_401("/api/v1/jobs/abc", "harbor-secret " API_SECRET,
               "'Authorization' should start with 'Harbor-Secret'");
    expect_401("/api/v1/jobs/abc", "Harbor-Secret", "empty secret is not allowed");
    expect_401("/api/v1/jobs/abc", "Harbor-Secret wrong", "unauthorized");
    expect_401("/api/v1/jobs/abc", "Harbor-Secret " API_SECRET "x", "unauthorized");
    expect_401("/api/v1/jobs/abc", "Harbor-Secret " API_SECRET " x", "unauthorized");
    /* auth comes before routing: unknown paths, bad methods and unclean paths are 401 */
    expect_401("/nope", NULL, "header 'Authorization' missing");
    expect_401("/api/v1//jobs", NULL, "header 'Authorization' missing");
    expect_401("/api/v1/stats?x=1", NULL, "header 'Authorization' missing");
    expect_401("/api/v1/stats/", NULL, "header 'Authorization' missing");
    expect_401("/api/v1/config", "Harbor-Secret nope", "unauthorized");
}

static void test_auth_passes(void **state)
{
    (void)state;
    hc_resp r;
    /* no space is needed after the prefix; surrounding blanks are trimmed */
    assert_int_equal(hc_get(&af.cli, "/api/v1/jobs/nosuchjob", "Harbor-Secret" API_SECRET, &r), 0);
    af_expect(&r, 404, "{\"code\":10010,\"message\":\"object is not found\","
                       "\"details\":\"nosuchjob\"}");
    const char *spaced = "Harbor-Secret \t " API_SECRET "\t";
    assert_int_equal(hc_get(&af.cli, "/api/v1/jobs/nosuchjob", spaced, &r), 0);
    assert_int_equal(r.status, 404);
    hc_resp_free(&r);
    /* exactly /api/v1/stats and /healthz need none */
    assert_int_equal(hc_get(&af.cli, "/api/v1/stats", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    hc_resp_free(&r);
    assert_int_equal(hc_get(&af.cli, "/healthz", NULL, &r), 0);
    af_expect(&r, 200, "ok\n");
    r = af_get("/api/v1/stats?x=1");
    assert_int_equal(r.status, 200);
    hc_resp_free(&r);
}

static void test_auth_empty_secret(void **state)
{
    (void)state;
    api_ctx ctx = api_fixture_ctx(af.eng);
    ctx.secret = "";
    api_server *s = api_fixture_server(&ctx);
    hc c;
    hc_init(&c, api_server_port(s));
    hc_resp r;
    assert_int_equal(hc_get(&c, "/api/v1/jobs/x", "Harbor-Secret " API_SECRET, &r), 0);
    af_expect(&r, 401, "{\"code\":10011,\"message\":\"unauthorized\","
                       "\"details\":\"unauthorized\"}");
    assert_int_equal(hc_get(&c, "/api/v1/jobs/x", "Harbor-Secret ", &r), 0);
    af_expect(&r, 401, "{\"code\":10011,\"message\":\"unauthorized\","
                    "\"details\":\"empty secret is not allowed\"}");
    assert_int_equal(hc_get(&c, "/api/v1/stats", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    hc_resp_free(&r);
    hc_cleanup(&c);
    api_server_stop(s);
}

/* ---- routing (spec §2.4) ------------------------------------------------------------- */

static void test_unknown_routes(void **state)
{
    (void)state;
    hc_resp r = af_get("/nope");
    af_expect_header(&r, "Content-Type", "text/plain; charset=utf-8");
    af_expect_header(&r, "X-Content-Type-Options", "nosniff");
    af_expect(&r, 404, "404 page not found\n");
    r = af_get("/api/v1/jobs/");            /* empty {job_id} */
    af_expect(&r, 404, "404 page not found\n");
    r = af_get("/api/v1/jobs/a/b");
    af_expect(&r, 404, "404 page not found\n");
    r = af_get("/api/v1/jobs/a%2Fb/log");   /* a decoded '/' never sits in a job id */
    af_expect(&r, 404, "404 page not found\n");
    r = af_get("/api/v1/stats/");
    af_expect(&r, 404, "404 page not found\n");
}

static void test_wrong_methods(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"DELETE", "/api/v1/jobs"}, {"PUT", "/api/v1/jobs/abc"},
        {"POST", "/api/v1/stats"}, {"POST", "/api/v1/jobs/abc/log"},
        {"POST", "/api/v1/jobs/abc/executions"}, {"DELETE", "/api/v1/config"},
        {"POST", "/healthz"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hc_resp r;
        assert_int_equal(hc_do(&af.cli, cases[i][0], cases[i][1], API_AUTH, "{}", 2, 0, &r), 0);
        af_expect_header(&r, "Content-Type", NULL);
        af_expect(&r, 405, "");
    }
}

static void test_unclean_paths_redirect(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"/api/v1//jobs?page_size=2", "/api/v1/jobs?page_size=2"},
        {"/api/v1/jobs/../stats", "/api/v1/stats"},
        {"/api/v1/./config", "/api/v1/config"},
        {"/api/v1/jobs/x/..//", "/api/v1/jobs/"},
        {"/../../api/v1/stats", "/api/v1/stats"},
        {"/api/v1/jobs/a%20b/./log", "/api/v1/jobs/a%20b/log"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hc_resp r = af_get(cases[i][0]);
        af_expect_header(&r, "Location", cases[i][1]);
        af_expect(&r, 301, "");
    }
}

static void test_keep_alive(void **state)
{
    (void)state;
    hc c;
    hc_init(&c, api_server_port(af.api));
    hc_resp r;
    assert_int_equal(hc_get(&c, "/api/v1/stats", NULL, &r), 0);
    assert_int_equal(r.num_connects, 1);
    hc_resp_free(&r);
    assert_int_equal(hc_get(&c, "/api/v1/config", API_AUTH, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.num_connects, 0);   /* same connection */
    hc_resp_free(&r);
    /* a POST with a body, and an error reply, keep it too */
    assert_int_equal(hc_post(&c, "/api/v1/jobs/nosuch", API_AUTH, "{\"action\":\"stop\"}", &r), 0);
    assert_int_equal(r.status, 404);
    assert_int_equal(r.num_connects, 0);
    hc_resp_free(&r);
    assert_int_equal(hc_get(&c, "/api/v1/jobs/x", NULL, &r), 0);
    assert_int_equal(r.status, 401);
    assert_int_equal(r.num_connects, 0);
    hc_resp_free(&r);
    assert_int_equal(hc_get(&c, "/api/v1/jobs/x", API_AUTH, &r), 0);
    assert_int_equal(r.num_connects, 0);
    hc_resp_free(&r);
    hc_cleanup(&c);
}

static void test_idle_timeout(void **state)
{
    (void)state;
    api_ctx ctx = api_fixture_ctx(af.eng);
    ctx.idle_timeout_s = 1;
    api_server *s = api_fixture_server(&ctx);
    hc c;
    hc_init(&c, api_server_port(s));
    hc_resp r;
    assert_int_equal(hc_get(&c, "/healthz", NULL, &r), 0);
    hc_resp_free(&r);
    assert_int_equal(hc_get(&c, "/healthz", NULL, &r), 0);
    assert_int_equal(r.num_connects, 0);
    hc_resp_free(&r);
    wait_sleep_ms(2500);   /* the test's input: idle 2.5x the 1 s timeout (the server closes) */
    assert_int_equal(hc_get(&c, "/healthz", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.num_connects, 1);
    hc_resp_free(&r);
    hc_cleanup(&c);
    api_server_stop(s);
}

/* ---- request bodies ------------------------------------------------------------------ */

static void test_body_cap(void **state)
{
    (void)state;
    size_t n = API_MAX_BODY + 1;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    const char *job = "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo\"},\"metadata\":{\"kind\":\"Generic\"}}}";
    memcpy(big, job, strlen(job));
    big[n] = '\0';
    long long stats = af_count_stats();
    const char *want = "{\"code\":10000,\"message\":\"read request body failed with error\","
                       "\"details\":\"request body is larger than 65536 bytes\"}";
    hc c;
    hc_init(&c, api_server_port(af.api));
    hc_resp r;
    assert_int_equal(hc_do(&c, "POST", "/api/v1/jobs", API_AUTH, big, n, 0, &r), 0);
    af_expect(&r, 413, want);
    /* chunked: no length up front; read, dropped, answered, and the connection kept */
    assert_int_equal(hc_do(&c, "POST", "/api/v1/jobs", API_AUTH, big, n, 1, &r), 0);
    af_expect(&r, 413, want);
    assert_int_equal(hc_get(&c, "/api/v1/config", API_AUTH, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.num_connects, 0);
    hc_resp_free(&r);
    /* exactly at the cap is fine (a valid launch padded with blanks) */
    assert_int_equal(hc_do(&c, "POST", "/api/v1/jobs", API_AUTH, big, API_MAX_BODY, 1, &r), 0);
    assert_int_equal(r.status, 202);
    berth_stats *s = af_parse_stats(&r);
    assert_true(engine_fixture_wait_status(af.eng, s->id, "Success", 15000));
    berth_stats_free(s);
    hc_resp_free(&r);
    assert_int_equal(af_count_stats(), stats + 1);
    hc_cleanup(&c);
    free(big);
}

/* A DEMO job from launch to Success, with every field Harbor returns. */
/* Walks the SCAN cursor to the end; returns whether id was seen. */
/* A body that stalls is cut after read_timeout_s; the server keeps serving. */
static void test_read_timeout(void **state)
{
    (void)state;
    api_ctx ctx = api_fixture_ctx(af.eng);
    ctx.read_timeout_s = 1;
    api_server *s = api_fixture_server(&ctx);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)api_server_port(s)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    const char *req = "POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: " API_AUTH
                      "\r\nContent-Length: 100\r\n\r\n{\"job\":";
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    long long t0 = wait_now_ms();
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf);   /* blocks until the server closes */
    long long waited = wait_now_ms() - t0;
    assert_true(n <= 0);
    assert_true(waited >= 900 && waited < 10000);
    close(fd);
    hc c;
    hc_init(&c, api_server_port(s));
    hc_resp r;
    assert_int_equal(hc_get(&c, "/healthz", NULL, &r), 0);
    af_expect(&r, 200, "ok\n");
    hc_cleanup(&c);
    api_server_stop(s);
}

/* Launches from several threads at once, each on its own keep-alive connection. */
#define CONC_THREADS 4
#define CONC_EACH 25

static void *launcher(void *arg)
{
    int *ok = arg;
    hc c;
    hc_init(&c, api_server_port(af.api));
    for (int i = 0; i < CONC_EACH; i++) {
        hc_resp r;
        if (hc_post(&c, "/api/v1/jobs", API_AUTH, "{\"job\":{\"name\":\"SCHEDULER\","
                    "\"metadata\":{\"kind\":\"Generic\"}}}", &r) == 0 && r.status == 202 &&
            (i == 0 || r.num_connects == 0))
            (*ok)++;
        hc_resp_free(&r);
    }
    hc_cleanup(&c);
    return NULL;
}

static void test_concurrent_launches(void **state)
{
    (void)state;
    long long before = af_count_stats();
    pthread_t t[CONC_THREADS];
    int ok[CONC_THREADS] = {0};
    for (int i = 0; i < CONC_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, launcher, &ok[i]), 0);
    for (int i = 0; i < CONC_THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(ok[i], CONC_EACH);
    }
    assert_int_equal(af_count_stats(), before + CONC_THREADS * CONC_EACH);
}

/* ---- stats, config (spec §2.11, §2.12) ----------------------------------------------- */

#define DEAD_POOL "000000000000000000000000"
#define BARE_POOL "ffffffffffffffffffffffff"

static void test_stats(void **state)
{
    (void)state;
    hc_resp r;
    assert_int_equal(hc_get(&af.cli, "/api/v1/stats", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    af_expect_header(&r, "Content-Type", "application/json");
    af_expect_header(&r, "Accept", "application/json");
    af_expect_header(&r, "Server", "berthd/" BERTH_VERSION);
    char want[256];
    snprintf(want, sizeof want, "{\"worker_pools\":[{\"worker_pool_id\":\"%s\",\"started_at\":",
             berth_engine_pool_id(af.eng));
    assert_memory_equal(r.body, want, strlen(want));
    assert_non_null(strstr(r.body, "\"job_names\":[\"DEMO\",\"IMAGE_GC\","));
    assert_non_null(strstr(r.body, "\"SCHEDULER\"],\"concurrency\":4,\"status\":\"Healthy\"}"));
    hc_resp_free(&r);
    /* a pool whose heartbeat is old is Dead; one without heartbeat_at is left out */
    redis_fixture_int(&af.rf, "SADD {t}:worker_pools %s %s", DEAD_POOL, BARE_POOL);
    redis_fixture_int(&af.rf, "HSET {t}:worker_pools:000000000000000000000000 heartbeat_at 1000 "
                      "started_at 900 job_names B,A concurrency 2");
    redis_fixture_int(&af.rf, "HSET {t}:worker_pools:ffffffffffffffffffffffff started_at 900");
    assert_int_equal(hc_get(&af.cli, "/api/v1/stats", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    const char *dead = "{\"worker_pools\":[{\"worker_pool_id\":\"000000000000000000000000\","
                       "\"started_at\":900,\"heartbeat_at\":1000,\"job_names\":[\"A\",\"B\"],"
                       "\"concurrency\":2,\"status\":\"Dead\"},{";
    assert_memory_equal(r.body, dead, strlen(dead));
    assert_null(strstr(r.body, "ffffffffffffffffffffffff"));
    hc_resp_free(&r);
    redis_fixture_int(&af.rf, "SREM {t}:worker_pools %s %s", DEAD_POOL, BARE_POOL);
}

static void test_stats_no_pools(void **state)
{
    (void)state;
    berth_engine_config c = engine_fixture_config(&af.rf);
    c.ns = "empty";
    berth_engine *e = NULL;
    char err[256];
    assert_int_equal(berth_engine_new(&c, &e, err, sizeof err), 0);   /* not started */
    api_ctx ctx = api_fixture_ctx(e);
    api_server *s = api_fixture_server(&ctx);
    hc h;
    hc_init(&h, api_server_port(s));
    hc_resp r;
    assert_int_equal(hc_get(&h, "/api/v1/stats", NULL, &r), 0);
    af_expect(&r, 500, "{\"code\":10004,\"message\":\"check stats of server failed with error\","
                    "\"details\":\"failed to get stats of worker pools\"}");
    hc_cleanup(&h);
    api_server_stop(s);
    berth_engine_free(e);
}

static void test_config(void **state)
{
    (void)state;
    hc_resp r = af_get("/api/v1/config");
    af_expect_header(&r, "Content-Type", "application/json");
    af_expect_header(&r, "Accept", "application/json");
    af_expect_header(&r, "Server", "berthd/" BERTH_VERSION);
    char want[256];
    snprintf(want, sizeof want, "{\"redis_pool_config\":{\"RedisURL\":\"%s\",\"Namespace\":"
             "\"t\",\"IdleTimeoutSecond\":3600}}", af.redis_url);
    af_expect(&r, 200, want);
    api_ctx ctx = api_fixture_ctx(af.eng);
    ctx.redis_url = NULL;
    api_server *s = api_fixture_server(&ctx);
    hc h;
    hc_init(&h, api_server_port(s));
    assert_int_equal(hc_get(&h, "/api/v1/config", API_AUTH, &r), 0);
    af_expect(&r, 500, "{\"code\":10001,\"message\":\"handle json data failed with error\","
                    "\"details\":\"no configuration\"}");
    hc_cleanup(&h);
    api_server_stop(s);
}

/* With Redis unreachable every Redis-backed route answers its 500 code. */
static void test_redis_down(void **state)
{
    (void)state;
    berth_engine_config c = {.redis_host = "127.0.0.1", .redis_port = 1, .ns = "t"};
    berth_engine *e = NULL;
    char err[256];
    assert_int_equal(berth_engine_new(&c, &e, err, sizeof err), 0);
    assert_int_equal(berth_jobs_register_demo(e, 10), 0);
    api_ctx ctx = api_fixture_ctx(e);
    api_server *s = api_fixture_server(&ctx);
    hc h;
    hc_init(&h, api_server_port(s));
    static const struct { const char *method, *path, *body; long status; const char *head; }
    cases[] = {
        {"POST", "/api/v1/jobs",
         "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo\"},\"metadata\":{\"kind\":\"Generic\"}}}",
         500, "{\"code\":10003,\"message\":\"launch job failed with error\",\"details\":"},
        {"GET", "/api/v1/jobs/x", NULL, 500,
         "{\"code\":10005,\"message\":\"get job stats failed with error\",\"details\":"},
        {"POST", "/api/v1/jobs/x", "{\"action\":\"stop\"}", 500,
         "{\"code\":10006,\"message\":\"stop job failed with error\",\"details\":"},
        {"GET", "/api/v1/jobs/x/executions", NULL, 500,
         "{\"code\":10015,\"message\":\"failed to get periodic executions\",\"details\":"},
        {"GET", "/api/v1/jobs?cursor=7&kind=Other", NULL, 500,
         "{\"code\":10014,\"message\":\"failed to get scheduled jobs, q={\\\"Cursor\\\":7,"
         "\\\"Kind\\\":\\\"Other\\\"}\",\"details\":"},
        {"GET", "/api/v1/jobs?kind=Scheduled&non_dead_only=1", NULL, 500,
         "{\"code\":10014,\"message\":\"failed to get scheduled jobs, q={\\\"Kind\\\":"
         "\\\"Scheduled\\\",\\\"NonDeadOnly\\\":true}\",\"details\":"},
        {"GET", "/api/v1/stats", NULL, 500,
         "{\"code\":10004,\"message\":\"check stats of server failed with error\",\"details\":"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hc_resp r;
        const char *b = cases[i].body;
        assert_int_equal(hc_do(&h, cases[i].method, cases[i].path, API_AUTH, b, b ? strlen(b) : 0,
                               0, &r), 0);
        if (r.status != cases[i].status || strncmp(r.body, cases[i].head, strlen(cases[i].head)))
            fprintf(stderr, "%s %s: %ld %s\n", cases[i].method, cases[i].path, r.status, r.body);
        assert_int_equal(r.status, cases[i].status);
        assert_memory_equal(r.body, cases[i].head, strlen(cases[i].head));
        hc_resp_free(&r);
    }
    hc_cleanup(&h);
    api_server_stop(s);
    berth_engine_free(e);
}

static void test_start_errors(void **state)
{
    (void)state;
    api_ctx ctx = api_fixture_ctx(af.eng);
    api_server *s = NULL;
    char err[256] = "";
    assert_int_equal(api_server_start(&ctx, "127.0.0.1", api_server_port(af.api), &s, err,
                                      sizeof err), BERTH_EIO);   /* port in use */
    assert_null(s);
    assert_true(strlen(err) > 0);
    assert_int_equal(api_server_start(&ctx, "no.such.host.invalid", 0, &s, err, sizeof err),
                     BERTH_EINVAL);
    ctx.engine = NULL;
    assert_int_equal(api_server_start(&ctx, "127.0.0.1", 0, &s, err, sizeof err), BERTH_EINVAL);
    api_server_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_failures),
        cmocka_unit_test(test_auth_passes),
        cmocka_unit_test(test_auth_empty_secret),
        cmocka_unit_test(test_unknown_routes),
        cmocka_unit_test(test_wrong_methods),
        cmocka_unit_test(test_unclean_paths_redirect),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_body_cap),
        cmocka_unit_test(test_read_timeout),
        cmocka_unit_test(test_concurrent_launches),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_stats_no_pools),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_redis_down),
        cmocka_unit_test(test_start_errors),
    };
    return cmocka_run_group_tests(tests, api_fixture_setup, api_fixture_teardown);
}
