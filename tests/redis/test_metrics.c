/* The Prometheus endpoint (src/server/metrics_server.c) over real HTTP, against a real engine:
 * runs that succeed, fail and are stopped are counted under Harbor's names and labels,
 * their durations summarised; the info gauge, the process metrics, the namespace from the
 * environment; other paths 404, other methods 405. */
#include "test.h"

#include <stdatomic.h>

#include "berth/metrics.h"
#include "engine_fixture.h"
#include "http_client.h"
#include "server/metrics_server.h"
#include "wait.h"

static redis_fixture rf;
static berth_engine *eng;
static metrics_server *ms;
static atomic_int waiting;

static int ok_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params, (void)ud;
    berth_ctx_sleep(ctx, 20);
    return 0;
}

static int fail_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params, (void)ud;
    return berth_ctx_fail(ctx, "broken on purpose");
}

static int wait_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params, (void)ud;
    atomic_fetch_add(&waiting, 1);
    berth_ctx_sleep(ctx, 60000);   /* until stopped */
    return 0;
}

static void run_to(const char *name, const char *final)
{
    char *id = engine_fixture_launch(eng, name);
    assert_true(engine_fixture_wait_status(eng, id, final, 5000));
    free(id);
}

static hc_resp scrape(const char *method, const char *path)
{
    hc cli;
    hc_init(&cli, metrics_server_port(ms));
    hc_resp r;
    hc_do(&cli, method, path, NULL, NULL, 0, 0, &r);
    hc_cleanup(&cli);
    return r;
}

static void expect_line(const char *body, const char *line)
{
    if (!strstr(body, line))
        fail_msg("no line '%s' in:\n%s", line, body);
}

static bool wait_running(void *arg)
{
    (void)arg;
    return atomic_load(&waiting) > 0;
}

static bool stop_counted(void *arg)
{
    (void)arg;
    hc_resp r = scrape("GET", "/metrics");
    bool yes = r.body && strstr(r.body, "_task_total{status=\"stop\",type=\"WAIT\"} 1\n");
    hc_resp_free(&r);
    return yes;
}

static void test_counts_and_summaries(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        run_to("OK", "Success");
    for (int i = 0; i < 2; i++)
        run_to("FAIL", "Error");
    char *id = engine_fixture_launch(eng, "WAIT");
    assert_true(wait_until(wait_running, NULL, 5000));
    assert_int_equal(berth_engine_stop_job(eng, id), 0);
    assert_true(wait_until(stop_counted, NULL, 5000));   /* the stopped run returns */
    free(id);

    hc_resp r = scrape("GET", "/metrics");
    assert_int_equal(r.status, 200);
    char ct[128];
    assert_string_equal(hc_header(&r, "Content-Type", ct, sizeof ct),
                        "text/plain; version=0.0.4; charset=utf-8");
    expect_line(r.body, "# TYPE harbor_jobservice_task_total counter\n");
    expect_line(r.body, "\nharbor_jobservice_task_total{status=\"success\",type=\"OK\"} 3\n");
    expect_line(r.body, "\nharbor_jobservice_task_total{status=\"fail\",type=\"FAIL\"} 2\n");
    expect_line(r.body, "\nharbor_jobservice_task_total{status=\"stop\",type=\"WAIT\"} 1\n");
    assert_null(strstr(r.body, "status=\"success\",type=\"FAIL\""));   /* no empty series */
    expect_line(r.body, "# TYPE harbor_jobservice_task_process_time_seconds summary\n");
    expect_line(r.body, "\nharbor_jobservice_task_process_time_seconds_count{status=\"success\","
                        "type=\"OK\"} 3\n");
    /* OK sleeps 20 ms: the median is at least that, and the sum three times it */
    const char *q = strstr(r.body, "process_time_seconds{status=\"success\",type=\"OK\","
                                   "quantile=\"0.5\"} ");
    assert_non_null(q);
    double median = atof(strchr(q, '}') + 2);
    assert_true(median >= 0.019 && median < 1.0);
    const char *sum = strstr(r.body, "process_time_seconds_sum{status=\"success\",type=\"OK\"} ");
    assert_non_null(sum);
    assert_true(atof(strchr(sum, '}') + 2) >= 0.057);
    char infol[160];
    snprintf(infol, sizeof infol, ",pool=\"%s\",workers=\"4\"} 1\n", berth_engine_pool_id(eng));
    expect_line(r.body, infol);
    expect_line(r.body, "\nharbor_jobservice_info{node=\"");
    const char *rss = strstr(r.body, "\nprocess_resident_memory_bytes ");
    assert_non_null(rss);
    assert_true(atof(rss + 31) > 1e6);
    expect_line(r.body, "\nprocess_open_fds ");
    expect_line(r.body, "\nprocess_start_time_seconds ");
    hc_resp_free(&r);
}

static void test_paths_methods_and_namespace(void **state)
{
    (void)state;
    hc_resp r = scrape("GET", "/api/v1/stats");
    assert_int_equal(r.status, 404);
    hc_resp_free(&r);
    r = scrape("POST", "/metrics");
    assert_int_equal(r.status, 405);
    hc_resp_free(&r);
    setenv("METRIC_NAMESPACE", "acme", 1);
    setenv("METRIC_SUBSYSTEM", "jobs", 1);
    r = scrape("GET", "/metrics");
    assert_int_equal(r.status, 200);
    expect_line(r.body, "\nacme_jobs_task_total{status=\"success\",type=\"OK\"}");
    assert_null(strstr(r.body, "harbor_jobservice_"));
    hc_resp_free(&r);
    unsetenv("METRIC_NAMESPACE");
    unsetenv("METRIC_SUBSYSTEM");
}

static int setup(void **state)
{
    (void)state;
    if (redis_fixture_start(&rf, NULL) != 0)
        return -1;
    berth_engine_config c = engine_fixture_config(&rf);
    char err[256];
    if (berth_engine_new(&c, &eng, err, sizeof err) != 0)
        return -1;
    berth_engine_register(eng, &(berth_job_type){.name = "OK", .run = ok_run});
    berth_engine_register(eng, &(berth_job_type){.name = "FAIL", .max_fails = 1, .run = fail_run});
    berth_engine_register(eng, &(berth_job_type){.name = "WAIT", .run = wait_run});
    if (berth_engine_start(eng) != 0)
        return -1;
    metrics_ctx mc = {.engine = eng, .path = "/metrics", .workers = c.workers};
    return metrics_server_start(&mc, "127.0.0.1", 0, &ms, err, sizeof err);
}

static int teardown(void **state)
{
    (void)state;
    metrics_server_stop(ms);
    berth_engine_free(eng);
    redis_fixture_stop(&rf);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_summaries),
        cmocka_unit_test(test_paths_methods_and_namespace),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
