/* One run's log writer: formats each line once and hands it to every backend of the set
 * whose level it reaches. FILE lines are written at once (one write(2)); REDIS lines are
 * queued for the flusher thread; STD_OUTPUT lines are one fwrite. The run's byte cap is
 * checked here: past it one notice is written and later lines are only counted.
 *
 * Nothing is opened before the first line: the backends (the FILE's open(2), the REDIS
 * pending buffer) and the separator naming the revision come with it, so a run that writes
 * no line costs no system call and no Redis command. At the end, FILE descriptors close
 * at once; the REDIS bytes are handed to the flusher without waiting (joblog_run_end), and
 * whoever must know them written waits for them (joblog_run_wait). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "joblog/joblog_internal.h"
#include "util/alloc.h"
#include "util/clock.h"

struct joblog_run {
    joblog_set *s;
    pthread_mutex_t mu;              /* serialises writes of this run */
    char id[64];
    char pool[64];
    int64_t revision;
    bool opened;                     /* the backends were opened (first line) */
    int fd[JOBLOG_MAX_BACKENDS];     /* FILE backends: open fd or -1 */
    jl_pending *pend[JOBLOG_MAX_BACKENDS];  /* REDIS backends */
    bool dead[JOBLOG_MAX_BACKENDS];  /* backend failed during this run */
    size_t bytes;                    /* accepted so far */
    bool capped;                     /* the cap notice was written */
    size_t dropped;                  /* lines not written (cap) */
};

size_t joblog_format(char *out, size_t outlen, time_t when, berth_log_level lvl,
                     const char *file, int line, const char *msg)
{
    struct tm tm;
    gmtime_r(&when, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    size_t ml = strlen(msg);
    bool nl = ml > 0 && msg[ml - 1] == '\n';
    int n = snprintf(out, outlen, "%s [%s] [%s:%d]: %s%s", ts, berth_log_level_name(lvl),
                     file ? file : "?", line, msg, nl ? "" : "\n");
    if (n < 0)
        return 0;
    if ((size_t)n >= outlen && outlen > 1) {
        out[outlen - 2] = '\n';      /* a cut line still ends the line */
        return outlen - 1;
    }
    return (size_t)n;
}

static void backend_failed(joblog_run *r, size_t i, int err)
{
    char eb[128];
    r->dead[i] = true;
    BLOG_ERROR(&r->s->log, "job log of %s in %s: %s; later lines of this run are not written "
               "there (the job keeps running)", r->id, r->s->b[i].base_dir,
               strerror_r(err, eb, sizeof eb));
}

/* Writes one formatted line to every live backend at or below lvl. Caller holds r->mu. */
static void emit(joblog_run *r, berth_log_level lvl, const char *p, size_t n)
{
    joblog_set *s = r->s;
    for (size_t i = 0; i < s->nb; i++) {
        if (lvl < s->b[i].level || r->dead[i])
            continue;
        if (s->b[i].kind == JOBLOG_FILE && r->fd[i] >= 0) {
            int e = jl_file_write(r->fd[i], p, n);
            if (e != 0)
                backend_failed(r, i, e);
        } else if (s->b[i].kind == JOBLOG_REDIS && r->pend[i]) {
            jl_sink_append(s->sink, r->pend[i], p, n);
        } else if (s->b[i].kind == JOBLOG_STDOUT) {
            FILE *f = s->b[i].std_err ? stderr : stdout;
            fwrite(p, 1, n, f);
            fflush(f);
        }
    }
}

joblog_run *joblog_run_open(joblog_set *s, const char *job_id, int64_t revision,
                            const char *pool_id)
{
    joblog_run *r = berth_calloc(1, sizeof *r);
    if (!r)
        return NULL;   /* the job then logs to the engine's log (context.c) */
    r->s = s;
    pthread_mutex_init(&r->mu, NULL);
    snprintf(r->id, sizeof r->id, "%s", job_id);
    snprintf(r->pool, sizeof r->pool, "%s", pool_id ? pool_id : "?");
    r->revision = revision;
    for (size_t i = 0; i < JOBLOG_MAX_BACKENDS; i++)
        r->fd[i] = -1;
    return r;
}

/* Opens the backends and writes the separator, before the run's first line. A backend that
 * cannot open is reported and skipped. Caller holds r->mu. */
static void open_backends(joblog_run *r)
{
    joblog_set *s = r->s;
    r->opened = true;
    buf key;
    buf_init(&key, 0);  /* no cap: the namespace prefix plus a job id (jl_key) */
    for (size_t i = 0; i < s->nb; i++) {
        if (s->b[i].kind == JOBLOG_FILE)
            r->fd[i] = jl_file_open(s->b[i].base_dir, r->id, &s->log);
        else if (s->b[i].kind == JOBLOG_REDIS && (jl_key(s, r->id, &key), key.p))
            r->pend[i] = jl_sink_open(s->sink, key.p);   /* NULL out of memory: skipped */
    }
    buf_free(&key);
    char sep[160];
    int n = snprintf(sep, sizeof sep, "---- run of revision %" PRId64 " on %s ----\n",
                     r->revision, r->pool);
    emit(r, BERTH_LOG_FATAL, sep, (size_t)n);
}

void joblog_run_write(joblog_run *r, berth_log_level lvl, const char *file, int line,
                      const char *msg)
{
    char text[4096];
    size_t n = joblog_format(text, sizeof text, time(NULL), lvl, file, line, msg ? msg : "");
    pthread_mutex_lock(&r->mu);
    if (!r->opened)
        open_backends(r);
    if (r->bytes + n > r->s->run_max) {
        r->dropped++;
        if (!r->capped) {
            r->capped = true;
            char note[256];
            snprintf(note, sizeof note, "the log of this run reached its cap of %zu bytes; "
                     "later lines are dropped", r->s->run_max);
            n = joblog_format(text, sizeof text, time(NULL), BERTH_LOG_WARNING, __FILE__,
                              __LINE__, note);
            emit(r, BERTH_LOG_FATAL, text, n);
        }
    } else {
        r->bytes += n;
        emit(r, lvl, text, n);
    }
    pthread_mutex_unlock(&r->mu);
}

joblog_run *joblog_run_end(joblog_run *r, bool ok)
{
    if (!r)
        return NULL;
    bool unsent = false;
    for (size_t i = 0; i < r->s->nb; i++) {
        if (r->fd[i] >= 0)
            close(r->fd[i]);
        r->fd[i] = -1;
        if (r->pend[i] && !jl_sink_end(r->s->sink, r->pend[i], ok)) {
            jl_sink_let_go(r->s->sink, r->pend[i]);   /* all in Redis already */
            r->pend[i] = NULL;
        }
        unsent = unsent || r->pend[i];
    }
    if (unsent)
        return r;
    joblog_run_free(r);
    return NULL;
}

bool joblog_run_wait(joblog_run *r, int wait_ms)
{
    if (!r)
        return true;
    int64_t until = clock_mono_ms() + wait_ms;
    bool written = true;
    for (size_t i = 0; i < r->s->nb; i++) {
        int64_t left = until - clock_mono_ms();
        if (r->pend[i] && !jl_sink_wait(r->s->sink, r->pend[i], left > 0 ? (int)left : 0))
            written = false;
    }
    return written;
}

void joblog_run_free(joblog_run *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->s->nb; i++) {
        if (r->fd[i] >= 0)
            close(r->fd[i]);
        if (r->pend[i])
            jl_sink_let_go(r->s->sink, r->pend[i]);
    }
    pthread_mutex_destroy(&r->mu);
    berth_free(r);
}

void joblog_run_close(joblog_run *r, bool ok)
{
    r = joblog_run_end(r, ok);
    joblog_run_wait(r, 1000);
    joblog_run_free(r);
}

size_t joblog_run_dropped(const joblog_run *r)
{
    return r->dropped;
}
