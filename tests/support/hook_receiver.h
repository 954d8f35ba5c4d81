/* A real HTTP hook receiver for tests (libmicrohttpd on 127.0.0.1, port 0): records every
 * POST body and answers as told — 200, an error status, a hang, or a dropped connection. */
#ifndef BERTH_TEST_HOOK_RECEIVER_H
#define BERTH_TEST_HOOK_RECEIVER_H

#include <stddef.h>

typedef enum { HR_OK, HR_FAIL, HR_HANG, HR_RESET } hr_mode;

typedef struct hook_receiver hook_receiver;

hook_receiver *hr_start(void);
void hr_stop(hook_receiver *r);
int hr_port(const hook_receiver *r);
void hr_set_mode(hook_receiver *r, hr_mode m);
/* How many requests were answered 200; copies the first bodies (up to max, and only the
 * first 4096 are kept) into out in arrival order, each the caller's to free. */
size_t hr_delivered(hook_receiver *r, char **out, size_t max);
/* Every request seen, whatever the answer. */
size_t hr_attempts(hook_receiver *r);
/* Waits until at least n bodies were answered 200, up to ms. Returns the count. */
size_t hr_wait(hook_receiver *r, size_t n, int ms);

#endif
