/* Harbor's job.SimpleStatusChange, {"job_id":"..","target_status":"..","revision":N}: the
 * record of a status write to retry later (spec §5.4). All three fields are always written. */
#ifndef BERTH_MODEL_SIMPLE_CHANGE_H
#define BERTH_MODEL_SIMPLE_CHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef struct berth_simple_change {
    char *job_id;         /* NULL when absent */
    char *target_status;  /* NULL when absent */
    int64_t revision;
} berth_simple_change;

/* Appends the JSON (NULL strings as ""). 0 or BERTH_ETOOBIG (out restored). */
int berth_simple_change_to_json(const berth_simple_change *c, buf *out);
/* Parses it with Go's rules; *out is the caller's (berth_simple_change_free), else
 * BERTH_EINVAL + err. */
int berth_simple_change_parse(const char *text, size_t len, berth_simple_change **out,
                              char *err, size_t errlen);
/* NULL is a no-op. */
void berth_simple_change_free(berth_simple_change *c);

#endif
