/* A run: one fetched job on its way from fetch.lua through a worker to the completer, and
 * the registered job type it belongs to.
 *
 * Ownership moves with the run: the fetcher makes it (fetcher.c), the ready queue holds it,
 * a worker runs it (worker.c), an OUTCOME_FINISHED message carries it to the completer,
 * which frees it. While this node holds its lease it is also linked in the engine's leases
 * (leases.h), which only points at it. Fields are written by the thread that holds the run;
 * handed_back is the exception (atomic, set by shutdown under the leases lock). */
#ifndef BERTH_ENGINE_RUN_H
#define BERTH_ENGINE_RUN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "berth/berth.h"
#include "engine/fifo.h"
#include "util/buf.h"

typedef struct jtype {
    berth_job_type t;        /* copy; t.name points at name */
    char *name;
} jtype;

typedef struct run {
    fnode node;              /* in engine->ready */
    char code;               /* fetch code: 'R' run, others skipped */
    bool unique;             /* the job was launched unique (fetch.lua read its JSON) */
    char *id;                /* effective job id */
    char *name;
    int64_t revision;
    uint64_t batch;          /* the number of the fetch that took it: its lease is that
                                fetch batch's (fetch.lua) */
    char *raw;               /* job JSON as queued */
    const jtype *type;       /* NULL for an unknown name */
    int rc;                  /* run result, 0 = success */
    buf errmsg;              /* berth_ctx_fail text */
    atomic_bool handed_back; /* requeued at shutdown: drop its outcome */
    atomic_bool stop_asked;  /* stopped while waiting for a worker: never started */
    atomic_bool checked_in;  /* the job checked in: its start is never merged with its end
                                (the check-in's op must come between them) */
    int64_t started_ms;      /* when a worker began running it */
    int64_t fetched_us;      /* monotonic µs when the fetch that took it was sent: its
                                lease's deadline counts from about then */
    struct run *lease_prev, *lease_next; /* in the engine's leases while this node holds it */
    struct outcome *finish;  /* its OUTCOME_FINISHED message, made with the run so that
                                finishing never allocates (outcome_finished takes it) */
    struct outcome *start;   /* its OUTCOME_STARTED message, likewise (outcome_started) */
    struct outcome *start_batched; /* completer only: its STARTED message while that sits
                                in the completer's unwritten batch (a FINISHED joining the
                                same batch is written with it as one op) */
    struct joblog_run *log_unsent; /* its job log's last lines still on their way to Redis
                                (joblog_run_end): the completer waits for them before it
                                writes the final status; NULL when there are none or they
                                are written (freed with the run) */
} run;

/* NULL when memory ran out. */
run *run_new(void);
void run_free(run *r);           /* NULL-safe */
void run_free_node(fnode *n);    /* run_free for a run still in a fifo */

#endif
