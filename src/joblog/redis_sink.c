/* REDIS backend writer ("sink"). A run's lines go to its own pending buffer under the
 * sink's lock (memory only, never a round trip). One thread writes every pending buffer
 * with one EVAL per flush: per key, APPEND up to the key's byte cap (whole lines, then one
 * notice) and EXPIRE. It flushes every 200 ms, and at once when a run has ended, taking
 * every run that ended meanwhile into the same EVAL (a group commit: one script call for
 * many runs, however many workers end at once).
 *
 * A run that ends does not wait here: jl_sink_end only marks it, and whoever must not go
 * on before its lines are in Redis (the engine's completer, before it writes the run's
 * final status) calls jl_sink_wait. A run that never wrote a line never has a pending
 * buffer (run.c opens it at the first line), so it costs the sink nothing.
 *
 * The script is sent with EVAL rather than living in src/store/lua: it touches only this
 * module's keys and is a few hundred bytes per flush, not per line.
 *
 * Ownership: a jl_pending is referenced by its run (until jl_sink_let_go) and by the sink
 * (until its last bytes are written after the end); the last one to let go frees it,
 * under mu. A run's buffer holds at most JL_PENDING_MAX unsent bytes (more is dropped and
 * reported once).
 *
 * Redis down: a flush that fails puts its bytes back in front of each buffer (within the
 * buffer's cap; what does not fit is dropped and counted) and is retried every 200 ms, so
 * an outage shorter than the set's give_up_ms (60 s) loses nothing. After that long, the
 * bytes of runs that have ended are dropped so that their waiters and the memory are
 * released: the first such run of an outage is reported with its key and byte count, and
 * the outage's total when Redis is back (or at the stop, if it never came back). Running
 * runs keep their newest bytes up to the cap.
 *
 * Losses are counted for /metrics (joblog_set_drops): every byte and line a run wrote that
 * never reaches Redis because Redis was away or not keeping up (a full buffer, a give-up,
 * the stop during an outage) or its key holds another type. A key's own cap (max_bytes)
 * is a limit, said in the key, not a loss: not counted.
 *
 * One bad key fails only its own run: a key that holds another type (WRONGTYPE: something
 * else wrote it) refuses that run's lines, reported once, and the run is done at once (its
 * final status is not held); the other keys of the flush are written. Any other error
 * inside the script (OOM under maxmemory) stops it at that key, and the script says where:
 * the keys before it were written and are settled, the rest put back — a script stopped
 * half-way is not sent again whole, which would write its first keys' lines twice. An
 * EVAL whose answer never came (the connection broke: Redis may or may not have run it)
 * is sent again with, per key, how many of its first bytes may be there already; the
 * script skips them when the key ends with them, so a lost answer writes nothing twice. */
#include <stdio.h>
#include <string.h>

#include "joblog/joblog_internal.h"
#include "util/alloc.h"
#include "util/clock.h"

#define JL_BATCH_MAX 512        /* keys per EVAL; more wait for the next one */
#define JL_FLUSH_MS 200

struct jl_pending {
    jl_pending *next;            /* in sink->head; guarded by sink->mu, as is every field */
    char *key;
    buf data;                    /* not yet sent */
    int refs;                    /* run + sink */
    bool ended, ok, done;        /* ended by the run; done: written (or given up) after */
    bool in_flight;              /* bytes of it are in the EVAL being sent */
    bool full;                   /* its key reached the cap: later bytes are dropped */
    bool refused;                /* its key holds another type: later bytes are lost too */
    size_t dropped;              /* lines refused because data was full */
    size_t maybe;                /* data's first maybe bytes went out in an EVAL whose
                                    answer was lost: Redis may hold them already */
};

struct jl_sink {
    joblog_set *s;
    pthread_mutex_t mu;
    pthread_cond_t cv;           /* wakes the thread (end, stop) */
    pthread_cond_t done_cv;      /* an ended run was written */
    jl_pending *head;
    bool stop, running;
    pthread_t th;
    rconn rc;                    /* the thread's own connection */
    bool down;                   /* the last flush failed (reported once) */
    int64_t down_since_ms;
    size_t lost;                 /* bytes dropped during this outage */
    bool gave_up;                /* ended runs' bytes were dropped in this outage (said) */
    uint64_t drop_bytes;         /* since the start: bytes and lines lost (header) */
    uint64_t drop_lines;
};

/* Counts bytes[0..n) as lost: n bytes and the lines they hold (caller holds mu). */
static void count_lost(jl_sink *k, const char *bytes, size_t n)
{
    k->drop_bytes += n;
    for (const char *q = bytes, *end = bytes + n; (q = memchr(q, '\n', (size_t)(end - q)));
         q++)
        k->drop_lines++;
}

/* Per key: APPEND (its reply is the new length, so no STRLEN first: each redis.call costs
 * a few µs) and EXPIRE. A chunk that takes the key past the cap is taken back: the key
 * keeps its old bytes and the chunk's whole lines up to the cap, then one notice (none if
 * the key was already full). The reply lists the keys that are full (i), whose later
 * bytes the sink drops instead of sending, and the keys of another type (-i, left as
 * they are); an APPEND that fails otherwise ends the script with 0, i and the error:
 * key i and the keys after it were not written. ARGV[3] lists "<i> <m>" pairs: key i's
 * chunk's first m bytes may be in the key already (an earlier attempt's answer was
 * lost): they are left out if the key ends with them. It is "" in the common flush, which
 * then costs one table lookup per key more. */
static const char script[] =
    "local max, notice, full, maybe = tonumber(ARGV[1]), ARGV[2], {}, {}\n"
    "for i, m in string.gmatch(ARGV[3], '(%d+) (%d+)') do\n"
    "  maybe[tonumber(i)] = tonumber(m)\n"
    "end\n"
    "for i, k in ipairs(KEYS) do\n"
    "  local c, m = ARGV[3 + 2 * i], maybe[i]\n"
    "  if m and redis.pcall('GETRANGE', k, -m, -1) == string.sub(c, 1, m) then\n"
    "    c = string.sub(c, m + 1)\n"
    "  end\n"
    "  local len = #c > 0 and redis.pcall('APPEND', k, c) or 0\n"
    "  if type(len) == 'table' then\n"
    "    if not string.find(len.err, 'WRONGTYPE', 1, true) then\n"
    "      full[#full + 1] = 0\n"
    "      full[#full + 1] = i\n"
    "      full[#full + 1] = len.err\n"
    "      return full\n"
    "    end\n"
    "    full[#full + 1] = -i\n"
    "  else\n"
    "    if len > max then\n"
    "      local old = len - #c\n"
    "      local v = old > 0 and redis.call('GETRANGE', k, 0, old - 1) or ''\n"
    "      if old < max then\n"
    "        local p = string.match(string.sub(c, 1, max - old), '^.*()\\n')\n"
    "        v = v .. (p and string.sub(c, 1, p) or '') .. notice\n"
    "      end\n"
    "      redis.call('SET', k, v)\n"
    "      full[#full + 1] = i\n"
    "    end\n"
    "    redis.call('EXPIRE', k, ARGV[2 + 2 * i])\n"
    "  end\n"
    "end\n"
    "return full\n";

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
    bool ok = !p->full && buf_append(&p->data, bytes, n) == 0;
    if (!ok && (!p->full || p->refused))
        count_lost(k, bytes, n);
    if (!ok && !p->full && p->dropped++ == 0)
        BLOG_ERROR(&k->s->log, "job log %s: Redis is not keeping up; lines are being dropped",
                   p->key);
    pthread_mutex_unlock(&k->mu);
    return ok;
}

bool jl_sink_end(jl_sink *k, jl_pending *p, bool ok)
{
    pthread_mutex_lock(&k->mu);
    p->ended = true;
    p->ok = ok;
    bool unsent = p->data.len > 0 || p->in_flight;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    return unsent;
}

bool jl_sink_wait(jl_sink *k, jl_pending *p, int wait_ms)
{
    struct timespec dl;
    clock_deadline(&dl, wait_ms);
    pthread_mutex_lock(&k->mu);
    while (!p->done && k->running && wait_ms > 0 &&
           pthread_cond_timedwait(&k->done_cv, &k->mu, &dl) == 0)
        ;
    bool done = p->done;
    pthread_mutex_unlock(&k->mu);
    return done;
}

void jl_sink_let_go(jl_sink *k, jl_pending *p)
{
    pthread_mutex_lock(&k->mu);
    unref(k, p);
    pthread_mutex_unlock(&k->mu);
}

/* One flush: the keys of the EVAL and, per key, where its bytes are in the vector. */
typedef struct batch {
    rargs a;
    jl_pending *p[JL_BATCH_MAX];
    int argi[JL_BATCH_MAX];      /* index of p[i]'s bytes in a */
    bool ended[JL_BATCH_MAX];    /* p[i] had ended when taken: written means done */
    bool full[JL_BATCH_MAX];     /* the script found p[i]'s key full */
    bool wrong[JL_BATCH_MAX];    /* p[i]'s key holds another type: its lines are refused */
    size_t n;
    size_t failed_from;          /* p[failed_from..n) were not written (n: all were) */
    bool answered;               /* Redis answered: what failed_from says is sure */
} batch;

static int ttl_for(const jl_sink *k, const jl_pending *p)
{
    int ttl = p->ended && p->ok ? JL_TTL_OK : JL_TTL_RUNNING;
    return k->s->ttl_cap_s > 0 && k->s->ttl_cap_s < ttl ? k->s->ttl_cap_s : ttl;
}

/* Moves pending bytes into b (caller holds mu): EVAL, script, numkeys, the keys, then
 * ARGV: the cap, the notice, the keys whose first bytes may be there already, and a TTL
 * and the bytes per key. */
static void take(jl_sink *k, batch *b)
{
    rargs_init(&b->a);
    b->n = 0;
    for (jl_pending *p = k->head; p && b->n < JL_BATCH_MAX; p = p->next)
        if (!p->done && (p->data.len > 0 || p->ended))
            b->p[b->n++] = p;
    if (b->n == 0)
        return;
    char note[256];
    joblog_format(note, sizeof note, time(NULL), BERTH_LOG_WARNING, __FILE__, __LINE__,
                  "this job's log reached its cap in Redis; later lines are dropped");
    rargs_adds(&b->a, "EVAL");
    rargs_adds(&b->a, script);
    rargs_addf(&b->a, "%zu", b->n);
    for (size_t i = 0; i < b->n; i++)
        rargs_adds(&b->a, b->p[i]->key);
    rargs_addf(&b->a, "%zu", k->s->redis_max);
    rargs_adds(&b->a, note);
    buf maybe;
    buf_init(&maybe, 0);   /* no cap: two numbers per key of the batch at most */
    for (size_t i = 0; i < b->n; i++)
        if (b->p[i]->maybe)
            buf_printf(&maybe, "%zu %zu ", i + 1, b->p[i]->maybe);
    rargs_add(&b->a, maybe.p ? maybe.p : "", maybe.len);
    buf_free(&maybe);
    for (size_t i = 0; i < b->n; i++) {
        jl_pending *p = b->p[i];
        rargs_addi(&b->a, ttl_for(k, p));
        b->argi[i] = b->a.argc;
        rargs_add(&b->a, p->data.p ? p->data.p : "", p->data.len);
        buf_reset(&p->data);
        b->ended[i] = p->ended;
        b->full[i] = b->wrong[i] = false;
        p->in_flight = true;
    }
}

/* Reads the script's reply into b: the keys it found full or of another type, and where
 * it stopped (b->failed_from; the error's text into k->rc.err). */
static void read_answer(jl_sink *k, batch *b, const rreply *r)
{
    for (size_t i = 0; i < rreply_len(r); i++) {
        long long at = 0;
        if (rreply_integer(NULL, rreply_at(r, i), &at) != 0)
            continue;
        if (at == 0) {           /* stopped: 0, the key it stopped at, the error */
            long long from = 0;
            rreply_integer(NULL, rreply_at(r, i + 1), &from);
            b->failed_from = from >= 1 && (size_t)from <= b->n ? (size_t)from - 1 : 0;
            const char *why = rreply_str(rreply_at(r, i + 2));
            snprintf(k->rc.err, sizeof k->rc.err, "%s", why ? why : "the script stopped");
            return;
        }
        if (at >= 1 && (size_t)at <= b->n)
            b->full[at - 1] = true;
        else if (at <= -1 && (size_t)-at <= b->n)
            b->wrong[-at - 1] = true;
    }
}

/* Sends b; b->failed_from says which keys Redis did not take (0: none was, the call
 * failed or its reply was lost). The keys the script reports full are marked (their
 * pendings stay alive while the batch holds them: the sink's reference). */
static void send_batch(jl_sink *k, batch *b)
{
    rreply *r = rconn_argv(&k->rc, &b->a);
    b->failed_from = 0;
    b->answered = r != NULL;
    if (rconn_ok(&k->rc, r) && rreply_array(&k->rc, r, RREPLY_ANY) == 0) {
        b->failed_from = b->n;
        read_answer(k, b, r);
    }
    rreply_free(r);
    bool ok = b->failed_from == b->n;
    if (!ok && !k->down) {
        BLOG_ERROR(&k->s->log, "cannot write job logs to Redis: %s (the lines are kept and "
                   "retried every %d ms; the jobs keep running)", k->rc.err, JL_FLUSH_MS);
        k->down_since_ms = clock_mono_ms();
    } else if (ok && k->down) {
        BLOG_INFO(&k->s->log, "job logs reach Redis again (%zu bytes of job logs were lost "
                  "during the outage)", k->lost);
        k->lost = 0;
        k->gave_up = false;
    }
    k->down = !ok;
}

/* An ended run's bytes given up (caller holds mu): dropped and counted; the first run of
 * an outage is said with its key and bytes (the total comes when Redis is back). */
static void give_up(jl_sink *k, jl_pending *p, const char *sent, size_t n)
{
    size_t bytes = n + p->data.len;
    if (!k->gave_up)
        BLOG_ERROR(&k->s->log, "Redis has been away for %g s: the job-log lines of runs that "
                   "ended are dropped (their final status is not held back any more), %zu "
                   "bytes of %s first", k->s->give_up_ms / 1000.0, bytes, p->key);
    k->gave_up = true;
    k->lost += bytes;
    count_lost(k, sent, n);
    count_lost(k, p->data.p ? p->data.p : "", p->data.len);
    buf_reset(&p->data);
    p->done = true;              /* its waiter goes on; the sink lets go (settle) */
}

/* A failed flush: p's bytes go back in front of what it gathered since (caller holds
 * mu). What does not fit in the buffer's cap is dropped, and so are an ended run's bytes
 * once Redis has been away for give_up_ms. True when they went back. */
static bool put_back(jl_sink *k, jl_pending *p, const char *bytes, size_t n)
{
    if (p->ended && clock_mono_ms() - k->down_since_ms >= k->s->give_up_ms) {
        give_up(k, p, bytes, n);
        return false;
    }
    buf both;
    buf_init(&both, JL_PENDING_MAX);
    if (buf_append(&both, bytes, n) == 0 &&
        buf_append(&both, p->data.p ? p->data.p : "", p->data.len) == 0) {
        buf_free(&p->data);
        p->data = both;
        return true;
    }
    buf_free(&both);
    k->lost += n;
    count_lost(k, bytes, n);
    return false;
}

/* A key of another type (caller holds mu): p's lines are refused for good — its bytes
 * and later ones dropped (as for a full key) — and said once per run. */
static void refuse(jl_sink *k, jl_pending *p, const char *sent, size_t n)
{
    BLOG_ERROR(&k->s->log, "job log %s holds a value that is not a string: this run's lines "
               "are dropped (%zu bytes and what it writes later)", p->key, n + p->data.len);
    count_lost(k, sent, n);
    count_lost(k, p->data.p ? p->data.p : "", p->data.len);
    p->full = p->refused = true;
    buf_reset(&p->data);
}

/* Settles a batch after its EVAL (caller holds mu): ended runs whose last bytes were
 * written (or refused) are done and the sink lets go of them; the bytes of the keys Redis
 * did not take go back. */
static void settle(jl_sink *k, batch *b)
{
    bool any = false;
    for (size_t i = 0; i < b->n; i++) {
        jl_pending *p = b->p[i];
        size_t n = b->a.lens[b->argi[i]];
        p->in_flight = false;
        if (i >= b->failed_from) {
            bool back = put_back(k, p, b->a.argv[b->argi[i]], n);
            /* unanswered: all it sent may be in Redis; refused: what may be there is what
             * may have been there before (the front of what it sent) */
            p->maybe = !back ? 0 : !b->answered ? n : p->maybe;
        } else {
            p->maybe = 0;
            p->done = b->ended[i] || p->done;
        }
        if (i < b->failed_from && b->wrong[i])
            refuse(k, p, b->a.argv[b->argi[i]], n);
        if (i < b->failed_from && b->full[i]) {
            p->full = true;      /* what it gathered meanwhile is over the cap too */
            buf_reset(&p->data);
        }
        if (p->done) {
            any = true;
            unref(k, p);         /* the sink's reference */
        }
    }
    if (any)
        pthread_cond_broadcast(&k->done_cv);
}

static void flush_once(jl_sink *k)   /* called with mu held; releases it around I/O */
{
    batch b;
    take(k, &b);
    if (b.n > 0) {
        pthread_mutex_unlock(&k->mu);
        send_batch(k, &b);
        pthread_mutex_lock(&k->mu);
        settle(k, &b);
    }
    rargs_free(&b.a);
}

static bool has_ended(const jl_sink *k)
{
    for (const jl_pending *p = k->head; p; p = p->next)
        if (p->ended && !p->done)
            return true;
    return false;
}

static void *sink_main(void *arg)
{
    jl_sink *k = arg;
    pthread_mutex_lock(&k->mu);
    while (!k->stop) {
        if (k->down || !has_ended(k)) {   /* Redis away: retry at the flush pace */
            struct timespec dl;
            clock_deadline(&dl, JL_FLUSH_MS);
            pthread_cond_timedwait(&k->cv, &k->mu, &dl);
        }
        flush_once(k);
    }
    flush_once(k);               /* what runs wrote last */
    size_t unsent = 0;           /* freed by jl_sink_free: lost with the outage's own */
    for (const jl_pending *p = k->head; p; p = p->next) {
        unsent += p->data.len;
        count_lost(k, p->data.p ? p->data.p : "", p->data.len);
    }
    if (k->down && k->lost + unsent > 0)
        BLOG_ERROR(&k->s->log, "%zu bytes of job logs were lost: Redis was still away at the "
                   "stop", k->lost + unsent);
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

void jl_sink_drops(jl_sink *k, uint64_t *bytes, uint64_t *lines)
{
    pthread_mutex_lock(&k->mu);
    *bytes = k->drop_bytes;
    *lines = k->drop_lines;
    pthread_mutex_unlock(&k->mu);
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
    while (k->head) {            /* runs never waited for: free what is left */
        k->head->refs = 1;
        unref(k, k->head);
    }
    rconn_close(&k->rc);
    pthread_mutex_destroy(&k->mu);
    pthread_cond_destroy(&k->cv);
    pthread_cond_destroy(&k->done_cv);
    berth_free(k);
}
