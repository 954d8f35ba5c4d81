/* CHAOS: the job the chaos tests (tests/slow) drain. It sleeps for its `ms` parameter
 * and appends one line to a trace file when a run starts and one when it ends:
 *   S <job id> <revision> <pid> <epoch ms>
 *   E <job id> <revision> <pid> <epoch ms>
 * Each line is one write(2) on an O_APPEND descriptor, so lines from many processes never
 * interleave and a kill -9 leaves whole lines only. From the trace a test can tell which
 * runs a killed node lost, when they started again and under which revision. berthd
 * registers it only when BERTH_CHAOS_TRACE names the file (docs/reliability.md). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "berth/jobs.h"
#include "util/clock.h"

static void trace(int fd, char kind, berth_ctx *ctx)
{
    char line[256];
    int n = snprintf(line, sizeof line, "%c %s %lld %d %lld\n", kind, berth_ctx_job_id(ctx),
                     (long long)berth_ctx_revision(ctx), (int)getpid(), (long long)clock_wall_ms());
    if (n > 0 && (size_t)n < sizeof line && write(fd, line, (size_t)n) != n)
        BERTH_JLOG(ctx, BERTH_LOG_ERROR, "cannot write the chaos trace");
}

static unsigned param_ms(const char *params)
{
    const char *p = params ? strstr(params, "\"ms\":") : NULL;
    long v = p ? strtol(p + 5, NULL, 10) : 0;
    return v > 0 && v < 600000 ? (unsigned)v : 0;
}

static int chaos_run(berth_ctx *ctx, const char *params, void *ud)
{
    int fd = (int)(intptr_t)ud;
    trace(fd, 'S', ctx);
    berth_ctx_sleep(ctx, param_ms(params));
    if (berth_ctx_op_command(ctx) || berth_ctx_system_done(ctx))
        return 0;   /* stopped or handed back: this run did not end, the trace says so */
    trace(fd, 'E', ctx);
    return 0;
}

int berth_jobs_register_chaos(berth_engine *e, const char *trace_path)
{
    int fd = open(trace_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return BERTH_EINVAL;
    /* max_fails 1: a run lost with its node is requeued, not failed; any failure is a bug */
    berth_job_type t = {.name = "CHAOS", .max_fails = 1, .run = chaos_run,
                        .userdata = (void *)(intptr_t)fd};
    int rc = berth_engine_register(e, &t);
    if (rc != 0)
        close(fd);
    return rc;
}
