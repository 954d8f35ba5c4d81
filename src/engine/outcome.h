/* The completer's protocol: what the other engine threads ask it to write to Redis. Every
 * write that follows a fetch goes through the completer, batched into one finish.lua call
 * (completer.c), so an outcome is a message with one operation and that operation's data:
 *
 *   OUTCOME_FINISHED        a run ended (worker.c): Success when run.rc is 0, else Error
 *                           with a retry entry when the type allows one; the lease, the
 *                           running entry and the concurrency count are released.
 *   OUTCOME_STARTED         a worker started a run (worker.c): the status becomes Running
 *                           and the Running hook is queued now, not at fetch time, so a
 *                           prefetched job waiting for a worker still reads Pending. It
 *                           points at the run, which stays alive until the run's FINISHED
 *                           (always queued after it) is written; when both are in one
 *                           batch, with no check-in of the run between, they are written
 *                           as one op (completer.c).
 *   OUTCOME_CHECKIN         a running job checked in (context.c, berth_ctx_checkin).
 *   OUTCOME_UNIQUE_RELEASE  a unique job was picked up (fetcher.c): Harbor frees its lock
 *                           then. The lock key holds the id of the job that took it, and
 *                           only that job's release deletes it (a later unique job with the
 *                           same parameters may hold it by then).
 *
 * An outcome is owned by whoever holds it: the producer until fifo_push(&e->done), then the
 * completer, which frees it with outcome_free after the batch is written. */
#ifndef BERTH_ENGINE_OUTCOME_H
#define BERTH_ENGINE_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/fifo.h"

struct run;
struct berth_engine;
struct rargs;

typedef enum {
    OUTCOME_FINISHED,
    OUTCOME_STARTED,
    OUTCOME_CHECKIN,
    OUTCOME_UNIQUE_RELEASE,
} outcome_op;

typedef struct outcome {
    fnode node;                  /* in engine->done */
    outcome_op op;
    bool merged;                 /* completer only: a STARTED and the FINISHED of the same
                                    run, written together as one op */
    union {
        struct run *finished;    /* FINISHED: the run, owned by the message */
        struct run *started;     /* STARTED: the run, not owned (see above) */
        struct {
            char *id, *name;     /* the run's effective id and job name */
            int64_t revision;    /* the run's revision: a later run's check-in is refused */
            char *text;
        } checkin;               /* CHECKIN: strings owned */
        struct {
            char *holder;        /* the id the lock must hold to be deleted */
            char *key;           /* "{ns}:..." unique key */
        } unique;                /* UNIQUE_RELEASE: strings owned */
    } u;
} outcome;

/* Constructors take ownership of what they are given (the run; the key, also on failure)
 * and copy the rest. outcome_finished and outcome_started never fail (no allocation on
 * the hot path): they hand out the messages the run was made with, each once. The others
 * return NULL when memory ran out (or key is NULL). */
outcome *outcome_finished(struct run *r);
outcome *outcome_started(struct run *r);
outcome *outcome_checkin(struct run *r, const char *text);
outcome *outcome_unique_release(const char *holder, char *key);
void outcome_free(outcome *o);   /* NULL-safe; frees a FINISHED outcome's run too */

/* Hands o to the completer (fifo_push on e->done): 0, or with o NULL (a constructor ran out
 * of memory) logs the drop and returns BERTH_ENOMEM. A dropped check-in is lost (the job's
 * berth_ctx_checkin returns BERTH_ENOMEM); a dropped unique release leaves the lock until
 * its 24 h expiry or a stop of the job (enqueue.lua, stop.lua). */
int engine_report(struct berth_engine *e, outcome *o);

/* Appends the ops of batch[0..n) for finish.lua to a (completer.c), in the batch's order
 * (finish.lua answers in it): a group ('G') for each run of consecutive FINISHED messages
 * that were merged with their STARTED, succeeded and are not periodic executions, of one
 * job name and fetch batch; one op for each other message (a merged STARTED adds none).
 * Returns the number of ops. */
long long finish_ops_add(struct berth_engine *e, struct rargs *a, outcome **batch, size_t n);

#endif
