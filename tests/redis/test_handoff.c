/* The workers' hand-off (src/engine/fifo.c, worker.c, fetcher.c) on a real redis-server.
 * Short runs are handed to the few workers awake and the others wait idle (the drain's speed);
 * these tests hold the other side of that bargain:
 *  - slow jobs use every worker at once: 10 (and 32) jobs that each block until all of them
 *    run, on an engine of as many workers with the default fetch batch, all start;
 *  - short jobs queued behind a worker stuck in a long run are taken by another worker (the
 *    fetcher's kick), while the long run still runs;
 *  - a stopping engine hands back runs that wait for a worker and never starts them;
 *  - a run queued in the node behind a worker in a long run starts on another worker while
 *    the fetcher is blocked in a slow Redis call (a relay holds its next fetch's reply):
 *    the ready queue's watcher, not the fetcher's kick (src/engine/fifo.h). */
#include "test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "redis_relay.h"
#include "wait.h"

static redis_fixture rf;
static atomic_int gathered, want_gathered, most_at_once, now_running;
static atomic_int fast_runs;
static atomic_bool release_long;

/* Runs until want_gathered jobs of its kind run at once (20 s at most: then it fails). */
static int gather(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params, (void)ud;
    int now = atomic_fetch_add(&now_running, 1) + 1;
    for (int m = atomic_load(&most_at_once); now > m;)
        if (atomic_compare_exchange_weak(&most_at_once, &m, now))
            break;
    atomic_fetch_add(&gathered, 1);
    long long until = wait_now_ms() + 20000;
    while (atomic_load(&gathered) < atomic_load(&want_gathered) && wait_now_ms() < until &&
           !berth_ctx_sleep(ctx, 1))
        ;
    atomic_fetch_sub(&now_running, 1);
    return atomic_load(&gathered) >= atomic_load(&want_gathered) ? 0 : 1;
}

static int long_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params, (void)ud;
    while (!atomic_load(&release_long) && !berth_ctx_sleep(ctx, 2))
        ;
    return 0;
}

static int fast(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx, (void)params, (void)ud;
    atomic_fetch_add(&fast_runs, 1);
    return 0;
}

/* LONG or FAST by its parameters, so that both kinds share one queue (one order). */
static atomic_int mixed_fast_runs, held_runs;
static int mixed(berth_ctx *ctx, const char *params, void *ud)
{
    if (params && strstr(params, "\"long\""))
        return long_run(ctx, params, ud);
    atomic_fetch_add(params && strstr(params, "held-") ? &held_runs : &mixed_fast_runs, 1);
    return 0;
}

static const berth_job_type types[] = {{.name = "GATHER", .run = gather},
                                       {.name = "LONG", .run = long_run},
                                       {.name = "FAST", .run = fast},
                                       {.name = "MIXED", .run = mixed}, {0}};

static berth_engine *start(unsigned workers, unsigned grace_ms)
{
    atomic_store(&gathered, 0);
    atomic_store(&most_at_once, 0);
    atomic_store(&now_running, 0);
    atomic_store(&fast_runs, 0);
    atomic_store(&release_long, false);
    redis_fixture_flush(&rf);
    berth_engine_config c = engine_fixture_config(&rf);
    c.workers = workers;
    c.fetch_batch = 0;   /* the default */
    c.lease_ms = 30000;
    if (grace_ms)
        c.grace_ms = grace_ms;
    return engine_fixture_start(&c, types);
}

static void launch_n(berth_engine *e, const char *name, int n, char **ids)
{
    berth_launch l[64];
    char got[64][25];
    int results[64];
    assert_true(n <= 64);
    for (int i = 0; i < n; i++)
        l[i] = (berth_launch){.name = name};
    assert_int_equal(berth_engine_launch_batch(e, l, (size_t)n, got, results), 0);
    for (int i = 0; i < n; i++) {
        assert_int_equal(results[i], 0);
        if (ids)
            ids[i] = strdup(got[i]);
    }
}

typedef struct count_at_least {
    atomic_int *v;
    int n;
} count_at_least;

static bool reached(void *arg)
{
    count_at_least *c = arg;
    return atomic_load(c->v) >= c->n;
}

static void every_worker_used(unsigned workers)
{
    atomic_store(&want_gathered, (int)workers);
    berth_engine *e = start(workers, 0);
    char *ids[64];
    launch_n(e, "GATHER", (int)workers, ids);
    bool all = wait_until(reached, &(count_at_least){&gathered, (int)workers}, 15000);
    if (!all)
        fprintf(stderr, "only %d of %u slow jobs started at once\n", atomic_load(&gathered),
                workers);
    assert_true(all);
    for (unsigned i = 0; i < workers; i++) {
        assert_true(engine_fixture_wait_status(e, ids[i], "Success", 10000));
        free(ids[i]);
    }
    assert_int_equal(atomic_load(&most_at_once), (int)workers);
    berth_engine_free(e);
}

static void test_slow_jobs_use_all_10_workers(void **state)
{
    (void)state;
    every_worker_used(10);
}

static void test_slow_jobs_use_all_32_workers(void **state)
{
    (void)state;
    every_worker_used(32);
}

/* The worker awake is stuck in LONG; 40 FAST jobs queued behind it all run meanwhile. */
static void test_short_jobs_pass_a_stuck_worker(void **state)
{
    (void)state;
    berth_engine *e = start(10, 0);
    char *id;
    launch_n(e, "LONG", 1, &id);
    assert_true(engine_fixture_wait_status(e, id, "Running", 10000));
    launch_n(e, "FAST", 40, NULL);
    assert_true(wait_until(reached, &(count_at_least){&fast_runs, 40}, 10000));
    char st[32];
    engine_fixture_status(e, id, st, sizeof st);
    assert_string_equal(st, "Running");   /* they did not wait for LONG */
    atomic_store(&release_long, true);
    assert_true(engine_fixture_wait_status(e, id, "Success", 10000));
    free(id);
    berth_engine_free(e);
}

/* One worker held by LONG, FAST jobs queued (some may wait in the node's ready queue,
 * fetched ahead): a stop after the grace hands LONG and every FAST back to the queue and
 * no FAST starts. */
static void test_stop_hands_back_waiting_runs(void **state)
{
    (void)state;
    berth_engine *e = start(1, 300);
    char *id;
    launch_n(e, "LONG", 1, &id);
    assert_true(engine_fixture_wait_status(e, id, "Running", 10000));
    launch_n(e, "FAST", 8, NULL);
    assert_int_equal(berth_engine_stop(e), 0);
    assert_int_equal(atomic_load(&fast_runs), 0);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:FAST"), 8);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:LONG"), 1);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:berth:leases"), 0);
    berth_engine_free(e);
    free(id);
}

static bool reply_held(void *arg)
{
    return rr_cuts(arg) >= 1;
}

/* Two workers, fetch batch 2, Redis through a relay. One launch queues LONG, FAST and a
 * third job (in that order, one queue): the first fetch takes LONG and FAST, full, so the
 * fetcher fetches again at once, and the relay holds that fetch's reply (the one carrying
 * the third job) for HOLD_MS. One worker is in LONG, FAST waits in ready, the fetcher is
 * blocked in Redis: FAST must start on the other worker meanwhile (the spread rule's 1 ms),
 * not when the reply comes back. The third job not having run proves the reply was still
 * held. Without the watcher FAST waits the whole HOLD_MS. */
#define HOLD_MS 4000
static void test_queued_run_starts_while_fetcher_blocked(void **state)
{
    (void)state;
    atomic_store(&mixed_fast_runs, 0), atomic_store(&held_runs, 0);
    atomic_store(&release_long, false);
    redis_fixture_flush(&rf);
    redis_relay *relay = rr_start(rf.port);
    assert_non_null(relay);
    berth_engine_config c = engine_fixture_config(&rf), cl = c;
    c.redis_unix = NULL;
    c.redis_host = "127.0.0.1";
    c.redis_port = rr_port(relay);
    c.workers = 2;
    c.fetch_batch = 2;
    c.lease_ms = 30000;
    berth_engine *e = engine_fixture_start(&c, types);
    berth_engine *launcher = engine_fixture_new(&cl, types);   /* not through the relay */
    char tag[48], held[80];
    snprintf(tag, sizeof tag, "held-%lld", wait_now_ms());
    snprintf(held, sizeof held, "{\"tag\":\"%s\"}", tag);
    rr_arm_delay(relay, HOLD_MS, (const char *const[]){tag, NULL});
    berth_launch l[3] = {{.name = "MIXED", .params_json = "{\"long\":1}"},
                         {.name = "MIXED", .params_json = "{\"fast\":1}"},
                         {.name = "MIXED", .params_json = held}};
    char ids[3][25];
    int results[3];
    assert_int_equal(berth_engine_launch_batch(launcher, l, 3, ids, results), 0);
    assert_true(wait_until(reply_held, relay, 10000));
    bool started = wait_until(reached, &(count_at_least){&mixed_fast_runs, 1}, HOLD_MS * 3 / 4);
    int held_seen = atomic_load(&held_runs);
    if (!started || held_seen)
        fprintf(stderr, "FAST started: %d, the held job ran: %d (the fetch reply held %d ms)\n",
                started, held_seen, HOLD_MS);
    assert_true(started);
    assert_int_equal(held_seen, 0);   /* FAST started while the reply was still held */
    atomic_store(&release_long, true);
    for (int i = 0; i < 3; i++)
        assert_true(engine_fixture_wait_status(e, ids[i], "Success", 3 * HOLD_MS));
    berth_engine_free(e);
    berth_engine_free(launcher);
    rr_stop(relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_jobs_use_all_10_workers),
        cmocka_unit_test(test_slow_jobs_use_all_32_workers),
        cmocka_unit_test(test_short_jobs_pass_a_stuck_worker),
        cmocka_unit_test(test_stop_hands_back_waiting_runs),
        cmocka_unit_test(test_queued_run_starts_while_fetcher_blocked),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
