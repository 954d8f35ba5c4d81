/* DEMO: Harbor's sample job, step for step (spec §3.10). Its hold is configurable so
 * tests need not wait 30 s; berthd uses Harbor's 30 s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/jobs.h"
#include <stdint.h>

static bool demo_should_retry(void *ud)
{
    (void)ud;
    return true;
}

/* `image`, when present, must be a string starting with "demo" (Harbor panics on a
 * non-string; Berth reports it). */
static int demo_validate(const char *params, char *err, size_t errlen, void *ud)
{
    (void)ud;
    if (!params)
        return 0;
    const char *p = strstr(params, "\"image\":");
    if (!p)
        return 0;
    p += 8;
    if (*p != '"') {
        snprintf(err, errlen, "parameter 'image' must be a string");
        return -1;
    }
    if (strncmp(p + 1, "demo", 4) != 0) {
        const char *end = strchr(p + 1, '"');
        int len = end ? (int)(end - p - 1) : 0;
        snprintf(err, errlen, "expected 'demo *' but got '%.*s'", len, p + 1);
        return -1;
    }
    return 0;
}

static int demo_run(berth_ctx *ctx, const char *params, void *ud)
{
    unsigned hold_ms = (unsigned)(uintptr_t)ud;  /* the hold travels in the userdata */
    BERTH_JLOG(ctx, BERTH_LOG_INFO, "Sample job starting");
    BERTH_JLOG(ctx, BERTH_LOG_INFO, "Params: %s", params ? params : "null");
    const char *failed = getenv("JOB_FAILED");
    if (failed && *failed) {
        berth_ctx_sleep(ctx, 3000);
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
