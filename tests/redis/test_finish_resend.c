/* A completer batch sent again after its reply was lost (src/engine/completer.c sends the
 * same batch until Redis answers; finish.lua): Redis ran the first attempt — the run's
 * final status and its hook event are written — but the answer never reached the node,
 * so the node sends the batch again. The second attempt must recognise the end it already
 * applied (same final status at the same revision) and write nothing: no second hook
 * event in the outbox (a receiver would get the final status twice), no second retry
 * entry (the job would run twice), and it still answers "ok" so that the host hears of the
 * end once.
 *
 * The lost reply is real: a relay between the engine and a real redis-server
 * (tests/support/redis_relay.h) forwards the finish call and drops its reply, then cuts
 * the connection. The run is held at a gate until its start is in Redis, so that the next
 * call naming the job is its end. Hooks are not delivered by this node (hooks_disabled):
 * the outbox keeps every event written. */
#include "test.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "redis_fixture.h"
#include "redis_relay.h"
#include "wait.h"

static redis_fixture rf;
static redis_relay *relay;

/* The gate the run waits at. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static atomic_int runs;

/* Final-status events the host heard of (on_event, on the completer's thread). */
static atomic_int ended_events;

static int gated(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ud;
    atomic_fetch_add(&runs, 1);
    pthread_mutex_lock(&gate_mu);
    while (!gate_open)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    if (params && strstr(params, "\"fail\""))
        return berth_ctx_fail(ctx, "failed on purpose");
    return 0;
}

static void open_gate(bool open)
{
    pthread_mutex_lock(&gate_mu);
    gate_open = open;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

static void on_event(const berth_status_event *ev, void *ud)
{
    (void)ud;
    if (ev->status && (strcmp(ev->status, "Success") == 0 || strcmp(ev->status, "Error") == 0))
        atomic_fetch_add(&ended_events, 1);
}

static bool one_event(void *arg)
{
    (void)arg;
    return atomic_load(&ended_events) >= 1;
}

/* Hook events in the outbox for job id with status st. */
static int hook_events(const char *id, const char *st)
{
    redisReply *r = redis_fixture_cmd(&rf, "XRANGE {t}:berth:hooks - +");
    assert_non_null(r);
    int n = 0;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const redisReply *f = r->element[i]->element[1];
        bool job = false, status = false;
        for (size_t k = 0; k + 1 < f->elements; k += 2) {
            job = job || (strcmp(f->element[k]->str, "j") == 0 &&
                          strcmp(f->element[k + 1]->str, id) == 0);
            status = status || (strcmp(f->element[k]->str, "s") == 0 &&
                                strcmp(f->element[k + 1]->str, st) == 0);
        }
        n += job && status;
    }
    freeReplyObject(r);
    return n;
}

/* One run through the relay whose end's reply is lost; returns the engine (stopped by the
 * caller) and the job's id in id. */
static berth_engine *run_with_lost_end(const char *params, char id[64])
{
    redis_fixture_flush(&rf);
    atomic_store(&ended_events, 0);
    atomic_store(&runs, 0);
    open_gate(false);
    berth_engine_config cfg = engine_fixture_config(&rf);
    cfg.redis_unix = NULL;
    cfg.redis_host = "127.0.0.1";
    cfg.redis_port = rr_port(relay);
    cfg.workers = 1;
    cfg.hooks_disabled = true;
    cfg.backoff_scale = 1;   /* a retry entry stays in the retry set while the test looks */
    cfg.on_event = on_event;
    berth_job_type types[] = {{.name = "GATED", .run = gated, .max_fails = 3}, {0}};
    berth_engine *e = engine_fixture_start(&cfg, types);
    berth_stats *s = NULL;
    char err[256];
    berth_launch l = {.name = "GATED", .params_json = params,
                      .status_hook = "http://127.0.0.1:9/hook"};
    assert_int_equal(berth_engine_launch(e, &l, &s, err, sizeof err), 0);
    snprintf(id, 64, "%s", s->id);
    berth_stats_free(s);
    /* its start is in Redis: the next call that names the job is its end */
    assert_true(engine_fixture_wait_status(e, id, "Running", 10000));
    int cuts = rr_cuts(relay);
    rr_arm(relay, RR_DROP_REPLY, 0, (const char *const[]){id, NULL});
    open_gate(true);
    assert_true(wait_until(one_event, NULL, 10000));   /* answered: the batch sent again */
    assert_int_equal(rr_cuts(relay), cuts + 1);        /* and its first reply was lost */
    return e;
}

static void success_sent_again_queues_one_hook(void **state)
{
    (void)state;
    char id[64];
    berth_engine *e = run_with_lost_end("{}", id);
    char st[32];
    engine_fixture_status(e, id, st, sizeof st);
    assert_string_equal(st, "Success");
    assert_int_equal(hook_events(id, "Running"), 1);
    assert_int_equal(hook_events(id, "Success"), 1);
    berth_engine_free(e);
    assert_int_equal(atomic_load(&ended_events), 1);
    assert_int_equal(atomic_load(&runs), 1);
}

static void error_sent_again_queues_one_hook_and_one_retry(void **state)
{
    (void)state;
    char id[64];
    berth_engine *e = run_with_lost_end("{\"fail\":true}", id);
    char st[32];
    engine_fixture_status(e, id, st, sizeof st);
    assert_string_equal(st, "Error");
    assert_int_equal(hook_events(id, "Error"), 1);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:retry"), 1);
    berth_engine_free(e);
    assert_int_equal(atomic_load(&ended_events), 1);
}

static int relay_up(void **state)
{
    (void)state;
    relay = rr_start(rf.port);
    return relay ? 0 : -1;
}

static int relay_down(void **state)
{
    (void)state;
    rr_stop(relay);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(success_sent_again_queues_one_hook, relay_up,
                                        relay_down),
        cmocka_unit_test_setup_teardown(error_sent_again_queues_one_hook_and_one_retry,
                                        relay_up, relay_down),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
