/* The heartbeat thread: keeps this node visible (gocraft pool heartbeat, worker
 * observations, both read by Harbor core's monitor), renews the leases of the runs this
 * node holds, re-checks running jobs for stops that pub/sub may have missed, and reaps:
 * any node requeues runs whose lease expired (their node died), within one lease (see
 * heartbeat_lease_deadline_ms in internal.h for the arithmetic). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/internal.h"
#include "model/params.h"
#include "util/alloc.h"

static unsigned interval_ms(const berth_engine *e)
{
    unsigned ms = e->cfg.lease_ms / 5;
    return ms < 5000 ? (ms < 100 ? 100 : ms) : 5000;  /* Harbor calls a pool dead at 10 s */
}

int64_t heartbeat_lease_deadline_ms(const berth_engine *e)
{
    return clock_wall_ms() + e->cfg.lease_ms * 3 / 5;
}

/* 1 when r's batch still holds its lease (renewed here if its deadline has passed), 0
 * when a node reaped it, -1 when Redis cannot say. */
static int lease_alive(berth_engine *e, rconn *rc, const run *r)
{
    char bid[160];
    snprintf(bid, sizeof bid, "%s:%llu", e->pool_id, (unsigned long long)r->batch);
    rreply *rep = rconn_cmd(rc, "ZSCORE %sberth:leases %s", e->prefix, bid);
    double deadline = 0;
    int alive = !rconn_ok(rc, rep) ? -1 : rreply_is_nil(rep) ? 0
                : rreply_number(rc, rep, &deadline) != 0 ? -1 : 1;
    rreply_free(rep);
    if (alive == 1 && deadline <= (double)clock_wall_ms()) {
        /* expired, not reaped yet: renew it unless a reaper is faster (the new deadline
         * is later than the old one, so CH counts it) */
        long long changed = 0;
        rep = rconn_cmd(rc, "ZADD %sberth:leases XX CH %lld %s", e->prefix,
                        (long long)heartbeat_lease_deadline_ms(e), bid);
        alive = !rconn_ok(rc, rep) || rreply_integer(rc, rep, &changed) != 0 ? -1
                : changed == 1;
        rreply_free(rep);
    }
    return alive;
}

bool heartbeat_lease_confirm(berth_engine *e, const run *r)
{
    int64_t waited_us = clock_mono_us() - r->fetched_us;
    if (waited_us < (int64_t)e->cfg.lease_ms * 400)   /* two fifths of the lease, in µs */
        return true;
    rconn *rc = NULL;
    int alive = engine_conn_take(e, &rc) == 0 ? lease_alive(e, rc, r) : -1;
    engine_conn_put(e, rc);
    if (alive != 1)
        BLOG_WARN(&e->log, "job %s not started: it waited %lld ms for a worker and its lease "
                  "%s; it runs again from its queue", r->id, (long long)(waited_us / 1000),
                  alive == 0 ? "was taken over by another node" : "could not be confirmed");
    return alive == 1;
}

/* Returns false when Redis did not take the renewal: then this node's own leases may
 * look expired, and it must not reap them (they are alive; the next tick renews them). */
static bool renew_leases(berth_engine *e, rconn *rc)
{
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, "ZADD");
    rargs_addf(&a, "%sberth:leases", e->prefix);
    rargs_adds(&a, "XX");
    long long deadline = heartbeat_lease_deadline_ms(e);
    leases_batches(&e->held, &a, e->pool_id, deadline, false);
    bool ok = true;
    if (a.argc > 3) {
        rreply *r = rconn_argv(rc, &a);
        ok = rconn_ok(rc, r);
        rreply_free(r);
    }
    rargs_free(&a);
    return ok;
}

static void job_names(const berth_engine *e, buf *b)
{
    /* sorted, comma-joined (gocraft) */
    const char *names[e->ntypes ? e->ntypes : 1];
    for (size_t i = 0; i < e->ntypes; i++)
        names[i] = e->types[i].name;
    for (size_t i = 1; i < e->ntypes; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    for (size_t i = 0; i < e->ntypes; i++)
        buf_printf(b, "%s%s", i ? "," : "", names[i]);
}

/* Writes this pool's heartbeat hash and its entry in {ns}:worker_pools; false when Redis
 * did not take both. */
static bool beat(berth_engine *e, rconn *rc)
{
    buf names, wids;
    /* no cap: one name per registered type, one id per worker */
    buf_init(&names, 0);
    buf_init(&wids, 0);
    job_names(e, &names);
    for (unsigned i = 0; i < e->workers.n; i++)
        buf_printf(&wids, "%s%s", i ? "," : "", e->workers.v[i].worker_id);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    /* The hash before the set entry: a sweep (any node's) that finds a pool in the set
     * without its hash takes it for dead and removes it, locks and all (sweep.lua). */
    rreply *r = rconn_cmd(rc,
        "HSET %sworker_pools:%s heartbeat_at %lld started_at %lld job_names %s concurrency %u "
        "worker_ids %s host %s pid %d berth 1", e->prefix, e->pool_id, (long long)clock_wall_s(),
        (long long)e->started_at, names.p ? names.p : "", e->workers.n, wids.p ? wids.p : "", host,
        (int)getpid());
    bool ok = rconn_ok(rc, r);
    rreply_free(r);
    r = ok ? rconn_cmd(rc, "SADD %sworker_pools %s", e->prefix, e->pool_id) : NULL;
    ok = ok && rconn_ok(rc, r);
    rreply_free(r);
    buf_free(&names);
    buf_free(&wids);
    return ok;
}

int heartbeat_register(berth_engine *e)
{
    rconn *rc = NULL;
    int taken = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    bool ok = beat(e, rc);
    if (!ok)
        BLOG_ERROR(&e->log, "cannot register worker pool %s in redis: %s", e->pool_id, rc->err);
    engine_conn_put(e, rc);
    return ok ? 0 : BERTH_EREDIS;
}

/* gocraft's observation fields of a run (observer.go writeStatus): job_id is the queued
 * job's "id", which for a periodic execution is its policy's id (Harbor core looks its task
 * up by it to stop the job); args is json.Marshal of the queued args, "" when there are
 * none. Falls back to the effective id for JSON it cannot read. */
static void observation(const char *raw, const char *eid, buf *jid, buf *args)
{
    json_t *j = raw ? json_loads(raw, 0, NULL) : NULL;
    const char *id = json_string_value(json_object_get(j, "id"));
    buf_puts(jid, id ? id : eid);
    json_t *a = json_object_get(j, "args");
    char *text = json_is_object(a) && json_object_size(a) ? json_dumps(a, JSON_COMPACT) : NULL;
    if (text && berth_params_compact(text, args) != 0)
        buf_reset(args);
    free(text);
    json_decref(j);
}

static void observe_run(berth_engine *e, rconn *rc, slot *s, const char *eid, const char *name,
                        int64_t started_ms, const char *raw)
{
    if (s->observed_ms == started_ms)
        return;
    buf jid, args;
    buf_init(&jid, 0);    /* no cap: both bounded by the job JSON they come from */
    buf_init(&args, 0);
    observation(raw, eid, &jid, &args);
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, "HSET");
    rargs_addf(&a, "%sworker:%s", e->prefix, s->worker_id);
    rargs_adds(&a, "job_name"), rargs_adds(&a, name);
    rargs_adds(&a, "job_id"), rargs_adds(&a, jid.p ? jid.p : eid);
    rargs_adds(&a, "started_at"), rargs_addi(&a, started_ms / 1000);
    rargs_adds(&a, "args"), rargs_adds(&a, args.p ? args.p : "");
    /* one transaction: a reader (core's dashboard) never sees the observation without
     * its expiry, and a crash between the two cannot leave one that never expires */
    rreply_free(rconn_cmd(rc, "MULTI"));
    rreply_free(rconn_argv(rc, &a));
    rreply_free(rconn_cmd(rc, "EXPIRE %sworker:%s %u", e->prefix, s->worker_id,
                          e->cfg.max_job_duration_s));
    rreply *r = rconn_cmd(rc, "EXEC");
    if (rconn_ok(rc, r) && rreply_len(r) == 2)
        s->observed_ms = started_ms;
    rreply_free(r);
    rargs_free(&a);
    buf_free(&jid);
    buf_free(&args);
}

/* Worker observations (gocraft {ns}:worker:<wid>, written once per run and expiring
 * MAX_JOB_DURATION_SECONDS later, as gocraft's) and the stop re-check, per slot. */
static void observe(berth_engine *e, rconn *rc)
{
    for (unsigned i = 0; i < e->workers.n; i++) {
        char id[160] = "", name[128] = "";
        int64_t started_ms = 0;
        char *raw = NULL;
        slot *s = &e->workers.v[i];
        if (!slots_peek(&e->workers, i, id, sizeof id, name, sizeof name, &started_ms, &raw)) {
            rreply_free(rconn_cmd(rc, "DEL %sworker:%s", e->prefix, s->worker_id));
            s->observed_ms = 0;
            continue;
        }
        observe_run(e, rc, s, id, name, started_ms, raw);
        berth_free(raw);
        rreply *st = rconn_cmd(rc, "HGET %sjob_stats:%s status", e->prefix, id);
        if (rreply_str_is(st, "Stopped"))
            engine_raise_stop(e, s);
        rreply_free(st);
    }
}

static void reap(berth_engine *e, rconn *rc)
{
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, e->prefix);
    rargs_addi(&a, clock_wall_s());
    rargs_adds(&a, "expired");
    rargs_addi(&a, clock_wall_ms());
    rargs_addi(&a, 500);   /* fetch batches */
    rreply *r = rconn_eval(rc, SCRIPT_REQUEUE, &a);
    if (rreply_array(rc, r, RREPLY_ANY) == 0 && rreply_len(r) > 0) {
        const char *first = rreply_str(rreply_at(r, 0));
        BLOG_WARN(&e->log, "requeued %zu job(s) whose node stopped renewing their lease (first: %s)",
                  rreply_len(r), first ? first : "?");
    }
    rreply_free(r);
    rargs_free(&a);
}

/* Harbor's reaper sync (unacknowledged hooks sent again, lost status writes, hung jobs) and
 * dead pools (sweep.lua): a pass of up to 10 pages per tick, a new pass a
 * minute after the last one ended, the first right at start. */
#define SWEEP_PAGE 100
#define SWEEP_PAGES_PER_TICK 10
#define SWEEP_EVERY_MS 60000

static void sweep(berth_engine *e, rconn *rc)
{
    if (strcmp(e->sweep_cursor, "0") == 0 && clock_wall_ms() < e->sweep_next_ms)
        return;
    unsigned dead_s = e->cfg.lease_ms / 100;  /* ten leases */
    for (int page = 0; page < SWEEP_PAGES_PER_TICK; page++) {
        rargs a;
        rargs_init(&a);
        rargs_adds(&a, e->prefix);
        rargs_addi(&a, clock_wall_s());
        rargs_adds(&a, e->sweep_cursor);
        rargs_addi(&a, SWEEP_PAGE);
        rargs_addi(&a, (long long)e->cfg.max_update_hours * 3600);
        rargs_addi(&a, dead_s < 300 ? 300 : dead_s);
        rreply *r = rconn_eval(rc, SCRIPT_SWEEP, &a);
        rargs_free(&a);
        const char *cursor = NULL;
        long long hung = 0, dead = 0, requeued = 0, refired = 0, synced = 0;
        bool ok = rreply_array(rc, r, 6) == 0 &&
                  rreply_string(rc, rreply_at(r, 0), &cursor, NULL) == 0 &&
                  rreply_integer(rc, rreply_at(r, 1), &hung) == 0 &&
                  rreply_integer(rc, rreply_at(r, 2), &dead) == 0 &&
                  rreply_integer(rc, rreply_at(r, 3), &requeued) == 0 &&
                  rreply_integer(rc, rreply_at(r, 4), &refired) == 0 &&
                  rreply_integer(rc, rreply_at(r, 5), &synced) == 0;
        if (ok) {
            snprintf(e->sweep_cursor, sizeof e->sweep_cursor, "%s", cursor);
            if (hung > 0)
                BLOG_WARN(&e->log, "marked %lld hung job(s) Error (no update for %u h)", hung,
                          e->cfg.max_update_hours);
            if (refired > 0)
                BLOG_INFO(&e->log, "sent the status hook of %lld job(s) again (their status was "
                          "never acknowledged)", refired);
            if (synced > 0)
                BLOG_WARN(&e->log, "set the status of %lld job(s) from their hook ack (a status "
                          "write was lost)", synced);
            if (dead > 0)
                BLOG_WARN(&e->log, "removed %lld dead worker pool(s)", dead);
            if (requeued > 0)
                BLOG_WARN(&e->log, "requeued %lld job(s) from the in-progress lists of dead "
                          "gocraft (Harbor) worker pools", requeued);
        }
        rreply_free(r);
        if (!ok || strcmp(e->sweep_cursor, "0") == 0)
            break;
    }
    if (strcmp(e->sweep_cursor, "0") == 0)
        e->sweep_next_ms = clock_wall_ms() + SWEEP_EVERY_MS;
}

void heartbeat_hand_back(berth_engine *e)
{
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, e->prefix);
    rargs_addi(&a, clock_wall_s());
    rargs_adds(&a, "batches");
    rargs_adds(&a, e->pool_id);
    leases_batches(&e->held, &a, e->pool_id, -1, true);
    rconn *rc = a.argc > 4 ? engine_conn_get(e) : NULL;
    if (rc) {
        rreply *r = rconn_eval(rc, SCRIPT_REQUEUE, &a);
        if (rreply_array(rc, r, RREPLY_ANY) == 0)
            BLOG_INFO(&e->log, "handed %zu unfinished job(s) back to their queues", rreply_len(r));
        rreply_free(r);
        engine_conn_put(e, rc);
    }
    rargs_free(&a);
}

static void leave(berth_engine *e, rconn *rc)
{
    rreply_free(rconn_cmd(rc, "SREM %sworker_pools %s", e->prefix, e->pool_id));
    rreply_free(rconn_cmd(rc, "DEL %sworker_pools:%s", e->prefix, e->pool_id));
    rreply_free(rconn_cmd(rc, "SREM %sberth:idle %s", e->prefix, e->pool_id));
    for (unsigned i = 0; i < e->workers.n; i++)
        rreply_free(rconn_cmd(rc, "DEL %sworker:%s", e->prefix, e->workers.v[i].worker_id));
}

void *heartbeat_main(void *arg)
{
    berth_engine *e = arg;
    rconn rc;
    rconn_init(&rc, &e->target, 5000);
    while (atomic_load(&e->running)) {
        bool renewed = renew_leases(e, &rc);
        beat(e, &rc);
        harbor_nodes_check(e, &rc);
        observe(e, &rc);
        if (renewed)
            reap(e, &rc);
        engine_retry_status(e, &rc);
        sweep(e, &rc);
        engine_tick_wait(e, (int)interval_ms(e));
    }
    leave(e, &rc);
    rconn_close(&rc);
    return NULL;
}
