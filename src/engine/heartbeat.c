/* The heartbeat thread: keeps this node visible (gocraft pool heartbeat, worker
 * observations, both read by Harbor core's monitor), renews the leases of the runs this
 * node holds, re-checks running jobs for stops that pub/sub may have missed, and reaps:
 * any node requeues runs whose lease expired (their node died), within one lease (see
 * heartbeat_lease_deadline_ms in internal.h for the arithmetic). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/internal.h"
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
    leases_ids(&e->held, &a, deadline, false);
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

static void beat(berth_engine *e, rconn *rc)
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
    rreply_free(rconn_cmd(rc, "SADD %sworker_pools %s", e->prefix, e->pool_id));
    rreply_free(rconn_cmd(rc,
        "HSET %sworker_pools:%s heartbeat_at %lld started_at %lld job_names %s concurrency %u "
        "worker_ids %s host %s pid %d", e->prefix, e->pool_id, (long long)clock_wall_s(),
        (long long)e->started_at, names.p ? names.p : "", e->workers.n, wids.p ? wids.p : "", host,
        (int)getpid()));
    buf_free(&names);
    buf_free(&wids);
}

/* Worker observations (gocraft {ns}:worker:<wid>) and the stop re-check, per slot. */
static void observe(berth_engine *e, rconn *rc)
{
    for (unsigned i = 0; i < e->workers.n; i++) {
        char id[160] = "", name[128] = "";
        long long started = 0;
        const char *wid = e->workers.v[i].worker_id;
        if (!slots_peek(&e->workers, i, id, sizeof id, name, sizeof name, &started)) {
            rreply_free(rconn_cmd(rc, "DEL %sworker:%s", e->prefix, wid));
            continue;
        }
        rreply_free(rconn_cmd(rc, "HSET %sworker:%s job_name %s job_id %s started_at %lld",
                              e->prefix, wid, name, id, started));
        rreply_free(rconn_cmd(rc, "EXPIRE %sworker:%s %u", e->prefix, wid,
                              e->cfg.max_update_hours * 3600));
        rreply *st = rconn_cmd(rc, "HGET %sjob_stats:%s status", e->prefix, id);
        if (rreply_str_is(st, "Stopped"))
            engine_raise_stop(e, &e->workers.v[i]);
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
    rargs_addi(&a, 500);
    rreply *r = rconn_eval(rc, SCRIPT_REQUEUE, &a);
    if (rreply_array(rc, r, RREPLY_ANY) == 0 && rreply_len(r) > 0) {
        const char *first = rreply_str(rreply_at(r, 0));
        BLOG_WARN(&e->log, "requeued %zu job(s) whose node stopped renewing their lease (first: %s)",
                  rreply_len(r), first ? first : "?");
    }
    rreply_free(r);
    rargs_free(&a);
}

/* Hung jobs and dead pools (sweep.lua): a pass of up to 10 pages per tick, a new pass a
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
        long long hung = 0, dead = 0;
        bool ok = rreply_array(rc, r, 3) == 0 &&
                  rreply_string(rc, rreply_at(r, 0), &cursor, NULL) == 0 &&
                  rreply_integer(rc, rreply_at(r, 1), &hung) == 0 &&
                  rreply_integer(rc, rreply_at(r, 2), &dead) == 0;
        if (ok) {
            snprintf(e->sweep_cursor, sizeof e->sweep_cursor, "%s", cursor);
            if (hung > 0)
                BLOG_WARN(&e->log, "marked %lld hung job(s) Error (no update for %u h)", hung,
                          e->cfg.max_update_hours);
            if (dead > 0)
                BLOG_WARN(&e->log, "removed %lld dead worker pool(s)", dead);
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
    rargs_adds(&a, "own");
    rargs_adds(&a, e->pool_id);
    leases_ids(&e->held, &a, -1, true);
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
