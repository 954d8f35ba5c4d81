/* The engine's window on the hook outbox: counts for /api/v1/stats-like views, replay of
 * parked events. Delivery itself is src/hook. */
#include "engine/internal.h"
#include "hook/hook.h"

int berth_engine_hook_counts(berth_engine *e, berth_hook_counts *out)
{
    rconn *rc = NULL;
    int taken = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    hook_counts c;
    int err = hook_counts_read(rc, e->prefix, &c);
    engine_conn_put(e, rc);
    if (err == 0)
        *out = (berth_hook_counts){c.pending, c.retrying, c.parked, c.dropped};
    return err;
}

int berth_engine_hook_replay(berth_engine *e, long limit, long long *moved)
{
    if (limit <= 0)
        return BERTH_EINVAL;
    rconn *rc = NULL;
    int taken = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    int err = hook_replay(rc, e->prefix, limit, moved);
    engine_conn_put(e, rc);
    return err;
}
