/* Human-readable output on stdout: a job as a two-column table, jobs as aligned rows, Unix
 * times as UTC ISO-8601 (`2023-11-14T22:13:20Z`), and raw JSON replies for --json. */
#ifndef BERTH_CLI_OUTPUT_H
#define BERTH_CLI_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "berth/job.h"
#include "cli/reply.h"

#define OUTPUT_TIME_SIZE 32

/* "2023-11-14T22:13:20Z"; "-" for 0. Returns out. */
const char *output_time(int64_t t, char out[OUTPUT_TIME_SIZE]);
/* One field per line: "name      value"; empty fields are left out. */
void output_job(const berth_stats *s);
/* Header plus one row per job: ID STATUS KIND NAME UPDATED. */
void output_job_rows(const reply_jobs *l);
/* --json for a page of jobs: {"jobs":<array>,"<count_key>":<count>} where array is the
 * reply text (null printed as []) and the count is left out unless it is all digits. */
void output_page_json(const char *array, size_t len, const char *count_key, const char *count);
/* text[0..len) followed by a newline (the server's JSON has none). */
void output_raw(const char *text, size_t len);

#endif
