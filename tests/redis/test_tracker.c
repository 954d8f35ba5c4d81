/* Tracker tests against a real redis-server: Save/Load, the status compare-and-set rules
 * of spec §5.3 through Run/Succeed/Fail/Stop, Reset's new revision, CheckIn, Update,
 * NumericID and PeriodicExecutionDone. */
#include "test.h"

#include "berth/berth.h"
#include "berth/tracker.h"
#include "engine_fixture.h"
#include "wait.h"

static redis_fixture rf;
static berth_engine *eng;

static int setup(void **state)
{
    (void)state;
    if (redis_fixture_start(&rf, NULL) != 0)
        return -1;
    berth_engine_config c = engine_fixture_config(&rf);
    char err[256];
    return berth_engine_new(&c, &eng, err, sizeof err);
}

static int teardown(void **state)
{
    (void)state;
    berth_engine_free(eng);
    redis_fixture_stop(&rf);
    return 0;
}

static berth_tracker *saved(const char *id, const char *upstream)
{
    berth_stats s = {.id = (char *)id, .name = "JOB", .kind = "Generic", .status = "Pending",
                     .upstream_job_id = (char *)upstream, .run_at = 42};
    berth_tracker *t = NULL;
    assert_int_equal(berth_tracker_new_with_stats(eng, &s, &t), 0);
    assert_int_equal(berth_tracker_save(t), 0);
    return t;
}

static void test_lifecycle(void **state)
{
    (void)state;
    berth_tracker *t = saved("aaaaaaaaaaaaaaaaaaaaaaaa", NULL);
    int64_t rev = berth_tracker_job(t)->revision;
    assert_true(rev > 0);
    assert_int_equal(redis_fixture_int(&rf, "HEXISTS {t}:job_track:inprogress aaaaaaaaaaaaaaaaaaaaaaaa"), 1);
    assert_int_equal(berth_tracker_run(t), 0);
    berth_status st;
    assert_int_equal(berth_tracker_status(t, &st), 0);
    assert_int_equal(st, BERTH_STATUS_RUNNING);
    assert_int_equal(berth_tracker_checkin(t, "half"), 0);
    assert_int_equal(berth_tracker_checkin(t, ""), BERTH_EINVAL);
    assert_int_equal(berth_tracker_succeed(t), 0);
    assert_int_equal(berth_tracker_fail(t), BERTH_EMISMATCH);   /* final is sticky */
    assert_int_equal(berth_tracker_succeed(t), 0);               /* same status again: allowed */
    assert_int_equal(berth_tracker_run(t), BERTH_EMISMATCH);     /* no going back */
    assert_string_equal(berth_tracker_job(t)->status, "Success");
    assert_int_equal(berth_tracker_load(t), 0);
    assert_true(berth_tracker_job(t)->check_in_at > 0);
    assert_int_equal(berth_tracker_reset(t), 0);
    assert_true(berth_tracker_job(t)->revision > rev);
    assert_int_equal(berth_tracker_status(t, &st), 0);
    assert_int_equal(st, BERTH_STATUS_PENDING);
    assert_int_equal(berth_tracker_run(t), 0);                   /* new revision: may run */
    const char *kv[] = {"die_at", "99"};
    assert_int_equal(berth_tracker_update(t, kv, 1), 0);
    assert_int_equal(berth_tracker_load(t), 0);
    assert_int_equal(berth_tracker_job(t)->die_at, 99);
    int64_t nid;
    assert_int_equal(berth_tracker_numeric_id(t, &nid), BERTH_EINVAL);
    assert_int_equal(berth_tracker_periodic_execution_done(t), BERTH_EINVAL);
    berth_tracker_free(t);
    berth_tracker_free(NULL);
}

static void test_missing_and_execution(void **state)
{
    (void)state;
    berth_tracker *t = NULL;
    assert_int_equal(berth_tracker_new(eng, "bbbbbbbbbbbbbbbbbbbbbbbb", &t), 0);
    assert_int_equal(berth_tracker_load(t), BERTH_ENOTFOUND);
    assert_int_equal(berth_tracker_reset(t), BERTH_ENOTFOUND);
    berth_tracker_free(t);
    berth_tracker *x = saved("cccccccccccccccccccccccc@42", "cccccccccccccccccccccccc");
    assert_int_equal(redis_fixture_int(&rf, "ZSCORE {t}:executions:cccccccccccccccccccccccc cccccccccccccccccccccccc@42"), -1);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:executions:cccccccccccccccccccccccc"), 1);
    assert_int_equal(berth_tracker_periodic_execution_done(x), 0);
    assert_int_equal(redis_fixture_int(&rf, "ZCOUNT {t}:executions:cccccccccccccccccccccccc -1 -1"), 1);
    assert_int_equal(berth_tracker_new(eng, "", &t), BERTH_EINVAL);
    berth_tracker_free(x);
}

/* The tracker reads Running and the status-retry list is empty (the heartbeat applied it). */
static bool retry_applied(void *arg)
{
    berth_status st = BERTH_STATUS_INVALID;
    return berth_tracker_status(arg, &st) == 0 && st == BERTH_STATUS_RUNNING &&
           redis_fixture_int(&rf, "LLEN {t}:berth:status_retry") == 0;
}

/* UpdateStatusWithRetry: a write that fails while Redis is away is kept, pushed to
 * {t}:berth:status_retry once Redis is back, and applied by the heartbeat. */
static void test_status_retry_survives_redis_outage(void **state)
{
    (void)state;
    assert_int_equal(berth_engine_start(eng), 0);
    berth_tracker *tr = saved("dddddddddddddddddddddddd", NULL);
    /* a persisted item written by some node earlier is applied too */
    redis_fixture_int(&rf, "RPUSH {t}:berth:status_retry %s", "eeeeeeeeeeeeeeeeeeeeeeee Stopped 9");
    redis_fixture_kill(&rf);
    assert_int_equal(berth_tracker_run(tr), BERTH_EREDIS);
    assert_string_equal(berth_tracker_job(tr)->status, "Running"); /* memory follows, as Harbor */
    const char *const aof[] = {NULL};
    assert_int_equal(redis_fixture_restart(&rf, aof), 0);   /* comes back empty */
    redis_fixture_int(&rf, "RPUSH {t}:berth:status_retry %s", "eeeeeeeeeeeeeeeeeeeeeeee Stopped 9");
    assert_true(wait_until(retry_applied, tr, 5000));
    berth_status st = BERTH_STATUS_INVALID;
    berth_tracker *other = NULL;
    assert_int_equal(berth_tracker_new(eng, "eeeeeeeeeeeeeeeeeeeeeeee", &other), 0);
    assert_int_equal(berth_tracker_status(other, &st), 0);
    assert_int_equal(st, BERTH_STATUS_STOPPED);
    berth_tracker_free(other);
    berth_tracker_free(tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_missing_and_execution),
        cmocka_unit_test(test_status_retry_survives_redis_outage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
