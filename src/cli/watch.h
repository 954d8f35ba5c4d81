/* `berth get ID --watch`: polls GET /api/v1/jobs/{id} every interval until the job reaches a
 * final status, printing a line for each status change and each new check-in:
 *   2023-11-14T22:13:20Z status Running
 *   2023-11-14T22:13:21Z check-in
 * (the job's update_time / check_in_at; GET never returns the check-in text, spec §2.6).
 * With --json, every reply that changed either is printed as one JSON line. Exit: CLI_OK on
 * Success, CLI_JOB_FAILED on Error or Stopped, the request's code if a poll fails. */
#ifndef BERTH_CLI_WATCH_H
#define BERTH_CLI_WATCH_H

#include "cli/cli.h"

int watch_job(const cli_cfg *cfg, const char *path, long interval_ms);

#endif
