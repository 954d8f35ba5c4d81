/* A node that stalls between fetching a run and starting it must not start it once
 * another node has taken it over (src/engine/heartbeat.c heartbeat_lease_confirm, called
 * by the worker). Found by the chaos test's frozen node (tests/slow/test_chaos_kill.c): a
 * node stopped with SIGSTOP right after a fetch woke up seconds later and started the run
 * under its old revision, after the job had run and ended elsewhere.
 *
 * Reproduced here with two engines on one real redis-server: engine A reaches Redis through
 * a relay (tests/support/redis_relay.h) that holds the reply of A's fetch of the job for
 * three leases (the fetch ran in Redis on time: the job is A's, under a lease nobody
 * renews); meanwhile the lease expires, a heartbeat requeues the job and engine B runs it
 * to Success. Then A gets its reply. The job must have run once, on B, and A must say it
 * did not start it. A second test: a run held the same way but not taken over (B does not
 * run that type) is started by A, after its lease was confirmed and renewed. */
#include "test.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "redis_fixture.h"
#include "redis_relay.h"
#include "wait.h"

#define LEASE_MS 1000

static redis_fixture rf;
static atomic_int runs_a, runs_b, said_not_started;

static int on_a(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx, (void)params, (void)ud;
    atomic_fetch_add(&runs_a, 1);
    return 0;
}

static int on_b(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx, (void)params, (void)ud;
    atomic_fetch_add(&runs_b, 1);
    return 0;
}

static void log_a(berth_log_level lvl, const char *file, int line, const char *msg, void *ud)
{
    (void)lvl, (void)file, (void)line, (void)ud;
    if (strstr(msg, "not started") && strstr(msg, "taken over by another node"))
        atomic_fetch_add(&said_not_started, 1);
}

/* A got its fetch's reply and dealt with the run: started it or said it would not. */
static bool a_decided(void *arg)
{
    (void)arg;
    return atomic_load(&said_not_started) + atomic_load(&runs_a) >= 1;
}

static berth_engine_config config(int port)
{
    berth_engine_config c = engine_fixture_config(&rf);
    if (port) {   /* through the relay */
        c.redis_unix = NULL;
        c.redis_host = "127.0.0.1";
        c.redis_port = port;
    }
    c.lease_ms = LEASE_MS;
    c.workers = 1;
    return c;
}

/* Launches FENCED through launcher (an engine that is not started) with a parameter only
 * this launch has, the relay armed first to hold the reply that carries it — A's fetch of
 * the job — for delay_ms. Returns the job's id (caller frees). */
static char *launch_held(berth_engine *launcher, redis_relay *relay, int delay_ms)
{
    char params[64], tag[48];
    snprintf(tag, sizeof tag, "held-%lld", wait_now_ms());
    snprintf(params, sizeof params, "{\"tag\":\"%s\"}", tag);
    rr_arm_delay(relay, delay_ms, (const char *const[]){tag, NULL});
    berth_stats *s = NULL;
    char err[256];
    berth_launch l = {.name = "FENCED", .params_json = params};
    assert_int_equal(berth_engine_launch(launcher, &l, &s, err, sizeof err), 0);
    char *id = strdup(s->id);
    berth_stats_free(s);
    return id;
}

static bool reply_held(void *arg)
{
    return rr_cuts(arg) >= 1;
}

/* Engine A (through the relay) and the launcher, the job launched and A's fetch reply
 * held for delay_ms. */
typedef struct scene {
    redis_relay *relay;
    berth_engine *a, *launcher;
    char *id;
} scene;

static scene set_scene(int delay_ms)
{
    redis_fixture_flush(&rf);
    atomic_store(&runs_a, 0), atomic_store(&runs_b, 0), atomic_store(&said_not_started, 0);
    scene sc = {.relay = rr_start(rf.port)};
    assert_non_null(sc.relay);
    berth_engine_config ca = config(rr_port(sc.relay)), cb = config(0);
    ca.log = log_a;
    sc.a = engine_fixture_start(&ca, (berth_job_type[]){{.name = "FENCED", .run = on_a}, {0}});
    sc.launcher = engine_fixture_new(&cb, (berth_job_type[]){{.name = "FENCED", .run = on_b}, {0}});
    sc.id = launch_held(sc.launcher, sc.relay, delay_ms);
    /* A's fetch ran in Redis (the job is A's, under a lease nobody renews); its reply waits */
    assert_true(wait_until(reply_held, sc.relay, 10000));
    return sc;
}

static void end_scene(scene *sc)
{
    berth_engine_free(sc->a);
    berth_engine_free(sc->launcher);
    free(sc->id);
    rr_stop(sc->relay);
}

static void taken_over_run_is_not_started(void **state)
{
    (void)state;
    scene sc = set_scene(3 * LEASE_MS);
    berth_engine_config cb = config(0);
    berth_engine *b =
        engine_fixture_start(&cb, (berth_job_type[]){{.name = "FENCED", .run = on_b}, {0}});
    /* the lease runs out, a heartbeat requeues the job, B runs it */
    assert_true(engine_fixture_wait_status(b, sc.id, "Success", 10000));
    /* then A gets its fetch's reply, and must not start the run */
    assert_true(wait_until(a_decided, NULL, 10000));
    assert_int_equal(atomic_load(&runs_a), 0);   /* a stale start: the job ran twice */
    assert_int_equal(atomic_load(&said_not_started), 1);
    assert_int_equal(atomic_load(&runs_b), 1);
    berth_engine_free(b);
    end_scene(&sc);
}

/* A run held for half a lease (longer than the two fifths after which the worker asks)
 * whose lease nobody took: it runs, once. */
static void run_held_within_its_lease_runs_once(void **state)
{
    (void)state;
    scene sc = set_scene(LEASE_MS / 2);
    assert_true(engine_fixture_wait_status(sc.a, sc.id, "Success", 10000));
    assert_int_equal(atomic_load(&runs_a), 1);
    assert_int_equal(atomic_load(&runs_b), 0);
    end_scene(&sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(taken_over_run_is_not_started),
        cmocka_unit_test(run_held_within_its_lease_runs_once),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
