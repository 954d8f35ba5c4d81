/* Whether Harbor job-service nodes beat in the namespace (a rolling switch), so that
 * launches keep writing the status a Harbor node needs.
 *
 * A Generic job queued by Berth stores no status while it is untouched (enqueue.c; a hash
 * with a revision and no status is Pending to every Berth reader). A Harbor node that
 * fetches such a job refuses the empty status and fails the job (docs/compat.md). So while
 * a pool that is not Berth's beats in {ns}:worker_pools, launches write status Pending as
 * Harbor does. Berth's own pools carry the field `berth` in their heartbeat hash
 * (heartbeat.c); gocraft's do not. A pool counts while its heartbeat_at is less than
 * HARBOR_ALIVE_S old (gocraft beats every 5 s; a dead Harbor pool's hash stays until it is
 * reaped). A Berth node of a version before the mark looks like a Harbor node: launches then
 * write the status, which is only the old layout.
 *
 * The heartbeat thread checks once per beat and sets e->harbor_nodes (atomic); enqueue.c
 * reads it per launch. Until the first check, and while Redis cannot say, the last answer
 * stands (false at start). */
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "util/clock.h"

#define HARBOR_ALIVE_S 30

/* 1 when pool id is a live pool without Berth's mark, 0 when not, -1 when Redis cannot say. */
static int harbor_pool(berth_engine *e, rconn *rc, const char *id, int64_t now)
{
    rreply *r = rconn_cmd(rc, "HMGET %sworker_pools:%s heartbeat_at berth", e->prefix, id);
    int res = -1;
    if (rreply_array(rc, r, 2) == 0) {
        const char *beat = rreply_str(rreply_at(r, 0));
        res = beat && !rreply_str(rreply_at(r, 1)) && atoll(beat) >= now - HARBOR_ALIVE_S;
    }
    rreply_free(r);
    return res;
}

void harbor_nodes_check(berth_engine *e, rconn *rc)
{
    rreply *m = rconn_cmd(rc, "SMEMBERS %sworker_pools", e->prefix);
    if (rreply_array(rc, m, RREPLY_ANY) != 0) {
        rreply_free(m);
        return;
    }
    int64_t now = clock_wall_s();
    int found = 0;
    for (size_t i = 0; i < rreply_len(m) && found == 0; i++) {
        const char *id = rreply_str(rreply_at(m, i));
        if (id && strcmp(id, e->pool_id) != 0)
            found = harbor_pool(e, rc, id, now);
    }
    rreply_free(m);
    if (found >= 0)
        atomic_store(&e->harbor_nodes, found == 1);
}
