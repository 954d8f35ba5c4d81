/* Black-box tests of the job routes over real HTTP (spec §2.5–§2.10): launch with every
 * validation text, malformed JSON, a DEMO job from launch to Success, stop (running,
 * scheduled, finished), unique duplicates, job lists (SCAN and the scheduled set), log
 * retrieval and periodic executions. Fixture: tests/support/api_fixture.c. */
#include "test.h"

#include "api_fixture.h"
#include "engine_fixture.h"
#include "wait.h"

/* ---- launch (spec §2.5) -------------------------------------------------------------- */

static void expect_400(const char *body, const char *details)
{
    hc_resp r = af_post("/api/v1/jobs", body);
    char want[512];
    snprintf(want, sizeof want, "{\"code\":10013,\"message\":\"bad request\",\"details\":\"%s\"}",
             details);
    af_expect(&r, 400, want);
}

/* A Generic DEMO launch with these parameters (NULL: none) refused with details. */
static void demo_params_400(const char *params, const char *details)
{
    char body[512];
    snprintf(body, sizeof body, "{\"job\":{\"name\":\"DEMO\",%s%s%s\"metadata\":"
             "{\"kind\":\"Generic\"}}}", params ? "\"parameters\":" : "", params ? params : "",
             params ? "," : "");
    expect_400(body, details);
}

static void test_launch_validation(void **state)
{
    (void)state;
    long long before = af_count_stats();
    expect_400("{}", "empty job request is not allowed");
    expect_400("null", "empty job request is not allowed");
    expect_400("{\"job\":{\"name\":\"  \",\"metadata\":{\"kind\":\"Generic\"}}}",
               "name of job must be specified");
    expect_400("{\"job\":{\"name\":\"DEMO\"}}", "metadata of job is missing");
    expect_400("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"generic\"}}}",
               "job kind 'generic' is not supported, only support "
               "'Generic','Scheduled','Periodic'");
    expect_400("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Scheduled\"}}}",
               "'schedule_delay' must be specified for Scheduled job");
    expect_400("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Periodic\"}}}",
               "'cron_spec' must be specified for the Periodic job");
    expect_400("{\"job\":{\"name\":\"NOPE\",\"metadata\":{\"kind\":\"Generic\"}}}",
               "job with name 'NOPE' is unknown");
    expect_400("{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"nginx\"},"
               "\"metadata\":{\"kind\":\"Generic\"}}}",
               "expected 'demo *' but got 'nginx'");
    demo_params_400(NULL, "parameters required for replication job");
    demo_params_400("null", "parameters required for replication job");
    demo_params_400("{}", "parameters required for replication job");
    /* only the top-level key counts: nested, or spelled inside a string value */
    demo_params_400("{\"x\":{\"image\":\"demo\"}}", "missing parameter 'image'");
    demo_params_400("{\"note\":\"\\\"image\\\":\\\"demo\\\"\"}", "missing parameter 'image'");
    demo_params_400("{\"images\":\"demo\",\"Image\":\"demo\"}", "missing parameter 'image'");
    demo_params_400("{\"image\":5}", "parameter 'image' must be a string but got float64");
    demo_params_400("{\"image\":null}",
                    "parameter 'image' must be a string but got \\u003cnil\\u003e");
    demo_params_400("{\"image\":\"dem\"}", "expected 'demo *' but got 'dem'");
    demo_params_400("{\"image\":\"Demo\",\"x\":{\"image\":\"demo\"}}",
                    "expected 'demo *' but got 'Demo'");
    expect_400("{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo\"},"
               "\"metadata\":{\"kind\":\"Periodic\",\"cron_spec\":\"0 * * * *\"}}}",
               "'cron_spec' is not correctly set: 0 * * * *: expected exactly 6 fields, found 5: "
               "[0 * * * *]");
    expect_400("{\"job\":{\"name\":\"SCHEDULER\",\"metadata\":{\"kind\":\"Periodic\","
               "\"cron_spec\":\"0 0-60 * * * *\"}}}",
               "'cron_spec' is not correctly set: 0 0-60 * * * *: end of range (60) above "
               "maximum (59): 0-60 (field 'min')");
    assert_int_equal(af_count_stats(), before);
}

static void test_launch_malformed_json(void **state)
{
    (void)state;
    long long dbsize = redis_fixture_int(&af.rf, "DBSIZE"), stats = af_count_stats();
    hc_resp r = af_post("/api/v1/jobs", "not-json");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "{\"code\":10001,\"message\":\"handle json data failed with "
                                    "error\",\"details\":\""));
    hc_resp_free(&r);
    r = af_post("/api/v1/jobs", "{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Scheduled\","
                             "\"schedule_delay\":-1}}}");
    af_expect(&r, 400, "{\"code\":10001,\"message\":\"handle json data failed with error\","
                    "\"details\":\"json: cannot unmarshal number -1 into Go struct field "
                    "Metadata.job.metadata.schedule_delay of type uint64\"}");
    r = af_post("/api/v1/jobs", "");
    assert_int_equal(r.status, 400);
    hc_resp_free(&r);
    assert_int_equal(redis_fixture_int(&af.rf, "DBSIZE"), dbsize);
    assert_int_equal(af_count_stats(), stats);
}

static void test_demo_success(void **state)
{
    (void)state;
    hc_resp r = af_post("/api/v1/jobs", "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":"
                                     "\"demo:latest\"},\"metadata\":{\"kind\":\"Generic\","
                                     "\"unique\":false},\"status_hook\":\"\"}}");
    assert_int_equal(r.status, 202);
    af_expect_header(&r, "Content-Type", "application/json");
    af_expect_header(&r, "Accept", "application/json");
    berth_stats *s = af_parse_stats(&r);
    char *id = strdup(s->id);
    char want[512];
    snprintf(want, sizeof want, "{\"job\":{\"id\":\"%s\",\"status\":\"Pending\",\"name\":"
             "\"DEMO\",\"kind\":\"Generic\",\"unique\":false,\"ref_link\":\"/api/v1/jobs/%s\","
             "\"enqueue_time\":%lld,\"update_time\":%lld,\"parameters\":{\"image\":"
             "\"demo:latest\"}}}", id, id, (long long)s->enqueue_time,
             (long long)s->update_time);
    assert_string_equal(r.body, want);   /* no revision in the launch reply */
    assert_true(s->enqueue_time > 1700000000);
    berth_stats_free(s);
    hc_resp_free(&r);
    assert_true(engine_fixture_wait_status(af.eng, id, "Success", 15000));
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", id);
    r = af_get(path);
    assert_int_equal(r.status, 200);
    af_expect_header(&r, "Content-Type", "application/json");
    assert_null(strstr(r.body, "\"check_in\":"));   /* GET never returns check_in */
    s = af_parse_stats(&r);
    assert_string_equal(s->id, id);
    assert_string_equal(s->status, "Success");
    assert_string_equal(s->name, "DEMO");
    assert_string_equal(s->kind, "Generic");
    assert_false(s->unique);
    assert_string_equal(s->ref_link, path);
    assert_true(s->check_in_at >= s->enqueue_time);
    assert_true(s->update_time >= s->enqueue_time);
    assert_true(s->revision > 0);
    assert_string_equal(s->parameters, "{\"image\":\"demo:latest\"}");
    berth_stats_free(s);
    hc_resp_free(&r);
    /* stopping a finished job changes nothing and is 204 */
    r = af_post(path, "{\"action\":\"stop\"}");
    af_expect(&r, 204, "");
    char st[32];
    engine_fixture_status(af.eng, id, st, sizeof st);
    assert_string_equal(st, "Success");
    free(id);
}

static void test_stop_running_demo(void **state)
{
    (void)state;
    char *id = af_launch("{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo\"},\"metadata\":{\"kind\":\"Generic\"}}}");
    assert_true(engine_fixture_wait_status(af.eng, id, "Running", 10000));
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", id);
    hc_resp r = af_post(path, "{\"action\":\"stop\"}");
    af_expect(&r, 204, "");
    assert_true(engine_fixture_wait_status(af.eng, id, "Stopped", 5000));
    wait_sleep_ms(1500);   /* a negative check: the run ends and must not overwrite Stopped */
    r = af_get(path);
    berth_stats *s = af_parse_stats(&r);
    assert_string_equal(s->status, "Stopped");
    berth_stats_free(s);
    hc_resp_free(&r);
    free(id);
}

static void test_scheduled_unique_and_list(void **state)
{
    (void)state;
    const char *body = "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo:u\"},"
                       "\"metadata\":{\"kind\":\"Scheduled\",\"schedule_delay\":90,"
                       "\"unique\":true},\"status_hook\":\"http://core:8080/x\"}}";
    hc_resp r = af_post("/api/v1/jobs", body);
    assert_int_equal(r.status, 202);
    berth_stats *s = af_parse_stats(&r);
    char *id = strdup(s->id);
    assert_string_equal(s->status, "Scheduled");
    assert_string_equal(s->kind, "Scheduled");
    assert_true(s->unique);
    assert_int_equal(s->run_at, s->enqueue_time + 90);
    assert_string_equal(s->web_hook_url, "http://core:8080/x");
    berth_stats_free(s);
    hc_resp_free(&r);
    /* the same unique job again: Harbor's 500/10003 text first */
    r = af_post("/api/v1/jobs", body);
    assert_int_equal(r.status, 500);
    const char *head = "{\"code\":10003,\"message\":\"launch job failed with error\",\"details\":"
                       "\"job 'DEMO' can not be enqueued, please check the job metatdata";
    assert_memory_equal(r.body, head, strlen(head));
    assert_non_null(strstr(r.body, id));   /* Berth names the holder */
    hc_resp_free(&r);
    /* kind=Scheduled lists the scheduled set with Total-Count, 20 a page */
    r = af_get("/api/v1/jobs?kind=Scheduled");
    assert_int_equal(r.status, 200);
    af_expect_header(&r, "Total-Count", "1");
    af_expect_header(&r, "Next-Cursor", NULL);
    assert_non_null(strstr(r.body, id));
    assert_int_equal(r.body[0], '[');
    hc_resp_free(&r);
    r = af_get("/api/v1/jobs?kind=Scheduled&page_number=2");
    af_expect_header(&r, "Total-Count", "1");
    af_expect(&r, 200, "[]");
    /* stop it: Stopped, gone from the scheduled set */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", id);
    r = af_post(path, "{\"action\":\"stop\"}");
    af_expect(&r, 204, "");
    r = af_get(path);
    s = af_parse_stats(&r);
    assert_string_equal(s->status, "Stopped");
    berth_stats_free(s);
    hc_resp_free(&r);
    r = af_get("/api/v1/jobs?kind=Scheduled");
    af_expect_header(&r, "Total-Count", "0");
    af_expect(&r, 200, "[]");
    free(id);
}

static int scan_finds(const char *id, const char *extra)
{
    char path[256], next[32] = "0";
    int found = 0, rounds = 0;
    do {
        snprintf(path, sizeof path, "/api/v1/jobs?page_size=3&cursor=%s%s", next, extra);
        hc_resp r = af_get(path);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body[0], '[');
        assert_non_null(hc_header(&r, "Next-Cursor", next, sizeof next));
        af_expect_header(&r, "Total-Count", NULL);
        found |= strstr(r.body, id) != NULL;
        hc_resp_free(&r);
        assert_true(++rounds < 1000);
    } while (strcmp(next, "0") != 0);
    return found;
}

static void test_list_jobs_scan(void **state)
{
    (void)state;
    char *id = af_launch("{\"job\":{\"name\":\"SCHEDULER\",\"metadata\":{\"kind\":\"Generic\"}}}");
    assert_true(scan_finds(id, ""));
    assert_true(scan_finds(id, "&kind=Generic"));   /* any other kind: SCAN */
    hc_resp r = af_get("/api/v1/jobs?cursor=junk&page_size=100000");  /* junk cursor = 0 */
    assert_int_equal(r.status, 200);
    hc_resp_free(&r);
    assert_true(engine_fixture_wait_status(af.eng, id, "Success", 10000));
    free(id);
}

static void test_get_and_action_errors(void **state)
{
    (void)state;
    hc_resp r = af_get("/api/v1/jobs/doesnotexist");
    af_expect(&r, 404, "{\"code\":10010,\"message\":\"object is not found\","
                    "\"details\":\"doesnotexist\"}");
    r = af_post("/api/v1/jobs/doesnotexist", "{\"action\":\"stop\"}");
    af_expect(&r, 404, "{\"code\":10010,\"message\":\"object is not found\","
                    "\"details\":\"doesnotexist\"}");
    r = af_post("/api/v1/jobs/doesnotexist", "{\"action\":\"retry\"}");
    af_expect(&r, 501, "{\"code\":10008,\"message\":\"unknown job action name\","
                    "\"details\":\"command: retry\"}");
    r = af_post("/api/v1/jobs/doesnotexist", "{\"action\":\"STOP\"}");
    af_expect(&r, 501, "{\"code\":10008,\"message\":\"unknown job action name\","
                    "\"details\":\"command: STOP\"}");
    r = af_post("/api/v1/jobs/doesnotexist", "{}");
    af_expect(&r, 501, "{\"code\":10008,\"message\":\"unknown job action name\","
                    "\"details\":\"command: \"}");
    r = af_post("/api/v1/jobs/doesnotexist", "{\"action\":");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"code\":10001"));
    hc_resp_free(&r);
}

/* ---- log (spec §2.8) ----------------------------------------------------------------- */

static void write_file(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
}

static void test_job_log(void **state)
{
    (void)state;
    char *id = af_launch("{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo\"},\"metadata\":{\"kind\":\"Generic\"}}}");
    assert_true(engine_fixture_wait_status(af.eng, id, "Success", 15000));
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s/log", id);
    hc_resp r = af_get(path);
    assert_int_equal(r.status, 200);
    af_expect_header(&r, "Content-Type", "text/plain; charset=utf-8");
    assert_non_null(strstr(r.body, "Sample job starting"));
    assert_non_null(strstr(r.body, "Sample job exit"));
    hc_resp_free(&r);
    free(id);
    /* only the last max_retrieve_bytes are sent; execution ids (<id>@<epoch>) are fine */
    const char *big_id = "0123456789abcdef01234567@1700000000";
    char file[512];
    snprintf(file, sizeof file, "%s/%s.log", af.logdir, big_id);
    size_t n = API_LOG_TAIL * 3;
    char *text = malloc(n);
    for (size_t i = 0; i < n; i++)
        text[i] = (char)('a' + i % 26);
    write_file(file, text, n);
    snprintf(path, sizeof path, "/api/v1/jobs/%s/log", big_id);
    r = af_get(path);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, API_LOG_TAIL);
    assert_memory_equal(r.body, text + n - API_LOG_TAIL, API_LOG_TAIL);
    hc_resp_free(&r);
    free(text);
}

static void test_job_log_errors(void **state)
{
    (void)state;
    hc_resp r = af_get("/api/v1/jobs/a..b/log");
    af_expect_header(&r, "Content-Type", "text/plain; charset=utf-8");
    af_expect(&r, 400, "invalid Job ID: a..b");
    r = af_get("/api/v1/jobs/abc/log");
    af_expect(&r, 500, "{\"code\":10009,\"message\":\"failed to get the job log\","
                    "\"details\":\"invalid length of log identify\"}");
    r = af_get("/api/v1/jobs/zzzzzzzzzzzzzzzzzzzzzzzz/log");
    af_expect(&r, 500, "{\"code\":10009,\"message\":\"failed to get the job log\","
                    "\"details\":\"invalid log identify\"}");
    r = af_get("/api/v1/jobs/0123456789abcdef0123ffff/log");
    af_expect(&r, 404, "{\"code\":10010,\"message\":\"object is not found\","
                    "\"details\":\"0123456789abcdef0123ffff\"}");
    /* no log directory: as Harbor with only STD_OUTPUT */
    api_ctx ctx = api_fixture_ctx(af.eng);
    ctx.job_log_dir = NULL;
    api_server *s = api_fixture_server(&ctx);
    hc c;
    hc_init(&c, api_server_port(s));
    assert_int_equal(hc_get(&c, "/api/v1/jobs/0123456789abcdef0123ffff/log", API_AUTH, &r), 0);
    af_expect(&r, 500, "{\"code\":10009,\"message\":\"failed to get the job log\","
                    "\"details\":\"no log data getter is configured\"}");
    hc_cleanup(&c);
    api_server_stop(s);
}

/* ---- executions (spec §2.9) ---------------------------------------------------------- */

#define POLICY "c0ffee00c0ffee00c0ffee00"

static void add_execution(long long epoch, long long score, int with_stats)
{
    if (with_stats)
        assert_true(redis_fixture_int(&af.rf, "HSET {t}:job_stats:" POLICY "@%lld id "
                                      POLICY "@%lld name SCHEDULER kind Scheduled status "
                                      "Scheduled unique 0 enqueue_time %lld update_time "
                                      "%lld run_at %lld upstream_job_id " POLICY
                                      " revision %lld", epoch, epoch, epoch, epoch, epoch,
                                      epoch) > 0);
    assert_int_equal(redis_fixture_int(&af.rf, "ZADD {t}:executions:" POLICY " %lld " POLICY
                                       "@%lld", score, epoch), 1);
}

static void test_executions(void **state)
{
    (void)state;
    assert_true(redis_fixture_int(&af.rf, "HSET {t}:job_stats:" POLICY " id " POLICY " name "
                                  "SCHEDULER kind Periodic status Scheduled unique 0 "
                                  "cron_spec %s enqueue_time 1 update_time 1 revision 1",
                                  "0 0 0 * * *") > 0);
    hc_resp r = af_get("/api/v1/jobs/" POLICY "/executions");
    af_expect_header(&r, "Total-Count", "0");
    af_expect(&r, 200, "[]");   /* Harbor: null */
    add_execution(1700000100, -1, 1);           /* finished */
    add_execution(1700000200, 1700000200, 1);
    add_execution(1700000300, 1700000300, 0);   /* stats gone: skipped */
    add_execution(1700000400, 1700000400, 1);
    r = af_get("/api/v1/jobs/" POLICY "/executions?page_number=1&page_size=2");
    assert_int_equal(r.status, 200);
    af_expect_header(&r, "Total-Count", "4");
    af_expect_header(&r, "Content-Type", "application/json");
    const char *a = strstr(r.body, "@1700000400"), *b = strstr(r.body, "@1700000300");
    assert_non_null(a);   /* newest first; the page held 400 and 300 (skipped) */
    assert_null(b);
    assert_null(strstr(r.body, "@1700000200"));
    hc_resp_free(&r);
    r = af_get("/api/v1/jobs/" POLICY "/executions?page_number=2&page_size=2");
    af_expect_header(&r, "Total-Count", "4");
    assert_non_null(strstr(r.body, "@1700000200"));
    assert_non_null(strstr(r.body, "@1700000100"));
    assert_true(strstr(r.body, "@1700000200") < strstr(r.body, "@1700000100"));
    hc_resp_free(&r);
    r = af_get("/api/v1/jobs/" POLICY "/executions?non_dead_only=true");
    af_expect_header(&r, "Total-Count", "3");
    assert_null(strstr(r.body, "@1700000100"));
    assert_non_null(strstr(r.body, "@1700000200"));
    hc_resp_free(&r);
    r = af_get("/api/v1/jobs/" POLICY "/executions?non_dead_only=false");   /* Harbor: empty */
    af_expect_header(&r, "Total-Count", "4");
    assert_non_null(strstr(r.body, "@1700000100"));
    hc_resp_free(&r);
    r = af_get("/api/v1/jobs/" POLICY "/executions?page_number=4294967295&page_size=4294967295");
    af_expect_header(&r, "Total-Count", "4");
    af_expect(&r, 200, "[]");
}

/* E3: what core's scheduler sends; executions appear; stop unschedules (spec §7). */
static void test_periodic_policy(void **state)
{
    (void)state;
    hc_resp r = af_post("/api/v1/jobs", "{\"job\":{\"name\":\"SCHEDULER\",\"parameters\":null,"
                        "\"metadata\":{\"kind\":\"Periodic\",\"cron_spec\":\"* * * * * *\","
                        "\"unique\":false},\"status_hook\":\"\"}}");
    assert_int_equal(r.status, 202);
    berth_stats *s = af_parse_stats(&r);
    assert_string_equal(s->kind, "Periodic");
    assert_string_equal(s->status, "Scheduled");
    assert_string_equal(s->cron_spec, "* * * * * *");
    assert_true(s->numeric_policy_id >= s->enqueue_time);
    assert_int_equal(s->revision, 0);
    assert_null(strstr(r.body, "revision"));
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s/executions", s->id);
    hc_resp_free(&r);
    r = af_wait_get(path, "\"status\":\"Success\"", 10000);   /* SCHEDULER ran */
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"kind\":\"Scheduled\""));
    assert_non_null(strstr(r.body, "\"upstream_job_id\":\""));
    assert_non_null(strstr(r.body, "\"status\":\"Success\""));   /* SCHEDULER ran */
    hc_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/jobs/%s", s->id);
    r = af_post(path, "{\"action\":\"stop\"}");
    assert_int_equal(r.status, 204);
    hc_resp_free(&r);
    r = af_get(path);
    assert_non_null(strstr(r.body, "\"status\":\"Stopped\""));
    hc_resp_free(&r);
    assert_int_equal(redis_fixture_int(&af.rf, "ZCARD {t}:period:policies"), 0);
    berth_stats_free(s);
}

static void test_executions_errors(void **state)
{
    (void)state;
    hc_resp r = af_get("/api/v1/jobs/doesnotexist/executions");
    af_expect(&r, 404, "{\"code\":10010,\"message\":\"object is not found\","
                    "\"details\":\"doesnotexist\"}");
    char *id = af_launch("{\"job\":{\"name\":\"SCHEDULER\",\"metadata\":{\"kind\":\"Generic\"}}}");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s/executions", id);
    r = af_get(path);
    af_expect(&r, 500, "{\"code\":10015,\"message\":\"failed to get periodic executions\","
                    "\"details\":\"only periodic job has executions: Generic kind is received\"}");
    assert_true(engine_fixture_wait_status(af.eng, id, "Success", 10000));
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_launch_validation),
        cmocka_unit_test(test_launch_malformed_json),
        cmocka_unit_test(test_demo_success),
        cmocka_unit_test(test_stop_running_demo),
        cmocka_unit_test(test_scheduled_unique_and_list),
        cmocka_unit_test(test_list_jobs_scan),
        cmocka_unit_test(test_get_and_action_errors),
        cmocka_unit_test(test_job_log),
        cmocka_unit_test(test_job_log_errors),
        cmocka_unit_test(test_executions),
        cmocka_unit_test(test_executions_errors),
        cmocka_unit_test(test_periodic_policy),
    };
    return cmocka_run_group_tests(tests, api_fixture_setup, api_fixture_teardown);
}
