/* berthd's own jobs from its config: the command jobs of `berth.jobs` (src/exec) and the
 * plugins of `berth.plugins` (src/plugin), registered on the engine before it starts.
 * The set owns what the registered job types point into; free it after the engine. */
#ifndef BERTH_SERVER_DAEMON_JOBS_H
#define BERTH_SERVER_DAEMON_JOBS_H

#include <stddef.h>

#include "berth/berth.h"
#include "server/config.h"

typedef struct daemon_jobs daemon_jobs;

/* Registers every command job and loads every plugin, logging one line each through log
 * (and a warning for a program that cannot be found now: the job still registers, and its
 * runs fail with the reason). 0, or BERTH_ECONFIG/BERTH_EINVAL with err filled; *out is
 * set in both cases, for daemon_jobs_free after berth_engine_free. */
int daemon_jobs_register(berth_engine *e, const berth_config *c, berth_log_fn log,
                         void *log_ud, daemon_jobs **out, char *err, size_t errlen);
/* NULL is a no-op. */
void daemon_jobs_free(daemon_jobs *j);

#endif
