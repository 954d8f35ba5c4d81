/* The waker: how the fetcher sleeps while every queue is empty and is woken when there may
 * be work (an enqueue published on the wake channel, a local launch, shutdown).
 *
 * Owner: the fetcher waits on it; the subscriber, enqueue and shutdown raise it. A raise
 * is never lost: the flag stays set until the fetcher clears it before a fetch (that fetch
 * sees everything enqueued before the clear) or consumes it in waker_wait.
 * Lock rule: mu guards flag; cv is signalled with it held. */
#ifndef BERTH_ENGINE_WAKER_H
#define BERTH_ENGINE_WAKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

typedef struct waker {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool flag;               /* raised and not yet consumed */
} waker;

void waker_init(waker *w);
void waker_destroy(waker *w);
void waker_raise(waker *w);
void waker_clear(waker *w);
/* Waits up to ms for a raise while *go holds; consumes the flag. */
void waker_wait(waker *w, int ms, const atomic_bool *go);

#endif
