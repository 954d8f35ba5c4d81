/* Locked FIFO of runs between engine threads, and run allocation; see internal.h. */
#include <errno.h>
#include <time.h>

#include "engine/internal.h"
#include "util/alloc.h"

void runq_init(runq *q)
{
    pthread_mutex_init(&q->mu, NULL);
    engine_cond_init(&q->cv);
    q->head = q->tail = NULL;
    q->len = 0;
    q->closed = false;
}

void runq_destroy(runq *q)
{
    run *r = runq_drain(q);
    while (r) {
        run *next = r->next;
        run_free(r);
        r = next;
    }
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
}

void runq_push(runq *q, run *r)
{
    r->next = NULL;
    pthread_mutex_lock(&q->mu);
    if (q->tail)
        q->tail->next = r;
    else
        q->head = r;
    q->tail = r;
    q->len++;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

run *runq_pop(runq *q, int ms)
{
    struct timespec deadline;
    if (ms >= 0)
        engine_timespec_after(&deadline, ms);
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->closed) {
        int rc = ms < 0 ? pthread_cond_wait(&q->cv, &q->mu)
                        : pthread_cond_timedwait(&q->cv, &q->mu, &deadline);
        if (rc == ETIMEDOUT)
            break;
    }
    run *r = q->head;
    if (r) {
        q->head = r->next;
        if (!q->head)
            q->tail = NULL;
        q->len--;
        r->next = NULL;
    }
    pthread_mutex_unlock(&q->mu);
    return r;
}

run *runq_drain(runq *q)
{
    pthread_mutex_lock(&q->mu);
    run *r = q->head;
    q->head = q->tail = NULL;
    q->len = 0;
    pthread_mutex_unlock(&q->mu);
    return r;
}

size_t runq_len(runq *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->len;
    pthread_mutex_unlock(&q->mu);
    return n;
}

void runq_close(runq *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

run *run_new(void)
{
    run *r = berth_calloc(1, sizeof *r);
    buf_init(&r->errmsg, 4096);
    return r;
}

void run_free(run *r)
{
    if (!r)
        return;
    berth_free(r->id);
    berth_free(r->name);
    berth_free(r->raw);
    berth_free(r->checkin);
    buf_free(&r->errmsg);
    berth_free(r);
}

void engine_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
}

int64_t engine_now(void)
{
    return (int64_t)time(NULL);
}

int64_t engine_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void engine_timespec_after(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}
