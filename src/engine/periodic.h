/* The seam between the engine and its periodic part (src/period/): what the engine lends
 * the periodic enqueuer, and how the periodic part plugs in so that the engine's one launch
 * (berth_engine_launch) and one stop (berth_engine_stop_job) serve Periodic jobs too.
 * src/period/ includes this header and no other engine header.
 *
 * Ownership: the periodic part (a berth_period) belongs to the host that made it; it
 * attaches itself when made and detaches when freed. Attach before the engine serves
 * launches and stops and detach after (berthd does both around its API server): the
 * attachment is read without a lock. */
#ifndef BERTH_ENGINE_PERIODIC_H
#define BERTH_ENGINE_PERIODIC_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "berth/berth.h"
#include "store/redis.h"
#include "util/log.h"

typedef struct engine_periodic {
    void *self;              /* the berth_period */
    /* A Periodic launch: stores the policy (period/policy.c). */
    int (*launch)(void *self, const berth_launch *l, berth_stats **out, char *err,
                  size_t errlen);
    /* Removes the policy id and its pending executions: 0, BERTH_ENOTFOUND, BERTH_EREDIS. */
    int (*unschedule)(void *self, const char *id);
} engine_periodic;

/* BERTH_ESTATE when a periodic part is attached already. */
int engine_periodic_attach(berth_engine *e, const engine_periodic *p);
void engine_periodic_detach(berth_engine *e);

/* What the engine lends the periodic part. */
const char *engine_prefix(const berth_engine *e);        /* "{ns}:" */
const berth_logger *engine_logger(const berth_engine *e);
const rtarget *engine_target(const berth_engine *e);     /* for a thread's own connection */
rconn *engine_conn_get(berth_engine *e);                 /* NULL when Redis is away */
/* The same, saying why it failed: 0, BERTH_EREDIS or BERTH_ENOMEM. */
int engine_conn_take(berth_engine *e, rconn **out);
void engine_conn_put(berth_engine *e, rconn *rc);
int64_t engine_now(void);                                /* unix seconds */
int64_t engine_now_ms(void);
void engine_cond_init(pthread_cond_t *cv);               /* CLOCK_MONOTONIC */
void engine_timespec_after(struct timespec *ts, int ms);

#endif
