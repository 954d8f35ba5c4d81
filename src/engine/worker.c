/* Worker threads: take a run from the ready queue, tell the completer it started (Running
 * and its hook are written then, not when the fetcher took the job), run the job with a
 * fresh context, and pass the outcome to the completer. Workers never talk to Redis on
 * this path, except for a run that waited longer than its lease is sure to last
 * (heartbeat_lease_confirm): one that another node took over meanwhile is not started. A
 * run stopped while it waited for a worker is not started either. */
#include <string.h>
#include <time.h>

#include "engine/context_internal.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/json_scan.h"

static void set_current(slot *s, run *r)
{
    slots_set(&s->e->workers, s, r);
}

static void note_duration(berth_engine *e, int64_t us)
{
    uint_fast64_t old = atomic_load(&e->run_us_ewma);
    atomic_store(&e->run_us_ewma, (old * 7 + (uint_fast64_t)(us < 0 ? 0 : us)) / 8);
}

/* Harbor's labels: an error is a fail; a clean return after a stop command is a stop. A
 * run handed back at shutdown runs again elsewhere and is not counted here. */
static void count_run(slot *s, const run *r, int64_t us)
{
    if (atomic_load(&r->handed_back))
        return;
    berth_run_outcome o = r->rc != 0 ? BERTH_RUN_FAIL
                          : atomic_load(&s->stop) && !atomic_load(&s->e->system_done)
                              ? BERTH_RUN_STOP : BERTH_RUN_SUCCESS;
    engine_metrics_note(s->e, r->type, o, us);
}

static void execute(slot *s, run *r)
{
    berth_engine *e = s->e;
    if (!r->type) {
        buf_printf(&r->errmsg, "job with name '%s' is not registered on this node", r->name);
        r->rc = BERTH_EUNKNOWN;
        return;
    }
    berth_ctx ctx;
    ctx_build(&ctx, e, s, r);
    /* Parameters are the job JSON's "args" value, cut out without a full parse. */
    size_t len = 0;
    const char *p = json_scan_member(r->raw, "args", &len);
    bool has_args = p && !(len == 4 && memcmp(p, "null", 4) == 0);
    char *args = has_args ? berth_strndup(p, len) : NULL;
    if (has_args && !args) {
        buf_printf(&r->errmsg, "out of memory reading the job's parameters");
        r->rc = BERTH_ENOMEM;   /* an Error like any failed run: retried by the type's rule */
    } else {
        int64_t t0 = clock_mono_us();
        r->rc = r->type->t.run(&ctx, args, r->type->t.userdata);
        int64_t us = clock_mono_us() - t0;
        note_duration(e, us);
        count_run(s, r, us);
    }
    ctx_close(&ctx);
    berth_free(args);
}

void *worker_main(void *arg)
{
    slot *s = arg;
    berth_engine *e = s->e;
    fifo_popper(&e->ready, 1);
    while (atomic_load(&e->running)) {
        fnode *n = fifo_pop(&e->ready, -1);
        if (!n)
            continue;
        run *r = FIFO_ENTRY(n, run, node);
        r->started_ms = clock_wall_ms();   /* published to the heartbeat by the lock */
        atomic_store(&s->stop, atomic_load(&e->system_done));
        atomic_store(&e->ready_moved_ms, clock_mono_ms());
        set_current(s, r);
        /* after set_current: a stop that marked the run before is seen here, one after
         * finds the slot (subscriber.c marks the run, then looks for its slot) */
        if (!atomic_load(&r->handed_back) && !atomic_load(&r->stop_asked) &&
            !heartbeat_lease_confirm(e, r))
            atomic_store(&r->handed_back, true);   /* not started; its outcome dropped */
        if (!atomic_load(&r->handed_back) && !atomic_load(&r->stop_asked)) {
            engine_report(e, outcome_started(r));   /* never NULL: made with the run */
            engine_release_unique(e, r);
            execute(s, r);
        }
        /* Leave the slot before the completer can free the run (the subscriber and the
         * heartbeat read slot->cur under the slots lock). */
        set_current(s, NULL);
        engine_report(e, outcome_finished(r));
    }
    fifo_popper(&e->ready, -1);
    return NULL;
}
