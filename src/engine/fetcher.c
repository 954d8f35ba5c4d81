/* The fetcher: one thread per node that takes batches of jobs with one script call
 * (fetch.lua) and hands them to the workers. When a fetch comes back short (every queue
 * empty) it sleeps in its waker, subscribed to the wake channel itself, so that an
 * enqueue's publish wakes this thread directly (the fetch script marked this node idle,
 * so enqueues know to publish).
 *
 * Prefetched runs (more than the idle workers, for short jobs) stay Pending in Redis until
 * a worker starts them (worker.c). They must not wait long outside their queue, where a
 * pause or core's "stop" of the queue cannot reach them: when no worker has taken a run
 * for STALL_MS while some wait, the fetcher hands them all back to the head of their
 * queues (requeue.lua), and it does not prefetch while a worker's run is older than that. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "engine/fetch_names.h"
#include "engine/internal.h"
#include "model/params.h"
#include "util/alloc.h"
#include "util/json_scan.h"

/* Prefetch (taking more jobs than idle workers) pays off only for short jobs; for long
 * ones it would mark jobs Running that wait behind a busy worker. */
#define PREFETCH_MAX_RUN_US 5000
#define STALL_MS 100
/* While runs wait in ready, the fetcher looks every KICK_MS whether the oldest has waited
 * the ready queue's spread (setup.c) for the workers awake (all busy with long runs): then
 * it wakes another (fifo_attend). Short runs stay with the few workers already awake. */
#define KICK_MS 1
/* Safety net only: wake-ups come by pub/sub; this bounds the cost of a lost message. */
#define IDLE_WAIT_MS 2000

void fetcher_type_order(const berth_engine *e, const jtype **out)
{
    size_t n = e->ntypes;
    unsigned long long left = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = &e->types[i];
        left += out[i]->t.priority;
    }
    /* gocraft: weighted random order without replacement. */
    for (size_t i = 0; i < n; i++) {
        unsigned long long rnd = 0;
        if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
            rnd = (unsigned long long)clock_wall_ms();
        unsigned long long pick = left ? rnd % left : 0, acc = 0;
        size_t j = i;
        for (; j < n - 1; j++) {
            acc += out[j]->t.priority;
            if (pick < acc)
                break;
        }
        const jtype *tmp = out[i];
        out[i] = out[j];
        out[j] = tmp;
        left -= out[i]->t.priority;
    }
}

/* The fetch batch adapts to the backlog: it doubles (up to BATCH_GROWTH times the
 * configured one) while fetches come back full, so that a long queue is drained with few
 * script calls, and halves back while they come back mostly empty, so that a light load
 * does not prefetch more than it needs. */
#define BATCH_GROWTH 8
#define BATCH_CEILING 1024
/* Most runs held at once (fetched, not yet written back by the completer): room for two
 * fetches in flight and two completer batches (of COMPLETER_BATCH_MAX / 2 runs each),
 * beyond one per worker. */
#define HELD_MAX(e, batch) ((size_t)(e)->workers.n + 2 * (size_t)(batch) + COMPLETER_BATCH_MAX)

static unsigned batch_max(const berth_engine *e)
{
    unsigned m = e->cfg.fetch_batch * BATCH_GROWTH;
    return m > BATCH_CEILING ? (e->cfg.fetch_batch > BATCH_CEILING ? e->cfg.fetch_batch
                                                                     : BATCH_CEILING) : m;
}

static unsigned adapt_batch(const berth_engine *e, unsigned batch, size_t want, size_t got)
{
    if (got >= want && want >= batch / 2 && batch < batch_max(e))
        return batch * 2 < batch_max(e) ? batch * 2 : batch_max(e);
    if (got * 4 < want && batch > e->cfg.fetch_batch)
        return batch / 2 > e->cfg.fetch_batch ? batch / 2 : e->cfg.fetch_batch;
    return batch;
}

/* How many jobs to take now; blocks while every worker is busy (up to STALL_MS when runs
 * wait in ready, so that a stall is seen) or this node holds HELD_MAX runs. */
static unsigned capacity(berth_engine *e, unsigned batch)
{
    int64_t now = clock_wall_ms();
    bool prefetch = atomic_load(&e->run_us_ewma) < PREFETCH_MAX_RUN_US &&
                    slots_oldest_start_ms(&e->workers) > now - STALL_MS;
    return slots_wait_room(&e->workers, &e->ready, batch, prefetch, &e->held.n,
                           HELD_MAX(e, batch_max(e)), &e->fetching,
                           fifo_len(&e->ready) ? KICK_MS : -1);
}

static bool stalled(berth_engine *e)
{
    return fifo_len(&e->ready) > 0 &&
           clock_mono_ms() - atomic_load(&e->ready_moved_ms) >= STALL_MS;
}

/* Puts every run still waiting for a worker back at the head of its queue, in order (the
 * first fetched ends up rightmost, where the next fetch pops). If Redis refuses, the runs
 * go back to ready: their leases keep them safe meanwhile. */
static void hand_back_waiting(berth_engine *e, rconn *rc, rargs *a)
{
    size_t n = 0, cap = 0;
    run **v = NULL;
    fnode *node;
    while ((node = fifo_pop(&e->ready, 0))) {
        if (n == cap) {
            run **nv = berth_realloc(v, (cap = cap ? cap * 2 : 16) * sizeof *v);
            if (!nv) {   /* no memory to hand back: let it wait, as if not stalled */
                fifo_push(&e->ready, node);
                break;
            }
            v = nv;
        }
        v[n++] = FIFO_ENTRY(node, run, node);
    }
    rargs_reset(a);
    rargs_adds(a, e->prefix);
    rargs_addi(a, clock_wall_s());
    rargs_adds(a, "own");
    rargs_adds(a, e->pool_id);
    for (size_t i = n; i-- > 0;) {
        rargs_addi(a, (long long)v[i]->batch);
        rargs_adds(a, v[i]->id);
    }
    rreply *r = n ? rconn_eval(rc, SCRIPT_REQUEUE, a) : NULL;
    bool ok = n && rreply_array(rc, r, RREPLY_ANY) == 0;
    rreply_free(r);
    for (size_t i = 0; i < n; i++) {
        if (ok) {
            leases_remove(&e->held, v[i]);
            run_free(v[i]);
        } else {
            fifo_push(&e->ready, &v[i]->node);
        }
    }
    if (n)
        BLOG(&e->log, ok ? BERTH_LOG_DEBUG : BERTH_LOG_WARNING, "%zu prefetched runs %s", n,
             ok ? "handed back to their queues (no worker free)" : "not handed back: retrying");
    atomic_store(&e->ready_moved_ms, clock_mono_ms());
    berth_free(v);
}

static void build_fetch_args(berth_engine *e, rargs *a, unsigned want, uint64_t batch)
{
    const jtype *order[e->ntypes ? e->ntypes : 1];
    fetcher_type_order(e, order);
    rargs_reset(a);
    rargs_adds(a, e->prefix);
    rargs_addi(a, clock_wall_s());
    rargs_adds(a, e->pool_id);
    rargs_addi(a, heartbeat_lease_deadline_ms(e));
    rargs_addi(a, want);
    rargs_addi(a, (long long)e->ntypes);
    for (size_t i = 0; i < e->ntypes; i++) {
        rargs_adds(a, order[i]->name);
        rargs_addi(a, order[i]->t.max_concurrency);
    }
    rargs_addi(a, (long long)batch);
}

/* Entries per job in fetch.lua's reply: code (lower case when the job was launched
 * unique; followed by "\0<effective id>\0<name>" unless the JSON has Berth's head),
 * revision, JSON. */
#define FETCH_ENTRIES 3

/* The revision entry: the stats' text as stored (fetch.lua does not convert it). Read as
 * Lua's tonumber() would, a value that is no number as 0, as the scripts compare it. */
static long long parse_revision(rconn *rc, const rreply *e)
{
    long long v = 0;
    if (rreply_is_error(e) || rreply_integer(rc, e, &v) == 0)
        return v;
    const char *s = rreply_str(e);
    char *end = NULL;
    double d = s ? strtod(s, &end) : 0;
    return s && end != s && *end == '\0' && d >= -9.2e18 && d <= 9.2e18 ? (long long)d : 0;
}

/* One job of the fetch reply (entries i .. i+2), or NULL when the entries have another
 * shape (rc->err says which) or memory ran out (rc->err says so). */
static run *parse_run(berth_engine *e, rconn *rc, const rreply *reply, size_t i)
{
    const char *code, *id = NULL, *name = NULL, *raw;
    size_t codelen, idlen = 0, namelen = 0, rawlen;
    if (rreply_string(rc, rreply_at(reply, i), &code, &codelen) != 0 ||
        rreply_string(rc, rreply_at(reply, i + 2), &raw, &rawlen) != 0)
        return NULL;
    if (fetch_names(code, codelen, raw, rawlen, &id, &idlen, &name, &namelen)) {
        snprintf(rc->err, sizeof rc->err, "no code, job id or name in a fetch reply entry");
        return NULL;
    }
    run *r = run_new();
    if (r) {
        r->unique = code[0] >= 'a' && code[0] <= 'z';
        r->code = code[0] ? (char)(r->unique ? code[0] - 'a' + 'A' : code[0]) : '?';
        r->id = berth_strndup(id, idlen);
        r->name = berth_strndup(name, namelen);
        r->revision = parse_revision(rc, rreply_at(reply, i + 1));
        r->raw = berth_strndup(raw, rawlen);
    }
    if (!r || !r->id || !r->name || !r->raw) {
        run_free(r);
        snprintf(rc->err, sizeof rc->err, "out of memory for job %.*s", (int)idlen, id);
        return NULL;
    }
    r->type = engine_type(e, r->name);
    return r;
}

/* Harbor releases a unique job's lock when a worker picks the job up; the release rides
 * in the completer's next batch, and deletes the lock only if this job holds it. */
void engine_release_unique(berth_engine *e, const run *r)
{
    size_t len = 0;
    if (!r->unique)
        return;
    const char *args = json_scan_member(r->raw, "args", &len);
    bool has_args = args && !(len == 4 && memcmp(args, "null", 4) == 0);
    char *params = has_args ? berth_strndup(args, len) : NULL;
    buf key;
    buf_init(&key, 0);  /* no cap: the key holds the job's own args, already in memory */
    if (has_args && !params)
        engine_report(e, NULL);   /* out of memory: logged, the lock stays to its expiry */
    else if (berth_unique_key(e->ns, r->name, params, &key) == 0)
        engine_report(e, outcome_unique_release(r->id, buf_release(&key)));
    buf_free(&key);
    berth_free(params);
}

/* Hands fetched runs to the workers; skipped ones (stopped, already done, stats missing)
 * are dropped here: they hold no lease and have nothing to write, but a unique one still
 * gives its lock back. Returns the number of runs handed out. */
static size_t dispatch(berth_engine *e, rconn *rc, const rreply *reply, uint64_t batch,
                       int64_t sent_us)
{
    size_t n = 0;
    int64_t now_us = clock_mono_us();
    for (size_t i = 0; i + FETCH_ENTRIES <= rreply_len(reply); i += FETCH_ENTRIES) {
        run *r = parse_run(e, rc, reply, i);
        if (!r) {   /* a foreign script's reply, or out of memory: this node does not hold
                       the run, so its lease runs out and any node requeues it (requeue.lua) */
            BLOG_ERROR(&e->log, "fetch reply entry %zu skipped: %s", i / FETCH_ENTRIES, rc->err);
            continue;
        }
        if (r->code != 'R') {
            engine_release_unique(e, r);
            BLOG_DEBUG(&e->log, "job %s not run (fetch code %c)", r->id, r->code);
            run_free(r);
            continue;
        }
        if (fifo_len(&e->ready) == 0)
            atomic_store(&e->ready_moved_ms, clock_mono_ms());
        r->batch = batch;
        r->fetched_us = sent_us;
        leases_add(&e->held, r);
        r->node.at_us = now_us;
        fifo_push_quiet(&e->ready, &r->node);
        n++;
    }
    fifo_attend(&e->ready, now_us);   /* a worker for them if none is awake */
    return n;
}

static bool wait_for_wake(berth_engine *e, int ms)
{
    return waker_wait(&e->wake, ms, &e->fetching);
}

/* Another worker for runs that waited too long (fifo.h: the spread rule). */
static void kick_ready(berth_engine *e)
{
    if (fifo_len(&e->ready))
        fifo_attend(&e->ready, clock_mono_us());
}

/* wait_for_wake, in slices of KICK_MS while runs wait in ready, kicking between them. */
static void wait_kicking(berth_engine *e, int ms)
{
    int64_t end = clock_mono_ms() + ms;
    for (int64_t now = clock_mono_ms(); now < end; now = clock_mono_ms()) {
        bool slice = fifo_len(&e->ready) > 0 && end - now > KICK_MS;
        if (wait_for_wake(e, slice ? KICK_MS : (int)(end - now)))
            return;
        kick_ready(e);
    }
}

void *fetcher_main(void *arg)
{
    berth_engine *e = arg;
    rconn rc;
    rconn_init(&rc, &e->target, 5000);
    rargs a;
    rargs_init(&a);
    int backoff_ms = 50;
    unsigned batch = e->cfg.fetch_batch;
    uint64_t fetches = 0;   /* numbers this node's fetch batches (their leases) */
    buf chan;
    buf_init(&chan, 0);   /* no cap: the namespace prefix plus a constant */
    buf_printf(&chan, "%sberth:wake", e->prefix);
    while (atomic_load(&e->fetching)) {
        /* subscribed before the fetch that may mark this node idle: no wake-up is missed */
        if (chan.p)
            waker_listen(&e->wake, &e->target, chan.p);
        kick_ready(e);
        if (stalled(e))
            hand_back_waiting(e, &rc, &a);
        unsigned want = capacity(e, batch);
        if (!want || e->ntypes == 0) {
            if (e->ntypes == 0)
                wait_for_wake(e, IDLE_WAIT_MS);
            continue;
        }
        waker_clear(&e->wake);   /* this fetch sees everything enqueued so far */
        build_fetch_args(e, &a, want, ++fetches);
        int64_t sent_us = clock_mono_us();
        rreply *r = rconn_eval(&rc, SCRIPT_FETCH, &a);
        if (rreply_array(&rc, r, RREPLY_ANY) != 0) {
            BLOG(&e->log, rconn_fail_level(r), "fetch failed (retrying in %d ms): %s", backoff_ms,
                 rc.err);
            rreply_free(r);
            wait_for_wake(e, backoff_ms);
            backoff_ms = backoff_ms < 2000 ? backoff_ms * 2 : 2000;
            continue;
        }
        backoff_ms = 50;
        size_t got = rreply_len(r) / FETCH_ENTRIES;
        batch = adapt_batch(e, batch, want, got);
        dispatch(e, &rc, r, fetches, sent_us);
        rreply_free(r);
        if (got < want)   /* fetch.lua found every queue short and marked this node idle */
            wait_kicking(e, fifo_len(&e->ready) ? STALL_MS : IDLE_WAIT_MS);
    }
    /* no kicks from here on: every sleeping worker takes what is left in ready (the
     * engine is stopping; those not needed sleep again) */
    fifo_wake(&e->ready, e->workers.n);
    waker_unlisten(&e->wake);
    buf_free(&chan);
    rargs_free(&a);
    rconn_close(&rc);
    return NULL;
}
