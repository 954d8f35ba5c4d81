/* The runs this node holds a lease on: fetched and not yet finished. A run's lease is its
 * fetch batch's (fetch.lua: '<pool>:<batch>' in {ns}:berth:leases); the heartbeat renews
 * the batches of the held runs, and shutdown hands them back.
 *
 * Owner: the fetcher adds a run when fetch.lua gave it a lease, the completer removes it
 * once its outcome is written (or dropped); the heartbeat and shutdown only read the ids.
 * Runs are linked through their lease_prev/lease_next fields; the runs themselves belong to
 * whoever holds them (run.h). Lock rule: mu guards head, n and every run's lease links
 * (n is atomic so that it can be read without mu). */
#ifndef BERTH_ENGINE_LEASES_H
#define BERTH_ENGINE_LEASES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/run.h"
#include "store/args.h"

/* Stops that found no held run, remembered briefly: a fetch can take a job just before its
 * stop (the job still Pending) and its reply reach the fetcher after the subscriber looked
 * for the run, so leases_add marks a run whose stop came first. */
#define LEASES_STOPS 16
#define LEASES_STOP_ID 64

typedef struct leases {
    pthread_mutex_t mu;
    run *head;
    atomic_size_t n;         /* written under mu; read without it (the fetcher's bound on
                                the runs it holds, slots_wait_room) */
    char stops[LEASES_STOPS][LEASES_STOP_ID];   /* ring of ids ("" free), under mu */
    int64_t stops_ms[LEASES_STOPS];             /* when each came (monotonic ms) */
    unsigned stops_next, stops_live;            /* next slot; entries not "" */
} leases;

void leases_init(leases *l);
void leases_destroy(leases *l);
void leases_add(leases *l, run *r);
void leases_remove(leases *l, run *r);
/* Marks the held runs of job id (len bytes) stop_asked, so a run still waiting for a
 * worker is never started; with none held, remembers the stop for a few seconds so that a
 * run of that job added meanwhile (its fetch ran before the stop) is marked when added.
 * Returns how many were marked. */
size_t leases_mark_stop(leases *l, const char *id, size_t len);
/* Appends the fetch batches of the held runs to a (their leases: a run's lease is its
 * fetch batch's, fetch.lua), each once or nearly (a repeat is harmless): with deadline >= 0
 * as ZADD members of {ns}:berth:leases ("<deadline> <pool>:<batch>"), else the batch
 * numbers alone (requeue.lua 'batches'). With hand_back, marks each run handed back under
 * the lock, so its outcome is dropped however soon its job returns. Returns how many
 * batches were added. */
size_t leases_batches(leases *l, rargs *a, const char *pool, long long deadline, bool hand_back);

#endif
