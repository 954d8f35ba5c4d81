/* Out of memory is a return code, never a crash (issue 12 item 5): the allocation seam of
 * src/util/alloc.h fails the k-th allocation, for every k from the first until a call
 * needs fewer, and each main public entry point must then answer 0 or BERTH_ENOMEM, leave
 * nothing behind (ASan's leak check in the asan preset) and work again once memory is back.
 *
 * In those tests the engine is not started, so no engine thread allocates while a failure
 * is armed: the k-th allocation is the k-th of the call under test. One test then starts
 * an engine and fails every fifth allocation of every thread for a while (fetcher,
 * workers, completer, hook dispatcher, periodic enqueuer, API calls): the engine must not
 * crash and must run jobs again once memory is back. Another fails the k-th thread the
 * engine makes (pthread_create is interposed below: the fake is only the failure, the
 * threads are real): berth_engine_start must return BERTH_ENOMEM with every thread it
 * made stopped again. hiredis and jansson allocate with libc directly and are not failed
 * by the seam. */
#include "test.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "berth/berth.h"
#include "berth/period.h"
#include "berth/query.h"
#include "berth/queue.h"
#include "berth/tracker.h"
#include "engine_fixture.h"
#include "redis_fixture.h"
#include "util/alloc.h"
#include "wait.h"

static redis_fixture rf;
static atomic_long countdown;    /* allocations left before the failing one; < 0: off */
static atomic_long failed;       /* failures injected since the last arm */
static atomic_long every;        /* > 0: every every-th allocation fails (threads test) */
static atomic_long seen;         /* allocations counted in that mode */

static bool take(void)
{
    long n = atomic_load(&every);
    bool ok = n > 0 ? atomic_fetch_add(&seen, 1) % n != n - 1
                    : atomic_fetch_sub(&countdown, 1) != 0;
    if (!ok)
        atomic_fetch_add(&failed, 1);
    return ok;
}

static void *fail_malloc(size_t n) { return take() ? malloc(n) : NULL; }
static void *fail_realloc(void *p, size_t n) { return take() ? realloc(p, n) : NULL; }

/* The k-th allocation from now fails (only that one). */
static void arm(long k)
{
    atomic_store(&failed, 0);
    atomic_store(&countdown, k);
    berth_alloc_hooks h = {fail_malloc, fail_realloc, free};
    berth_alloc_set_hooks(&h);
}

static long disarm(void)
{
    berth_alloc_set_hooks(NULL);
    return atomic_load(&failed);
}

static berth_engine_config config(void)
{
    return (berth_engine_config){.redis_port = rf.port, .ns = "oom", .workers = 1,
                                 .job_log_dir = "/tmp"};
}

/* Runs call(k) for k = 0, 1, ... with the k-th allocation failing, until a run in which no
 * failure was injected; each run must give 0 or BERTH_ENOMEM. Returns how many gave
 * BERTH_ENOMEM. */
typedef int (*call_fn)(void *arg);
static int each_failure(call_fn call, void *arg)
{
    int nomem = 0;
    for (long k = 0; k < 10000; k++) {
        arm(k);
        int rc = call(arg);
        long injected = disarm();
        if (rc != 0 && rc != BERTH_ENOMEM)
            print_error("allocation %ld failed: got %d (%s)\n", k, rc, berth_strerror(rc));
        assert_true(rc == 0 || rc == BERTH_ENOMEM);
        if (injected == 0) {
            assert_int_equal(rc, 0);  /* nothing failed: the call must work */
            return nomem;
        }
        nomem += rc == BERTH_ENOMEM;
    }
    fail_msg("the call never ran without an allocation");
    return nomem;
}

static int call_new(void *arg)
{
    (void)arg;
    berth_engine_config c = config();
    berth_engine *e = NULL;
    char err[256] = "";
    int rc = berth_engine_new(&c, &e, err, sizeof err);
    if (rc == BERTH_ENOMEM)
        assert_non_null(strstr(err, "out of memory"));
    if (rc == 0)
        rc = berth_engine_register(e, &(berth_job_type){.name = "NOOP",
                                                        .run = engine_fixture_noop});
    berth_engine_free(e);
    return rc;
}

static void test_engine_new_and_register(void **state)
{
    (void)state;
    assert_true(each_failure(call_new, NULL) > 0);
}

static int call_launch(void *arg)
{
    berth_engine *e = arg;
    berth_stats *s = NULL;
    char err[256] = "";
    berth_launch l = {.name = "NOOP", .params_json = "{\"a\":[1,2,{\"b\":\"c\"}]}",
                      .unique = false, .status_hook = "http://127.0.0.1:1/hook"};
    int rc = berth_engine_launch(e, &l, &s, err, sizeof err);
    if (rc == BERTH_ENOMEM)
        assert_non_null(strstr(err, "out of memory"));
    if (rc == 0) {
        assert_non_null(s);
        assert_string_equal(s->status, "Pending");
        berth_stats *back = NULL;  /* the stats as stored, read back */
        rc = berth_engine_get_stats(e, s->id, &back);
        if (rc == 0)
            assert_string_equal(back->parameters, s->parameters);
        berth_stats_free(back);
    }
    berth_stats_free(s);
    return rc;
}

static int call_launch_unique(void *arg)
{
    berth_engine *e = arg;
    char err[256] = "";
    static int n;
    char params[64];
    snprintf(params, sizeof params, "{\"n\":%d}", n++);  /* never a duplicate */
    berth_launch l = {.name = "NOOP", .params_json = params, .unique = true};
    return berth_engine_launch(e, &l, NULL, err, sizeof err);
}

static int call_batch(void *arg)
{
    berth_engine *e = arg;
    berth_launch ls[3] = {{.name = "NOOP"}, {.name = "NOOP", .params_json = "{}"},
                          {.name = "NOOP", .kind = "Scheduled", .schedule_delay = 60}};
    char ids[3][25];
    return berth_engine_launch_batch(e, ls, 3, ids, NULL);
}

/* The periodic part: a Periodic launch (with its stats), the policy list, the stop of the
 * policy; 0 or BERTH_ENOMEM each, with the policy in Redis only when the launch said 0. */
static int call_periodic(void *arg)
{
    berth_engine *e = arg;
    berth_stats *s = NULL;
    char err[256] = "";
    berth_launch l = {.name = "NOOP", .kind = "Periodic", .cron_spec = "0 0 0 1 1 *",
                      .params_json = "{\"p\":1}", .status_hook = "http://127.0.0.1:1/h"};
    int rc = berth_engine_launch(e, &l, &s, err, sizeof err);
    if (rc == BERTH_ENOMEM)
        assert_non_null(strstr(err, "out of memory"));
    berth_policy_list pl = {0};
    if (rc == 0) {
        assert_string_equal(s->kind, "Periodic");
        rc = berth_query_policies(e, &pl);
    }
    if (rc == 0)
        assert_int_equal(pl.n, 1);
    berth_policy_list_clear(&pl);
    int stop = s ? berth_engine_stop_job(e, s->id) : 0;
    if (s && stop == BERTH_ENOMEM)   /* the stop failed: unschedule for the next round */
        assert_int_equal(berth_engine_stop_job(e, s->id), 0);
    berth_stats_free(s);
    redis_fixture_flush(&rf);
    return rc ? rc : stop;
}

/* Reading: pools, workers, queues, scheduled jobs and a tracker over a launched job. */
static int call_queries(void *arg)
{
    berth_engine *e = arg;
    berth_pool_list pools = {0};
    berth_worker_list workers = {0};
    berth_queue_list queues = {0};
    berth_stats_list sched = {0};
    int rc = berth_query_pools(e, &pools);
    if (rc == 0)
        rc = berth_query_workers(e, NULL, &workers);
    if (rc == 0)
        rc = berth_query_queues(e, &queues);
    if (rc == 0)
        rc = berth_query_scheduled(e, 1, &sched);
    berth_tracker *t = NULL;
    if (rc == 0 && sched.n > 0)
        rc = berth_tracker_new_with_stats(e, sched.items[0], &t);
    if (rc == 0 && t)
        rc = berth_tracker_checkin(t, "half way");
    berth_tracker_free(t);
    berth_pool_list_clear(&pools);
    berth_worker_list_clear(&workers);
    berth_queue_list_clear(&queues);
    berth_stats_list_clear(&sched);
    return rc;
}

static void test_periodic_and_queries(void **state)
{
    (void)state;
    berth_engine_config c = config();
    c.periodic.enabled = true;
    berth_engine *e = engine_fixture_new(
        &c, (berth_job_type[]){{.name = "NOOP", .run = engine_fixture_noop}, {0}});
    assert_true(each_failure(call_periodic, e) > 0);
    char err[256];
    berth_launch l = {.name = "NOOP", .kind = "Scheduled", .schedule_delay = 600};
    assert_int_equal(berth_engine_launch(e, &l, NULL, err, sizeof err), 0);
    assert_true(each_failure(call_queries, e) > 0);
    berth_engine_free(e);
}

static void test_launch_and_get(void **state)
{
    (void)state;
    berth_engine_config c = config();
    berth_engine *e = engine_fixture_new(
        &c, (berth_job_type[]){{.name = "NOOP", .run = engine_fixture_noop}, {0}});
    assert_true(each_failure(call_launch, e) > 0);
    assert_true(each_failure(call_launch_unique, e) > 0);
    assert_true(each_failure(call_batch, e) > 0);
    berth_engine_free(e);
}

/* ---- a started engine whose threads run out of memory ---------------------------- */

static int hold(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params, (void)ud;
    berth_ctx_checkin(ctx, "working");   /* a check-in through the completer */
    return 0;
}

typedef struct finished {
    berth_engine *e;
    char (*ids)[25];
    size_t n;
} finished;

static bool all_success(void *arg)
{
    finished *f = arg;
    for (size_t i = 0; i < f->n; i++) {
        char st[32];
        engine_fixture_status(f->e, f->ids[i], st, sizeof st);
        if (strcmp(st, "Success") != 0)
            return false;
    }
    return true;
}

static void test_threads_survive(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine_config c = engine_fixture_config(&rf);
    c.workers = 2;
    c.periodic.enabled = true;
    atomic_store(&every, 0);
    atomic_store(&countdown, -1);   /* hooks in place before any engine thread runs */
    berth_alloc_set_hooks(&(berth_alloc_hooks){fail_malloc, fail_realloc, free});
    berth_engine *e = engine_fixture_start(
        &c, (berth_job_type[]){{.name = "HOLD", .run = hold}, {0}});
    char err[256];
    berth_launch per = {.name = "HOLD", .kind = "Periodic", .cron_spec = "* * * * * *"};
    assert_int_equal(berth_engine_launch(e, &per, NULL, err, sizeof err), 0);
    atomic_store(&failed, 0);
    atomic_store(&every, 5);   /* a launch allocates ~40 times: nearly all are refused */
    int launched = 0, refused = 0;   /* what the API callers see meanwhile */
    for (int i = 0; i < 300; i++) {
        berth_launch l = {.name = "HOLD", .params_json = "{\"i\":1}",
                          .status_hook = "http://127.0.0.1:1/h"};
        int rc = berth_engine_launch(e, &l, NULL, err, sizeof err);
        if (rc != 0 && rc != BERTH_ENOMEM)
            print_error("launch %d: %s (%s)\n", i, berth_strerror(rc), err);
        assert_true(rc == 0 || rc == BERTH_ENOMEM);
        launched += rc == 0, refused += rc == BERTH_ENOMEM;
    }
    wait_sleep_ms(1500);   /* pacing: the threads keep running with every 5th allocation failing */
    atomic_store(&every, 0);
    fprintf(stderr, "under failure: %d launched, %d refused, %ld allocations failed\n",
            launched, refused, atomic_load(&failed));
    assert_true(atomic_load(&failed) > 0);
    assert_true(refused > 0);
    /* memory is back: new jobs run to Success */
    char ids[20][25];
    berth_launch ls[20];
    for (int i = 0; i < 20; i++)
        ls[i] = (berth_launch){.name = "HOLD"};
    assert_int_equal(berth_engine_launch_batch(e, ls, 20, ids, NULL), 0);
    finished f = {e, ids, 20};
    assert_true(wait_until(all_success, &f, 30000));
    assert_int_equal(berth_engine_stop(e), 0);
    berth_engine_free(e);
    berth_alloc_set_hooks(NULL);
}

/* ---- pthread_create fails ------------------------------------------------------------ */

static atomic_int thread_countdown = -1;   /* pthread_create calls left before a failing one */
static atomic_int threads_failed;

/* The test's own pthread_create: the library's calls land here (the executable's
 * definition comes first) and go on to the real one unless a failure is armed. */
int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "pthread_create");
    if (atomic_fetch_sub(&thread_countdown, 1) == 0) {
        atomic_fetch_add(&threads_failed, 1);
        return EAGAIN;
    }
    return real(t, a, fn, arg);
}

static int thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        n += de->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* The thread count is back at *want: a joined thread can stay listed in /proc/self/task
 * for a moment after pthread_join returned (the kernel wakes the joiner before the task
 * is gone); one the engine left running never leaves. */
static bool threads_back_to(void *want)
{
    return thread_count() == *(int *)want;
}

static void *nothing(void *arg)
{
    return arg;
}

static void test_thread_creation_fails(void **state)
{
    (void)state;
    berth_engine_config c = engine_fixture_config(&rf);
    c.workers = 2;
    c.periodic.enabled = true;
    /* one thread made and joined first: TSan starts its own background thread at the
     * process's first pthread_create, which must not count as one the engine left behind */
    pthread_t warm;
    assert_int_equal(pthread_create(&warm, NULL, nothing, NULL), 0);
    pthread_join(warm, NULL);
    int before = thread_count(), refused = 0;
    for (int k = 0; k < 100; k++) {
        berth_engine *e = engine_fixture_new(
            &c, (berth_job_type[]){{.name = "HOLD", .run = hold}, {0}});
        atomic_store(&threads_failed, 0);
        atomic_store(&thread_countdown, k);
        int rc = berth_engine_start(e);
        atomic_store(&thread_countdown, -1);
        int injected = atomic_load(&threads_failed);
        if (injected == 0) {   /* every thread made: the engine runs */
            assert_int_equal(rc, 0);
            assert_true(thread_count() > before);
            berth_engine_free(e);
            assert_true(refused >= 9);   /* 2 workers and 7 threads of its own */
            return;
        }
        assert_int_equal(rc, BERTH_ENOMEM);
        assert_true(wait_until(threads_back_to, &before, 5000));   /* what started was stopped */
        assert_int_equal(berth_engine_start(e), BERTH_ESTATE);
        refused++;
        berth_engine_free(e);
    }
    fail_msg("berth_engine_start never ran without a failed thread");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_new_and_register),
        cmocka_unit_test(test_launch_and_get),
        cmocka_unit_test(test_periodic_and_queries),
        cmocka_unit_test(test_thread_creation_fails),
        cmocka_unit_test(test_threads_survive),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
