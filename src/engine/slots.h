/* The worker pool: one slot per worker thread, holding the run that worker executes.
 *
 * Owner: each worker sets its own slot's run (worker.c) and nothing else writes it. The
 * fetcher reads the idle count to size its fetches; the subscriber and the heartbeat look
 * runs up to raise stop flags and to publish what each worker does; shutdown waits for
 * every slot to be idle. A slot's stop flag is atomic and raised through engine_raise_stop,
 * which wakes jobs asleep in berth_ctx_sleep.
 * Lock rule: mu guards every slot's cur, idle and the waiters' fields; cv is broadcast when
 * a worker becomes idle and a waiter can go on (one in slots_wait_idle, or the fetcher's
 * room), and by anything a waiter on cv must see (fetching stopped, berth_engine_hurry, the
 * completer lowering the held runs). */
#ifndef BERTH_ENGINE_SLOTS_H
#define BERTH_ENGINE_SLOTS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/fifo.h"
#include "engine/run.h"
#include "store/redis.h"

struct berth_engine;

typedef struct slot {
    run *cur;                /* guarded by slots.mu */
    atomic_bool stop;        /* raised by a stop command or shutdown */
    pthread_t thread;
    struct berth_engine *e;
    rconn rc;                /* tracker calls from job code (lazily connected) */
    char worker_id[25];      /* gocraft-style worker id ({ns}:worker:<id>) */
    int64_t observed_ms;     /* heartbeat thread only: start of the run last written to
                              * {ns}:worker:<id> (0: idle written), so it is written once per
                              * run and expires as gocraft's does */
} slot;

typedef struct slots {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    slot *v;                 /* fixed from start */
    unsigned n;
    unsigned idle;           /* workers not running a run */
    /* What the waiters on cv wait for, so that a run's end wakes only one that can go on
     * (waking the fetcher at every end cost a context switch per job): */
    unsigned idle_waiters;   /* in slots_wait_idle */
    bool room_waiting;       /* the fetcher in slots_wait_room, for idle > queued or ... */
    size_t room_queued;      /* ... queued <= room_queued (prefetch refill) */
    fifo *room_ready;        /* ... queued = fifo_len(room_ready) */
} slots;

void slots_init(slots *p);
/* Makes n slots (no threads); t is the target of each slot's own connection. 0 or
 * BERTH_ENOMEM (nothing made). */
int slots_alloc(slots *p, unsigned n, struct berth_engine *e, const rtarget *t);
/* Keeps only the first n slots (start: the others' threads could not be made). */
void slots_keep(slots *p, unsigned n);
/* Undoes slots_alloc before any worker thread ran (an engine start that failed after it),
 * so that a later start may allocate again. */
void slots_unalloc(slots *p);
void slots_destroy(slots *p);

/* A worker takes r (or, with NULL, becomes idle). */
void slots_set(slots *p, slot *s, run *r);
/* Wakes every waiter on cv after a change it must see; fn (may be NULL) runs under mu. */
void slots_notify(slots *p, void (*fn)(void *), void *arg);
unsigned slots_busy(slots *p);
/* The fetcher: how many runs to take now, waiting while there is no room and *go holds,
 * at most ms (-1: no limit; 0 is returned at the limit).
 * room: idle workers not already fed from ready, or (prefetch, once at most batch/2 wait)
 * up to batch queued — a fetch as soon as one run was taken would take a few jobs per
 * script call, each paying the call's fixed cost; never
 * more than takes the runs this node holds (*held: fetched, not yet written back) to
 * held_max, so that a completer slower than the workers bounds what waits in memory
 * (whoever lowers *held broadcasts cv: slots_notify). */
unsigned slots_wait_room(slots *p, fifo *ready, unsigned batch, bool prefetch,
                         const atomic_size_t *held, size_t held_max, const atomic_bool *go,
                         int ms);
/* When the oldest run a worker holds started (unix ms); INT64_MAX when all are idle. */
int64_t slots_oldest_start_ms(slots *p);
/* Waits up to ms until every worker is idle and ready is empty, or *hurry (may be NULL)
 * is raised. True when all are idle. */
bool slots_wait_idle(slots *p, fifo *ready, int ms, const atomic_bool *hurry);
/* Calls fn under mu for every slot running the job with this id (len bytes). */
void slots_find(slots *p, const char *id, size_t len, void (*fn)(slot *, void *), void *arg);
/* Copies what slot i runs (id, name, start in unix ms, and a copy of its queued JSON for
 * the caller to berth_free); false when it is idle. */
bool slots_peek(slots *p, unsigned i, char *id, size_t idlen, char *name, size_t namelen,
                int64_t *started_ms, char **raw);

#endif
