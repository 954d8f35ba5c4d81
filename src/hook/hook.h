/* Hook delivery (spec §9, issue 6). Status changes and check-ins append an event to the
 * Redis stream {ns}:berth:hooks in the same Lua script as the change (see _lib.lua), so a
 * change and its hook never diverge. The dispatcher delivers them:
 *   - one node leads at a time (hook_leader.lua, a lock renewed every second), so the
 *     events of a job go out in order; a new leader claims the events its predecessor had
 *     read but not settled (consumer group `berth`, XAUTOCLAIM), so a crash loses none;
 *   - POST with libcurl multi (keep-alive, per-host connection cap, connect 10 s / total
 *     30 s, proxy environment honoured), success = HTTP 200 exactly, as Harbor;
 *   - a job's next event waits until its previous one is settled; failures retry with
 *     exponential back-off and jitter for retry_hours, then the event is parked in
 *     {ns}:berth:hooks:parked for an operator to replay (hook_replay);
 *   - an event made outdated by a newer ack is dropped (spec §9.3); a delivered one writes
 *     Harbor's ack and in-progress bookkeeping (§9.4) in hook_done.lua.
 * Job workers never wait on any of this. */
#ifndef BERTH_HOOK_H
#define BERTH_HOOK_H

#include <stddef.h>
#include <stdint.h>

#include "store/redis.h"
#include "util/log.h"

typedef struct hook_opts {
    const rtarget *target;      /* copied */
    const char *prefix;         /* "{ns}:" (copied) */
    const char *pool_id;        /* consumer name (copied) */
    unsigned retry_hours;       /* 0 → 24 */
    double backoff_scale;       /* 0 → 1; tests shrink the back-off */
    unsigned lead_ttl_ms;       /* the leader lock's TTL; 0 → 10000 (the engine refuses 1-1999) */
    unsigned max_payload;       /* bytes; 0 → 1 MiB (bigger payloads are sent without parameters) */
    unsigned per_host;          /* connections per receiver host; 0 → 16 */
    berth_logger log;
} hook_opts;

typedef struct hook_dispatcher hook_dispatcher;

/* Starts the dispatcher thread. 0, or BERTH_ENOMEM. Stop with hook_dispatcher_stop. */
int hook_dispatcher_start(const hook_opts *o, hook_dispatcher **out);
/* Stops the thread (unsettled events stay in Redis for the next leader) and frees d. */
void hook_dispatcher_stop(hook_dispatcher *d);

typedef struct hook_counts {
    long long pending;          /* in the outbox, not yet settled */
    long long retrying;         /* of those, failed at least once (as last reported by the leader) */
    long long parked;           /* given up; waiting for a replay */
    long long dropped;          /* refused because the outbox was full */
} hook_counts;

/* Reads the counts. 0 or BERTH_EREDIS. */
int hook_counts_read(rconn *rc, const char *prefix, hook_counts *out);
/* Moves up to limit parked events back into the outbox; *moved gets how many. */
int hook_replay(rconn *rc, const char *prefix, long limit, long long *moved);

#endif
