/* The job context (seed: job.Context): properties, check-in, stop command, system
 * context, per-job logger and tracker. Built per run by the worker; see context.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "berth/tracker.h"
#include "engine/context_internal.h"
#include "model/id.h"
#include "util/alloc.h"

/* The run's writer: on the host's backend set, or on a FILE set for job_log_dir (the
 * older configuration, kept for callers that only name a directory). */
static joblog_run *open_job_log(berth_ctx *c, berth_engine *e, const run *r)
{
    joblog_set *set = e->cfg.job_logs;
    const char *dir = e->cfg.job_log_dir;
    if (!set && dir && *dir) {
        joblog_backend_cfg b = {.kind = JOBLOG_FILE, .level = BERTH_LOG_DEBUG, .base_dir = dir};
        joblog_config jc = {.backends = &b, .nbackends = 1,
                            .run_max_bytes = e->cfg.job_log_max_bytes, .log = e->log};
        char err[128];
        if (joblog_set_new(&jc, &c->own_logs, err, sizeof err) == 0)
            set = c->own_logs;
    }
    return set ? joblog_run_open(set, r->id, r->revision, e->pool_id) : NULL;
}

void ctx_build(berth_ctx *c, berth_engine *e, slot *s, run *r)
{
    memset(c, 0, sizeof *c);
    c->e = e;
    c->s = s;
    c->r = r;
    snprintf(c->revision, sizeof c->revision, "%" PRId64, r->revision);
    c->log = open_job_log(c, e, r);
}

/* The run's REDIS log lines are not waited for here: the completer settles them before it
 * writes the final status (run.log_unsent), so the worker takes its next job at once. A
 * job_log_dir set is FILE only: nothing is left unsent when it is freed. */
void ctx_close(berth_ctx *c)
{
    c->r->log_unsent = joblog_run_end(c->log, c->r->rc == 0);
    joblog_set_free(c->own_logs);
    berth_tracker_free(c->tracker);
    c->log = NULL;
    c->own_logs = NULL;
    c->tracker = NULL;
}

struct berth_joblogs *berth_engine_job_logs(const struct berth_engine *e)
{
    return e ? e->cfg.job_logs : NULL;
}

const char *berth_ctx_get(const berth_ctx *c, const char *prop)
{
    if (!prop)
        return NULL;
    if (strcmp(prop, "job_id") == 0)
        return c->r->id;
    if (strcmp(prop, "job_name") == 0)
        return c->r->name;
    if (strcmp(prop, "pool_id") == 0)
        return c->e->pool_id;
    if (strcmp(prop, "revision") == 0)
        return c->revision;
    return NULL;
}

const char *berth_ctx_job_id(const berth_ctx *c)
{
    return c->r->id;
}

int64_t berth_ctx_revision(const berth_ctx *c)
{
    return c->r->revision;
}

int berth_ctx_checkin(berth_ctx *c, const char *msg)
{
    if (!msg || !*msg)
        return BERTH_EINVAL;
    return engine_report(c->e, outcome_checkin(c->r, msg));
}

const char *berth_ctx_op_command(const berth_ctx *c)
{
    return atomic_load(&c->s->stop) ? "stop" : NULL;
}

bool berth_ctx_system_done(const berth_ctx *c)
{
    return atomic_load(&c->e->system_done);
}

berth_stop_reason berth_ctx_stop_reason(const berth_ctx *c)
{
    if (berth_ctx_system_done(c))
        return BERTH_STOP_SHUTDOWN;
    return berth_ctx_op_command(c) ? BERTH_STOP_USER : BERTH_STOP_NONE;
}

bool berth_ctx_sleep(berth_ctx *c, unsigned ms)
{
    /* Stop flags are raised under stop_mu with a broadcast (engine_raise_stop), so a job
     * asleep here wakes the moment it is stopped, without polling. */
    struct timespec deadline;
    clock_deadline(&deadline, (int)(ms > INT32_MAX ? INT32_MAX : ms));
    berth_engine *e = c->e;
    pthread_mutex_lock(&e->stop_mu);
    bool stopped;
    while (!(stopped = berth_ctx_op_command(c) || berth_ctx_system_done(c)) &&
           pthread_cond_timedwait(&e->stop_cv, &e->stop_mu, &deadline) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&e->stop_mu);
    return stopped || berth_ctx_op_command(c) || berth_ctx_system_done(c);
}

void berth_ctx_log(berth_ctx *c, berth_log_level lvl, const char *file, int line,
                   const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!c->log) {
        berth__log(&c->e->log, lvl, file, line, "[job %s] %s", c->r->id, msg);
        return;
    }
    joblog_run_write(c->log, lvl, file, line, msg);
}

int berth_ctx_fail(berth_ctx *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    buf_reset(&c->r->errmsg);
    buf_puts(&c->r->errmsg, msg);
    return BERTH_EJOB;
}

berth_tracker *berth_ctx_tracker(berth_ctx *c)
{
    if (!c->tracker && berth_tracker_new(c->e, c->r->id, &c->tracker) != 0)
        c->tracker = NULL;
    return c->tracker;
}
