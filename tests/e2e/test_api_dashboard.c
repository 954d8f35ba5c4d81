/* The dashboard's server side over real HTTP: the embedded static files under /ui/ (no
 * secret, strict Content-Security-Policy, nothing else reachable through them), and the
 * views the page reads (throughput, check-ins, parked hooks) against the API fixture's real
 * redis-server and engine. The page itself is tested in a browser: tests/browser. */
#include "test.h"

#include <jansson.h>
#include <time.h>

#include "api_fixture.h"
#include "berth/jobs.h"
#include "engine_fixture.h"
#include "server/ui.h"
#include "wait.h"

#define DEMO_BODY "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo:ui\"},\"metadata\":" \
                  "{\"kind\":\"Generic\"}}}"

static hc_resp anon(const char *method, const char *path)
{
    hc_resp r;
    assert_int_equal(hc_do(&af.cli, method, path, NULL, NULL, 0, 0, &r), 0);
    return r;
}

static void expect_header(const hc_resp *r, const char *name, const char *want)
{
    char v[512];
    const char *got = hc_header(r, name, v, sizeof v);
    if (!got || strcmp(got, want) != 0)
        fail_msg("%s: got %s, want %s", name, got ? got : "(none)", want);
}

static void test_static_files(void **state)
{
    (void)state;
    static const char *const files[][2] = {
        {"/ui/", "text/html; charset=utf-8"},          {"/ui/index.html", "text/html; charset=utf-8"},
        {"/ui/app.js", "text/javascript; charset=utf-8"}, {"/ui/app.css", "text/css; charset=utf-8"},
        {"/ui/icon.svg", "image/svg+xml"}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        hc_resp r = anon("GET", files[i][0]);   /* no secret: static files hold no data */
        assert_int_equal(r.status, 200);
        assert_true(r.len > 100);
        expect_header(&r, "Content-Type", files[i][1]);
        expect_header(&r, "Content-Security-Policy", UI_CSP);
        expect_header(&r, "X-Content-Type-Options", "nosniff");
        expect_header(&r, "X-Frame-Options", "DENY");
        hc_resp_free(&r);
    }
    hc_resp r = anon("GET", "/ui");
    assert_int_equal(r.status, 301);
    expect_header(&r, "Location", "/ui/");
    hc_resp_free(&r);
    static const char *const missing[] = {"/ui/nope.js", "/ui/../api/v1/queues", "/ui/%2e%2e/api/v1/queues",
                                          "/ui/app.js/x"};
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        r = anon("GET", missing[i]);
        if (r.status != 404)
            fail_msg("%s: %ld %s", missing[i], r.status, r.body);
        assert_null(strstr(r.body, "\"name\""));    /* no data leaks through /ui/ */
        hc_resp_free(&r);
    }
    r = anon("POST", "/ui/");
    assert_int_equal(r.status, 405);
    hc_resp_free(&r);
}

/* The CSP forbids inline script and style: the files must not need them. */
static void test_no_inline_code(void **state)
{
    (void)state;
    for (size_t i = 0; i < ui_nassets; i++) {
        const char *text = (const char *)ui_assets[i].data;
        if (strcmp(ui_assets[i].name, "index.html") == 0) {
            const char *s = text;
            while ((s = strstr(s, "<script")) != NULL) {   /* every script is a file */
                assert_non_null(strstr(s, "src=") );
                assert_true(strstr(s, "src=") < strstr(s, ">"));
                s++;
            }
            assert_null(strstr(text, " style="));
            assert_null(strstr(text, " onclick="));
        }
        if (strcmp(ui_assets[i].name, "app.js") == 0) {
            assert_null(strstr(text, "innerHTML"));   /* server text only ever as text */
            assert_null(strstr(text, "eval("));
        }
    }
}

static void test_data_routes_need_the_secret(void **state)
{
    (void)state;
    static const char *const paths[] = {"/api/v1/throughput", "/api/v1/hooks/parked",
                                        "/api/v1/jobs/x/checkins", "/ui/../api/v1/throughput"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        hc_resp r = anon("GET", paths[i]);
        assert_true(r.status == 401 || (i == 3 && r.status == 404));
        hc_resp_free(&r);
    }
}

static void test_throughput_and_checkins(void **state)
{
    (void)state;
    char *id = af_launch(DEMO_BODY);
    assert_true(engine_fixture_wait_status(af.eng, id, "Success", 10000));
    hc_resp r = af_get("/api/v1/throughput");
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_int_equal(json_array_size(j), 15);
    long long prev = 0, success = 0, now = (long long)time(NULL);
    for (size_t i = 0; i < 15; i++) {
        json_t *m = json_array_get(j, i);
        long long at = json_integer_value(json_object_get(m, "at"));
        assert_int_equal(at % 60, 0);
        assert_true(i == 0 || at == prev + 60);
        prev = at;
        success += json_integer_value(json_object_get(m, "success"));
    }
    assert_true(prev <= now && now - prev < 60);   /* the current minute last */
    assert_true(success >= 1);
    json_decref(j);
    hc_resp_free(&r);
    r = af_get("/api/v1/throughput?minutes=3");
    assert_int_equal(r.status, 200);
    j = json_loads(r.body, 0, NULL);
    assert_int_equal(json_array_size(j), 3);
    json_decref(j);
    hc_resp_free(&r);
    static const char *const bad[] = {"0", "61", "abc", "-1", ""};
    for (size_t i = 0; i < 5; i++) {
        char path[64];
        snprintf(path, sizeof path, "/api/v1/throughput?minutes=%s", bad[i]);
        r = af_get(path);
        af_expect(&r, 400, "{\"code\":10013,\"message\":\"bad request\",\"details\":\"minutes must "
                           "be an integer from 1 to 60\"}");
    }
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s/checkins", id);
    r = af_get(path);
    assert_int_equal(r.status, 200);
    if (!strstr(r.body, "\"message\":\"progress data: %60\"},{\"at\":") ||
        strstr(r.body, "%60") > strstr(r.body, "%30"))
        fail_msg("check-ins (newest first): %s", r.body);
    hc_resp_free(&r);
    r = af_get("/api/v1/jobs/nosuchjob/checkins");
    af_expect(&r, 200, "[]");
    free(id);
}

/* Events parked for real: an engine whose hook retry period is 72 ms, its hooks going to a
 * port nothing listens on. */
typedef struct parked_wait {
    berth_engine *e;
    berth_hook_counts n;
} parked_wait;

/* The job's 4 events are parked (the hook URL has no listener). */
static bool four_parked(void *arg)
{
    parked_wait *w = arg;
    return berth_engine_hook_counts(w->e, &w->n) == 0 && w->n.parked >= 4;
}

static void test_parked_hooks(void **state)
{
    (void)state;
    redis_fixture_int(&af.rf, "DEL {p}:berth:hooks:parked");
    berth_engine_config c = engine_fixture_config(&af.rf);
    c.ns = "p";
    c.hook_backoff_scale = 0.00002;
    c.hook_retry_hours = 1;
    berth_engine *e = NULL;
    char err[256];
    assert_int_equal(berth_engine_new(&c, &e, err, sizeof err), 0);
    assert_int_equal(berth_jobs_register_demo(e, 10), 0);
    assert_int_equal(berth_engine_start(e), 0);
    api_ctx ctx = api_fixture_ctx(e);
    api_server *s = api_fixture_server(&ctx);
    hc cli;
    hc_init(&cli, api_server_port(s));
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", redis_fixture_free_port());
    berth_launch l = {.name = "DEMO", .params_json = "{\"image\":\"demo:p\"}", .status_hook = url};
    berth_stats *st = NULL;
    assert_int_equal(berth_engine_launch(e, &l, &st, err, sizeof err), 0);
    parked_wait w = {e, {0}};
    wait_until(four_parked, &w, 10000);
    assert_int_equal(w.n.parked, 4);
    hc_resp r;
    assert_int_equal(hc_get(&cli, "/api/v1/hooks/parked", API_AUTH, &r), 0);
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_int_equal(json_array_size(j), 4);
    json_t *newest = json_array_get(j, 0), *oldest = json_array_get(j, 3);
    assert_string_equal(json_string_value(json_object_get(newest, "job_id")), st->id);
    assert_string_equal(json_string_value(json_object_get(newest, "status")), "Success");
    assert_string_equal(json_string_value(json_object_get(oldest, "status")), "Running");
    assert_string_equal(json_string_value(json_object_get(newest, "url")), url);
    assert_true(strlen(json_string_value(json_object_get(newest, "reason"))) > 0);
    assert_true(json_integer_value(json_object_get(newest, "parked_at")) > 0);
    assert_true(json_integer_value(json_object_get(newest, "revision")) > 0);
    assert_non_null(strstr(r.body, "\"check_in\":\"progress data: %30\""));
    json_decref(j);
    hc_resp_free(&r);
    assert_int_equal(hc_get(&cli, "/api/v1/hooks/parked?limit=2", API_AUTH, &r), 0);
    j = json_loads(r.body, 0, NULL);
    assert_int_equal(json_array_size(j), 2);
    json_decref(j);
    hc_resp_free(&r);
    assert_int_equal(hc_get(&cli, "/api/v1/hooks/parked?limit=0", API_AUTH, &r), 0);
    assert_int_equal(r.status, 400);
    hc_resp_free(&r);
    berth_stats_free(st);
    hc_cleanup(&cli);
    api_server_stop(s);
    berth_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_files),
        cmocka_unit_test(test_no_inline_code),
        cmocka_unit_test(test_data_routes_need_the_secret),
        cmocka_unit_test(test_throughput_and_checkins),
        cmocka_unit_test(test_parked_hooks),
    };
    return cmocka_run_group_tests(tests, api_fixture_setup, api_fixture_teardown);
}
