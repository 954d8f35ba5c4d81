/* The worker pool's slots; see slots.h. */
#include "engine/slots.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/internal.h"
#include "model/id.h"
#include "util/alloc.h"

void slots_init(slots *p)
{
    pthread_mutex_init(&p->mu, NULL);
    clock_cond_init(&p->cv);
    p->v = NULL;
    p->n = p->idle = 0;
    p->idle_waiters = 0;
    p->room_waiting = false;
    p->room_queued = 0;
    p->room_ready = NULL;
}

int slots_alloc(slots *p, unsigned n, berth_engine *e, const rtarget *t)
{
    p->v = berth_calloc(n, sizeof *p->v);
    if (!p->v)
        return BERTH_ENOMEM;
    p->n = p->idle = n;
    for (unsigned i = 0; i < n; i++) {
        slot *s = &p->v[i];
        s->e = e;
        atomic_init(&s->stop, false);
        berth_id_new(s->worker_id);
        rconn_init(&s->rc, t, 5000);
    }
    return 0;
}

void slots_keep(slots *p, unsigned n)
{
    pthread_mutex_lock(&p->mu);
    for (unsigned i = n; i < p->n; i++)
        rconn_close(&p->v[i].rc);
    p->idle -= p->n - n;     /* the dropped slots never ran: they were idle */
    p->n = n;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void slots_unalloc(slots *p)
{
    for (unsigned i = 0; i < p->n; i++)
        rconn_close(&p->v[i].rc);
    berth_free(p->v);
    p->v = NULL;
    p->n = p->idle = 0;
}

void slots_destroy(slots *p)
{
    for (unsigned i = 0; i < p->n; i++)
        rconn_close(&p->v[i].rc);
    berth_free(p->v);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
}

void slots_set(slots *p, slot *s, run *r)
{
    pthread_mutex_lock(&p->mu);
    s->cur = r;
    if (r)
        p->idle--;
    else
        p->idle++;
    /* Only an end can be waited for: a start makes no room (one idle worker less for one
     * queued run less) and makes nobody idle. An end wakes the fetcher only when it made
     * the room the fetcher waits for; a prefetching fetcher is otherwise woken by a
     * completer write or its timed wait. Waking it at every start, then at every end,
     * cost a context switch per job. */
    if (!r && (p->idle_waiters ||
               (p->room_waiting && (p->idle > fifo_len(p->room_ready) ||
                                    fifo_len(p->room_ready) <= p->room_queued))))
        pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void slots_notify(slots *p, void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&p->mu);
    if (fn)
        fn(arg);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

unsigned slots_busy(slots *p)
{
    unsigned n = 0;
    pthread_mutex_lock(&p->mu);
    for (unsigned i = 0; i < p->n; i++)
        n += p->v[i].cur != NULL;
    pthread_mutex_unlock(&p->mu);
    return n;
}

unsigned slots_wait_room(slots *p, fifo *ready, unsigned batch, bool prefetch,
                         const atomic_size_t *held, size_t held_max, const atomic_bool *go,
                         int ms)
{
    unsigned want = 0;
    struct timespec deadline;
    if (ms >= 0)
        clock_deadline(&deadline, ms);
    pthread_mutex_lock(&p->mu);
    while (atomic_load(go)) {
        unsigned queued = (unsigned)fifo_len(ready);
        unsigned room = p->idle > queued ? p->idle - queued : 0;
        if (prefetch && queued <= batch / 2)   /* refill at half: few, full fetches */
            room = batch - queued;
        size_t h = atomic_load(held);
        if (room > 0 && h + room > held_max)
            room = h < held_max ? (unsigned)(held_max - h) : 0;
        if (room > 0) {
            want = room < batch ? room : batch;
            break;
        }
        p->room_waiting = true;
        p->room_queued = prefetch ? batch / 2 : 0;
        p->room_ready = ready;
        int rc = ms < 0 ? pthread_cond_wait(&p->cv, &p->mu)
                        : pthread_cond_timedwait(&p->cv, &p->mu, &deadline);
        p->room_waiting = false;
        if (rc != 0)
            break;
    }
    pthread_mutex_unlock(&p->mu);
    return want;
}

int64_t slots_oldest_start_ms(slots *p)
{
    int64_t oldest = INT64_MAX;
    pthread_mutex_lock(&p->mu);
    for (unsigned i = 0; i < p->n; i++)
        if (p->v[i].cur && p->v[i].cur->started_ms < oldest)
            oldest = p->v[i].cur->started_ms;
    pthread_mutex_unlock(&p->mu);
    return oldest;
}

bool slots_wait_idle(slots *p, fifo *ready, int ms, const atomic_bool *hurry)
{
    struct timespec deadline;
    clock_deadline(&deadline, ms);
    pthread_mutex_lock(&p->mu);
    bool idle = true;
    for (;;) {
        idle = true;
        for (unsigned i = 0; i < p->n; i++)
            idle &= p->v[i].cur == NULL;
        idle &= fifo_len(ready) == 0;
        if (idle || (hurry && atomic_load(hurry)))
            break;
        p->idle_waiters++;
        int rc = pthread_cond_timedwait(&p->cv, &p->mu, &deadline);
        p->idle_waiters--;
        if (rc != 0)
            break;
    }
    pthread_mutex_unlock(&p->mu);
    return idle;
}

void slots_find(slots *p, const char *id, size_t len, void (*fn)(slot *, void *), void *arg)
{
    pthread_mutex_lock(&p->mu);
    for (unsigned i = 0; i < p->n; i++) {
        run *r = p->v[i].cur;
        if (r && strlen(r->id) == len && memcmp(r->id, id, len) == 0)
            fn(&p->v[i], arg);
    }
    pthread_mutex_unlock(&p->mu);
}

bool slots_peek(slots *p, unsigned i, char *id, size_t idlen, char *name, size_t namelen,
                int64_t *started_ms, char **raw)
{
    pthread_mutex_lock(&p->mu);
    run *r = p->v[i].cur;
    if (r) {
        snprintf(id, idlen, "%s", r->id);
        snprintf(name, namelen, "%s", r->name);
        *started_ms = r->started_ms;
        *raw = berth_strdup(r->raw);
    }
    pthread_mutex_unlock(&p->mu);
    return r != NULL;
}
