/* StatsInfo as JSON (spec §3.3): what GET /api/v1/jobs/{id} and the launch reply send
 * (wrapped as {"job":{...}}), the `metadata` of hook payloads and the items of job lists.
 * Output is byte-identical to Go's json.Marshal of Harbor's StatsInfo: field order id,
 * status, name, kind, unique, ref_link, cron_spec, enqueue_time, update_time, run_at,
 * check_in, check_in_at, die_at, web_hook_url, upstream_job_id, numeric_policy_id,
 * parameters, revision, ack; omitempty fields left out when ""/NULL/0 (parameters also when
 * it is an empty object, as Go omits empty maps); compact; HTML-safe escaping. */
#ifndef BERTH_MODEL_STATS_JSON_H
#define BERTH_MODEL_STATS_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "berth/job.h"
#include "util/buf.h"

/* Appends s as {"job":{...}} (wrap) or the bare object. with_check_in false leaves
 * check_in out whatever it holds (GET never returns it; hooks do). 0; BERTH_EINVAL when
 * s->parameters is not a JSON object/null; BERTH_ETOOBIG at out's cap. On error out is
 * restored to its previous length. */
int berth_stats_to_json(const berth_stats *s, bool wrap, bool with_check_in, buf *out);
/* Appends a JSON array of wrapped stats, [] for none — or null for none when
 * null_if_empty (the executions route, spec §2.9). Errors as berth_stats_to_json. */
int berth_stats_list_to_json(const berth_stats *const *items, size_t n, bool null_if_empty,
                             buf *out);
#endif
