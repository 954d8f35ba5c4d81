/* The HOOKED job of the hook tests: two check-ins, then it holds until hooked_job_release
 * (or a stop), and succeeds; and a launch of it whose status hook points at a receiver. */
#ifndef BERTH_TEST_HOOKED_JOB_H
#define BERTH_TEST_HOOKED_JOB_H

#include <stdbool.h>

#include "berth/berth.h"
#include "hook_receiver.h"

/* The job's run callback (register it as "HOOKED"). */
int hooked_job_run(berth_ctx *ctx, const char *params, void *ud);
/* Lets held runs end (true) or makes the next ones hold (false). */
void hooked_job_release(bool released);
/* Launches HOOKED with its hook on hr; the job id (the caller frees it). Fails the test if
 * the launch is refused. */
char *hooked_job_launch(berth_engine *e, hook_receiver *hr);
/* The hook URL on hr that hooked_job_launch uses. */
void hooked_job_url(hook_receiver *hr, char *url, size_t len);

#endif
