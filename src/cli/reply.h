/* Decoding the server's JSON replies with the model's Go-compatible readers
 * (src/model/stats_from_json.h): one job {"job":{...}}, or an array of them (job lists and
 * executions; `null` is read as an empty list, as Harbor sends it for no executions). */
#ifndef BERTH_CLI_REPLY_H
#define BERTH_CLI_REPLY_H

#include <stddef.h>

#include "berth/job.h"

typedef struct reply_jobs {
    berth_stats **items;   /* n entries, each owned */
    size_t n;
} reply_jobs;

/* CLI_OK with *out the caller's (berth_stats_free), or CLI_SERVER after printing why. */
int reply_job(const char *text, size_t len, berth_stats **out);
/* CLI_OK with *out filled (reply_jobs_free), or CLI_SERVER after printing why. */
int reply_jobs_parse(const char *text, size_t len, reply_jobs *out);
void reply_jobs_free(reply_jobs *l);

#endif
