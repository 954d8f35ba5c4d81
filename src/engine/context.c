/* The job context (seed: job.Context): properties, check-in, stop command, system
 * context, per-job logger and tracker. Built per run by the worker; see context.h. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "berth/tracker.h"
#include "engine/context_internal.h"
#include "model/id.h"
#include "util/alloc.h"

static FILE *open_job_log(berth_engine *e, const run *r)
{
    const char *dir = e->cfg.job_log_dir;
    if (!dir || !*dir)
        return NULL;
    /* Job ids reach a path only after this check (24 hex, or 24 hex @ digits). */
    if (!berth_id_valid(r->id) && !berth_execution_id_valid(r->id)) {
        BLOG_WARN(&e->log, "job id %s is not a safe file name; logging to the engine log", r->id);
        return NULL;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.log", dir, r->id);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        BLOG_WARN(&e->log, "cannot open job log %s; logging to the engine log", path);
    }
    return f;
}

void ctx_build(berth_ctx *c, berth_engine *e, slot *s, run *r)
{
    memset(c, 0, sizeof *c);
    c->e = e;
    c->s = s;
    c->r = r;
    snprintf(c->revision, sizeof c->revision, "%" PRId64, r->revision);
    c->log = open_job_log(e, r);
    if (c->log)
        fprintf(c->log, "---- run of revision %" PRId64 " on %s ----\n", r->revision, e->pool_id);
}

void ctx_close(berth_ctx *c)
{
    if (c->log)
        fclose(c->log);
    berth_tracker_free(c->tracker);
    c->log = NULL;
    c->tracker = NULL;
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
    run *ci = run_new();
    ci->op = 'C';
    ci->id = berth_strdup(c->r->id);
    ci->name = berth_strdup(c->r->name);
    ci->revision = c->r->revision;
    ci->checkin = berth_strdup(msg);
    runq_push(&c->e->done, ci);
    return 0;
}

const char *berth_ctx_op_command(const berth_ctx *c)
{
    return atomic_load(&c->s->stop) ? "stop" : NULL;
}

bool berth_ctx_system_done(const berth_ctx *c)
{
    return atomic_load(&c->e->system_done);
}

bool berth_ctx_sleep(berth_ctx *c, unsigned ms)
{
    /* Stop flags are atomics raised from other threads; polling them every 10 ms keeps
     * stop delivery well under the 1 s the design promises without another condvar. */
    int64_t end = engine_now_ms() + ms;
    while (engine_now_ms() < end) {
        if (berth_ctx_op_command(c) || berth_ctx_system_done(c))
            return true;
        int64_t left = end - engine_now_ms();
        struct timespec ts = {0, (left < 10 ? left : 10) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return berth_ctx_op_command(c) || berth_ctx_system_done(c);
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
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(c->log, "%s [%s] [%s:%d]: %s\n", ts, berth_log_level_name(lvl), file, line, msg);
    fflush(c->log);
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
