/* What enqueue.c lends the launcher (launcher.c): a single launch prepared, its part of
 * the enqueue script's arguments, a batch's arguments joined from those parts, the batch's
 * outcomes, and each launch's answer, so that every way a launch reaches Redis (the
 * coalescer, a launcher's own connection) builds the same call and gives the same answer
 * as berth_engine_launch.
 *
 * Ownership: an enqueue_async is its launch's, from enqueue_async_new until it is
 * answered (enqueue_async_done frees it) or handed to the coalescer (enqueue_async_submit:
 * the coalescer's sender answers it); its w.item.next links it into one list at a time
 * (the coalescer's, or its launcher's). Nothing here locks. */
#ifndef BERTH_ENGINE_ENQUEUE_H
#define BERTH_ENGINE_ENQUEUE_H

#include "engine/internal.h"

typedef struct prepared {
    char id[25];
    const jtype *type;
    char *params;        /* compact JSON object text, or NULL */
    char *ukey;          /* unique key or NULL */
    bool scheduled;
    int64_t run_at;      /* Harbor's run_at: enqueue second + delay (whole seconds, wire) */
    int64_t due_ms;      /* when it may start: enqueue time in ms + delay */
} prepared;

/* One single launch waiting for its batch. Its caller builds its part of the script's
 * arguments before it queues, so the sender only joins the parts. */
typedef struct launch_wait {
    coalesce_item item;   /* first: the coalescer's item pointer is the launch_wait's */
    rargs args;           /* this job's arguments (add_job) */
    int rc;               /* the batch's: 0, BERTH_EREDIS or BERTH_ENOMEM */
    int result;           /* 0 or BERTH_EDUP */
    char holder[128];     /* the unique key's holder when BERTH_EDUP */
    char why[256];        /* Redis's refusal, when it refused the script */
} launch_wait;

/* One asynchronous launch, from its submission to its answer: what the answer needs,
 * owned here, since the caller's berth_launch is gone by then. */
typedef struct enqueue_async {
    launch_wait w;        /* first: the coalescer's item pointer is the enqueue_async's */
    berth_engine *e;
    prepared p;
    bool unique;
    char *hook;           /* the status hook URL, or NULL */
    int64_t now;
    berth_launch_done_fn done;
    void *ud;
} enqueue_async;

/* True for a Periodic launch, which stores a policy (enqueue_periodic) and never batches. */
bool enqueue_is_periodic(const berth_launch *l);
/* A Periodic launch, synchronous: berth_engine_launch's answer. */
int enqueue_periodic(berth_engine *e, const berth_launch *l, berth_stats **out, char *err,
                     size_t errlen);
/* Checks and prepares l (not Periodic) as berth_engine_launch_async does: 0 with *out, or
 * the error with err filled (nothing to free). */
int enqueue_async_new(berth_engine *e, const berth_launch *l, berth_launch_done_fn done,
                      void *ud, enqueue_async **out, char *err, size_t errlen);
/* Hands a to the coalescer (its sender answers it), or answers it at once with
 * BERTH_ESTATE when the engine no longer takes launches. */
void enqueue_async_submit(enqueue_async *a);
/* Answers a from its outcome (w.rc, w.result: enqueue_outcomes) and frees it; on the
 * calling thread. */
void enqueue_async_done(enqueue_async *a);
/* The batch's arguments for items (launch_waits): the header, owned by a, then every
 * waiter's strings, borrowed. Returns how many entries a owns (set a->argc to it before
 * rargs_free). a->err set when memory ran out. */
int enqueue_join(berth_engine *e, coalesce_item **items, size_t n, rargs *a);
/* Each waiting launch's outcome from the batch's reply r (NULL: err, why for all). */
void enqueue_outcomes(coalesce_item **items, size_t n, const rreply *r, int err,
                      const char *why);

#endif
