/* The REDIS job-log sink when Redis misbehaves for one key or goes away whole
 * (src/joblog/redis_sink.c; docs/logs.md):
 *   - a run's key holding another type (WRONGTYPE: something else wrote it) fails only that
 *     run's lines: they are dropped and said once, the key is left as it was, its final
 *     status is not held back (the give-up is 60 s), and another run ending at the same
 *     time has every line, once and in order;
 *   - redis-server killed with SIGKILL (AOF, appendfsync always) while a run writes, and
 *     started again: every line written before the kill, during the outage and after the
 *     restart is in the key once and in order, and the run's final status follows as soon
 *     as Redis is back;
 *   - an EVAL of the sink that Redis ran but whose answer was lost (a relay between the
 *     sink and redis-server, tests/support/redis_relay.h, drops it and cuts the
 *     connection): the sink sends those lines again, and they are in the key once.
 * Real parts: a redis-server child, the engine with its job-log set, runs held at gates. */
#include "test.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>

#include "berth/context.h"
#include "engine_fixture.h"
#include "joblog/joblog.h"
#include "joblog_check.h"
#include "redis_fixture.h"
#include "redis_relay.h"
#include "wait.h"

static const char *const aof[] = {"--appendonly", "yes", "--appendfsync", "always", NULL};

static redis_fixture rf;
static joblog_set *logs;
static berth_engine *eng;
static atomic_int stage;   /* how far gated runs may go */

/* What the set reported through its logger. */
static atomic_int said_cannot, said_again, said_wrong;

static void on_log(berth_log_level lvl, const char *file, int line, const char *msg, void *ud)
{
    (void)ud, (void)lvl, (void)file, (void)line;
    atomic_fetch_add(&said_cannot, strstr(msg, "cannot write job logs to Redis") != NULL);
    atomic_fetch_add(&said_again, strstr(msg, "job logs reach Redis again") != NULL);
    atomic_fetch_add(&said_wrong, strstr(msg, "holds a value that is not a string") != NULL);
}

static void wait_stage(berth_ctx *ctx, int want)
{
    for (int i = 0; i < 1200 && atomic_load(&stage) < want; i++)
        berth_ctx_sleep(ctx, 25);
}

/* Line 1; at stage 1 lines 2 and 3; at stage 2 lines 4 and 5. */
static int gated_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params, (void)ud;
    BERTH_JINFO(ctx, "gated line 1");
    wait_stage(ctx, 1);
    BERTH_JINFO(ctx, "gated line 2");
    BERTH_JINFO(ctx, "gated line 3");
    wait_stage(ctx, 2);
    BERTH_JINFO(ctx, "gated line 4");
    BERTH_JINFO(ctx, "gated line 5");
    return 0;
}

static int setup(void **state)
{
    (void)state;
    if (redis_fixture_start(&rf, aof) != 0)
        return -1;
    rtarget t = {.unix_path = rf.sock};
    joblog_backend_cfg b = {.kind = JOBLOG_REDIS, .level = BERTH_LOG_DEBUG};
    char err[256];
    if (joblog_set_new(&(joblog_config){.backends = &b, .nbackends = 1, .redis = &t, .ns = "t",
                                        .log = {.fn = on_log, .min = BERTH_LOG_DEBUG}},
                       &logs, err, sizeof err) != 0)
        return -1;
    joblog_set_start(logs);
    berth_engine_config c = engine_fixture_config(&rf);
    c.job_logs = logs;
    eng = engine_fixture_start(&c, (berth_job_type[]){{.name = "GATED", .run = gated_run}, {0}});
    return eng ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    atomic_store(&stage, 2);
    berth_engine_free(eng);
    joblog_set_free(logs);
    redis_fixture_stop(&rf);
    return 0;
}

/* Lines 1..last of a gated run in its key, each once and in order. */
static void assert_lines(const char *id, int last)
{
    char *log = jl_key_text(&rf, id);
    jl_assert_lines(log, "gated line", last);
    free(log);
}

typedef struct said_at_least {
    atomic_int *counter;
    int want;
} said_at_least;

static bool said(void *arg)
{
    said_at_least *s = arg;
    return atomic_load(s->counter) >= s->want;
}

/* Waits until counter reaches want. */
static bool wait_said(atomic_int *counter, int want, int deadline_ms)
{
    return wait_until(said, &(said_at_least){counter, want}, deadline_ms);
}

static void wrong_type_fails_its_own_run_only(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    atomic_store(&stage, 0);
    char *bad = engine_fixture_launch(eng, "GATED");
    char *good = engine_fixture_launch(eng, "GATED");
    assert_true(wait_until(jl_key_holds, &(jl_key_has){&rf, bad, "]: gated line 1\n"}, 10000));
    assert_true(wait_until(jl_key_holds, &(jl_key_has){&rf, good, "]: gated line 1\n"}, 10000));
    /* something else writes the first run's key as a list */
    redis_fixture_ok(&rf, "DEL {t}:berth:joblog:%s", bad);
    redis_fixture_ok(&rf, "RPUSH {t}:berth:joblog:%s not-a-log", bad);
    int cannot0 = atomic_load(&said_cannot), wrong0 = atomic_load(&said_wrong);
    atomic_store(&stage, 2);   /* both write their last lines and end together */
    /* well within the sink's 60 s give-up: the bad key holds back nothing */
    assert_true(engine_fixture_wait_status(eng, good, "Success", 10000));
    assert_true(engine_fixture_wait_status(eng, bad, "Success", 10000));
    assert_lines(good, 5);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:berth:joblog:%s", bad), 1);
    assert_int_equal(atomic_load(&said_wrong), wrong0 + 1);
    assert_int_equal(atomic_load(&said_cannot), cannot0);   /* Redis was never "down" */
    free(bad);
    free(good);
}

static void redis_killed_and_restarted(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    atomic_store(&stage, 0);
    char *id = engine_fixture_launch(eng, "GATED");
    assert_true(wait_until(jl_key_holds, &(jl_key_has){&rf, id, "]: gated line 1\n"}, 10000));
    assert_true(engine_fixture_wait_status(eng, id, "Running", 10000));
    int cannot0 = atomic_load(&said_cannot), again0 = atomic_load(&said_again);
    redis_fixture_kill(&rf);
    atomic_store(&stage, 1);   /* lines 2 and 3 while Redis is away */
    assert_true(wait_said(&said_cannot, cannot0 + 1, 10000));
    assert_int_equal(redis_fixture_restart(&rf, aof), 0);
    assert_true(wait_said(&said_again, again0 + 1, 10000));
    assert_true(wait_until(jl_key_holds, &(jl_key_has){&rf, id, "]: gated line 3\n"}, 10000));
    atomic_store(&stage, 2);   /* lines 4 and 5 after the restart, then the end */
    assert_true(engine_fixture_wait_status(eng, id, "Success", 15000));
    assert_lines(id, 5);
    assert_int_equal(atomic_load(&said_cannot), cannot0 + 1);   /* said once per outage */
    free(id);
}

static void lost_answer_writes_nothing_twice(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    atomic_store(&stage, 0);
    redis_relay *relay = rr_start(rf.port);
    assert_non_null(relay);
    rtarget t = {.host = "127.0.0.1", .port = rr_port(relay)};
    joblog_backend_cfg b = {.kind = JOBLOG_REDIS, .level = BERTH_LOG_DEBUG};
    joblog_set *set = NULL;
    char err[256];
    assert_int_equal(joblog_set_new(&(joblog_config){.backends = &b, .nbackends = 1,
                                                     .redis = &t, .ns = "t",
                                                     .log = {.fn = on_log,
                                                             .min = BERTH_LOG_DEBUG}},
                                    &set, err, sizeof err), 0);
    joblog_set_start(set);
    berth_engine_config c = engine_fixture_config(&rf);
    c.job_logs = set;
    berth_engine *e =
        engine_fixture_start(&c, (berth_job_type[]){{.name = "RELAYED", .run = gated_run}, {0}});
    char *id = engine_fixture_launch(e, "RELAYED");
    assert_true(wait_until(jl_key_holds, &(jl_key_has){&rf, id, "]: gated line 1\n"}, 10000));
    int again0 = atomic_load(&said_again);
    /* the flush with lines 2 and 3 runs in Redis; its answer is lost */
    rr_arm(relay, RR_DROP_REPLY, 0, (const char *const[]){"gated line 2", NULL});
    atomic_store(&stage, 1);
    assert_true(wait_said(&said_again, again0 + 1, 10000));   /* sent again, answered */
    assert_int_equal(rr_cuts(relay), 1);
    assert_true(wait_until(jl_key_holds, &(jl_key_has){&rf, id, "]: gated line 3\n"}, 10000));
    atomic_store(&stage, 2);
    assert_true(engine_fixture_wait_status(e, id, "Success", 10000));
    assert_lines(id, 5);
    berth_engine_free(e);
    joblog_set_free(set);
    rr_stop(relay);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wrong_type_fails_its_own_run_only),
        cmocka_unit_test(redis_killed_and_restarted),
        cmocka_unit_test(lost_answer_writes_nothing_twice),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
