/* The waker: how the fetcher sleeps while every queue is empty and is woken when there may
 * be work. Two sources wake it: its own subscription to the namespace's wake channel (an
 * enqueue that found this node idle publishes there: the message wakes the fetcher
 * directly, with no thread in between), and local raises (shutdown, the subscriber's
 * reconnect) through an eventfd. The fetcher waits on both at once with poll().
 *
 * Owner: the fetcher owns the subscription (waker_listen, waker_wait, waker_unlisten are
 * its alone); any thread may call waker_raise. A raise is never lost: the flag stays set
 * (and the eventfd readable) until the fetcher clears it before a fetch (that fetch sees
 * everything enqueued before the clear) or consumes it in waker_wait. A wake-up published
 * while the fetcher was not subscribed is not lost either: after (re)subscribing the
 * fetcher fetches before it waits, and only an empty fetch marks the node idle.
 * Lock rule: no lock; raised is atomic and the eventfd is written only when it rises. */
#ifndef BERTH_ENGINE_WAKER_H
#define BERTH_ENGINE_WAKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/redis.h"
#include "store/subscribe.h"

typedef struct waker {
    int efd;                 /* eventfd, readable while a raise is not consumed */
    atomic_bool raised;      /* raised and not yet consumed */
    rsub *sub;               /* the wake channel (fetcher only; NULL: not subscribed) */
    int64_t redial_ms;       /* fetcher only: monotonic ms of the next subscribe attempt */
    int backoff_ms;          /* fetcher only: the wait after a failed subscribe */
} waker;

/* 0, or BERTH_EIO when no eventfd can be made (nothing to destroy then). */
int waker_init(waker *w);
void waker_destroy(waker *w);
void waker_raise(waker *w);
void waker_clear(waker *w);
/* Subscribes to chan on t unless subscribed, at most once per back-off after a failure.
 * True when a new subscription was made (wake-ups sent before it were not seen). */
bool waker_listen(waker *w, const rtarget *t, const char *chan);
void waker_unlisten(waker *w);
/* Waits up to ms for a raise or a wake message while *go holds; consumes both. Without a
 * subscription it waits no longer than until the next subscribe attempt. True when woken
 * (a raise, a message, or *go dropped), false when the time ran out. */
bool waker_wait(waker *w, int ms, const atomic_bool *go);

#endif
