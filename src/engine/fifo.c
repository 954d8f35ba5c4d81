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
    q->watcher = NULL;
    q->wakes = q->watches = 0;
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
    if (q->watcher == s)   /* it takes a node now; a pop behind it names the next watcher */
        q->watcher = NULL;
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

/* Under mu, nodes waiting that no popper is on its way for, none due yet: the top sleeper
 * is asked to watch the head (fifo.h) unless one already does. One signal per episode of
 * waiting runs, not per push: a watcher stays one until nothing is left to watch. */
static void watch(fifo *q)
{
    if (q->watcher || q->spread_us <= 0)
        return;
    q->watcher = q->sleepers;
    q->watches++;
    pthread_cond_signal(&q->watcher->cv);
}

/* Under mu: fifo_attend's rule. */
static bool attend(fifo *q, int64_t now_us)
{
    if (!q->head || !q->sleepers || atomic_load(&q->len) <= q->waking)
        return false;
    bool nobody_awake = q->poppers <= q->nsleepers;
    if (!nobody_awake && (now_us < 0 || now_us - q->head->at_us < q->spread_us)) {
        watch(q);
        return false;
    }
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

/* Under mu, s the watcher: true when the head has waited spread_us and still no popper is
 * on its way for it (the watcher takes it); else *due_us is when it will have, or -1 when
 * nothing is left to watch. */
static bool watch_due(fifo *q, int64_t *due_us)
{
    if (!q->head || atomic_load(&q->len) <= q->waking) {
        *due_us = -1;
        return false;
    }
    *due_us = q->head->at_us + q->spread_us;
    return clock_mono_us() >= *due_us;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Under mu, s on the sleepers: waits until woken, the caller's deadline (NULL: none)
 * passes (ETIMEDOUT), or, s being the watcher, the head falls due (0, s not woken). */
static int wait_sleeping(fifo *q, fsleeper *s, const struct timespec *deadline)
{
    int rc = 0;
    while (!s->woken && rc == 0) {   /* fifo_close wakes every sleeper too */
        const struct timespec *until = deadline;
        struct timespec due;
        int64_t due_us = -1;
        if (q->watcher == s && watch_due(q, &due_us))
            return 0;
        if (q->watcher == s && due_us < 0)
            q->watcher = NULL;       /* nothing left to watch: sleep as the others do */
        if (due_us >= 0) {
            due.tv_sec = (time_t)(due_us / 1000000);
            due.tv_nsec = (long)(due_us % 1000000) * 1000L;
            if (!until || before(&due, until))
                until = &due;
        }
        rc = until ? pthread_cond_timedwait(&s->cv, &q->mu, until)
                   : pthread_cond_wait(&s->cv, &q->mu);
        if (rc == ETIMEDOUT && until != deadline)
            rc = 0;                  /* the watch's own deadline: look again */
    }
    return rc;
}

/* Under mu, the queue empty: sleeps on its own condition variable at the top of the
 * sleepers until a node is taken, the queue is closed, or ms pass (-1: no limit). A
 * watcher (fifo.h) that sees the head fall due takes it itself. */
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
        rc = wait_sleeping(q, &s, ms >= 0 ? &deadline : NULL);
        if (q->watcher == &s)
            q->watcher = NULL;
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
