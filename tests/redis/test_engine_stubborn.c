/* A job that never returns and ignores stop entirely (issue 8, part 4). berth_engine_stop
 * waits grace_ms for it, raises the stop flags and hands the run back to its queue, waits
 * grace_ms again, then gives up with BERTH_ESTATE instead of hanging: the worker thread is
 * detached and berth_engine_free leaks the engine rather than free memory the job's thread
 * may still touch. The run is not lost: another node (a second engine) runs it to Success.
 * The stuck thread stays blocked until the process exits; `stuck` keeps the engine
 * reachable so LeakSanitizer does not report the deliberate leak. */
#include "test.h"

#include <hiredis/hiredis.h>
#include <stdatomic.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "wait.h"

static redis_fixture rf;
static berth_engine *stuck[2];       /* engines whose stop gave up (never freed) */
static atomic_int started_runs;

static int stubborn_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx, (void)params, (void)ud;
    atomic_fetch_add(&started_runs, 1);
    for (;;)                          /* no berth_ctx_* call: stop never reaches it */
        wait_sleep_ms(50);
    return 0;
}

static int polite_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx, (void)params, (void)ud;
    return 0;
}

typedef int (*run_fn)(berth_ctx *ctx, const char *params, void *ud);

static berth_engine *engine(run_fn run, unsigned grace_ms)
{
    berth_engine_config c = engine_fixture_config(&rf);
    c.grace_ms = grace_ms;
    c.workers = 1;
    return engine_fixture_start(&c, (berth_job_type[]){{.name = "STUBBORN", .run = run}, {0}});
}

/* A script counting the keys that match ARGV[1] (the fetch batches' records). */
#define COUNT_KEYS "return #redis.call('KEYS', ARGV[1])"

static void test_stop_gives_up_and_hands_back(void **state)
{
    (void)state;
    const unsigned grace = 400;
    berth_engine *e = engine(stubborn_run, grace);
    char id[25];
    berth_stats *s = NULL;
    char err[256];
    assert_int_equal(berth_engine_launch(e, &(berth_launch){.name = "STUBBORN"}, &s, err,
                                         sizeof err), 0);
    snprintf(id, sizeof id, "%s", s->id);
    berth_stats_free(s);
    assert_true(engine_fixture_wait_status(e, id, "Running", 5000));
    /* stop of the job itself: recorded, but the job does not notice */
    assert_int_equal(berth_engine_stop_job(e, id), 0);
    assert_true(engine_fixture_wait_status(e, id, "Stopped", 2000));
    wait_sleep_ms(300);   /* a negative check: the job is not run again */
    assert_int_equal(atomic_load(&started_runs), 1);

    long long t0 = wait_now_ms();
    int rc = berth_engine_stop(e);
    long long took = wait_now_ms() - t0;
    fprintf(stderr, "berth_engine_stop with a stubborn job: %s after %lld ms (grace %u ms)\n",
            berth_strerror(rc), took, grace);
    assert_int_equal(rc, BERTH_ESTATE);
    assert_true(took >= 2 * grace - 50 && took < 2 * grace + 3000);
    stuck[0] = e;
    berth_engine_free(e);             /* returns at once: the stuck engine is kept */
    /* it no longer holds a lease or its fetch batch (the run was stopped: not requeued) */
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:berth:leases"), 0);
    assert_int_equal(redis_fixture_int(&rf, "EVAL %s 0 {t}:berth:batch:*", COUNT_KEYS), 0);
}

/* The same job not stopped first: at shutdown its run goes back to the queue and another
 * node finishes it. */
static void test_handed_back_run_finishes_elsewhere(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    atomic_store(&started_runs, 0);
    berth_engine *e = engine(stubborn_run, 300);
    berth_stats *s = NULL;
    char err[256], id[25];
    assert_int_equal(berth_engine_launch(e, &(berth_launch){.name = "STUBBORN"}, &s, err,
                                         sizeof err), 0);
    snprintf(id, sizeof id, "%s", s->id);
    berth_stats_free(s);
    assert_true(engine_fixture_wait_status(e, id, "Running", 5000));
    assert_int_equal(berth_engine_stop(e), BERTH_ESTATE);
    stuck[1] = e;
    berth_engine_free(e);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:STUBBORN"), 1);   /* handed back */
    assert_int_equal(redis_fixture_int(&rf, "EVAL %s 0 {t}:berth:batch:*", COUNT_KEYS), 0);
    berth_engine *other = engine(polite_run, 1000);
    assert_true(engine_fixture_wait_status(other, id, "Success", 10000));
    assert_int_equal(atomic_load(&started_runs), 1);   /* the stubborn run never ran twice */
    berth_engine_free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_gives_up_and_hands_back),
        cmocka_unit_test(test_handed_back_run_finishes_elsewhere),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
