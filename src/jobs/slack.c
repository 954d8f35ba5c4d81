/* SLACK (spec harbor-jobs §6; Harbor's notification/slack_job.go): POST `payload` to
 * `address` with the single header `Content-Type: application/json`, then wait
 * slack_pause_ms (Harbor: 1 s) whether it worked or not — with MaxConcurrency 1 this spaces
 * Slack posts across the whole cluster to Slack's rate limit of about one a second.
 * Parameters are validated at launch with Harbor's texts. Priority 1, the lowest. */
#include <stdio.h>

#include "berth/error.h"
#include "jobs/job_params.h"
#include "jobs/notify.h"
#include "util/alloc.h"

static bool slack_should_retry(void *ud)
{
    (void)ud;
    return true;
}

static int slack_validate(const char *params, char *err, size_t errlen, void *ud)
{
    (void)ud;
    json_t *p = NULL;
    int rc = job_params_load(params, &p, err, errlen);
    if (rc == 0 && !p) {
        snprintf(err, errlen, "missing parameter of slack job");
        rc = BERTH_EINVAL;
    }
    if (rc == 0)
        rc = notify_check_params(p, err, errlen);
    json_decref(p);
    return rc;
}

static const jhttp_header content_type = {"Content-Type", "application/json"};

static int slack_headers(const json_t *params, jhttp_header **out, size_t *n, json_t **keep,
                         char *err, size_t errlen)
{
    (void)params, (void)keep;
    if (!(*out = berth_calloc(1, sizeof **out))) {
        snprintf(err, errlen, "out of memory");
        return BERTH_ENOMEM;
    }
    **out = content_type;
    *n = 1;
    return 0;
}

static int slack_run(berth_ctx *ctx, const char *params, void *ud)
{
    const berth_jobs_http *cfg = ud;
    notify_job job = {.word = "slack", .headers = slack_headers, .pause_ms = cfg->slack_pause_ms,
                      .cfg = cfg};
    return notify_run(ctx, &job, params);
}

int berth_jobs_register_slack(berth_engine *e, const berth_jobs_http *cfg)
{
    berth_job_type t = {.name = "SLACK", .max_fails = cfg->max_fails, .max_concurrency = 1,
                        .priority = 1, .should_retry = slack_should_retry,
                        .validate = slack_validate, .run = slack_run, .userdata = (void *)cfg};
    return berth_engine_register(e, &t);
}
