/* The tracker (seed: job.Tracker): one job's stats and its strict status life cycle.
 * Every status change is one Lua compare-and-set on (status code, revision) with its
 * side effects (TTL on final statuses, in-progress bookkeeping, hook outbox) — spec §5.
 * A tracker borrows the engine's Redis connections; use it from one thread at a time. */
#ifndef BERTH_TRACKER_H
#define BERTH_TRACKER_H

#include "berth/api.h"

#include <stddef.h>
#include <stdint.h>

#include "berth/job.h"

typedef struct berth_engine berth_engine;
typedef struct berth_tracker berth_tracker;

/* NewBasicTrackerWithID: no I/O until Load. The tracker is the caller's
 * (berth_tracker_free), except the one berth_ctx_tracker hands out. */
BERTH_API int berth_tracker_new(berth_engine *e, const char *job_id, berth_tracker **out);
/* NewBasicTrackerWithStats: copies s. */
BERTH_API int berth_tracker_new_with_stats(berth_engine *e, const berth_stats *s,
                                                    berth_tracker **out);
BERTH_API void berth_tracker_free(berth_tracker *t);   /* NULL is a no-op */

BERTH_API int berth_tracker_save(berth_tracker *t);    /* writes the stats hash (no TTL) */
BERTH_API int berth_tracker_load(berth_tracker *t);    /* BERTH_ENOTFOUND if no stats */
/* The in-memory stats; owned by the tracker, valid until the next call on it. */
BERTH_API const berth_stats *berth_tracker_job(const berth_tracker *t);
/* HSET the given field/value pairs (plus update_time). kv has 2*npairs strings. */
BERTH_API int berth_tracker_update(berth_tracker *t, const char *const *kv, size_t npairs);
/* BERTH_EINVAL if none */
BERTH_API int berth_tracker_numeric_id(const berth_tracker *t, int64_t *out);
BERTH_API int berth_tracker_periodic_execution_done(berth_tracker *t);       /* needs upstream id */
/* BERTH_EINVAL if empty */
BERTH_API int berth_tracker_checkin(berth_tracker *t, const char *msg);
/* Status CAS; on a transient Redis failure the change is queued in Redis (or in memory
 * while Redis is away) and retried by the engine's heartbeat. BERTH_EMISMATCH when the
 * CAS refused it. */
BERTH_API int berth_tracker_update_status_with_retry(berth_tracker *t, berth_status target);
BERTH_API int berth_tracker_status(berth_tracker *t, berth_status *out);
BERTH_API int berth_tracker_expire(berth_tracker *t);
BERTH_API int berth_tracker_run(berth_tracker *t);
BERTH_API int berth_tracker_stop(berth_tracker *t);
BERTH_API int berth_tracker_fail(berth_tracker *t);
BERTH_API int berth_tracker_succeed(berth_tracker *t);
BERTH_API int berth_tracker_reset(berth_tracker *t);   /* Pending, new revision, no hook */

#endif
