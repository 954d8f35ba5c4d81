/* Periodic jobs (spec §7): cron policies whose executions the engine runs. A berth_period
 * runs the enqueuer of one node: every second it plans each policy's fire times a short
 * horizon ahead (seconds, not Harbor's 4 minutes), one idempotent script per policy, so
 * any number of nodes make exactly one execution per (policy, fire time). After downtime,
 * fire times that were never planned follow the misfire policy. */
#ifndef BERTH_PERIOD_H
#define BERTH_PERIOD_H

#include "berth/api.h"

#include "berth/berth.h"

typedef enum {
    BERTH_MISFIRE_ONCE = 0,  /* default: one catch-up run, the newest missed fire, if within grace */
    BERTH_MISFIRE_SKIP,      /* Harbor: missed fires are dropped */
    BERTH_MISFIRE_ALL,       /* every missed fire (the newest max_catch_up of them) */
} berth_misfire;

typedef struct berth_period_config {
    berth_misfire misfire;
    unsigned grace_s;          /* ONCE: how old the newest missed fire may be; 0 → 3600 */
    unsigned max_catch_up;     /* ALL: cap; 0 → 100, at most 64 per pass */
    unsigned horizon_s;        /* planning horizon; 0 → 10 */
    unsigned keep_executions;  /* finished executions kept per policy; 0 → 50 */
} berth_period_config;

typedef struct berth_period berth_period;

/* Parses "skip", "once" or "all". 0 or BERTH_EINVAL. */
BERTH_API int berth_misfire_parse(const char *name, berth_misfire *out);

/* The periodic part of engine e (which must outlive it): it plugs into the engine, so that
 * berth_engine_launch stores Periodic policies and berth_engine_stop_job unschedules them
 * (one launch and one stop for every kind), and berth_period_start runs the enqueuer that
 * fires the policies. One per engine: BERTH_ESTATE when e has one already. Make it before
 * the engine serves launches and free it after (berth_period_free detaches it). */
BERTH_API int berth_period_new(berth_engine *e, const berth_period_config *cfg,
                               berth_period **out);
/* Starts the enqueuer thread: 0, BERTH_ESTATE if started, BERTH_ENOMEM if no thread. */
BERTH_API int berth_period_start(berth_period *p);
BERTH_API void berth_period_free(berth_period *p);     /* stops the thread; NULL is a no-op */

/* Launch kind Periodic (l->cron_spec required): stores the policy and its stats (kind
 * Periodic, status Scheduled, numeric_policy_id) and returns them as Harbor replies them
 * (*out is the caller's). BERTH_EINVAL with Harbor's text for a bad cron, BERTH_EUNKNOWN
 * for an unknown job name, BERTH_EREDIS. */
BERTH_API int berth_period_launch(berth_period *p, const berth_launch *l, berth_stats **out,
                                  char *err, size_t errlen);
/* The same as berth_engine_launch of a Periodic launch, and berth_engine_stop_job (kept for
 * hosts written before the engine took both): with Harbor's rules a Periodic policy (or an
 * id with no stats) is unscheduled, anything else is stopped. BERTH_ENOTFOUND if neither
 * exists. */
BERTH_API int berth_period_stop(berth_period *p, const char *id);

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
 * works on a node without an enqueuer. 0 or BERTH_EREDIS; *out is the caller's
 * (berth_policy_list_clear), also after an error. */
BERTH_API int berth_query_policies(berth_engine *e, berth_policy_list *out);
/* Frees everything and zeroes l; NULL is a no-op. */
BERTH_API void berth_policy_list_clear(berth_policy_list *l);

#endif
