/* Out of memory is a return code, never a crash (issue 12 item 5): the allocation seam of
 * src/util/alloc.h fails the k-th allocation, for every k from the first until a call
 * needs fewer, and each main public entry point must then answer 0 or BERTH_ENOMEM, leave
 * nothing behind (ASan's leak check in the asan preset) and work again once memory is back.
 *
 * The engine is never started here, so no engine thread allocates while a failure is
 * armed: the k-th allocation is the k-th of the call under test. hiredis and jansson
 * allocate with libc directly and are not failed by the seam. */
#include "test.h"

#include <stdatomic.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "redis_fixture.h"
#include "util/alloc.h"

static redis_fixture rf;
static atomic_long countdown;    /* allocations left before the failing one; < 0: off */
static atomic_long failed;       /* failures injected since the last arm */

static bool take(void)
{
    long left = atomic_fetch_sub(&countdown, 1);
    if (left != 0)
        return true;
    atomic_fetch_add(&failed, 1);
    return false;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_new_and_register),
        cmocka_unit_test(test_launch_and_get),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
