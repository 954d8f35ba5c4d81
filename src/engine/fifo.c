/* Locked intrusive FIFO with chosen wake-ups; see fifo.h. */
#include "engine/fifo.h"

#include <errno.h>
#include <limits.h>
#include <time.h>

#include "engine/internal.h"

struct fsleeper {
    pthread_cond_t cv;
    fsleeper *next;
    bool woken;              /* taken off the stack by a wake-up (counted in waking) */
};

void fifo_init(fifo *q)
{
    pthread_mutex_init(&q->mu, NULL);
    q->head = q->tail = NULL;
    atomic_init(&q->len, 0);
    q->closed = false;
    q->sleepers = NULL;
    q->nsleepers = q->waking = q->poppers = 0;
    q->spread_us = 0;
    q->wakes = 0;
}

void fifo_destroy(fifo *q, void (*free_node)(fnode *))
{
    fnode *n = q->head;
    while (n) {
        fnode *next = n->next;
        if (free_node)
            free_node(n);
        n = next;
    }
    q->head = q->tail = NULL;
    atomic_store(&q->len, 0);
    pthread_mutex_destroy(&q->mu);
}

void fifo_set_spread(fifo *q, int64_t spread_us)
{
    pthread_mutex_lock(&q->mu);
    q->spread_us = spread_us;
    pthread_mutex_unlock(&q->mu);
}

void fifo_popper(fifo *q, int delta)
{
    pthread_mutex_lock(&q->mu);
    q->poppers = (unsigned)((int)q->poppers + delta);
    pthread_mutex_unlock(&q->mu);
}

/* Under mu, with a sleeper: wakes the most recently idle one. */
static void wake_top(fifo *q)
{
    fsleeper *s = q->sleepers;
    q->sleepers = s->next;
    q->nsleepers--;
    s->woken = true;
    q->waking++;
    q->wakes++;
    pthread_cond_signal(&s->cv);
}

static void append(fifo *q, fnode *n)
{
    n->next = NULL;
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
    atomic_fetch_add(&q->len, 1);
}

void fifo_push(fifo *q, fnode *n)
{
    pthread_mutex_lock(&q->mu);
    append(q, n);
    if (q->sleepers && atomic_load(&q->len) > q->waking)
        wake_top(q);
    pthread_mutex_unlock(&q->mu);
}

void fifo_push_quiet(fifo *q, fnode *n)
{
    pthread_mutex_lock(&q->mu);
    append(q, n);
    pthread_mutex_unlock(&q->mu);
}

/* Under mu: fifo_attend's rule. */
static bool attend(fifo *q, int64_t now_us)
{
    if (!q->head || !q->sleepers || atomic_load(&q->len) <= q->waking)
        return false;
    bool nobody_awake = q->poppers <= q->nsleepers;
    if (!nobody_awake && (now_us < 0 || now_us - q->head->at_us < q->spread_us))
        return false;
    wake_top(q);
    return true;
}

bool fifo_attend(fifo *q, int64_t now_us)
{
    pthread_mutex_lock(&q->mu);
    bool woke = attend(q, now_us);
    pthread_mutex_unlock(&q->mu);
    return woke;
}

void fifo_wake(fifo *q, unsigned n)
{
    pthread_mutex_lock(&q->mu);
    while (n-- > 0 && q->sleepers)
        wake_top(q);
    pthread_mutex_unlock(&q->mu);
}

static fnode *take(fifo *q)
{
    fnode *n = q->head;
    if (n) {
        q->head = n->next;
        if (!q->head)
            q->tail = NULL;
        atomic_fetch_sub(&q->len, 1);
        n->next = NULL;
    }
    return n;
}

static void unlink_sleeper(fifo *q, fsleeper *s)
{
    for (fsleeper **p = &q->sleepers; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            q->nsleepers--;
            return;
        }
    }
}

/* Under mu, the queue empty: sleeps on its own condition variable at the top of the
 * sleepers until a node is taken, the queue is closed, or ms pass (-1: no limit). */
static fnode *sleep_for_node(fifo *q, int ms)
{
    struct timespec deadline;
    if (ms >= 0)
        clock_deadline(&deadline, ms);
    fsleeper s;
    clock_cond_init(&s.cv);
    fnode *n = NULL;
    int rc = 0;
    while (!n && !q->closed && rc == 0) {
        s.woken = false;
        s.next = q->sleepers;
        q->sleepers = &s;
        q->nsleepers++;
        while (!s.woken && rc == 0)   /* fifo_close wakes every sleeper too */
            rc = ms < 0 ? pthread_cond_wait(&s.cv, &q->mu)
                        : pthread_cond_timedwait(&s.cv, &q->mu, &deadline);
        if (s.woken)
            q->waking--;
        else
            unlink_sleeper(q, &s);
        n = take(q);   /* NULL: an awake popper took it first; sleep again */
    }
    pthread_cond_destroy(&s.cv);
    return n;
}

fnode *fifo_pop(fifo *q, int ms)
{
    pthread_mutex_lock(&q->mu);
    fnode *n = take(q);
    if (!n && !q->closed && ms != 0)
        n = sleep_for_node(q, ms);
    /* the node behind this one waited too long for the poppers awake: wake another */
    if (n && ms != 0 && q->spread_us > 0 && q->head && q->sleepers &&
        atomic_load(&q->len) > q->waking)
        attend(q, clock_mono_us());
    pthread_mutex_unlock(&q->mu);
    return n;
}

size_t fifo_len(fifo *q)
{
    return atomic_load(&q->len);
}

void fifo_close(fifo *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    while (q->sleepers)
        wake_top(q);
    pthread_mutex_unlock(&q->mu);
}
