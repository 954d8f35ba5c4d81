/* One connection pool for every borrower; see pool.h. */
#include "store/pool.h"

#include <stdio.h>

#include "util/alloc.h"

void rpool_init(rpool *p, const rtarget *t, int timeout_ms)
{
    *p = (rpool){0};
    rtarget_copy(&p->target, t);
    p->own_health.log = (berth_logger){0};
    if (!p->target.health)
        p->target.health = &p->own_health;
    p->timeout_ms = timeout_ms;
    pthread_mutex_init(&p->mu, NULL);
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

rconn *rpool_get(rpool *p, char *err, size_t errlen)
{
    rconn *rc;
    while ((rc = take_idle(p)) && !rconn_fresh(rc))
        conn_free(rc);          /* stale: dialled before an outage, or closed by Redis */
    if (!rc) {
        rc = berth_malloc(sizeof *rc);
        rconn_init(rc, &p->target, p->timeout_ms);
    }
    if (rconn_connect(rc) != 0) {
        if (err)
            snprintf(err, errlen, "%s", rc->err);
        conn_free(rc);
        return NULL;
    }
    return rc;
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
