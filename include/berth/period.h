/* Periodic jobs (spec §7): cron policies whose executions the engine runs. The engine
 * owns the periodic part (berth_engine_config.periodic, berth/berth.h): one launch
 * (berth_engine_launch of kind Periodic), one stop (berth_engine_stop_job), the enqueuer
 * started and stopped with the engine. After downtime, fire times that were never planned
 * follow the misfire policy (berth_misfire). This header holds the helpers around it: cron
 * checks for hosts and the CLI, and the list of stored policies for operators. */
#ifndef BERTH_PERIOD_H
#define BERTH_PERIOD_H

#include "berth/api.h"

#include "berth/berth.h"

/* Parses "skip", "once" or "all" (any case). 0 or BERTH_EINVAL. */
BERTH_API int berth_misfire_parse(const char *name, berth_misfire *out);

/* Checks a cron spec: 0, or BERTH_EINVAL with robfig's message followed by the field at
 * fault, e.g. `end of range (60) above maximum (59): 0-60 (field 'min')` (the 400 details
 * then read `'cron_spec' is not correctly set: <spec>: <this>`). */
BERTH_API int berth_period_check_cron(const char *spec, char *err, size_t errlen);

/* Fire times of cron spec in (after, until], at most max, into out; returns how many or
 * BERTH_EINVAL (err filled, Harbor's text) for a bad spec. For tests and the CLI. */
BERTH_API int berth_period_fires(const char *spec, int64_t after, int64_t until,
                                 int64_t *out, int max, char *err, size_t errlen);

/* A stored policy ({ns}:period:policies) as operators list them. */
typedef struct berth_policy_info {
    char *id;
    char *job_name;
    char *cron_spec;
    char *params_json;      /* compact JSON object, or NULL */
    char *web_hook_url;     /* or NULL */
    int64_t numeric_id;     /* the policy's score: Harbor's numeric_policy_id */
    int64_t next_fire;      /* the next fire time after now (unix s, UTC); 0 if none */
    int64_t last_planned;   /* the newest fire time already planned; 0 if none yet */
} berth_policy_info;

typedef struct berth_policy_list {
    berth_policy_info *items;   /* in numeric id order */
    size_t n;
} berth_policy_list;

/* Every stored policy of e's namespace (malformed ones are left out). Reads Redis only, so it
 * works on a node without an enqueuer. 0, BERTH_EREDIS or BERTH_ENOMEM; *out is the caller's
 * (berth_policy_list_clear), also after an error. */
BERTH_API int berth_query_policies(berth_engine *e, berth_policy_list *out);
/* Frees everything and zeroes l; NULL is a no-op. */
BERTH_API void berth_policy_list_clear(berth_policy_list *l);

#endif
