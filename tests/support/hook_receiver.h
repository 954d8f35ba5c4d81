/* A real HTTP hook receiver for tests (libmicrohttpd, a free port): records every POST body
 * and answers as told — 200, an error status, a hang, or a dropped connection — or is down
 * (nothing listens: connection refused) and comes back on the same port. */
#ifndef BERTH_TEST_HOOK_RECEIVER_H
#define BERTH_TEST_HOOK_RECEIVER_H

#include <stddef.h>

/* HR_REDIRECT: a request to any path but /redirected is answered 307 with a Location on
 * /redirected of this receiver (counted as an attempt, not recorded); one to /redirected
 * is recorded and answered 200, as HR_OK. */
typedef enum { HR_OK, HR_FAIL, HR_HANG, HR_RESET, HR_REDIRECT } hr_mode;

typedef struct hook_receiver hook_receiver;

hook_receiver *hr_start(void);
void hr_stop(hook_receiver *r);
/* The port, the same while down and after hr_up. */
int hr_port(const hook_receiver *r);
void hr_set_mode(hook_receiver *r, hr_mode m);
/* Stops listening and closes every connection (what was received is kept). */
void hr_down(hook_receiver *r);
/* Listens again on the same port (retrying up to 5 s while it is busy). 0 or -1. */
int hr_up(hook_receiver *r);
/* How many requests were answered 200; copies the first bodies (up to max, and only the
 * first 1,000,000 are kept) into out in arrival order, each the caller's to free. */
size_t hr_delivered(hook_receiver *r, char **out, size_t max);
/* Every request seen, whatever the answer. */
size_t hr_attempts(hook_receiver *r);
/* Waits until at least n bodies were answered 200, up to ms. Returns the count. */
size_t hr_wait(hook_receiver *r, size_t n, int ms);
/* Waits until at least n requests were seen (hr_attempts), up to ms. Returns the count. */
size_t hr_wait_attempts(hook_receiver *r, size_t n, int ms);

#endif
