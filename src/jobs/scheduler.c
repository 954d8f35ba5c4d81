/* SCHEDULER and the legacy periodic job names: they only check in "checkin", and Harbor
 * core runs the schedule's callback when it receives that check-in hook (spec §3.10). */
#include "berth/jobs.h"

static int scheduler_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params;
    (void)ud;
    return berth_ctx_checkin(ctx, "checkin");
}

int berth_jobs_register_scheduler(berth_engine *e)
{
    static const char *const names[] = {"SCHEDULER", "IMAGE_REPLICATE", "IMAGE_GC",
                                        "IMAGE_SCAN_ALL"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        berth_job_type t = {.name = names[i], .max_fails = 3, .run = scheduler_run};
        int rc = berth_engine_register(e, &t);
        if (rc != 0)
            return rc;
    }
    return 0;
}
