/* Small pieces the engine threads share: the API connection pool, the fetcher wake-up,
 * the owned-runs registry and the retry back-off. */
#include <math.h>
#include <stdlib.h>
#include <sys/random.h>

#include "engine/internal.h"
#include "util/alloc.h"

/* API callers (launch, get, stop, tracker) borrow a connection from the pool. */
rconn *engine_conn_get(berth_engine *e)
{
    char err[256];
    rconn *rc = rpool_get(&e->pool, err, sizeof err);
    if (!rc)
        BLOG_DEBUG(&e->log, "redis connect failed: %s", err);   /* rhealth said it */
    return rc;
}

void engine_conn_put(berth_engine *e, rconn *rc)
{
    rpool_put(&e->pool, rc);
}

int engine_periodic_attach(berth_engine *e, const engine_periodic *p)
{
    if (e->periodic.self)
        return BERTH_ESTATE;
    e->periodic = *p;
    return 0;
}

void engine_periodic_detach(berth_engine *e)
{
    e->periodic = (engine_periodic){0};
}

bool berth_engine_periodic(const berth_engine *e)
{
    return e && e->periodic.self != NULL;
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

void engine_wake_fetcher(berth_engine *e)
{
    waker_raise(&e->wake);
}

double engine_backoff(const berth_engine *e, int fails)
{
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = (unsigned)engine_now_ms();
    double f = fails;
    double secs = pow(f, 4) + 15 + (double)(rnd % 30) * (f + 1);
    return secs * e->cfg.backoff_scale;
}

void engine_tick_wait(berth_engine *e, int ms)
{
    struct timespec deadline;
    engine_timespec_after(&deadline, ms);
    pthread_mutex_lock(&e->tick_mu);
    if (atomic_load(&e->running))
        pthread_cond_timedwait(&e->tick_cv, &e->tick_mu, &deadline);
    pthread_mutex_unlock(&e->tick_mu);
}

void engine_raise_stop(berth_engine *e, slot *s)
{
    pthread_mutex_lock(&e->stop_mu);   /* a sleeper checks the flags under it: no lost wake */
    if (s) {
        atomic_store(&s->stop, true);
    } else {
        atomic_store(&e->system_done, true);
        for (unsigned i = 0; i < e->workers.n; i++)
            atomic_store(&e->workers.v[i].stop, true);
    }
    pthread_cond_broadcast(&e->stop_cv);
    pthread_mutex_unlock(&e->stop_mu);
}

void engine_tick_wake(berth_engine *e)
{
    pthread_mutex_lock(&e->tick_mu);
    pthread_cond_broadcast(&e->tick_cv);
    pthread_mutex_unlock(&e->tick_mu);
}
