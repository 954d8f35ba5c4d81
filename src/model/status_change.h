/* The hook payload, Harbor's job.StatusChange (spec §9.2):
 *   {"job_id":"..","status":"..","check_in":"..","metadata":{StatsInfo}}
 * check_in is left out when empty, metadata when NULL; metadata carries check_in (hooks do,
 * GET does not). */
#ifndef BERTH_MODEL_STATUS_CHANGE_H
#define BERTH_MODEL_STATUS_CHANGE_H

#include <stddef.h>

#include "berth/job.h"
#include "util/buf.h"

typedef struct berth_status_change {
    char *job_id;           /* NULL when absent */
    char *status;           /* NULL when absent */
    char *check_in;         /* NULL when absent or empty */
    berth_stats *metadata;  /* NULL when absent or null */
} berth_status_change;

/* Appends the payload. 0; BERTH_EINVAL when metadata->parameters is not a JSON object;
 * BERTH_ETOOBIG at out's cap (out restored). */
int berth_status_change_to_json(const char *job_id, const char *status, const char *check_in,
                                const berth_stats *metadata, buf *out);
/* Parses a payload (what a hook receiver gets). Go's rules as in stats_from_json.h. On
 * success *out is the caller's (berth_status_change_free); else BERTH_EINVAL + err. */
int berth_status_change_parse(const char *text, size_t len, berth_status_change **out,
                              char *err, size_t errlen);
/* NULL is a no-op. */
void berth_status_change_free(berth_status_change *c);

#endif
