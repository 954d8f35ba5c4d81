/* The one seam between the engine and its periodic part (src/period/), both ways: what the
 * engine calls on the part (declared here, defined in src/period/, so no engine file
 * includes a header from the floor above it), and the few things the engine lends the
 * part. src/period/ includes this header and no other engine header.
 *
 * Ownership: the engine owns its periodic part. berth_engine_new makes it when
 * cfg.periodic.enabled (period_new), berth_engine_start starts its enqueuer thread
 * (period_start), berth_engine_stop stops it first of all (period_stop) and
 * berth_engine_free frees it (period_free). In between the engine's one launch and one
 * stop call period_launch and period_unschedule from API threads; the part's own lock
 * (period_internal.h) covers only its enqueuer's wake-up. */
#ifndef BERTH_ENGINE_PERIODIC_H
#define BERTH_ENGINE_PERIODIC_H

#include <stddef.h>

#include "berth/berth.h"
#include "store/redis.h"
#include "util/log.h"

typedef struct period period;

/* Implemented by src/period/ and called only by the engine. */

/* A periodic part for e with cfg's settings (defaults applied): 0 or BERTH_ENOMEM. */
int period_new(berth_engine *e, const berth_periodic_config *cfg, period **out);
/* Starts the enqueuer thread: 0, or BERTH_ENOMEM when no thread can be made. */
int period_start(period *p);
/* Stops and joins the enqueuer thread; a no-op when it is not running. */
void period_stop(period *p);
void period_free(period *p);                 /* stopped first; NULL is a no-op */
/* A Periodic launch: stores the policy and its stats (berth_engine_launch's contract). */
int period_launch(period *p, const berth_launch *l, berth_stats **out, char *err,
                  size_t errlen);
/* Removes policy id and its pending executions: 0, BERTH_ENOTFOUND or BERTH_EREDIS. */
int period_unschedule(period *p, const char *id);

/* What the engine lends the periodic part. */
const char *engine_prefix(const berth_engine *e);        /* "{ns}:" */
const berth_logger *engine_logger(const berth_engine *e);
const rtarget *engine_target(const berth_engine *e);     /* for a thread's own connection */
/* Borrows an API connection: 0, BERTH_EREDIS (Redis is away) or BERTH_ENOMEM. */
int engine_conn_take(berth_engine *e, rconn **out);
void engine_conn_put(berth_engine *e, rconn *rc);        /* NULL-safe */

#endif
