/* Queue control for operators: what Harbor core's job-service dashboard does to the gocraft
 * queues (spec §2.13), on the same Redis keys, so Berth and Harbor core agree:
 *   - a queue is a registered job type ({ns}:known_jobs) and its list {ns}:jobs:<name>;
 *   - paused = the key {ns}:jobs:<name>:paused exists; the engine's fetch takes nothing from
 *     a paused queue (running jobs go on; new jobs wait in the queue);
 *   - stop pending = the waiting jobs are taken out of the queue and marked Stopped.
 * Each change is one Lua script (src/store/lua/queue.lua). All functions are thread-safe;
 * they borrow a connection from the engine's pool. */
#ifndef BERTH_QUEUE_H
#define BERTH_QUEUE_H

#include "berth/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "berth/berth.h"

typedef struct berth_queue_info {
    char *name;               /* the job type */
    int64_t waiting;          /* jobs in the queue */
    int64_t running;          /* runs of this type in progress, cluster-wide */
    int64_t oldest_at;        /* enqueue time (unix s) of the oldest waiting job; 0 if none */
    bool paused;
    int64_t max_concurrency;  /* the type's limit, 0 = none */
} berth_queue_info;

typedef struct berth_queue_list {
    berth_queue_info *items;  /* sorted by name */
    size_t n;
} berth_queue_list;

/* Every known queue. 0 or BERTH_EREDIS; *out is the caller's (berth_queue_list_clear), also
 * after an error. */
BERTH_API int berth_query_queues(berth_engine *e, berth_queue_list *out);
/* Frees everything and zeroes l; NULL is a no-op. */
BERTH_API void berth_queue_list_clear(berth_queue_list *l);

/* Pauses (paused true) or resumes the queue of job type name. Pausing a paused queue or
 * resuming a running one is not an error. 0, BERTH_EINVAL (empty name), BERTH_ENOTFOUND
 * (not a known job type), BERTH_EREDIS. */
BERTH_API int berth_queue_pause(berth_engine *e, const char *name, bool paused);

/* Stops the jobs waiting in the queue of name when the call starts (jobs queued meanwhile
 * may be taken too, but the call ends after as many as were waiting): each is removed from
 * the queue and, unless it already ended, set Stopped with its status hook; unique jobs
 * release their unique key. Works in batches (one script per 500 jobs), so a long queue
 * does not block Redis. *stopped (may be NULL) counts the jobs set Stopped. 0, BERTH_EINVAL,
 * BERTH_ENOTFOUND, BERTH_EREDIS (some batches may have been done). */
BERTH_API int berth_queue_stop_pending(berth_engine *e, const char *name, long long *stopped);

#endif
