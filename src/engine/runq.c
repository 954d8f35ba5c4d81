/* Run allocation and the engine's clock helpers; see internal.h. */
#include <time.h>

#include "engine/internal.h"
#include "util/alloc.h"

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

void run_free_node(fnode *n)
{
    run_free(FIFO_ENTRY(n, run, node));
}
