/* WEBHOOK and SLACK through the API (spec harbor-jobs §5, §6), against real receivers on
 * loopback (tests/support/http_fake: libmicrohttpd, plain HTTP and TLS with a self-signed
 * certificate the test makes with openssl): the body byte for byte, the header set of
 * `header` and nothing of libcurl's own, the method; a non-2xx answer failing with Harbor's
 * text and retried exactly MaxFails times (MaxFails read from
 * JOBSERVICE_WEBHOOK_JOB_MAX_RETRY as berthd does); skip_cert_verify on and off; the client
 * timeout; a stop while the request is in flight; a forward proxy for non-loopback hosts;
 * SLACK's launch-time validation, its Content-Type, its pause and its one-at-a-time limit; bad inputs (no address, a header
 * that is not JSON or not of string lists, a header value that would inject a line, an
 * unreachable address, an unsupported scheme), each an Error with its reason in the job
 * log, and the service unharmed. Timeouts and the Slack pause are shortened for the test
 * (the defaults are Harbor's: 3 s, 1 s). */
#include "test.h"

#include <jansson.h>
#include <unistd.h>

#include "api_fixture.h"
#include "berth/jobs.h"
#include "engine_fixture.h"
#include "http_fake.h"
#include "wait.h"

#define TIMEOUT_MS 1500L    /* the client timeout of this test (Harbor: 3 s); a TLS handshake
                               under ASan on a loaded machine must fit in it */
#define PAUSE_MS 400u       /* SLACK's pause in this test (Harbor: 1 s) */
#define MAX_RETRY "2"       /* JOBSERVICE_WEBHOOK_JOB_MAX_RETRY here (Harbor's default: 3) */

static berth_jobs_http cfg;
static http_fake *proxy;    /* a forward proxy: answers every request it gets with 200 */
static char dir[64], cert[128], key[128];

static int reg(berth_engine *e)
{
    return berth_jobs_register_webhook(e, &cfg) || berth_jobs_register_slack(e, &cfg);
}

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/berth-notify-XXXXXX");
    if (!mkdtemp(dir) || hf_make_cert(dir, cert, sizeof cert, key, sizeof key) != 0)
        return -1;
    proxy = hf_start(NULL, NULL, NULL, NULL);
    if (!proxy)
        return -1;
    setenv("JOBSERVICE_WEBHOOK_JOB_MAX_RETRY", MAX_RETRY, 1);
    char warn[256];
    if (berth_jobs_http_from_env(&cfg, warn, sizeof warn) != 0 || cfg.max_fails != 2)
        return -1;
    static char proxy_url[64];
    snprintf(proxy_url, sizeof proxy_url, "http://127.0.0.1:%d", hf_port(proxy));
    cfg.http_proxy = proxy_url;
    cfg.timeout_ms = TIMEOUT_MS;
    cfg.slack_pause_ms = PAUSE_MS;
    api_fixture_extra_jobs = reg;
    return api_fixture_setup(state);
}

static int teardown(void **state)
{
    int rc = api_fixture_teardown(state);
    hf_stop(proxy);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return rc | system(cmd);
}

/* ---- helpers --------------------------------------------------------------------------- */

/* Launches name with the parameters object p (stolen) through the API; returns the id. */
static char *launch(const char *name, json_t *p)
{
    json_t *body = json_pack("{s:{s:s,s:o,s:{s:s}}}", "job", "name", name, "parameters", p,
                             "metadata", "kind", "Generic");
    char *text = json_dumps(body, JSON_COMPACT);
    char *id = af_launch(text);
    free(text);
    json_decref(body);
    return id;
}

static json_t *webhook_params(const char *address, const char *header, bool skip)
{
    json_t *p = json_pack("{s:s,s:s,s:b}", "payload", "{\"type\":\"PUSH_ARTIFACT\",\"n\":1}",
                          "address", address, "skip_cert_verify", skip);
    if (header)
        json_object_set_new(p, "header", json_string(header));
    return p;
}

static void expect_final(const char *id, const char *want)
{
    assert_true(engine_fixture_wait_status(af.eng, id, want, 15000));
}

/* Waits until needle appears n times in the job's log and the job is Error: every run
 * failed (the status is Error after each failed run, before its retry too). */
static void expect_failed_runs(const char *id, const char *needle, int n)
{
    int got = af_wait_log_count(id, needle, n, 15000);
    if (got != n) {
        char *log = af_job_log(id);
        fprintf(stderr, "%d runs logged [%s], want %d:\n%s\n", got, needle, n, log);
        free(log);
    }
    assert_int_equal(got, n);
    expect_final(id, "Error");
    wait_sleep_ms(300);                /* a negative check: no run after the last */
    assert_int_equal(af_count_in_log(id, needle), n);
    expect_final(id, "Error");
}

static char *url_of(const http_fake *f, const char *scheme, const char *path)
{
    char *u = malloc(128);
    snprintf(u, 128, "%s://127.0.0.1:%d%s", scheme, hf_port(f), path);
    return u;
}

static void fail_500(const hf_req *req, hf_reply *out, void *ud)
{
    (void)req, (void)ud;
    out->status = 500;
    snprintf(out->body, sizeof out->body, "receiver says no");
}

static void slow(const hf_req *req, hf_reply *out, void *ud)
{
    (void)req, (void)ud;
    out->delay_ms = 5000;
}

/* ---- WEBHOOK --------------------------------------------------------------------------- */

static void test_webhook_delivers(void **state)
{
    (void)state;
    http_fake *rx = hf_start(NULL, NULL, NULL, NULL);
    assert_non_null(rx);
    char *addr = url_of(rx, "http", "/hooks/harbor?token=1");
    const char *header = "{\"Content-Type\":[\"application/json\"],\"Authorization\":"
                         "[\"Bearer s3cr3t\"],\"X-Multi\":[\"a\",\"b\"],\"X-Empty\":[]}";
    char *id = launch("WEBHOOK", webhook_params(addr, header, false));
    expect_final(id, "Success");
    assert_int_equal(hf_count(rx), 1);
    hf_req r;
    assert_int_equal(hf_get(rx, 0, &r), 0);
    assert_string_equal(r.method, "POST");
    assert_string_equal(r.target, "/hooks/harbor");
    assert_string_equal(r.body, "{\"type\":\"PUSH_ARTIFACT\",\"n\":1}");
    assert_int_equal(hf_header_count(&r, "Content-Type", "application/json"), 1);
    assert_int_equal(hf_header_count(&r, "Authorization", "Bearer s3cr3t"), 1);
    assert_int_equal(hf_header_count(&r, "X-Multi", "a"), 1);
    assert_int_equal(hf_header_count(&r, "X-Multi", "b"), 1);
    assert_int_equal(hf_header_count(&r, "User-Agent", "Go-http-client/1.1"), 1);
    assert_int_equal(hf_header_count(&r, "Accept-Encoding", "gzip"), 1);
    char v[64];
    assert_null(hf_header(&r, "Accept", v, sizeof v));     /* nothing of curl's own */
    assert_null(hf_header(&r, "Expect", v, sizeof v));
    assert_null(hf_header(&r, "X-Empty", v, sizeof v));
    hf_req_free(&r);
    af_expect_log(id, "start to run webhook job");
    af_expect_log(id, "send request to remote endpoint, body: "
                      "{\"type\":\"PUSH_ARTIFACT\",\"n\":1}");
    af_expect_log(id, "success to run webhook job");
    assert_int_equal(hf_count(proxy), 0);                   /* loopback is never proxied */
    free(id);
    free(addr);
    hf_stop(rx);
}

/* No `header`, or one that is not a string: no header at all, not even a Content-Type. */
static void test_webhook_without_header(void **state)
{
    (void)state;
    http_fake *rx = hf_start(NULL, NULL, NULL, NULL);
    char *addr = url_of(rx, "http", "/");
    json_t *p = webhook_params(addr, NULL, false);
    char *a = launch("WEBHOOK", p);
    p = webhook_params(addr, NULL, false);
    json_object_set_new(p, "header", json_pack("{s:[s]}", "X-Object", "not a string"));
    char *b = launch("WEBHOOK", p);
    expect_final(a, "Success");
    expect_final(b, "Success");
    assert_int_equal(hf_count(rx), 2);
    for (size_t i = 0; i < 2; i++) {
        hf_req r;
        char v[64];
        hf_get(rx, i, &r);
        assert_null(hf_header(&r, "Content-Type", v, sizeof v));
        assert_null(hf_header(&r, "X-Object", v, sizeof v));
        hf_req_free(&r);
    }
    free(a);
    free(b);
    free(addr);
    hf_stop(rx);
}

/* 500 → Error after exactly MaxFails runs, each with Harbor's text in the log. */
static void test_webhook_non2xx_retried(void **state)
{
    (void)state;
    http_fake *rx = hf_start(NULL, NULL, fail_500, NULL);
    char *addr = url_of(rx, "http", "/x");
    char *id = launch("WEBHOOK", webhook_params(addr, "{}", false));
    expect_failed_runs(id, "exit webhook job, error: abnormal response code: 500, "
                           "body: receiver says no", 2);
    assert_int_equal(hf_count(rx), 2);
    free(id);
    free(addr);
    hf_stop(rx);
}

/* A self-signed receiver: refused while verifying, reached with skip_cert_verify. */
static void test_webhook_tls(void **state)
{
    (void)state;
    http_fake *rx = hf_start(cert, key, NULL, NULL);
    assert_non_null(rx);
    char *addr = url_of(rx, "https", "/tls");
    char *bad = launch("WEBHOOK", webhook_params(addr, NULL, false));
    char want[256];
    snprintf(want, sizeof want, "exit webhook job, error: error to send request: Post \"%s\": "
             "SSL certificate problem", addr);
    expect_failed_runs(bad, want, 2);
    assert_int_equal(hf_count(rx), 0);
    char *good = launch("WEBHOOK", webhook_params(addr, "{\"X-Over\":[\"tls\"]}", true));
    expect_final(good, "Success");
    assert_int_equal(hf_count(rx), 1);
    hf_req r;
    hf_get(rx, 0, &r);
    assert_int_equal(hf_header_count(&r, "X-Over", "tls"), 1);
    assert_string_equal(r.body, "{\"type\":\"PUSH_ARTIFACT\",\"n\":1}");
    hf_req_free(&r);
    free(bad);
    free(good);
    free(addr);
    hf_stop(rx);
}

/* A receiver that answers after 5 s: each run gives up at the client timeout. */
static void test_webhook_timeout(void **state)
{
    (void)state;
    http_fake *rx = hf_start(NULL, NULL, slow, NULL);
    char *addr = url_of(rx, "http", "/slow");
    long long t0 = wait_now_ms();
    char *id = launch("WEBHOOK", webhook_params(addr, NULL, false));
    expect_failed_runs(id, "(Client.Timeout exceeded while awaiting headers)", 2);
    long long took = wait_now_ms() - t0 - 300;   /* the check after the last run */
    fprintf(stderr, "two timed-out runs (timeout %ld ms) took %lld ms\n", TIMEOUT_MS, took);
    assert_true(took >= 2 * TIMEOUT_MS && took < 2 * TIMEOUT_MS + 3000);
    free(id);
    free(addr);
    hf_stop(rx);
}

/* A stop while the receiver has not answered: the request is abandoned, the job stays
 * Stopped (Harbor would wait for the answer or the timeout). */
static void test_webhook_stop_in_flight(void **state)
{
    (void)state;
    http_fake *rx = hf_start(NULL, NULL, slow, NULL);
    char *addr = url_of(rx, "http", "/slow");
    char *id = launch("WEBHOOK", webhook_params(addr, NULL, false));
    assert_int_equal(hf_wait(rx, 1, 10000), 1);
    long long t0 = wait_now_ms();
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", id);
    hc_resp r = af_post(path, "{\"action\":\"stop\"}");
    af_expect(&r, 204, "");
    assert_int_equal(af_wait_log_count(id, "stopped before the remote endpoint answered", 1,
                                       5000), 1);
    long long took = wait_now_ms() - t0;
    fprintf(stderr, "webhook request abandoned %lld ms after the stop\n", took);
    assert_true(took < TIMEOUT_MS);          /* not the client timeout */
    assert_true(engine_fixture_wait_status(af.eng, id, "Stopped", 5000));
    assert_int_equal(af_count_in_log(id, "start to run webhook job"), 1);
    free(id);
    free(addr);
    hf_stop(rx);
}

/* A host that is not loopback goes through HTTP_PROXY (absolute-form target). */
static void test_webhook_proxy(void **state)
{
    (void)state;
    size_t before = hf_count(proxy);
    char *id = launch("WEBHOOK", webhook_params("http://hooks.example.invalid/harbor",
                                                "{\"X-Via\":[\"proxy\"]}", false));
    expect_final(id, "Success");
    assert_int_equal(hf_count(proxy), before + 1);
    hf_req r;
    hf_get(proxy, before, &r);
    assert_string_equal(r.target, "http://hooks.example.invalid/harbor");
    assert_int_equal(hf_header_count(&r, "Host", "hooks.example.invalid"), 1);
    assert_int_equal(hf_header_count(&r, "X-Via", "proxy"), 1);
    hf_req_free(&r);
    free(id);
}

/* Bad inputs: each an Error with its reason in the log; nothing reaches the receiver. */
static void test_webhook_bad_inputs(void **state)
{
    (void)state;
    http_fake *rx = hf_start(NULL, NULL, NULL, NULL);
    char *addr = url_of(rx, "http", "/");
    int dead = redis_fixture_free_port();
    char unreachable[64], dead_err[160];
    snprintf(unreachable, sizeof unreachable, "http://127.0.0.1:%d/", dead);
    snprintf(dead_err, sizeof dead_err, "error to send request: Post \"%s\": ", unreachable);
    struct { json_t *p; const char *why; } cases[] = {
        {json_pack("{s:s}", "payload", "x"), "missing job parameter 'address'"},
        {json_pack("{s:s,s:i}", "payload", "x", "address", 5),
         "malformed job parameter 'address', expecting string but got float64"},
        {webhook_params(addr, "not json", false), "error to unmarshal header: invalid JSON"},
        {webhook_params(addr, "[1]", false), "error to unmarshal header: json: cannot "
         "unmarshal array into Go value of type http.Header"},
        {webhook_params(addr, "{\"A\":\"x\"}", false), "error to unmarshal header: json: cannot "
         "unmarshal string into Go value of type []string"},
        {webhook_params(addr, "{\"A\":[1]}", false), "error to unmarshal header: json: cannot "
         "unmarshal number into Go value of type string"},
        {webhook_params(addr, "{\"X\":[\"a\\r\\nInjected: 1\"]}", false),
         "net/http: invalid header field value for \"X\""},
        {webhook_params(addr, "{\"Bad Name\":[\"a\"]}", false),
         "net/http: invalid header field name \"Bad Name\""},
        {webhook_params("ftp://127.0.0.1/x", NULL, false),
         "error to send request: Post \"ftp://127.0.0.1/x\": unsupported protocol scheme "
         "\"ftp\""},
        {webhook_params("http://127.0.0.1:99999999/", NULL, false),
         "error to generate request: parse"},
        {webhook_params(unreachable, NULL, false), NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *id = launch("WEBHOOK", cases[i].p);
        expect_final(id, "Error");
        char *log = af_job_log(id);
        const char *why = cases[i].why ? cases[i].why : dead_err;
        if (!strstr(log, why) || !strstr(log, "exit webhook job, error: "))
            fprintf(stderr, "case %zu: log lacks [%s]:\n%s\n", i, why, log);
        assert_non_null(strstr(log, why));
        assert_non_null(strstr(log, "exit webhook job, error: "));
        free(log);
        free(id);
    }
    assert_int_equal(hf_count(rx), 0);
    hc_resp r = af_get("/api/v1/stats");                    /* the service is unharmed */
    assert_int_equal(r.status, 200);
    hc_resp_free(&r);
    char *id = launch("WEBHOOK", webhook_params(addr, NULL, false));
    expect_final(id, "Success");
    assert_int_equal(hf_count(rx), 1);
    free(id);
    free(addr);
    hf_stop(rx);
}

/* ---- SLACK ----------------------------------------------------------------------------- */

static void expect_launch_400(const char *params, const char *details)
{
    char body[512], want[512];
    snprintf(body, sizeof body, "{\"job\":{\"name\":\"SLACK\",%s%s%s\"metadata\":{\"kind\":"
             "\"Generic\"}}}", params ? "\"parameters\":" : "", params ? params : "",
             params ? "," : "");
    snprintf(want, sizeof want, "{\"code\":10013,\"message\":\"bad request\",\"details\":\"%s\"}",
             details);
    long long stats = af_count_stats();
    hc_resp r = af_post("/api/v1/jobs", body);
    af_expect(&r, 400, want);
    assert_int_equal(af_count_stats(), stats);
}

static void test_slack_validation(void **state)
{
    (void)state;
    expect_launch_400(NULL, "missing parameter of slack job");
    expect_launch_400("{}", "missing job parameter 'payload'");
    expect_launch_400("{\"address\":\"http://x\"}", "missing job parameter 'payload'");
    expect_launch_400("{\"payload\":5,\"address\":\"http://x\"}",
                      "malformed job parameter 'payload', expecting string but got float64");
    expect_launch_400("{\"payload\":\"{}\"}", "missing job parameter 'address'");
    expect_launch_400("{\"payload\":\"{}\",\"address\":[\"http://x\"]}",
                      "malformed job parameter 'address', expecting string but got "
                      "[]interface {}");
    expect_launch_400("{\"payload\":\"{}\",\"address\":{}}",
                      "malformed job parameter 'address', expecting string but got "
                      "map[string]interface {}");
    expect_launch_400("{\"payload\":true,\"address\":\"http://x\"}",
                      "malformed job parameter 'payload', expecting string but got bool");
}

/* One Content-Type header, the payload as body; the run ends PAUSE_MS after the post. */
static void test_slack_posts_and_pauses(void **state)
{
    (void)state;
    http_fake *rx = hf_start(NULL, NULL, NULL, NULL);
    char *addr = url_of(rx, "http", "/services/T000/B000/XXX");
    const char *payload = "{\"text\":\"artifact pushed\",\"blocks\":[]}";
    char *id = launch("SLACK", json_pack("{s:s,s:s}", "payload", payload, "address", addr));
    assert_int_equal(hf_wait(rx, 1, 10000), 1);
    expect_final(id, "Success");
    long long done = wait_now_ms();
    hf_req r;
    hf_get(rx, 0, &r);
    fprintf(stderr, "slack: Success seen %lld ms after the post (pause %u ms)\n",
            done - r.t_ms, PAUSE_MS);
    assert_true(done - r.t_ms >= PAUSE_MS - 20);
    assert_string_equal(r.method, "POST");
    assert_string_equal(r.body, payload);
    assert_int_equal(hf_header_count(&r, "Content-Type", "application/json"), 1);
    hf_req_free(&r);
    af_expect_log(id, "start to run slack job");
    af_expect_log(id, "success to run slack job");
    free(id);
    free(addr);
    hf_stop(rx);
}

/* MaxConcurrency 1 + the pause: two SLACK jobs post at least PAUSE_MS apart; a 500 fails
 * with Harbor's text. */
static void test_slack_one_at_a_time(void **state)
{
    (void)state;
    http_fake *rx = hf_start(NULL, NULL, NULL, NULL);
    char *addr = url_of(rx, "http", "/s");
    char *a = launch("SLACK", json_pack("{s:s,s:s}", "payload", "{\"n\":1}", "address", addr));
    char *b = launch("SLACK", json_pack("{s:s,s:s}", "payload", "{\"n\":2}", "address", addr));
    expect_final(a, "Success");
    expect_final(b, "Success");
    hf_req r0, r1;
    hf_get(rx, 0, &r0);
    hf_get(rx, 1, &r1);
    fprintf(stderr, "slack: second post %lld ms after the first\n", r1.t_ms - r0.t_ms);
    assert_true(r1.t_ms - r0.t_ms >= PAUSE_MS - 20);
    hf_req_free(&r0);
    hf_req_free(&r1);
    http_fake *no = hf_start(NULL, NULL, fail_500, NULL);
    char *naddr = url_of(no, "http", "/s");
    char *c = launch("SLACK", json_pack("{s:s,s:s}", "payload", "{}", "address", naddr));
    expect_failed_runs(c, "exit slack job, error: abnormal response code: 500, "
                          "body: receiver says no", 2);
    free(a);
    free(b);
    free(c);
    free(addr);
    free(naddr);
    hf_stop(rx);
    hf_stop(no);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webhook_delivers),
        cmocka_unit_test(test_webhook_without_header),
        cmocka_unit_test(test_webhook_non2xx_retried),
        cmocka_unit_test(test_webhook_tls),
        cmocka_unit_test(test_webhook_timeout),
        cmocka_unit_test(test_webhook_stop_in_flight),
        cmocka_unit_test(test_webhook_proxy),
        cmocka_unit_test(test_webhook_bad_inputs),
        cmocka_unit_test(test_slack_validation),
        cmocka_unit_test(test_slack_posts_and_pauses),
        cmocka_unit_test(test_slack_one_at_a_time),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
