/* GET /api/v1/jobs/{id}/log (spec §2.8, docs/logs.md): Harbor's checks and errors, then the
 * last max_retrieve_bytes (all when 0) of the job's log from the engine's job-log getters
 * (REDIS, then FILE; src/joblog/get.c), or from api_ctx.job_log_dir when the engine has no
 * backend set. A FILE log is sent from its descriptor (no copy in memory).
 *
 * ?follow=true streams instead: the same tail, then new bytes as the job writes them
 * (chunked), until the job's status is final (checked every 300 ms; the log is read again
 * whenever the HTTP server asks, every HTTP_STREAM_RETRY_MS while there is nothing), then the
 * last bytes and the end. A job that has stats but no
 * log yet (still pending) is waited for; neither stats nor log → 404. A job that started
 * but wrote no line has no log (src/joblog/run.c): that answers 200 and an empty body. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "berth/job.h"
#include "joblog/joblog.h"
#include "model/api_error.h"
#include "server/api_internal.h"
#include "util/alloc.h"
#include "util/clock.h"

#define FOLLOW_STATUS_MS 300

typedef struct follow {
    berth_engine *engine;
    joblog_set *own;             /* a FILE set for job_log_dir, or NULL */
    joblog_cursor *cur;
    char id[64];
    int64_t next_check_ms;
    bool final;                  /* the job is final: drain, then end */
    int status_errors;           /* consecutive failed status reads */
} follow;

/* 1 final (or no stats any more), 0 not yet, -1 cannot tell. */
static int job_final(berth_engine *e, const char *id)
{
    berth_stats *s = NULL;
    int rc = berth_engine_get_stats(e, id, &s);
    int fin = rc == BERTH_ENOTFOUND ? 1 : rc != 0 ? -1
              : berth_status_final(berth_status_parse(s->status)) ? 1 : 0;
    berth_stats_free(s);
    return fin;
}

static long follow_read(void *cls, char *dst, size_t max)
{
    follow *f = cls;
    for (;;) {
        ssize_t n = joblog_follow_read(f->cur, dst, max);
        if (n != 0)
            return n > 0 ? (long)n : HTTP_STREAM_ERROR;
        if (f->final)
            return HTTP_STREAM_END;
        if (clock_mono_ms() >= f->next_check_ms) {
            f->next_check_ms = clock_mono_ms() + FOLLOW_STATUS_MS;
            int fin = job_final(f->engine, f->id);
            f->status_errors = fin < 0 ? f->status_errors + 1 : 0;
            f->final = fin == 1 || f->status_errors > 100;
            if (f->final)
                continue;        /* one more read for the last lines */
        }
        return HTTP_STREAM_AGAIN;    /* the server asks again later (http.h) */
    }
}

static void follow_done(void *cls)
{
    follow *f = cls;
    joblog_follow_close(f->cur);
    joblog_set_free(f->own);
    berth_free(f);
}

static void start_follow(const api_ctx *c, joblog_set *set, joblog_set *own, const char *id,
                         http_resp *resp)
{
    joblog_data d;
    char err[256] = "";
    int rc = joblog_get(set, id, 1, &d, err, sizeof err);
    if (rc == 0) {
        if (d.fd >= 0)
            close(d.fd);
        berth_free(d.bytes);
    }
    berth_stats *st = NULL;
    if (rc == BERTH_ENOTFOUND && berth_engine_get_stats(c->engine, id, &st) != 0) {
        joblog_set_free(own);
        api_error(resp, BERTH_API_NOT_FOUND, id);
        return;
    }
    berth_stats_free(st);
    follow *f = berth_calloc(1, sizeof *f);
    f->engine = c->engine;
    f->own = own;
    snprintf(f->id, sizeof f->id, "%s", id);
    joblog_follow_open(set, id, (uint64_t)(c->max_retrieve_bytes > 0 ? c->max_retrieve_bytes : 0),
                       &f->cur);
    http_resp_header(resp, "Content-Type", "text/plain; charset=utf-8");
    http_resp_stream(resp, 200, follow_read, follow_done, f);
}

/* A job whose run started has a log in Harbor (its FILE logger creates the file when the
 * run starts, its DB logger writes a row when the run ends), if empty; a Berth run that
 * writes no line leaves none (joblog.h), so "no log" for such a job is an empty log. */
static bool job_started(berth_engine *e, const char *id)
{
    berth_stats *s = NULL;
    berth_status st = berth_engine_get_stats(e, id, &s) == 0 ? berth_status_parse(s->status)
                                                             : BERTH_STATUS_INVALID;
    berth_stats_free(s);
    return st != BERTH_STATUS_INVALID && st != BERTH_STATUS_PENDING &&
           st != BERTH_STATUS_SCHEDULED;
}

static void send_tail(const api_ctx *c, joblog_set *set, const char *id, http_resp *resp)
{
    joblog_data d;
    char err[256] = "";
    uint64_t tail = (uint64_t)(c->max_retrieve_bytes > 0 ? c->max_retrieve_bytes : 0);
    int rc = joblog_get(set, id, tail, &d, err, sizeof err);
    if (rc == BERTH_ENOTFOUND && job_started(c->engine, id)) {
        http_resp_text(resp, 200, "");   /* it ran and wrote nothing: Harbor's empty log */
        return;
    }
    if (rc == BERTH_ENOTFOUND) {
        api_error(resp, BERTH_API_NOT_FOUND, id);
        return;
    }
    if (rc != 0) {
        api_error(resp, BERTH_API_GET_LOG, err[0] ? err : berth_strerror(rc));
        return;
    }
    http_resp_header(resp, "Content-Type", "text/plain; charset=utf-8");
    if (d.fd >= 0) {
        http_resp_file(resp, 200, d.fd, d.off, d.len);
        return;
    }
    resp->status = 200;
    buf_append(&resp->body, d.bytes, d.bytes_len);
    berth_free(d.bytes);
}

/* The engine's backend set, or a FILE set on job_log_dir (*own, freed by the caller). */
static joblog_set *getters(const api_ctx *c, joblog_set **own)
{
    *own = NULL;
    joblog_set *set = berth_engine_job_logs(c->engine);
    if (joblog_set_has_getter(set))
        return set;
    if (!c->job_log_dir || !*c->job_log_dir)
        return NULL;
    joblog_backend_cfg b = {.kind = JOBLOG_FILE, .base_dir = c->job_log_dir};
    joblog_config jc = {.backends = &b, .nbackends = 1};
    char err[128];
    return joblog_set_new(&jc, own, err, sizeof err) == 0 ? *own : NULL;
}

void api_job_log(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    const char *id = req->job_id;
    if (strstr(id, "..") || strchr(id, '/')) {
        buf t;
        buf_init(&t, 0);  /* no cap: an id from a request target MHD already bounded */
        buf_printf(&t, "invalid Job ID: %s", id);
        http_resp_text(resp, 400, t.p);
        buf_free(&t);
        return;
    }
    joblog_set *own = NULL, *set = getters(c, &own);
    const char *why = joblog_bad_id(id);
    bool want_follow = false;
    if (!set)
        api_error(resp, BERTH_API_GET_LOG, "no log data getter is configured");
    else if (why)
        api_error(resp, BERTH_API_GET_LOG, why);
    else if (api_query_bool(req, "follow", &want_follow) && want_follow) {
        start_follow(c, set, own, id, resp);
        return;                  /* the stream owns `own` */
    } else
        send_tail(c, set, id, resp);
    joblog_set_free(own);
}
