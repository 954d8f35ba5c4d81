/* A job-log backend set: built once from the configuration, shared by every run, the log
 * API and the sweeper. See joblog.h. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "berth/error.h"
#include "joblog/joblog_internal.h"
#include "util/alloc.h"
#include "util/clock.h"

static int check_backend(const joblog_config *c, const joblog_backend_cfg *b, char *err,
                         size_t errlen)
{
    if (b->kind == JOBLOG_FILE && (!b->base_dir || !*b->base_dir)) {
        snprintf(err, errlen, "FILE job logger: base_dir is required");
        return BERTH_EINVAL;
    }
    if (b->kind == JOBLOG_REDIS && !c->redis) {
        snprintf(err, errlen, "REDIS job logger: no Redis target");
        return BERTH_EINVAL;
    }
    if (b->kind < JOBLOG_FILE || b->kind > JOBLOG_STDOUT) {
        snprintf(err, errlen, "unknown job logger kind %d", (int)b->kind);
        return BERTH_EINVAL;
    }
    return 0;
}

/* 0 or BERTH_ENOMEM (joblog_set_free frees what was copied). */
static int copy_backend(joblog_set *s, const joblog_backend_cfg *b)
{
    joblog_backend_cfg *d = &s->b[s->nb++];
    const char *sweep = b->sweep_dir && *b->sweep_dir ? b->sweep_dir : b->base_dir;
    *d = *b;
    d->base_dir = berth_strdup(b->base_dir);
    d->sweep_dir = berth_strdup(sweep);
    if ((b->base_dir && !d->base_dir) || (sweep && !d->sweep_dir))
        return BERTH_ENOMEM;
    if (b->kind == JOBLOG_FILE && access(b->base_dir, W_OK | X_OK) != 0)
        BLOG_WARN(&s->log, "job log directory %s is not writable: FILE job logs will fail "
                  "(the jobs still run)", b->base_dir);
    if (b->kind == JOBLOG_REDIS) {
        s->has_redis = true;
        s->redis_max = b->max_bytes ? b->max_bytes : JOBLOG_REDIS_MAX_DEFAULT;
        s->ttl_cap_s = b->sweep_days > 0 ? b->sweep_days * 86400 : 0;
    }
    return 0;
}

int joblog_set_new(const joblog_config *c, joblog_set **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!c || c->nbackends > JOBLOG_MAX_BACKENDS) {
        snprintf(err, errlen, "at most %d job loggers", JOBLOG_MAX_BACKENDS);
        return BERTH_EINVAL;
    }
    for (size_t i = 0; i < c->nbackends; i++) {
        int rc = check_backend(c, &c->backends[i], err, errlen);
        if (rc != 0)
            return rc;
    }
    joblog_set *s = berth_calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return BERTH_ENOMEM;
    }
    pthread_mutex_init(&s->sw_mu, NULL);
    clock_cond_init(&s->sw_cv);
    s->log = c->log;
    s->run_max = c->run_max_bytes ? c->run_max_bytes : JOBLOG_RUN_MAX_DEFAULT;
    s->give_up_ms = c->give_up_ms > 0 ? c->give_up_ms : JOBLOG_GIVE_UP_MS_DEFAULT;
    int rc = 0;
    for (size_t i = 0; i < c->nbackends && rc == 0; i++)
        rc = copy_backend(s, &c->backends[i]);
    const char *ns = c->ns && *c->ns ? c->ns : "berth";
    size_t n = strlen(ns) + 32;
    if (rc == 0 && (s->key_prefix = berth_malloc(n)))
        snprintf(s->key_prefix, n, "{%s}:berth:joblog:", ns);
    else
        rc = BERTH_ENOMEM;
    if (s->has_redis) {   /* both made in any case, so that joblog_set_free frees both */
        int copied = rtarget_copy(&s->redis, c->redis);
        if (rpool_init(&s->pool, &s->redis, 5000) != 0 || copied != 0)
            rc = BERTH_ENOMEM;
        if (rc == 0 && !(s->sink = jl_sink_new(s)))
            rc = BERTH_ENOMEM;
    }
    if (rc != 0) {
        joblog_set_free(s);
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    *out = s;
    return 0;
}

void joblog_set_start(joblog_set *s)
{
    pthread_mutex_lock(&s->sw_mu);
    bool first = !s->started;
    s->started = true;
    pthread_mutex_unlock(&s->sw_mu);
    if (first)
        jl_sweeper_start(s);
}

void joblog_set_free(joblog_set *s)
{
    if (!s)
        return;
    jl_sweeper_stop(s);
    jl_sink_free(s->sink);
    for (size_t i = 0; i < s->nb; i++) {
        berth_free((char *)s->b[i].base_dir);
        berth_free((char *)s->b[i].sweep_dir);
    }
    if (s->has_redis) {
        rpool_destroy(&s->pool);
        rtarget_free(&s->redis);
    }
    berth_free(s->key_prefix);
    pthread_mutex_destroy(&s->sw_mu);
    pthread_cond_destroy(&s->sw_cv);
    berth_free(s);
}

bool joblog_set_has_getter(const joblog_set *s)
{
    for (size_t i = 0; s && i < s->nb; i++)
        if (s->b[i].kind == JOBLOG_FILE || s->b[i].kind == JOBLOG_REDIS)
            return true;
    return false;
}

bool joblog_set_drops(joblog_set *s, uint64_t *bytes, uint64_t *lines)
{
    *bytes = *lines = 0;
    if (!s || !s->sink)
        return false;
    jl_sink_drops(s->sink, bytes, lines);
    return true;
}

rconn *jl_conn_get(joblog_set *s, char *err, size_t errlen)
{
    return rpool_get(&s->pool, err, errlen);
}

void jl_conn_put(joblog_set *s, rconn *rc)
{
    rpool_put(&s->pool, rc);
}

void jl_key(const joblog_set *s, const char *id, buf *out)
{
    buf_reset(out);
    buf_printf(out, "%s%s", s->key_prefix, id);
}
