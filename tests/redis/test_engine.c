/* Engine tests against a real redis-server: launch → run → final status, retries until
 * the last try, unique jobs, paused queues, scheduled jobs, concurrency limits and the
 * load-retry for stats saved after the job was queued. Stops, crashes and shutdown are
 * in test_engine_faults.c. */
#include "test.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>

#include "berth/berth.h"
#include "berth/jobs.h"
#include "berth/tracker.h"
#include "engine_fixture.h"
#include "wait.h"

static redis_fixture rf;

typedef struct probe {
    atomic_int runs;
    atomic_int running;
    atomic_int max_running;
    int fail_always;
    int hold_ms;
} probe;

static int probe_run(berth_ctx *ctx, const char *params, void *ud)
{
    probe *p = ud;
    atomic_fetch_add(&p->runs, 1);
    int now = atomic_fetch_add(&p->running, 1) + 1;
    int max = atomic_load(&p->max_running);
    while (now > max && !atomic_compare_exchange_weak(&p->max_running, &max, now))
        ;
    if (p->hold_ms)
        berth_ctx_sleep(ctx, (unsigned)p->hold_ms);
    atomic_fetch_sub(&p->running, 1);
    if (p->fail_always)
        return berth_ctx_fail(ctx, "failed on purpose (params %s)", params ? params : "null");
    return 0;
}

static bool no_retry(void *ud)
{
    (void)ud;
    return false;
}

static bool three_runs(void *arg)
{
    return atomic_load(&((probe *)arg)->runs) >= 3;
}

static berth_engine *new_engine(probe *p, unsigned max_fails, unsigned max_conc,
                                bool (*should_retry)(void *))
{
    berth_engine_config c = engine_fixture_config(&rf);
    berth_job_type t = {.name = "PROBE", .max_fails = max_fails, .max_concurrency = max_conc,
                        .should_retry = should_retry, .run = probe_run, .userdata = p};
    berth_engine *e = engine_fixture_new(&c, (berth_job_type[]){t, {0}});
    assert_int_equal(berth_engine_register(e, &t), BERTH_EINVAL); /* duplicate name */
    return e;
}

static int flush(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    return 0;
}

static char *launch(berth_engine *e, const char *params, bool unique, int *rc_out)
{
    berth_stats *s = NULL;
    char err[256] = "";
    berth_launch l = {.name = "PROBE", .params_json = params, .unique = unique};
    int rc = berth_engine_launch(e, &l, &s, err, sizeof err);
    if (rc_out)
        *rc_out = rc;
    else
        assert_int_equal(rc, 0);
    char *id = s ? strdup(s->id) : NULL;
    if (s) {
        assert_string_equal(s->status, "Pending");
        assert_string_equal(s->kind, "Generic");
        assert_int_equal(s->revision, 0); /* the launch reply carries no revision */
    }
    berth_stats_free(s);
    return id;
}

static void test_generic_success(void **state)
{
    (void)state;
    probe p = {0};
    berth_engine *e = new_engine(&p, 0, 0, NULL);
    assert_int_equal(berth_engine_start(e), 0);
    char *id = launch(e, "{\"b\":1,\"a\":\"x\"}", false, NULL);
    assert_true(engine_fixture_wait_status(e, id, "Success", 5000));
    assert_int_equal(atomic_load(&p.runs), 1);
    berth_stats *s = NULL;
    assert_int_equal(berth_engine_get_stats(e, id, &s), 0);
    assert_string_equal(s->name, "PROBE");
    assert_true(s->revision > 0);
    assert_string_equal(s->parameters, "{\"b\":1,\"a\":\"x\"}");
    berth_stats_free(s);
    long long ttl = redis_fixture_int(&rf, "TTL {t}:job_stats:%s", id);
    assert_true(ttl > 86000 && ttl <= 86400);
    assert_int_equal(redis_fixture_int(&rf, "HEXISTS {t}:job_track:inprogress %s", id), 0);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:berth:leases"), 0);
    assert_int_equal(redis_fixture_int(&rf, "EVAL %s 0 {t}:berth:batch:*",
                                       "return #redis.call('KEYS', ARGV[1])"), 0);
    assert_int_equal(redis_fixture_int(&rf, "SISMEMBER {t}:known_jobs PROBE"), 1);
    berth_engine_free(e);
    free(id);
}

static void test_retries_until_last_try(void **state)
{
    (void)state;
    probe p = {.fail_always = 1};
    berth_engine *e = new_engine(&p, 3, 0, NULL);
    assert_int_equal(berth_engine_start(e), 0);
    char *id = launch(e, NULL, false, NULL);
    assert_true(wait_until(three_runs, &p, 10000));
    assert_true(engine_fixture_wait_status(e, id, "Error", 5000));
    wait_sleep_ms(300); /* a 4th run would have started by now */
    assert_int_equal(atomic_load(&p.runs), 3);
    long long ttl = redis_fixture_int(&rf, "TTL {t}:job_stats:%s", id);
    assert_true(ttl > 604000);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:retry"), 0);
    berth_engine_free(e);
    free(id);
}

static void test_should_retry_false_runs_once(void **state)
{
    (void)state;
    probe p = {.fail_always = 1};
    berth_engine *e = new_engine(&p, 5, 0, no_retry);
    assert_int_equal(berth_engine_start(e), 0);
    char *id = launch(e, NULL, false, NULL);
    assert_true(engine_fixture_wait_status(e, id, "Error", 5000));
    wait_sleep_ms(300);   /* a negative check: no second run */
    assert_int_equal(atomic_load(&p.runs), 1);
    berth_engine_free(e);
    free(id);
}

static void test_unique_and_paused(void **state)
{
    (void)state;
    probe p = {0};
    berth_engine *e = new_engine(&p, 0, 0, NULL);
    redis_fixture_int(&rf, "SET {t}:jobs:PROBE:paused 1");
    assert_int_equal(berth_engine_start(e), 0);
    char *id = launch(e, "{\"x\":1.0}", true, NULL);
    int rc = 0;
    char err[256];
    berth_launch dup = {.name = "PROBE", .params_json = "{\"x\":1}", .unique = true};
    rc = berth_engine_launch(e, &dup, NULL, err, sizeof err);
    assert_int_equal(rc, BERTH_EDUP);
    assert_non_null(strstr(err, id)); /* names the job holding the key */
    wait_sleep_ms(200);   /* a negative check: the paused queue is not fetched from */
    assert_int_equal(atomic_load(&p.runs), 0); /* paused queues are not fetched from */
    assert_int_equal(redis_fixture_int(&rf, "EXISTS {t}:unique:PROBE:{\"x\":1}\n"), 1);
    redis_fixture_int(&rf, "DEL {t}:jobs:PROBE:paused");
    /* nothing wakes a fetcher for a resumed queue but its idle safety timer (2 s) */
    assert_true(engine_fixture_wait_status(e, id, "Success", 5000));
    assert_int_equal(redis_fixture_int(&rf, "EXISTS {t}:unique:PROBE:{\"x\":1}\n"), 0);
    char *id2 = launch(e, "{\"x\":1}", true, NULL); /* lock released at pick-up */
    assert_true(engine_fixture_wait_status(e, id2, "Success", 5000));
    berth_engine_free(e);
    free(id);
    free(id2);
}

static void test_scheduled_runs_after_delay(void **state)
{
    (void)state;
    probe p = {0};
    berth_engine *e = new_engine(&p, 0, 0, NULL);
    assert_int_equal(berth_engine_start(e), 0);
    berth_stats *s = NULL;
    char err[256];
    /* run_at has second granularity (Harbor's): a 2 s delay is due in more than 1 s */
    berth_launch l = {.name = "PROBE", .kind = "Scheduled", .schedule_delay = 2};
    assert_int_equal(berth_engine_launch(e, &l, &s, err, sizeof err), 0);
    assert_string_equal(s->status, "Scheduled");
    assert_true(s->run_at >= s->enqueue_time + 2);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:scheduled"), 1);
    wait_sleep_ms(300);   /* a negative check: not run before its time */
    assert_int_equal(atomic_load(&p.runs), 0);
    assert_true(engine_fixture_wait_status(e, s->id, "Success", 5000));
    berth_launch bad = {.name = "PROBE", .kind = "Scheduled"};
    assert_int_equal(berth_engine_launch(e, &bad, NULL, err, sizeof err), BERTH_EINVAL);
    assert_string_equal(err, "'schedule_delay' must be specified for Scheduled job");
    berth_stats_free(s);
    berth_engine_free(e);
}

static void test_max_concurrency(void **state)
{
    (void)state;
    probe p = {.hold_ms = 50};
    berth_engine *e = new_engine(&p, 0, 1, NULL);
    assert_int_equal(berth_engine_start(e), 0);
    char *ids[6];
    for (int i = 0; i < 6; i++)
        ids[i] = launch(e, NULL, false, NULL);
    for (int i = 0; i < 6; i++) {
        assert_true(engine_fixture_wait_status(e, ids[i], "Success", 5000));
        free(ids[i]);
    }
    assert_int_equal(atomic_load(&p.max_running), 1);
    assert_int_equal(redis_fixture_int(&rf, "INCRBY {t}:jobs:PROBE:lock 0"), 0); /* all released */
    berth_engine_free(e);
}

static void test_bad_input_changes_nothing(void **state)
{
    (void)state;
    probe p = {0};
    berth_engine *e = new_engine(&p, 0, 0, NULL);
    char err[256];
    berth_launch unknown = {.name = "NOPE"};
    assert_int_equal(berth_engine_launch(e, &unknown, NULL, err, sizeof err), BERTH_EUNKNOWN);
    assert_string_equal(err, "job with name 'NOPE' is unknown");
    berth_launch badjson = {.name = "PROBE", .params_json = "{\"a\":"};
    assert_int_equal(berth_engine_launch(e, &badjson, NULL, err, sizeof err), BERTH_EINVAL);
    berth_launch array = {.name = "PROBE", .params_json = "[1,2]"};
    assert_int_equal(berth_engine_launch(e, &array, NULL, err, sizeof err), BERTH_EINVAL);
    berth_launch periodic = {.name = "PROBE", .kind = "Periodic"};
    assert_int_equal(berth_engine_launch(e, &periodic, NULL, err, sizeof err), BERTH_EINVAL);
    assert_int_equal(redis_fixture_int(&rf, "DBSIZE"), 0);
    berth_launch far = {.name = "PROBE", .kind = "Scheduled", .schedule_delay = 9223372036854775807ULL};
    assert_int_equal(berth_engine_launch(e, &far, NULL, err, sizeof err), BERTH_EINVAL);
    assert_string_equal(err, "'schedule_delay' is too large: 9223372036854775807 seconds");
    assert_int_equal(redis_fixture_int(&rf, "DBSIZE"), 0);
    berth_stats *s = NULL;
    /* integers past int64 are valid JSON (Go: float64): accepted, kept as written */
    berth_launch big = {.name = "PROBE", .params_json = "{\"n\":18446744073709551616}"};
    assert_int_equal(berth_engine_launch(e, &big, &s, err, sizeof err), 0);
    assert_string_equal(s->parameters, "{\"n\":18446744073709551616}");
    berth_stats_free(s);
    s = NULL;
    assert_int_equal(berth_engine_stop_job(e, "0123456789abcdef01234567"), BERTH_ENOTFOUND);
    berth_engine_free(e);
}

/* A job queued by another writer before its stats exist (Harbor's load-retry race). */
static void test_picked_before_stats_saved(void **state)
{
    (void)state;
    probe p = {0};
    berth_engine *e = new_engine(&p, 0, 0, NULL);
    assert_int_equal(berth_engine_start(e), 0);
    const char *id = "00112233445566778899aabb";
    redis_fixture_int(&rf, "LPUSH {t}:jobs:PROBE {\"name\":\"PROBE\",\"id\":\"%s\",\"t\":1,\"args\":null}", id);
    wait_sleep_ms(1200);   /* a negative check: the unknown-stats job is never run */
    assert_int_equal(atomic_load(&p.runs), 0);
    berth_stats st = {.id = (char *)id, .name = "PROBE", .kind = "Generic", .status = "Pending"};
    berth_tracker *t = NULL;
    assert_int_equal(berth_tracker_new_with_stats(e, &st, &t), 0);
    assert_int_equal(berth_tracker_save(t), 0);
    assert_true(engine_fixture_wait_status(e, id, "Success", 8000));
    assert_int_equal(atomic_load(&p.runs), 1);
    berth_tracker_free(t);
    berth_engine_free(e);
}

static berth_engine *self_engine;

static int stops_itself(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params;
    atomic_fetch_add(&((probe *)ud)->runs, 1);
    berth_engine_stop_job(self_engine, berth_ctx_job_id(ctx));
    berth_ctx_sleep(ctx, 2000);    /* returns at once: the stop flag is raised */
    return berth_ctx_op_command(ctx) ? 0 : berth_ctx_fail(ctx, "stop never arrived");
}

/* A job that calls the stop API on itself ends Stopped; a job already Success that is
 * delivered again is not run again (spec §4.4). */
static void test_self_stop_and_duplicate_delivery(void **state)
{
    (void)state;
    probe p = {0};
    berth_engine_config c = engine_fixture_config(&rf);
    self_engine = engine_fixture_start(&c, (berth_job_type[]){{.name = "PROBE",
                                                               .run = stops_itself,
                                                               .userdata = &p}, {0}});
    char *id = launch(self_engine, NULL, false, NULL);
    assert_true(engine_fixture_wait_status(self_engine, id, "Stopped", 5000));
    wait_sleep_ms(200);   /* a negative check: Stopped is not overwritten */
    char st[32];
    engine_fixture_status(self_engine, id, st, sizeof st);
    assert_string_equal(st, "Stopped");
    assert_int_equal(atomic_load(&p.runs), 1);

    const char *done = "aabbccddeeff001122334455";
    redis_fixture_int(&rf, "HSET {t}:job_stats:%s id %s name PROBE kind Generic status Success "
                      "revision 7", done, done);
    redis_fixture_int(&rf, "LPUSH {t}:jobs:PROBE {\"name\":\"PROBE\",\"id\":\"%s\",\"t\":1,\"args\":null}", done);
    char *other = launch(self_engine, NULL, false, NULL);   /* wakes the fetcher */
    assert_true(engine_fixture_wait_status(self_engine, other, "Stopped", 5000));
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:PROBE"), 0);
    assert_int_equal(atomic_load(&p.runs), 2);   /* `other` ran; the Success job did not */
    engine_fixture_status(self_engine, done, st, sizeof st);
    assert_string_equal(st, "Success");
    berth_engine_free(self_engine);
    free(id);
    free(other);
}

/* DEMO with JOB_FAILED set fails with Harbor's message after its 3 s wait. */
static void test_demo_job_failed_env(void **state)
{
    (void)state;
    berth_engine_config c = engine_fixture_config(&rf);
    c.backoff_scale = 1.0;   /* keep the retry far away */
    berth_engine *e = NULL;
    char err[256];
    assert_int_equal(berth_engine_new(&c, &e, err, sizeof err), 0);
    assert_int_equal(berth_jobs_register_demo(e, 100), 0);
    setenv("JOB_FAILED", "1", 1);
    assert_int_equal(berth_engine_start(e), 0);
    berth_stats *s = NULL;
    berth_launch l = {.name = "DEMO", .params_json = "{\"image\":\"demo\"}"};
    assert_int_equal(berth_engine_launch(e, &l, &s, err, sizeof err), 0);
    assert_true(engine_fixture_wait_status(e, s->id, "Error", 6000));
    assert_true(redis_fixture_wait_int(&rf, 1, 2000, "ZCARD {t}:retry"));
    berth_engine_free(e);
    unsetenv("JOB_FAILED");
    redisContext *rc = redisConnectUnix(rf.sock);
    redisReply *r = redisCommand(rc, "ZRANGE {t}:retry 0 0");
    assert_non_null(r);
    assert_int_equal(r->elements, 1);
    assert_non_null(strstr(r->element[0]->str, "\"err\":\"`JOB_FAILED` env is set\""));
    assert_non_null(strstr(r->element[0]->str, "\"fails\":1"));
    freeReplyObject(r);
    redisFree(rc);
    berth_stats_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_generic_success, flush),
        cmocka_unit_test_setup(test_retries_until_last_try, flush),
        cmocka_unit_test_setup(test_should_retry_false_runs_once, flush),
        cmocka_unit_test_setup(test_unique_and_paused, flush),
        cmocka_unit_test_setup(test_scheduled_runs_after_delay, flush),
        cmocka_unit_test_setup(test_max_concurrency, flush),
        cmocka_unit_test_setup(test_bad_input_changes_nothing, flush),
        cmocka_unit_test_setup(test_picked_before_stats_saved, flush),
        cmocka_unit_test_setup(test_self_stop_and_duplicate_delivery, flush),
        cmocka_unit_test_setup(test_demo_job_failed_env, flush),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
