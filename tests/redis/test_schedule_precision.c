/* Scheduled jobs never start early (issue 13 item 9). Harbor's run_at is whole seconds, so
 * a job launched at 10.7 s with schedule_delay 1 used to start at 11.0 s, 0.7 s early. On a
 * real redis-server: many Scheduled jobs launched at sub-second offsets each start no
 * earlier than launch + delay (asserted) and soon after it (lateness printed with its p99,
 * bounded generously: the machine is shared). Also: the wire run_at stays Harbor's
 * whole seconds, a stop removes both the gocraft entry and Berth's ms index entry, and an
 * entry that another writer removed from {ns}:scheduled (Harbor's stop) does not run. */
#include "test.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "redis_fixture.h"
#include "wait.h"

#define JOBS 100
#define SPACING_MS 13

static redis_fixture rf;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long long started_us[JOBS];   /* wall clock µs at the start of job i, 0 = not run */

/* Microseconds: the check must see a start a fraction of a millisecond early (a due time
 * rounded down to the millisecond let a caller see its job start up to 1 ms early). */
static long long wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int record(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx, (void)ud;
    long long now = wall_us();
    const char *p = params ? strstr(params, "\"i\":") : NULL;
    int i = p ? atoi(p + 4) : -1;
    if (i >= 0 && i < JOBS) {
        pthread_mutex_lock(&mu);
        started_us[i] = now;
        pthread_mutex_unlock(&mu);
    }
    return 0;
}

static berth_engine *start(void)
{
    berth_engine_config cfg = engine_fixture_config(&rf);
    return engine_fixture_start(&cfg, (berth_job_type[]){{.name = "REC", .run = record}, {0}});
}

static char *launch(berth_engine *e, int i, uint64_t delay, int64_t *run_at)
{
    char params[32], err[256];
    snprintf(params, sizeof params, "{\"i\":%d}", i);
    berth_stats *st = NULL;
    assert_int_equal(berth_engine_launch(e, &(berth_launch){.name = "REC", .kind = "Scheduled",
                                                           .schedule_delay = delay,
                                                           .params_json = params},
                                         &st, err, sizeof err), 0);
    char *id = strdup(st->id);
    if (run_at)
        *run_at = st->run_at;
    berth_stats_free(st);
    return id;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static void test_never_early(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    memset(started_us, 0, sizeof started_us);
    berth_engine *e = start();
    static long long due_us[JOBS];
    static char *ids[JOBS];
    for (int i = 0; i < JOBS; i++) {
        int64_t run_at = 0;
        long long before = wall_us();
        due_us[i] = before + 1000000;
        ids[i] = launch(e, i, 1, &run_at);
        /* run_at on the wire: Harbor's whole seconds, launch second + delay */
        assert_in_range(run_at, before / 1000000 + 1, wall_us() / 1000000 + 1);
        wait_sleep_ms(SPACING_MS);   /* pacing the launches, not a check */
    }
    for (int i = 0; i < JOBS; i++) {
        assert_true(engine_fixture_wait_status(e, ids[i], "Success", 30000));
        free(ids[i]);
    }
    long long late[JOBS];
    int early = 0;
    pthread_mutex_lock(&mu);
    for (int i = 0; i < JOBS; i++) {
        late[i] = started_us[i] - due_us[i];
        if (late[i] < 0) {
            fprintf(stderr, "job %d started %lld us early\n", i, -late[i]);
            early++;
        }
    }
    pthread_mutex_unlock(&mu);
    qsort(late, JOBS, sizeof late[0], cmp_ll);
    printf("scheduled lateness over %d jobs: min %.3f ms, p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
           JOBS, late[0] / 1e3, late[JOBS / 2] / 1e3, late[JOBS * 99 / 100 - 1] / 1e3,
           late[JOBS - 1] / 1e3);
    assert_int_equal(early, 0);
    assert_true(late[JOBS - 1] < 2000000);   /* 2 s, generous: a loaded shared machine */
    berth_engine_stop(e);
    berth_engine_free(e);
}

static void test_stop_clears_both(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine *e = start();
    char *id = launch(e, 0, 600, NULL);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:scheduled"), 1);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:berth:scheduled_ms"), 1);
    assert_int_equal(berth_engine_stop_job(e, id), 0);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:scheduled"), 0);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:berth:scheduled_ms"), 0);
    char status[32];
    engine_fixture_status(e, id, status, sizeof status);
    assert_string_equal(status, "Stopped");
    free(id);
    berth_engine_stop(e);
    berth_engine_free(e);
}

/* Harbor stops a Scheduled job by deleting its {ns}:scheduled entry (gocraft's
 * DeleteScheduledJob) without knowing Berth's index: the job must not run. */
static void test_removed_elsewhere_not_run(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    memset(started_us, 0, sizeof started_us);
    berth_engine *e = start();
    char *gone = launch(e, 1, 1, NULL);
    redisContext *c = redisConnectUnix(rf.sock);
    redisReply *r = redisCommand(c, "ZRANGE {t}:scheduled 0 -1");
    assert_non_null(r);
    assert_int_equal(r->elements, 1);
    redisReply *z = redisCommand(c, "ZREM {t}:scheduled %s", r->element[0]->str);
    assert_int_equal(z->integer, 1);
    freeReplyObject(z);
    freeReplyObject(r);
    redisFree(c);
    char *later = launch(e, 2, 1, NULL);     /* due after the removed one */
    assert_true(engine_fixture_wait_status(e, later, "Success", 10000));
    pthread_mutex_lock(&mu);
    long long ran = started_us[1];
    pthread_mutex_unlock(&mu);
    assert_int_equal(ran, 0);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:berth:scheduled_ms"), 0);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:REC"), 0);
    free(gone);
    free(later);
    berth_engine_stop(e);
    berth_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_never_early),
        cmocka_unit_test(test_stop_clears_both),
        cmocka_unit_test(test_removed_elsewhere_not_run),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
