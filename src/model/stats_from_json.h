/* StatsInfo JSON → berth_stats: for clients of the API (the CLI, tests) and for hook payloads
 * (status_change.h). Go's decoding rules: keys match case-insensitively, unknown keys are
 * ignored, null leaves a field at its zero value, a wrong type is an error that names the
 * field as Go's UnmarshalTypeError does. `parameters` is kept as Go re-encodes it
 * (params.h); `check_in` is read like any other field. */
#ifndef BERTH_MODEL_STATS_FROM_JSON_H
#define BERTH_MODEL_STATS_FROM_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "berth/job.h"

/* Parses {"job":{...}} (wrapped) or a bare StatsInfo object. Unknown fields are ignored,
 * keys match case-insensitively (as in Go), null leaves a field empty. A wrong type, bad
 * JSON, nesting over BERTH_JSON_MAX_DEPTH or a missing "job" → BERTH_EINVAL with a message
 * in err. On success *out is the caller's (berth_stats_free). */
int berth_stats_from_json(const char *text, size_t len, bool wrapped, berth_stats **out,
                          char *err, size_t errlen);
/* Fills s from a decoded StatsInfo object; prefix is its JSON path for error texts
 * ("job." or "metadata."). Strings already in s are replaced. */
int berth__stats_from_tree(const json_t *o, const char *prefix, bool lossy, berth_stats *s,
                           char *err, size_t errlen);

#endif
