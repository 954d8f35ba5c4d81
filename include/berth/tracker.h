/* The tracker (seed: job.Tracker): one job's stats and its strict status life cycle.
 * Every status change is one Lua compare-and-set on (status code, revision) with its
 * side effects (TTL on final statuses, in-progress bookkeeping, hook outbox) — spec §5.
 * A tracker borrows the engine's Redis connections; use it from one thread at a time. */
#ifndef BERTH_TRACKER_H
#define BERTH_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "berth/job.h"

typedef struct berth_engine berth_engine;
typedef struct berth_tracker berth_tracker;

/* NewBasicTrackerWithID: no I/O until Load. The tracker is the caller's
 * (berth_tracker_free), except the one berth_ctx_tracker hands out. */
int berth_tracker_new(berth_engine *e, const char *job_id, berth_tracker **out);
/* NewBasicTrackerWithStats: copies s. */
int berth_tracker_new_with_stats(berth_engine *e, const berth_stats *s, berth_tracker **out);
void berth_tracker_free(berth_tracker *t);   /* NULL is a no-op */

int berth_tracker_save(berth_tracker *t);    /* writes the stats hash (no TTL) */
int berth_tracker_load(berth_tracker *t);    /* BERTH_ENOTFOUND if no stats */
/* The in-memory stats; owned by the tracker, valid until the next call on it. */
const berth_stats *berth_tracker_job(const berth_tracker *t);
/* HSET the given field/value pairs (plus update_time). kv has 2*npairs strings. */
int berth_tracker_update(berth_tracker *t, const char *const *kv, size_t npairs);
int berth_tracker_numeric_id(const berth_tracker *t, int64_t *out); /* BERTH_EINVAL if none */
int berth_tracker_periodic_execution_done(berth_tracker *t);       /* needs upstream id */
int berth_tracker_checkin(berth_tracker *t, const char *msg);      /* BERTH_EINVAL if empty */
/* Status CAS; on a transient Redis failure the change is queued in Redis (or in memory
 * while Redis is away) and retried by the engine's heartbeat. BERTH_EMISMATCH when the
 * CAS refused it. */
int berth_tracker_update_status_with_retry(berth_tracker *t, berth_status target);
int berth_tracker_status(berth_tracker *t, berth_status *out);
int berth_tracker_expire(berth_tracker *t);
int berth_tracker_run(berth_tracker *t);
int berth_tracker_stop(berth_tracker *t);
int berth_tracker_fail(berth_tracker *t);
int berth_tracker_succeed(berth_tracker *t);
int berth_tracker_reset(berth_tracker *t);   /* Pending, new revision, no hook */

#endif
