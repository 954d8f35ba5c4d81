/* The fetcher's wake-up flag; see waker.h. */
#include "engine/waker.h"

#include <time.h>

#include "engine/internal.h"

void waker_init(waker *w)
{
    pthread_mutex_init(&w->mu, NULL);
    clock_cond_init(&w->cv);
    w->flag = false;
}

void waker_destroy(waker *w)
{
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
}

void waker_raise(waker *w)
{
    pthread_mutex_lock(&w->mu);
    w->flag = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void waker_clear(waker *w)
{
    pthread_mutex_lock(&w->mu);
    w->flag = false;
    pthread_mutex_unlock(&w->mu);
}

void waker_wait(waker *w, int ms, const atomic_bool *go)
{
    struct timespec deadline;
    clock_deadline(&deadline, ms);
    pthread_mutex_lock(&w->mu);
    while (!w->flag && atomic_load(go))
        if (pthread_cond_timedwait(&w->cv, &w->mu, &deadline) != 0)
            break;
    w->flag = false;
    pthread_mutex_unlock(&w->mu);
}
