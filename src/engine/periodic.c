/* What the engine lends its periodic part and other borrowers: the API connection pool and
 * read-only views of its settings; see periodic.h. */
#include "engine/internal.h"

/* API callers (launch, get, stop, tracker) borrow a connection from the pool. */
rconn *engine_conn_get(berth_engine *e)
{
    rconn *rc = NULL;
    return engine_conn_take(e, &rc) == 0 ? rc : NULL;
}

int engine_conn_take(berth_engine *e, rconn **out)
{
    char err[256];
    int rc = rpool_take(&e->pool, out, err, sizeof err);
    if (rc == BERTH_EREDIS)
        BLOG_DEBUG(&e->log, "redis connect failed: %s", err);   /* rhealth said it */
    return rc;
}

void engine_conn_put(berth_engine *e, rconn *rc)
{
    rpool_put(&e->pool, rc);
}

bool berth_engine_periodic(const berth_engine *e)
{
    return e && e->periodic != NULL;
}

const char *engine_prefix(const berth_engine *e)
{
    return e->prefix;
}

const berth_logger *engine_logger(const berth_engine *e)
{
    return &e->log;
}

const rtarget *engine_target(const berth_engine *e)
{
    return &e->target;
}

