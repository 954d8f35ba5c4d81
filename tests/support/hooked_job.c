/* See hooked_job.h. */
#include "hooked_job.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static atomic_bool release;

int hooked_job_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params, (void)ud;
    berth_ctx_checkin(ctx, "progress data: %30");
    berth_ctx_checkin(ctx, "progress data: %60");
    while (!atomic_load(&release) && !berth_ctx_sleep(ctx, 5))
        ;
    return 0;
}

void hooked_job_release(bool released)
{
    atomic_store(&release, released);
}

void hooked_job_url(hook_receiver *hr, char *url, size_t len)
{
    snprintf(url, len, "http://127.0.0.1:%d/service/notifications/tasks/7", hr_port(hr));
}

char *hooked_job_launch(berth_engine *e, hook_receiver *hr)
{
    char url[128], err[256];
    hooked_job_url(hr, url, sizeof url);
    berth_stats *st = NULL;
    assert_int_equal(berth_engine_launch(e, &(berth_launch){.name = "HOOKED",
                                                           .params_json = "{\"image\":\"x\"}",
                                                           .status_hook = url},
                                         &st, err, sizeof err), 0);
    char *id = strdup(st->id);
    berth_stats_free(st);
    return id;
}
