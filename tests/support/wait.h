/* Waiting in tests without lying or flaking: a condition is polled until it holds or a
 * deadline passes (wait_until), never assumed after a fixed sleep. A fixed sleep
 * (wait_sleep_ms) is for a *negative* check only — "nothing happens within this window",
 * which no poll can prove — or to pace a load; the comment at the call says which.
 * One clock for all tests: CLOCK_MONOTONIC milliseconds. No state, thread-safe. */
#ifndef BERTH_TEST_WAIT_H
#define BERTH_TEST_WAIT_H

#include <stdbool.h>
#include <sys/types.h>

/* A condition to wait for; arg is the caller's. Called on the caller's thread only. */
typedef bool (*wait_pred)(void *arg);

/* Calls pred(arg) at once and then every few milliseconds (1 ms at first, backing off to
 * 20 ms) until it returns true or deadline_ms milliseconds have passed; pred is called
 * once more at the deadline. Returns the last result: true when the condition held. */
bool wait_until(wait_pred pred, void *arg, int deadline_ms);
/* The same with polls at most every_ms apart (from 1 ms up): for a costly pred (a process
 * spawned or a whole job set read per call) that should not run every 20 ms. */
bool wait_until_every(wait_pred pred, void *arg, int deadline_ms, int every_ms);

/* Waits until the file at path holds a process id (a child writes it when it is up), up
 * to deadline_ms. Returns the id, or 0 when none was written in time. */
long wait_pid_file(const char *path, int deadline_ms);

/* Waits up to deadline_ms for the child pid to exit, and reaps it. Returns its exit code,
 * 128 + the signal that ended it, or -1 when it still runs at the deadline (not reaped). */
int wait_exit(pid_t pid, int deadline_ms);

/* CLOCK_MONOTONIC in milliseconds. */
long long wait_now_ms(void);
/* A fixed sleep: only before a negative check or to pace a load (see above). */
void wait_sleep_ms(int ms);

#endif
