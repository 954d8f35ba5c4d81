/* Queue control, pools and policies (Berth's operator routes, docs/api.md) over real HTTP
 * against the API fixture (real redis-server, engine running DEMO), and the same through
 * the real `berth` CLI. The Redis side is checked against what Harbor core's dashboard
 * writes and reads (spec §2.13): its pause key stops Berth's fetch, Berth's pause is that key. */
#include "test.h"

#include <time.h>
#include <unistd.h>

#include "api_fixture.h"
#include "cli_run.h"
#include "wait.h"

#define DEMO_BODY(unique)                                                                        \
    "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo:q\"},\"metadata\":{\"kind\":"   \
    "\"Generic\",\"unique\":" unique "}}}"

static hc_resp af_put(const char *path, const char *body)
{
    hc_resp r;
    assert_int_equal(hc_do(&af.cli, "PUT", path, API_AUTH, body, strlen(body), 0, &r), 0);
    return r;
}


static long long redis_exists(const char *key)
{
    return redis_fixture_int(&af.rf, "EXISTS %s", key);
}

/* The DEMO object of GET /api/v1/queues (asserts it is there); the caller frees. */
static char *demo_queue(void)
{
    hc_resp r = af_get("/api/v1/queues");
    assert_int_equal(r.status, 200);
    const char *at = strstr(r.body, "{\"name\":\"DEMO\"");
    if (!at)
        fail_msg("no DEMO queue in %s", r.body);
    char *obj = strndup(at, strcspn(at, "}") + 1);
    hc_resp_free(&r);
    return obj;
}

static void test_list_shape(void **state)
{
    (void)state;
    /* every known job type (Harbor's legacy names are registered as known with the rest),
     * sorted; DEMO is limited to one run at a time (Harbor's sample job) */
#define IDLE_Q(n, m) "{\"name\":\"" n "\",\"waiting\":0,\"running\":0,\"oldest_age\":0," \
                     "\"paused\":false,\"max_concurrency\":" m "}"
    hc_resp r = af_get("/api/v1/queues");
    af_expect(&r, 200, "[" IDLE_Q("DEMO", "1") "," IDLE_Q("IMAGE_GC", "0") ","
                       IDLE_Q("IMAGE_REPLICATE", "0") "," IDLE_Q("IMAGE_SCAN_ALL", "0") ","
                       IDLE_Q("SCHEDULER", "0") "]");
    /* a job queued 42 s ago by another writer (gocraft JSON) is the oldest */
    long long t = (long long)time(NULL) - 42;
    redis_fixture_int(&af.rf, "SET {t}:jobs:SCHEDULER:paused 1");
    char job[128];
    snprintf(job, sizeof job, "{\"name\":\"SCHEDULER\",\"id\":\"x\",\"t\":%lld,\"args\":null}", t);
    redis_fixture_int(&af.rf, "RPUSH {t}:jobs:SCHEDULER %s", job);
    r = af_get("/api/v1/queues");
    assert_int_equal(r.status, 200);
    const char *sch = strstr(r.body, "{\"name\":\"SCHEDULER\",\"waiting\":1,\"running\":0,\"oldest_age\":4");
    if (!sch)
        fail_msg("unexpected queues: %s", r.body);
    assert_non_null(strstr(sch, "\"paused\":true"));
    hc_resp_free(&r);
    redis_fixture_int(&af.rf, "DEL {t}:jobs:SCHEDULER {t}:jobs:SCHEDULER:paused");
}

static void test_bad_requests(void **state)
{
    (void)state;
    hc_resp r = af_put("/api/v1/queues/NOPE", "{\"action\":\"pause\"}");
    af_expect(&r, 404, "{\"code\":10010,\"message\":\"object is not found\",\"details\":\"queue NOPE\"}");
    assert_int_equal(redis_exists("{t}:jobs:NOPE:paused"), 0);
    r = af_put("/api/v1/queues/DEMO", "{\"action\":\"retry\"}");
    af_expect(&r, 400, "{\"code\":10013,\"message\":\"bad request\",\"details\":\"unknown queue "
                       "action 'retry': use pause, resume or stop\"}");
    r = af_put("/api/v1/queues/DEMO", "{\"action\":");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"code\":10001"));
    hc_resp_free(&r);
    r = af_put("/api/v1/queues/DEMO", "");
    assert_int_equal(r.status, 400);
    hc_resp_free(&r);
    assert_int_equal(redis_exists("{t}:jobs:DEMO:paused"), 0);   /* nothing changed */
    assert_int_equal(hc_do(&af.cli, "PUT", "/api/v1/queues/DEMO", NULL, "{\"action\":\"pause\"}",
                           19, 0, &r), 0);
    assert_int_equal(r.status, 401);
    hc_resp_free(&r);
    assert_int_equal(redis_exists("{t}:jobs:DEMO:paused"), 0);
    r = af_post("/api/v1/queues/DEMO", "{\"action\":\"pause\"}");
    assert_int_equal(r.status, 405);
    hc_resp_free(&r);
    static const char *const gets[] = {"/api/v1/queues", "/api/v1/pools", "/api/v1/policies"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(hc_get(&af.cli, gets[i], NULL, &r), 0);
        assert_int_equal(r.status, 401);
        hc_resp_free(&r);
    }
}

/* Paused through the API: jobs wait; resumed: they run at once. */
static void test_pause_resume(void **state)
{
    (void)state;
    hc_resp r = af_put("/api/v1/queues/DEMO", "{\"action\":\"pause\"}");
    af_expect(&r, 200, "{\"queue\":\"DEMO\",\"action\":\"pause\",\"stopped\":0}");
    /* Harbor core's key, with core's value */
    assert_int_equal(redis_fixture_int(&af.rf, "EVAL %s 0",
                     "return redis.call('GET','{t}:jobs:DEMO:paused') == '1' and 1 or 0"), 1);
    char *id = af_launch(DEMO_BODY("false"));
    wait_sleep_ms(1500);   /* a negative check: nothing may take the job meanwhile */
    char st[32];
    af_job_status(id, st, sizeof st);
    assert_string_equal(st, "Pending");
    char *q = demo_queue();
    if (!strstr(q, "\"waiting\":1,") || !strstr(q, "\"paused\":true"))
        fail_msg("paused queue: %s", q);
    free(q);
    long long t0 = wait_now_ms();
    r = af_put("/api/v1/queues/DEMO", "{\"action\":\"resume\"}");
    af_expect(&r, 200, "{\"queue\":\"DEMO\",\"action\":\"resume\",\"stopped\":0}");
    assert_int_equal(redis_exists("{t}:jobs:DEMO:paused"), 0);
    assert_true(af_wait_status(id, "Running", 5000));
    long long took = wait_now_ms() - t0;
    fprintf(stderr, "resume → Running in %lld ms\n", took);
    assert_true(took < 1500);   /* woken, not found by the 2 s idle poll */
    assert_true(af_wait_status(id, "Success", 10000));
    free(id);
}

/* Paused the way Harbor core does it (SET/DEL of its key, no Berth call). */
static void test_core_pause_key(void **state)
{
    (void)state;
    redis_fixture_int(&af.rf, "SET {t}:jobs:DEMO:paused 1");
    char *q = demo_queue();
    assert_non_null(strstr(q, "\"paused\":true"));
    free(q);
    char *id = af_launch(DEMO_BODY("false"));
    wait_sleep_ms(1200);   /* a negative check: nothing may take the job meanwhile */
    char st[32];
    af_job_status(id, st, sizeof st);
    assert_string_equal(st, "Pending");
    redis_fixture_int(&af.rf, "DEL {t}:jobs:DEMO:paused");
    assert_true(af_wait_status(id, "Success", 10000));   /* found by the idle poll */
    free(id);
}

static void test_stop_pending(void **state)
{
    (void)state;
    hc_resp r = af_put("/api/v1/queues/DEMO", "{\"action\":\"pause\"}");
    hc_resp_free(&r);
    char *ids[3] = {af_launch(DEMO_BODY("false")), af_launch(DEMO_BODY("false")),
                    af_launch(DEMO_BODY("true"))};
    r = af_post("/api/v1/jobs", DEMO_BODY("true"));
    assert_int_equal(r.status, 500);   /* the unique one holds its key (Harbor: 500/10003) */
    hc_resp_free(&r);
    r = af_put("/api/v1/queues/DEMO", "{\"action\":\"stop\"}");
    af_expect(&r, 200, "{\"queue\":\"DEMO\",\"action\":\"stop\",\"stopped\":3}");
    assert_int_equal(redis_fixture_int(&af.rf, "LLEN {t}:jobs:DEMO"), 0);
    for (int i = 0; i < 3; i++) {
        char st[32];
        af_job_status(ids[i], st, sizeof st);
        assert_string_equal(st, "Stopped");
        free(ids[i]);
    }
    /* the unique key went with its job: the same unique job is accepted again */
    char *again = af_launch(DEMO_BODY("true"));
    r = af_put("/api/v1/queues/DEMO", "{\"action\":\"stop\"}");
    af_expect(&r, 200, "{\"queue\":\"DEMO\",\"action\":\"stop\",\"stopped\":1}");
    r = af_put("/api/v1/queues/DEMO", "{\"action\":\"stop\"}");   /* empty queue: fine */
    af_expect(&r, 200, "{\"queue\":\"DEMO\",\"action\":\"stop\",\"stopped\":0}");
    r = af_put("/api/v1/queues/all", "{\"action\":\"resume\"}");
    af_expect(&r, 200, "{\"queue\":\"all\",\"action\":\"resume\",\"stopped\":0}");
    assert_int_equal(redis_exists("{t}:jobs:DEMO:paused"), 0);
    char st[32];
    af_job_status(again, st, sizeof st);
    assert_string_equal(st, "Stopped");
    free(again);
}

/* A queue of more than one batch (500) is emptied in one call. */
static void test_stop_many(void **state)
{
    (void)state;
    hc_resp r = af_put("/api/v1/queues/ALL", "{\"action\":\"pause\"}");
    af_expect(&r, 200, "{\"queue\":\"ALL\",\"action\":\"pause\",\"stopped\":0}");
    assert_int_equal(redis_exists("{t}:jobs:SCHEDULER:paused"), 1);
    for (int i = 0; i < 1200; i++) {
        hc_resp l = af_post("/api/v1/jobs", DEMO_BODY("false"));
        assert_int_equal(l.status, 202);
        hc_resp_free(&l);
    }
    r = af_put("/api/v1/queues/DEMO", "{\"action\":\"stop\"}");
    af_expect(&r, 200, "{\"queue\":\"DEMO\",\"action\":\"stop\",\"stopped\":1200}");
    assert_int_equal(redis_fixture_int(&af.rf, "LLEN {t}:jobs:DEMO"), 0);
    r = af_put("/api/v1/queues/all", "{\"action\":\"resume\"}");
    hc_resp_free(&r);
}

/* A running DEMO job shows on its worker. */
static void test_pools_workers(void **state)
{
    (void)state;
    char *id = af_launch(DEMO_BODY("false"));
    char want[64];
    snprintf(want, sizeof want, "\"job_id\":\"%s\"", id);
    hc_resp r = af_wait_get("/api/v1/pools", want, 5000);
    if (r.status != 200 || !strstr(r.body, want))
        fail_msg("job %s never shown on a worker: %s", id, r.body);
    char pool[80];
    snprintf(pool, sizeof pool, "[{\"worker_pool_id\":\"%s\"", berth_engine_pool_id(af.eng));
    assert_int_equal(strncmp(r.body, pool, strlen(pool)), 0);
    assert_non_null(strstr(r.body, "\"status\":\"Healthy\",\"host\":\""));
    assert_non_null(strstr(r.body, "\"job_name\":\"DEMO\""));
    char pid[32];
    snprintf(pid, sizeof pid, "\"pid\":%d,", (int)getpid());
    assert_non_null(strstr(r.body, pid));
    hc_resp_free(&r);
    assert_true(af_wait_status(id, "Success", 10000));
    free(id);
}

static void test_policies(void **state)
{
    (void)state;
    hc_resp r = af_get("/api/v1/policies");
    af_expect(&r, 200, "[]");
    char *id = af_launch("{\"job\":{\"name\":\"SCHEDULER\",\"parameters\":{\"b\":1,\"a\":\"<x>\"},"
                         "\"metadata\":{\"kind\":\"Periodic\",\"cron_spec\":\"0 0 0 * * *\"},"
                         "\"status_hook\":\"http://127.0.0.1:1/hook\"}}");
    r = af_get("/api/v1/policies");
    assert_int_equal(r.status, 200);
    long long midnight = ((long long)time(NULL) / 86400 + 1) * 86400;
    char want[512];
    snprintf(want, sizeof want, "[{\"id\":\"%s\",\"job_name\":\"SCHEDULER\",\"cron_spec\":"
             "\"0 0 0 * * *\",\"numeric_policy_id\":", id);
    if (strncmp(r.body, want, strlen(want)) != 0)
        fail_msg("policies: %s", r.body);
    snprintf(want, sizeof want, ",\"next_fire_at\":%lld,", midnight);
    assert_non_null(strstr(r.body, want));
    assert_non_null(strstr(r.body, ",\"web_hook_url\":\"http://127.0.0.1:1/hook\",\"parameters\":"
                                   "{\"a\":\"\\u003cx\\u003e\",\"b\":1}}]"));
    hc_resp_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", id);
    r = af_post(path, "{\"action\":\"stop\"}");
    hc_resp_free(&r);
    r = af_get("/api/v1/policies");
    af_expect(&r, 200, "[]");
    free(id);
}

/* ---- the CLI against the same server -------------------------------------------------- */

static cli_run_out cli(const char *const *args)
{
    char addr[64];
    snprintf(addr, sizeof addr, "BERTH_ADDR=http://127.0.0.1:%d", api_server_port(af.api));
    const char *env[] = {addr, "BERTH_SECRET=" API_SECRET, NULL};
    return cli_run_env(env, NULL, args);
}

static void expect_run(cli_run_out *r, int code, const char *out_has, const char *err_has)
{
    if (r->code != code || (out_has && !strstr(r->out.p, out_has)) ||
        (err_has && !strstr(r->err.p, err_has)))
        fail_msg("exit %d (want %d)\nstdout: %s\nstderr: %s\nwanted stdout ⊇ %s, stderr ⊇ %s",
                 r->code, code, r->out.p, r->err.p, out_has ? out_has : "-", err_has ? err_has : "-");
    cli_run_free(r);
}

static void test_cli_queues(void **state)
{
    (void)state;
    cli_run_out r = cli(ARGS("pause", "DEMO"));
    expect_run(&r, 0, "DEMO: paused\n", NULL);
    assert_int_equal(redis_exists("{t}:jobs:DEMO:paused"), 1);
    char *id = af_launch(DEMO_BODY("false"));
    r = cli(ARGS("queues"));
    expect_run(&r, 0, "QUEUE", NULL);
    r = cli(ARGS("queues"));
    if (!strstr(r.out.p, "DEMO") || !strstr(r.out.p, " yes\n"))
        fail_msg("queues: %s", r.out.p);
    cli_run_free(&r);
    r = cli(ARGS("queues", "--json"));
    expect_run(&r, 0, "{\"name\":\"DEMO\",\"waiting\":1,", NULL);
    r = cli(ARGS("drain", "DEMO"));
    expect_run(&r, 0, "DEMO: 1 pending job(s) stopped\n", NULL);
    r = cli(ARGS("resume", "DEMO"));
    expect_run(&r, 0, "DEMO: resumed\n", NULL);
    assert_int_equal(redis_exists("{t}:jobs:DEMO:paused"), 0);
    char st[32];
    af_job_status(id, st, sizeof st);
    assert_string_equal(st, "Stopped");
    free(id);
    /* errors: clear message, exit code, nothing changed */
    r = cli(ARGS("pause", "NOPE"));
    expect_run(&r, 3, NULL, "queue NOPE");
    assert_int_equal(redis_exists("{t}:jobs:NOPE:paused"), 0);
    r = cli(ARGS("pause"));
    expect_run(&r, 2, NULL, "usage: berth pause NAME");
    r = cli(ARGS("resume", "a/b"));
    expect_run(&r, 2, NULL, "invalid queue name 'a/b'");
    r = cli(ARGS("queues", "extra"));
    expect_run(&r, 2, NULL, "unexpected argument 'extra'");
    const char *bad_env[] = {"BERTH_SECRET=wrong", NULL};
    char addr[64];
    snprintf(addr, sizeof addr, "http://127.0.0.1:%d", api_server_port(af.api));
    r = cli_run_env(bad_env, NULL, ARGS("--addr", addr, "pause", "DEMO"));
    expect_run(&r, 4, NULL, "unauthorized");
    assert_int_equal(redis_exists("{t}:jobs:DEMO:paused"), 0);
}

static void test_cli_policies(void **state)
{
    (void)state;
    cli_run_out r = cli(ARGS("policies"));
    expect_run(&r, 0, "POLICY", NULL);
    char *id = af_launch("{\"job\":{\"name\":\"SCHEDULER\",\"metadata\":{\"kind\":\"Periodic\","
                         "\"cron_spec\":\"0 0 0 * * *\"}}}");
    r = cli(ARGS("policies"));
    if (!strstr(r.out.p, id) || !strstr(r.out.p, "T00:00:00Z") || !strstr(r.out.p, "0 0 0 * * *"))
        fail_msg("policies: %s", r.out.p);
    cli_run_free(&r);
    r = cli(ARGS("policies", "--json"));
    expect_run(&r, 0, "\"job_name\":\"SCHEDULER\"", NULL);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", id);
    hc_resp h = af_post(path, "{\"action\":\"stop\"}");
    hc_resp_free(&h);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_shape),    cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_pause_resume),  cmocka_unit_test(test_core_pause_key),
        cmocka_unit_test(test_stop_pending),  cmocka_unit_test(test_stop_many),
        cmocka_unit_test(test_pools_workers), cmocka_unit_test(test_policies),
        cmocka_unit_test(test_cli_queues),    cmocka_unit_test(test_cli_policies),
    };
    return cmocka_run_group_tests(tests, api_fixture_setup, api_fixture_teardown);
}
