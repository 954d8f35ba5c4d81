/* The connection pool: connections borrowed for one call by threads that do not own one
 * (API callers of the engine, job-log readers). One pool type for the whole library; each
 * owner (the engine, a job-log set) has its own instance.
 *
 * A borrowed connection is exclusively the borrower's until it is put back. The pool keeps
 * up to RPOOL_MAX_IDLE idle connections and closes the rest, and never hands out one that
 * went stale: rpool_get drops idle connections dialled before the last outage (the
 * target's rhealth gen moved) or whose socket the server closed (a restarted Redis), so a
 * request after an outage never fails on a connection that sat idle through it.
 *
 * Lock rule: mu guards idle and nidle only; no I/O happens under it. */
#ifndef BERTH_STORE_POOL_H
#define BERTH_STORE_POOL_H

#include <pthread.h>

#include "store/redis.h"

#define RPOOL_MAX_IDLE 64

typedef struct rpool {
    rtarget target;          /* owned copy */
    rhealth own_health;      /* used when the target came without one */
    int timeout_ms;          /* of every connection */
    pthread_mutex_t mu;      /* guards idle, nidle */
    rconn *idle[RPOOL_MAX_IDLE];
    size_t nidle;
} rpool;

/* 0, or BERTH_ENOMEM when the target could not be copied (the pool is still usable and
 * must be destroyed; every rpool_get then fails). */
int rpool_init(rpool *p, const rtarget *t, int timeout_ms);
void rpool_destroy(rpool *p);   /* closes the idle connections; none may be borrowed */

/* A connected connection, or NULL when Redis cannot be reached (err, when not NULL, gets
 * the reason). The caller puts it back with rpool_put. */
rconn *rpool_get(rpool *p, char *err, size_t errlen);
/* The same, saying why: 0, BERTH_EREDIS or BERTH_ENOMEM. */
int rpool_take(rpool *p, rconn **out, char *err, size_t errlen);
/* An idle connection that is still open, without dialling or waiting for Redis (for a
 * thread that must not block: the one that writes a lone launch's script call), or NULL:
 * none idle. Put back with rpool_put. */
rconn *rpool_take_idle(rpool *p);
/* Gives rc back (NULL-safe); a broken or stale one is closed instead of kept. */
void rpool_put(rpool *p, rconn *rc);

#endif
