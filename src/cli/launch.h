/* The launch request of `berth submit` (POST /api/v1/jobs, spec §2.5):
 *   {"job":{"name":..,"parameters":{..}|null,"metadata":{"kind":..,["schedule_delay":N,]
 *    ["cron_spec":..,]"unique":bool},"status_hook":".."}}
 * written in Go's field order and encoding (src/model/json_write.h), as Harbor core sends it.
 * Parameters are checked here, so a typo is a usage error before anything is sent. */
#ifndef BERTH_CLI_LAUNCH_H
#define BERTH_CLI_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Largest launch body the CLI sends. */
#define LAUNCH_BODY_MAX ((size_t)1 << 20)

typedef struct launch_args {
    const char *name;
    const char *params;       /* --params: a JSON object (or null); NULL when not given */
    const char **pairs;       /* --param k=v (string) or k:=JSON (any value), in order */
    size_t npairs;
    const char *kind;         /* NULL: Periodic with a cron, Scheduled with a delay, else Generic */
    uint64_t delay;           /* seconds; 0 = not given */
    const char *cron;         /* NULL = not given */
    bool unique;
    const char *hook;         /* NULL = "" */
} launch_args;

/* Appends the body to out (capped at LAUNCH_BODY_MAX). CLI_OK, or CLI_USAGE after printing
 * what is wrong (bad JSON, a pair without '=', an unknown kind, ...). */
int launch_body(const launch_args *a, buf *out);

#endif
