/* DEMO: Harbor's sample job, step for step (spec §3.10). Its hold is configurable so
 * tests need not wait 30 s; berthd uses Harbor's 30 s. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/jobs.h"
#include "jobs/job_params.h"

static bool demo_should_retry(void *ud)
{
    (void)ud;
    return true;
}

/* Harbor's Validate, in its order: no parameters at all (null or {}), no `image`, an
 * image not starting with "demo". Harbor panics on a non-string `image` (the HTTP server
 * then drops the connection); Berth says what is wrong instead (docs/compat.md). The
 * parameters are parsed, never searched as text: only the top-level key counts. */
static int demo_validate(const char *params, char *err, size_t errlen, void *ud)
{
    (void)ud;
    json_t *p = NULL;
    int rc = job_params_load(params, &p, err, errlen);
    if (rc != 0)
        return rc;
    const json_t *image = p ? json_object_get(p, "image") : NULL;
    if (!p || json_object_size(p) == 0) {
        snprintf(err, errlen, "parameters required for replication job");
        rc = -1;
    } else if (!image) {
        snprintf(err, errlen, "missing parameter 'image'");
        rc = -1;
    } else if (!json_is_string(image)) {
        snprintf(err, errlen, "parameter 'image' must be a string but got %s",
                 job_params_go_type(image));
        rc = -1;
    } else if (json_string_length(image) < 4 || memcmp(json_string_value(image), "demo", 4)) {
        snprintf(err, errlen, "expected 'demo *' but got '%.*s'",
                 (int)json_string_length(image), json_string_value(image));
        rc = -1;
    }
    json_decref(p);
    return rc;
}

static int demo_run(berth_ctx *ctx, const char *params, void *ud)
{
    unsigned hold_ms = (unsigned)(uintptr_t)ud;  /* the hold travels in the userdata */
    BERTH_JLOG(ctx, BERTH_LOG_INFO, "Sample job starting");
    BERTH_JLOG(ctx, BERTH_LOG_INFO, "Params: %s", params ? params : "null");
    const char *failed = getenv("JOB_FAILED");
    if (failed && *failed) {
        berth_ctx_sleep(ctx, 3000);
        BERTH_JLOG(ctx, BERTH_LOG_INFO, "Job exit with error because `JOB_FAILED` env is set");
        BERTH_JLOG(ctx, BERTH_LOG_INFO, "Sample job exit");
        return berth_ctx_fail(ctx, "`JOB_FAILED` env is set");
    }
    berth_ctx_checkin(ctx, "progress data: %30");
    berth_ctx_sleep(ctx, 1000);
    berth_ctx_checkin(ctx, "progress data: %60");
    BERTH_JLOG(ctx, BERTH_LOG_WARNING, "Holding for %u seconds", hold_ms / 1000);
    berth_ctx_sleep(ctx, hold_ms);
    /* Harbor's line is for a user's stop; a shutdown hands the run back to run again. */
    berth_stop_reason why = berth_ctx_stop_reason(ctx);
    if (why == BERTH_STOP_USER)
        BERTH_JLOG(ctx, BERTH_LOG_INFO, "Exit for receiving stop signal");
    else if (why == BERTH_STOP_SHUTDOWN)
        BERTH_JLOG(ctx, BERTH_LOG_INFO, "Service shutting down: handed back to run again");
    BERTH_JLOG(ctx, BERTH_LOG_INFO, "Sample job exit");
    return 0;
}

int berth_jobs_register_demo(berth_engine *e, unsigned hold_ms)
{
    berth_job_type t = {.name = "DEMO", .max_fails = 3, .max_concurrency = 1, .priority = 1,
                        .should_retry = demo_should_retry, .validate = demo_validate,
                        .run = demo_run, .userdata = (void *)(uintptr_t)hold_ms};
    return berth_engine_register(e, &t);
}
