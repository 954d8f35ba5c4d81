/* Running means running (issue 13 item 5): a job is marked Running, and its Running hook
 * queued, when a worker starts it, not when the fetcher takes it ahead of a free worker
 * (prefetch, on by default for short jobs). On a real redis-server with one worker held
 * by a BLOCK job while short FAST jobs arrive (the fetcher may take them ahead):
 *  - a paused queue: the FAST jobs stay Pending, go back to their queue and are not
 *    started while the queue is paused, then all run after the resume;
 *  - a stop of a FAST job waiting for the worker stops it, and it never runs;
 *  - no Running hook for a FAST job while the worker is busy; it comes once the worker is
 *    free (the delay is printed). */
#include "test.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "hook_receiver.h"
#include "wait.h"

#define FAST_N 5

static redis_fixture rf;
static atomic_bool release_block;
static atomic_llong fast_started[FAST_N];   /* monotonic ms when FAST i started, 0 = never */

static int block(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params, (void)ud;
    while (!atomic_load(&release_block) && !berth_ctx_sleep(ctx, 5))
        ;
    return 0;
}

static int fast(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx, (void)ud;
    const char *p = params ? strstr(params, "\"i\":") : NULL;
    int i = p ? atoi(p + 4) : -1;
    if (i >= 0 && i < FAST_N)
        atomic_store(&fast_started[i], wait_now_ms());
    return 0;
}

static berth_engine *start(void)
{
    atomic_store(&release_block, false);
    for (int i = 0; i < FAST_N; i++)
        atomic_store(&fast_started[i], 0);
    redis_fixture_flush(&rf);
    berth_engine_config c = engine_fixture_config(&rf);
    c.workers = 1;
    c.fetch_batch = 16;
    return engine_fixture_start(&c, (berth_job_type[]){{.name = "BLOCK", .run = block},
                                                        {.name = "FAST", .run = fast}, {0}});
}

static char *launch(berth_engine *e, const char *name, int i, const char *hook)
{
    char params[32], err[256];
    snprintf(params, sizeof params, "{\"i\":%d}", i);
    berth_stats *st = NULL;
    assert_int_equal(berth_engine_launch(e, &(berth_launch){.name = name, .params_json = params,
                                                           .status_hook = hook},
                                         &st, err, sizeof err), 0);
    char *id = strdup(st->id);
    berth_stats_free(st);
    return id;
}

/* The worker is held by BLOCK (Running), then FAST_N FAST jobs are launched at once. */
static char *hold_worker(berth_engine *e, char **ids, const char *hook)
{
    char *blk = launch(e, "BLOCK", 0, NULL);
    assert_true(engine_fixture_wait_status(e, blk, "Running", 10000));
    for (int i = 0; i < FAST_N; i++)
        ids[i] = launch(e, "FAST", i, hook);
    return blk;
}


static void assert_status(berth_engine *e, const char *id, const char *want)
{
    char st[32];
    engine_fixture_status(e, id, st, sizeof st);
    if (strcmp(st, want) != 0)
        fprintf(stderr, "job %s is %s, expected %s\n", id, st, want);
    assert_string_equal(st, want);
}

static void test_paused_queue_not_started(void **state)
{
    (void)state;
    berth_engine *e = start();
    char *ids[FAST_N];
    char *blk = hold_worker(e, ids, NULL);
    redis_fixture_int(&rf, "SET {t}:jobs:FAST:paused 1");   /* core pauses with this key */
    long long taken = FAST_N - redis_fixture_int(&rf, "LLEN {t}:jobs:FAST");
    printf("FAST jobs taken ahead of the worker before the pause: %lld of %d\n", taken, FAST_N);
    for (int i = 0; i < FAST_N; i++)
        assert_status(e, ids[i], "Pending");
    /* whatever the fetcher took ahead goes back to the paused queue */
    assert_true(redis_fixture_wait_int(&rf, FAST_N, 5000, "LLEN {t}:jobs:FAST"));
    atomic_store(&release_block, true);
    assert_true(engine_fixture_wait_status(e, blk, "Success", 10000));
    for (int i = 0; i < FAST_N; i++) {
        assert_status(e, ids[i], "Pending");
        assert_int_equal(atomic_load(&fast_started[i]), 0);
    }
    long long resumed = wait_now_ms();
    assert_int_equal(redis_fixture_int(&rf, "DEL {t}:jobs:FAST:paused"), 1);
    for (int i = 0; i < FAST_N; i++) {
        assert_true(engine_fixture_wait_status(e, ids[i], "Success", 10000));
        assert_true(atomic_load(&fast_started[i]) >= resumed);
        free(ids[i]);
    }
    free(blk);
    berth_engine_stop(e);
    berth_engine_free(e);
}

static void test_stop_waiting_job(void **state)
{
    (void)state;
    berth_engine *e = start();
    char *ids[FAST_N];
    char *blk = hold_worker(e, ids, NULL);
    assert_status(e, ids[2], "Pending");
    assert_int_equal(berth_engine_stop_job(e, ids[2]), 0);
    assert_status(e, ids[2], "Stopped");
    atomic_store(&release_block, true);
    for (int i = 0; i < FAST_N; i++)
        if (i != 2)
            assert_true(engine_fixture_wait_status(e, ids[i], "Success", 10000));
    assert_status(e, ids[2], "Stopped");
    assert_int_equal(atomic_load(&fast_started[2]), 0);
    /* nothing left held: no lease, no running entry, no concurrency count */
    assert_true(engine_fixture_wait_status(e, blk, "Success", 10000));
    assert_true(redis_fixture_wait_int(&rf, 0, 5000, "ZCARD {t}:berth:leases"));
    assert_int_equal(redis_fixture_int(&rf, "EVAL %s 0 {t}:berth:batch:*",
                                       "return #redis.call('KEYS', ARGV[1])"), 0);
    for (int i = 0; i < FAST_N; i++)
        free(ids[i]);
    free(blk);
    berth_engine_stop(e);
    berth_engine_free(e);
}

/* How many delivered hooks say (job id, status). */
static size_t hooks_of(hook_receiver *hr, const char *id, const char *status)
{
    char *bodies[64];
    size_t n = hr_delivered(hr, bodies, 64), hits = 0;
    for (size_t i = 0; i < n && i < 64; i++) {
        json_t *j = json_loads(bodies[i], 0, NULL);
        const char *jid = json_string_value(json_object_get(j, "job_id"));
        const char *st = json_string_value(json_object_get(j, "status"));
        hits += jid && st && strcmp(jid, id) == 0 && strcmp(st, status) == 0;
        json_decref(j);
        free(bodies[i]);
    }
    return hits;
}

struct hook_wait {
    hook_receiver *hr;
    const char *id;
};

static bool running_hook_seen(void *arg)
{
    struct hook_wait *w = arg;
    return hooks_of(w->hr, w->id, "Running") > 0;
}

static void test_running_hook_when_worker_free(void **state)
{
    (void)state;
    hook_receiver *hr = hr_start();
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/service/notifications/tasks/1", hr_port(hr));
    berth_engine *e = start();
    char *ids[FAST_N];
    char *blk = hold_worker(e, ids, url);
    /* negative check: give a fetch ahead, its (wrong) Running hook and a hand-back time
     * to happen (the queue length may never come back on a build that marks them Running) */
    redis_fixture_wait_int(&rf, FAST_N, 2000, "LLEN {t}:jobs:FAST");
    wait_sleep_ms(200);
    for (int i = 0; i < FAST_N; i++) {
        assert_status(e, ids[i], "Pending");
        assert_int_equal(hooks_of(hr, ids[i], "Running"), 0);
    }
    long long freed = wait_now_ms();
    atomic_store(&release_block, true);
    struct hook_wait w = {hr, ids[0]};
    assert_true(wait_until(running_hook_seen, &w, 10000));
    assert_int_equal(hooks_of(hr, ids[0], "Running"), 1);
    printf("first Running hook %lld ms after the worker was freed\n",
           wait_now_ms() - freed);
    for (int i = 0; i < FAST_N; i++) {
        assert_true(engine_fixture_wait_status(e, ids[i], "Success", 10000));
        free(ids[i]);
    }
    free(blk);
    berth_engine_stop(e);
    berth_engine_free(e);
    hr_stop(hr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paused_queue_not_started),
        cmocka_unit_test(test_stop_waiting_job),
        cmocka_unit_test(test_running_hook_when_worker_free),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
