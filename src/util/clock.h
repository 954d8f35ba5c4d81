/* The one time module: the wall clock for what is stored, shown or compared with other
 * hosts (unix seconds and milliseconds), and the monotonic clock for durations, deadlines,
 * sleeps and every timed wait (a wall clock set back must not stretch a wait).
 *
 * No state and no locks; every function is safe from any thread. A condition variable
 * that pthread_cond_timedwait uses with clock_deadline must be made by clock_cond_init
 * (both are CLOCK_MONOTONIC). */
#ifndef BERTH_UTIL_CLOCK_H
#define BERTH_UTIL_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

int64_t clock_wall_s(void);      /* unix seconds */
int64_t clock_wall_ms(void);     /* unix milliseconds */
int64_t clock_wall_ms_up(void);  /* unix milliseconds rounded up: never before now */
int64_t clock_mono_ms(void);     /* monotonic milliseconds (an arbitrary origin) */
int64_t clock_mono_us(void);     /* monotonic microseconds */
int64_t clock_wall_us(void);     /* unix microseconds */

/* The monotonic time ms milliseconds from now, as pthread_cond_timedwait takes it. */
void clock_deadline(struct timespec *ts, int64_t ms);
/* The same, us microseconds from now (a wait for a due time to the millisecond). */
void clock_deadline_us(struct timespec *ts, int64_t us);
/* A condition variable whose timed waits use the monotonic clock. */
void clock_cond_init(pthread_cond_t *cv);
/* Sleeps ms milliseconds (resumed after a signal; <= 0 returns at once). */
void clock_sleep_ms(int64_t ms);

#endif
