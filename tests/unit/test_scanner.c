/* The Pluggable Scanner API client (src/scanner) against a fake adapter: no scanner adapter
 * is packaged for Debian 12 (Trivy's, Clair's … are not), so tests/support/http_fake plays
 * one on loopback, answering the API's three routes as an adapter does. Checked: the paths,
 * Accept/Content-Type media types and each adapter auth kind on the wire; 202/200 replies;
 * Harbor's error texts for a 500 with an error document, an empty 500 and a garbage body;
 * the 302 "not ready" answer with Refresh-After (given, absent, unparsable, out of range)
 * and that a redirect is never followed; the reply cap; the timeout; a stop aborting a
 * request within a second; bad settings refused. */
#include "test.h"

#include <pthread.h>
#include <stdatomic.h>

#include "berth/error.h"
#include "http_fake.h"
#include "scanner/scanner.h"
#include "util/alloc.h"
#include "wait.h"

typedef struct adapter {
    pthread_mutex_t mu;
    int submit_status;          /* 0 → 202 */
    char submit_body[256];      /* "" → {"id":"scan-1"} */
    int report_status;          /* 0 → 200 */
    char report_body[8192];
    char refresh[64];           /* Refresh-After of a 302, "" → none */
    int delay_ms;
} adapter;

static void on_req(const hf_req *q, hf_reply *out, void *ud)
{
    adapter *a = ud;
    pthread_mutex_lock(&a->mu);
    out->delay_ms = a->delay_ms;
    if (!strcmp(q->target, "/api/v1/metadata")) {
        snprintf(out->body, sizeof out->body, "{\"scanner\":{\"name\":\"Fake\",\"vendor\":"
                 "\"Berth\",\"version\":\"1\"},\"capabilities\":[{\"consumes_mime_types\":[],"
                 "\"produces_mime_types\":[]}],\"properties\":{}}");
    } else if (!strcmp(q->target, "/api/v1/scan") && !strcmp(q->method, "POST")) {
        out->status = a->submit_status ? a->submit_status : 202;
        snprintf(out->body, sizeof out->body, "%s", !strcmp(a->submit_body, "-") ? ""
                 : a->submit_body[0] ? a->submit_body : "{\"id\":\"scan-1\"}");
    } else if (!strncmp(q->target, "/api/v1/scan/scan-1/report", 26)) {
        out->status = a->report_status ? a->report_status : 200;
        snprintf(out->body, sizeof out->body, "%s", a->report_body);
        if (a->refresh[0])
            snprintf(out->headers, sizeof out->headers, "Refresh-After: %s\n"
                     "Location: /elsewhere\n", a->refresh);
    } else {
        out->status = 404;
    }
    pthread_mutex_unlock(&a->mu);
}

typedef struct fx {
    adapter a;
    http_fake *f;
    char url[64];
    scanner *c;
    atomic_bool stop;
    char err[4096];
} fx;

static bool stop_cb(void *ud)
{
    return atomic_load((atomic_bool *)ud);
}

static void open_client(fx *x, scanner_auth auth, const char *cred, long timeout_ms,
                        size_t cap)
{
    scanner_free(x->c);
    x->c = NULL;
    scanner_settings s = {.url = x->url, .auth = auth, .credential = cred,
                          .timeout_ms = timeout_ms, .max_reply = cap, .stop = stop_cb,
                          .stop_ud = &x->stop};
    assert_int_equal(scanner_new(&s, &x->c, x->err, sizeof x->err), 0);
}

static int setup(void **state)
{
    fx *x = calloc(1, sizeof *x);
    pthread_mutex_init(&x->a.mu, NULL);
    x->f = hf_start(NULL, NULL, on_req, &x->a);
    assert_non_null(x->f);
    snprintf(x->url, sizeof x->url, "http://127.0.0.1:%d/", hf_port(x->f));
    open_client(x, SCANNER_AUTH_NONE, NULL, 0, 0);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fx *x = *state;
    scanner_free(x->c);
    hf_stop(x->f);
    pthread_mutex_destroy(&x->a.mu);
    free(x);
    return 0;
}

static void last(fx *x, hf_req *q)
{
    size_t n = hf_count(x->f);
    assert_true(n > 0);
    assert_int_equal(hf_get(x->f, n - 1, q), 0);
}

static void test_metadata_and_paths(void **state)
{
    fx *x = *state;
    json_t *m = NULL;
    assert_int_equal(scanner_metadata(x->c, &m, x->err, sizeof x->err), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(m, "scanner"),
                                                          "name")), "Fake");
    json_decref(m);
    hf_req q;
    last(x, &q);
    assert_string_equal(q.method, "GET");
    assert_string_equal(q.target, "/api/v1/metadata");
    assert_int_equal(hf_header_count(&q, "Accept", "application/vnd.scanner.adapter.metadata+json; "
                                     "version=1.0"), 1);
    assert_int_equal(hf_header_count(&q, "Authorization", NULL) +
                     hf_header_count(&q, "X-ScannerAdapter-API-Key", NULL), 0);
    hf_req_free(&q);

    char id[64];
    assert_int_equal(scanner_submit(x->c, "{\"a\":1}", id, sizeof id, x->err, sizeof x->err), 0);
    assert_string_equal(id, "scan-1");
    last(x, &q);
    assert_string_equal(q.method, "POST");
    assert_string_equal(q.target, "/api/v1/scan");
    assert_string_equal(q.body, "{\"a\":1}");
    assert_int_equal(hf_header_count(&q, "Content-Type", "application/vnd.scanner.adapter.scan."
                                     "request+json; version=1.0"), 1);
    assert_int_equal(hf_header_count(&q, "Accept", "application/vnd.scanner.adapter.scan."
                                     "response+json; version=1.0"), 1);
    hf_req_free(&q);

    pthread_mutex_lock(&x->a.mu);   /* the fake reads it on its threads */
    snprintf(x->a.report_body, sizeof x->a.report_body, "{\"vulnerabilities\":[]}");
    pthread_mutex_unlock(&x->a.mu);
    char *rep = NULL, warn[256];
    size_t len = 0;
    int after = -1;
    assert_int_equal(scanner_report(x->c, "scan-1", "application/x; version=1", "q=1", &rep,
                                    &len, &after, warn, sizeof warn, x->err, sizeof x->err), 0);
    assert_string_equal(rep, "{\"vulnerabilities\":[]}");
    assert_int_equal(len, strlen(rep));
    berth_free(rep);
    last(x, &q);
    assert_string_equal(q.target, "/api/v1/scan/scan-1/report");
    assert_string_equal(q.query, "q=1");
    assert_int_equal(hf_header_count(&q, "Accept", "application/x; version=1"), 1);
    hf_req_free(&q);
}

static void check_auth(fx *x, scanner_auth kind, const char *cred, const char *name,
                       const char *value)
{
    open_client(x, kind, cred, 0, 0);
    json_t *m = NULL;
    assert_int_equal(scanner_metadata(x->c, &m, x->err, sizeof x->err), 0);
    json_decref(m);
    hf_req q;
    last(x, &q);
    assert_int_equal(hf_header_count(&q, name, value), 1);
    hf_req_free(&q);
}

static void test_auth_kinds(void **state)
{
    fx *x = *state;
    /* base64("harbor:s3cret") */
    check_auth(x, SCANNER_AUTH_BASIC, "harbor:s3cret", "Authorization",
               "Basic aGFyYm9yOnMzY3JldA==");
    check_auth(x, SCANNER_AUTH_BEARER, "tok-123", "Authorization", "Bearer tok-123");
    check_auth(x, SCANNER_AUTH_APIKEY, "key-9", "X-ScannerAdapter-API-Key", "key-9");
    scanner_auth a;
    const char *names[] = {"", "Basic", "Bearer", "APIKey"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(scanner_auth_parse(names[i], &a, x->err, sizeof x->err), 0);
        assert_int_equal(a, i);
    }
    assert_int_equal(scanner_auth_parse("Digest", &a, x->err, sizeof x->err), BERTH_EINVAL);
    assert_string_equal(x->err, "auth type Digest is not supported");
}

static void test_submit_errors(void **state)
{
    fx *x = *state;
    char id[64];
    struct { int status; const char *body, *want; } cases[] = {
        {500, "{\"error\":{\"message\":\"scanner exploded\"}}",
         "v1 client: submit scan: scanner exploded: general response handler: unexpected "
         "status code: 500, expected: 202"},
        {503, "", "v1 client: submit scan: general response handler: unexpected status code: "
                  "503, expected: 202"},
        {500, "<html>oops</html>", "v1 client: submit scan: general response handler: "},
        {202, "not json", "v1 client: submit scan: "},
        {202, "{\"id\":\"../etc\"}", "v1 client: submit scan: invalid scan request id"},
        {202, "{\"id\":\"\"}", "v1 client: submit scan: invalid scan request id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        pthread_mutex_lock(&x->a.mu);   /* the fake reads it on its threads */
        x->a.submit_status = cases[i].status;
        snprintf(x->a.submit_body, sizeof x->a.submit_body, "%s", cases[i].body);
        if (!cases[i].body[0])
            snprintf(x->a.submit_body, sizeof x->a.submit_body, "-");
        pthread_mutex_unlock(&x->a.mu);
        int rc = scanner_submit(x->c, "{}", id, sizeof id, x->err, sizeof x->err);
        assert_true(rc < 0);
        if (strncmp(x->err, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: got '%s', want prefix '%s'", i, x->err, cases[i].want);
    }
}

static int report(fx *x, int *after, char *warn, size_t wl)
{
    char *rep = NULL;
    size_t len;
    int rc = scanner_report(x->c, "scan-1", "m", NULL, &rep, &len, after, warn, wl, x->err,
                            sizeof x->err);
    berth_free(rep);
    return rc;
}

static void test_not_ready(void **state)
{
    fx *x = *state;
    char warn[256];
    int after;
    pthread_mutex_lock(&x->a.mu);   /* the fake reads it on its threads */
    x->a.report_status = 302;
    snprintf(x->a.refresh, sizeof x->a.refresh, "3");
    pthread_mutex_unlock(&x->a.mu);
    size_t before = hf_count(x->f);
    assert_int_equal(report(x, &after, warn, sizeof warn), SCANNER_NOT_READY);
    assert_int_equal(after, 3);
    assert_string_equal(warn, "");
    assert_int_equal(hf_count(x->f), before + 1);       /* Location: /elsewhere not followed */
    pthread_mutex_lock(&x->a.mu);   /* the fake reads it on its threads */
    snprintf(x->a.refresh, sizeof x->a.refresh, "soon");
    pthread_mutex_unlock(&x->a.mu);
    assert_int_equal(report(x, &after, warn, sizeof warn), SCANNER_NOT_READY);
    assert_int_equal(after, 5);
    assert_string_equal(warn, "Parse `Refresh-After` error: strconv.ParseInt: parsing \"soon\": "
                              "invalid syntax");
    pthread_mutex_lock(&x->a.mu);   /* the fake reads it on its threads */
    snprintf(x->a.refresh, sizeof x->a.refresh, "300");
    pthread_mutex_unlock(&x->a.mu);
    assert_int_equal(report(x, &after, warn, sizeof warn), SCANNER_NOT_READY);
    assert_int_equal(after, 5);
    assert_non_null(strstr(warn, "value out of range"));
    pthread_mutex_lock(&x->a.mu);   /* the fake reads it on its threads */
    x->a.refresh[0] = '\0';
    pthread_mutex_unlock(&x->a.mu);
    assert_int_equal(report(x, &after, warn, sizeof warn), SCANNER_NOT_READY);
    assert_int_equal(after, 5);
    pthread_mutex_lock(&x->a.mu);   /* the fake reads it on its threads */
    x->a.report_status = 404;
    snprintf(x->a.report_body, sizeof x->a.report_body, "{\"error\":{\"message\":\"no scan\"}}");
    pthread_mutex_unlock(&x->a.mu);
    assert_int_equal(report(x, &after, warn, sizeof warn), BERTH_EIO);
    assert_string_equal(x->err, "no scan: general response handler: unexpected status code: "
                                "404, expected: 200");
    assert_int_equal(scanner_report(x->c, "a/b", "m", NULL, &(char *){NULL}, &(size_t){0},
                                    &after, warn, sizeof warn, x->err, sizeof x->err),
                     BERTH_EINVAL);
}

static void test_cap(void **state)
{
    fx *x = *state;
    open_client(x, SCANNER_AUTH_NONE, NULL, 0, 1000);
    pthread_mutex_lock(&x->a.mu);   /* the fake reads it on its threads */
    memset(x->a.report_body, 'x', 3000);
    x->a.report_body[3000] = '\0';
    pthread_mutex_unlock(&x->a.mu);
    char warn[256];
    int after;
    assert_int_equal(report(x, &after, warn, sizeof warn), BERTH_ETOOBIG);
    assert_non_null(strstr(x->err, "reply larger than the cap of 1000 bytes"));
    pthread_mutex_lock(&x->a.mu);   /* the fake reads it on its threads */
    x->a.report_body[999] = '\0';
    pthread_mutex_unlock(&x->a.mu);
    assert_int_equal(report(x, &after, warn, sizeof warn), 0);
}

static void *set_stop(void *ud)
{
    wait_sleep_ms(200);
    atomic_store((atomic_bool *)ud, true);
    return NULL;
}

static void test_timeout_and_stop(void **state)
{
    fx *x = *state;
    open_client(x, SCANNER_AUTH_NONE, NULL, 300, 0);
    pthread_mutex_lock(&x->a.mu);   /* the fake reads it on its threads */
    x->a.delay_ms = 3000;
    pthread_mutex_unlock(&x->a.mu);
    char warn[256];
    int after;
    long long t0 = wait_now_ms();
    assert_int_equal(report(x, &after, warn, sizeof warn), BERTH_EIO);
    assert_non_null(strstr(x->err, "Client.Timeout exceeded"));
    assert_true(wait_now_ms() - t0 < 2000);
    open_client(x, SCANNER_AUTH_NONE, NULL, 10000, 0);
    pthread_t th;
    pthread_create(&th, NULL, set_stop, &x->stop);
    t0 = wait_now_ms();
    assert_int_equal(report(x, &after, warn, sizeof warn), SCANNER_STOPPED);
    long long took = wait_now_ms() - t0;
    pthread_join(th, NULL);
    if (took > 1200)
        fail_msg("stop took %lld ms", took);
    pthread_mutex_lock(&x->a.mu);   /* the fake reads it on its threads */
    x->a.delay_ms = 0;
    pthread_mutex_unlock(&x->a.mu);
}

static void test_bad_settings(void **state)
{
    (void)state;
    char err[256];
    scanner *c = NULL;
    scanner_settings s = {.url = "ftp://x"};
    assert_int_equal(scanner_new(&s, &c, err, sizeof err), BERTH_EINVAL);
    assert_null(c);
    s = (scanner_settings){.url = "http://x", .auth = SCANNER_AUTH_BEARER};
    assert_int_equal(scanner_new(&s, &c, err, sizeof err), BERTH_EINVAL);
    s.credential = "a\r\nX-Evil: 1";
    assert_int_equal(scanner_new(&s, &c, err, sizeof err), BERTH_EINVAL);
    scanner_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_metadata_and_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_submit_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_and_stop, setup, teardown),
        cmocka_unit_test(test_bad_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
