/* One connection pool for every borrower; see pool.h. */
#include "store/pool.h"

#include <stdio.h>

#include "berth/error.h"
#include "util/alloc.h"

int rpool_init(rpool *p, const rtarget *t, int timeout_ms)
{
    *p = (rpool){0};
    int rc = rtarget_copy(&p->target, t);
    if (rc != 0) /* every connection then fails with BERTH_ENOMEM (rconn_init) */
        rtarget_free(&p->target);
    p->own_health.log = (berth_logger){0};
    if (!p->target.health)
        p->target.health = &p->own_health;
    p->timeout_ms = timeout_ms;
    pthread_mutex_init(&p->mu, NULL);
    return rc;
}

static void conn_free(rconn *rc)
{
    rconn_close(rc);
    berth_free(rc);
}

void rpool_destroy(rpool *p)
{
    for (size_t i = 0; i < p->nidle; i++)
        conn_free(p->idle[i]);
    p->nidle = 0;
    rtarget_free(&p->target);
    pthread_mutex_destroy(&p->mu);
}

static rconn *take_idle(rpool *p)
{
    rconn *rc = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->nidle > 0)
        rc = p->idle[--p->nidle];
    pthread_mutex_unlock(&p->mu);
    return rc;
}

rconn *rpool_take_idle(rpool *p)
{
    rconn *rc;
    while ((rc = take_idle(p)) && !rconn_fresh(rc))
        conn_free(rc);
    return rc;
}

rconn *rpool_get(rpool *p, char *err, size_t errlen)
{
    rconn *rc = NULL;
    return rpool_take(p, &rc, err, errlen) == 0 ? rc : NULL;
}

int rpool_take(rpool *p, rconn **out, char *err, size_t errlen)
{
    *out = NULL;
    rconn *rc = rpool_take_idle(p);   /* a stale one (dialled before an outage, or closed by
                                       * Redis) is closed */
    if (!rc && (rc = berth_malloc(sizeof *rc)))
        rconn_init(rc, &p->target, p->timeout_ms);
    int code = rc ? rconn_connect(rc) : BERTH_ENOMEM;
    if (code != 0) {
        if (err)
            snprintf(err, errlen, "%s", rc ? rc->err : "out of memory");
        if (rc)
            conn_free(rc);
        return code;
    }
    *out = rc;
    return 0;
}

void rpool_put(rpool *p, rconn *rc)
{
    if (!rc)
        return;
    bool kept = false;
    if (rconn_connected(rc) && rc->gen == atomic_load(&p->target.health->gen)) {
        pthread_mutex_lock(&p->mu);
        if (p->nidle < RPOOL_MAX_IDLE) {
            p->idle[p->nidle++] = rc;
            kept = true;
        }
        pthread_mutex_unlock(&p->mu);
    }
    if (!kept)
        conn_free(rc);
}
