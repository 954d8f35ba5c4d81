/* Waking engine threads: the fetcher (its waker), the heartbeat and promoter (the tick,
 * which shutdown broadcasts), and the jobs asleep in berth_ctx_sleep (the stop condition,
 * broadcast whenever a stop flag is raised). */
#include "engine/internal.h"

void engine_wake_fetcher(berth_engine *e)
{
    waker_raise(&e->wake);
}

void engine_tick_wait(berth_engine *e, int ms)
{
    engine_tick_wait_us(e, (int64_t)ms * 1000);
}

void engine_tick_wait_us(berth_engine *e, int64_t us)
{
    struct timespec deadline;
    clock_deadline_us(&deadline, us);
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
