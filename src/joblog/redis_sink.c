/* REDIS backend writer: runs append lines to their own pending buffer under the sink's lock
 * (memory only, never a round trip); one thread wakes every 200 ms (or when a run closes),
 * takes every pending buffer and writes them all with one EVAL: per key, APPEND up to the
 * key's byte cap (whole lines, then one notice) and EXPIRE. So a job never waits for Redis
 * while it runs; at close it waits at most about a second for its last bytes.
 *
 * The script is sent with EVAL rather than living in src/store/lua: it touches only this
 * module's keys and is a few hundred bytes per flush, not per line.
 *
 * Ownership: a jl_pending is referenced by its run (until jl_sink_close) and by the sink
 * (until flushed after close); the last one to let go frees it, under mu. A run's buffer
 * holds at most JL_PENDING_MAX bytes between flushes (more is dropped and reported once).
 * If Redis is down, the bytes of that flush are lost and the failure is reported once per
 * outage; the FILE backend, if configured, still has them. */
#include <stdio.h>
#include <string.h>

#include "joblog/joblog_internal.h"
#include "util/alloc.h"
#include "util/clock.h"

struct jl_pending {
    jl_pending *next;            /* in sink->head; guarded by sink->mu, as is every field */
    char *key;
    buf data;                    /* not yet sent */
    int refs;                    /* run + sink */
    bool closing, ok, done;      /* closed by the run; flushed after close */
    size_t dropped;              /* lines refused because data was full */
};

struct jl_sink {
    joblog_set *s;
    pthread_mutex_t mu;
    pthread_cond_t cv;           /* wakes the thread (close, stop) */
    pthread_cond_t done_cv;      /* a closing run was flushed */
    jl_pending *head;
    bool stop, running;
    pthread_t th;
    rconn rc;                    /* the thread's own connection */
    bool down;                   /* the last flush failed (reported once) */
};

static const char script[] =
    "local max, notice = tonumber(ARGV[1]), ARGV[2]\n"
    "for i, k in ipairs(KEYS) do\n"
    "  local ttl, c = tonumber(ARGV[1 + 2 * i]), ARGV[2 + 2 * i]\n"
    "  if #c > 0 then\n"
    "    local len = redis.call('STRLEN', k)\n"
    "    if len < max then\n"
    "      if len + #c > max then\n"
    "        local p = string.match(string.sub(c, 1, max - len), '^.*()\\n')\n"
    "        c = (p and string.sub(c, 1, p) or '') .. notice\n"
    "      end\n"
    "      redis.call('APPEND', k, c)\n"
    "    end\n"
    "  end\n"
    "  if redis.call('EXISTS', k) == 1 then redis.call('EXPIRE', k, ttl) end\n"
    "end\n"
    "return #KEYS\n";

static void *sink_main(void *arg);

jl_sink *jl_sink_new(joblog_set *s)
{
    jl_sink *k = berth_calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->s = s;
    pthread_mutex_init(&k->mu, NULL);
    clock_cond_init(&k->cv);
    clock_cond_init(&k->done_cv);
    rconn_init(&k->rc, &s->redis, 5000);
    return k;
}

static void unref(jl_sink *k, jl_pending *p)   /* caller holds mu */
{
    if (--p->refs > 0)
        return;
    jl_pending **pp = &k->head;
    while (*pp && *pp != p)
        pp = &(*pp)->next;
    if (*pp)
        *pp = p->next;
    berth_free(p->key);
    buf_free(&p->data);
    berth_free(p);
}

jl_pending *jl_sink_open(jl_sink *k, const char *key)
{
    jl_pending *p = berth_calloc(1, sizeof *p);
    if (p && !(p->key = berth_strdup(key))) {
        berth_free(p);
        p = NULL;
    }
    if (!p) {
        BLOG_ERROR(&k->s->log, "out of memory: the Redis job log %s gets nothing", key);
        return NULL;
    }
    buf_init(&p->data, JL_PENDING_MAX);
    p->refs = 2;
    pthread_mutex_lock(&k->mu);
    p->next = k->head;
    k->head = p;
    if (!k->running && !k->stop) {
        /* no thread (out of resources): the data waits for the next run's open to try
         * again, and a stop joins nothing */
        k->running = pthread_create(&k->th, NULL, sink_main, k) == 0;
    }
    pthread_mutex_unlock(&k->mu);
    return p;
}

bool jl_sink_append(jl_sink *k, jl_pending *p, const char *bytes, size_t n)
{
    pthread_mutex_lock(&k->mu);
    bool ok = buf_append(&p->data, bytes, n) == 0;
    if (!ok && p->dropped++ == 0)
        BLOG_ERROR(&k->s->log, "job log %s: Redis is not keeping up; lines are being dropped",
                   p->key);
    pthread_mutex_unlock(&k->mu);
    return ok;
}

void jl_sink_close(jl_sink *k, jl_pending *p, bool ok, int wait_ms)
{
    struct timespec dl;
    clock_deadline(&dl, wait_ms);
    pthread_mutex_lock(&k->mu);
    p->closing = true;
    p->ok = ok;
    pthread_cond_signal(&k->cv);
    while (!p->done && k->running &&
           pthread_cond_timedwait(&k->done_cv, &k->mu, &dl) == 0)
        ;
    unref(k, p);
    pthread_mutex_unlock(&k->mu);
}

/* One batch: the keys and their chunks taken from the pending buffers. */
typedef struct batch {
    rargs a;
    jl_pending *closed[256];     /* closing runs whose bytes are in this batch */
    size_t nclosed, nkeys;
} batch;

static int ttl_for(const jl_sink *k, const jl_pending *p)
{
    int ttl = p->closing && p->ok ? JL_TTL_OK : JL_TTL_RUNNING;
    return k->s->ttl_cap_s > 0 && k->s->ttl_cap_s < ttl ? k->s->ttl_cap_s : ttl;
}

/* Moves pending bytes into b (caller holds mu). Keys first, then the ARGV pairs. */
static void take(jl_sink *k, batch *b)
{
    rargs keys;
    rargs_init(&keys);
    rargs_init(&b->a);
    b->nkeys = b->nclosed = 0;
    char note[256];
    joblog_format(note, sizeof note, time(NULL), BERTH_LOG_WARNING, __FILE__, __LINE__,
                  "this job's log reached its cap in Redis; later lines are dropped");
    rargs_adds(&b->a, "EVAL");
    rargs_adds(&b->a, script);
    rargs_addi(&b->a, 0);        /* numkeys, set below */
    rargs_addf(&keys, "%zu", k->s->redis_max);
    rargs_adds(&keys, note);
    for (jl_pending *p = k->head; p && b->nclosed < 256; p = p->next) {
        if (p->done || (p->data.len == 0 && !p->closing))
            continue;
        rargs_add(&b->a, p->key, strlen(p->key));
        rargs_addi(&keys, ttl_for(k, p));
        rargs_add(&keys, p->data.p ? p->data.p : "", p->data.len);
        buf_reset(&p->data);
        b->nkeys++;
        if (p->closing) {
            b->closed[b->nclosed++] = p;
            p->refs++;           /* kept until the batch is settled */
        }
    }
    char nk[24];
    snprintf(nk, sizeof nk, "%zu", b->nkeys);
    rargs_set(&b->a, 2, nk);
    for (int i = 0; i < keys.argc; i++)
        rargs_add(&b->a, keys.argv[i], keys.lens[i]);
    rargs_free(&keys);
}

static void send_batch(jl_sink *k, batch *b)
{
    rreply *r = rconn_argv(&k->rc, &b->a);
    bool ok = rconn_ok(&k->rc, r);
    rreply_free(r);
    if (!ok && !k->down)
        BLOG_ERROR(&k->s->log, "cannot write job logs to Redis: %s (lines of this moment "
                   "are lost; the jobs keep running)", k->rc.err);
    else if (ok && k->down)
        BLOG_INFO(&k->s->log, "job logs reach Redis again");
    k->down = !ok;
}

static void flush_once(jl_sink *k)   /* called with mu held; releases it around I/O */
{
    batch b;
    take(k, &b);
    if (b.nkeys > 0) {
        pthread_mutex_unlock(&k->mu);
        send_batch(k, &b);
        pthread_mutex_lock(&k->mu);
    }
    for (size_t i = 0; i < b.nclosed; i++) {
        b.closed[i]->done = true;
        unref(k, b.closed[i]);   /* the batch's reference */
        unref(k, b.closed[i]);   /* the sink's reference */
    }
    if (b.nclosed)
        pthread_cond_broadcast(&k->done_cv);
    rargs_free(&b.a);
}

static bool has_closing(const jl_sink *k)
{
    for (const jl_pending *p = k->head; p; p = p->next)
        if (p->closing && !p->done)
            return true;
    return false;
}

static void *sink_main(void *arg)
{
    jl_sink *k = arg;
    pthread_mutex_lock(&k->mu);
    while (!k->stop) {
        if (!has_closing(k)) {
            struct timespec dl;
            clock_deadline(&dl, 200);
            pthread_cond_timedwait(&k->cv, &k->mu, &dl);
        }
        flush_once(k);
    }
    flush_once(k);               /* what runs wrote last */
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

void jl_sink_free(jl_sink *k)
{
    if (!k)
        return;
    pthread_mutex_lock(&k->mu);
    k->stop = true;
    bool was = k->running;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    if (was)
        pthread_join(k->th, NULL);
    while (k->head) {            /* runs never closed: free what is left */
        k->head->refs = 1;
        unref(k, k->head);
    }
    rconn_close(&k->rc);
    pthread_mutex_destroy(&k->mu);
    pthread_cond_destroy(&k->cv);
    pthread_cond_destroy(&k->done_cv);
    berth_free(k);
}
