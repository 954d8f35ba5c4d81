/* Launching jobs: builds the gocraft job JSON and the stats hash and hands both to
 * enqueue.lua, so a job and its stats appear together (one round trip, batched for
 * launch_batch). Parameters are read by berth_params_stored (parsed, to reject bad JSON,
 * unless they come from the API's parser already in the form stored: params_go_encoded)
 * and build the unique key; the queue keeps them as compact text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/enqueue.h"
#include "model/id.h"
#include "model/params.h"
#include "util/alloc.h"
#include "util/buf.h"

static int prepare(berth_engine *e, const berth_launch *l, prepared *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->type = engine_type(e, l->name);
    if (!p->type) {
        snprintf(err, errlen, "job with name '%s' is unknown", l->name ? l->name : "");
        return BERTH_EUNKNOWN;
    }
    const char *kind = l->kind ? l->kind : BERTH_KIND_GENERIC;
    p->scheduled = strcmp(kind, BERTH_KIND_SCHEDULED) == 0;
    if (!p->scheduled && strcmp(kind, BERTH_KIND_GENERIC) != 0) {
        snprintf(err, errlen, "job kind '%s' cannot be launched by the engine", kind);
        return BERTH_EINVAL;
    }
    if (p->scheduled && l->schedule_delay == 0) {
        snprintf(err, errlen, "'schedule_delay' must be specified for Scheduled job");
        return BERTH_EINVAL;
    }
    /* now + delay must stay a valid time: ~100 years is plenty (Go would wrap around). */
    if (p->scheduled && l->schedule_delay > (uint64_t)100 * 366 * 86400) {
        snprintf(err, errlen, "'schedule_delay' is too large: %llu seconds",
                 (unsigned long long)l->schedule_delay);
        return BERTH_EINVAL;
    }
    int rc = 0;
    if (l->params_json && strcmp(l->params_json, "null") != 0 &&
        (rc = berth_params_stored(l->params_json, l->params_go_encoded, &p->params, err,
                                 errlen)) != 0)
        return rc;
    if (l->unique) {
        buf k;
        buf_init(&k, 0);  /* no cap: the key holds the parameters just read */
        if ((rc = berth_unique_key(e->ns, p->type->name, p->params, &k)) != 0) {
            rc = rc == BERTH_ENOMEM || k.err ? BERTH_ENOMEM : BERTH_EINVAL;
            buf_free(&k);
            snprintf(err, errlen, "%s", rc == BERTH_ENOMEM ? "out of memory building the "
                     "unique key" : "parameters cannot be encoded for the unique key");
            return rc;
        }
        if (!(p->ukey = buf_release(&k))) {
            snprintf(err, errlen, "out of memory building the unique key");
            return BERTH_ENOMEM;
        }
    }
    berth_id_new(p->id);
    if (p->scheduled) {
        /* run_at is Harbor's: the launch second + delay. The due time is rounded up to the
         * ms: a caller reading the clock a moment before launching must never see its job
         * start before its own now + delay (the promoter compares whole ms). */
        p->run_at = clock_wall_ms() / 1000 + (int64_t)l->schedule_delay;
        p->due_ms = clock_wall_ms_up() + (int64_t)l->schedule_delay * 1000;
    }
    return 0;
}

static void prepared_free(prepared *p)
{
    free(p->params);
    berth_free(p->ukey);
}

/* Stats values over STATS_PIECE bytes are stored in pieces "<field>#1", "<field>#2"...
 * (at most STATS_PIECE bytes each), a value of more than STATS_MAX_PIECES pieces whole: the
 * same rule as stats_hset in src/store/lua/_lib.lua, applied here so that enqueue.lua's
 * HSET takes the fields as they come (docs/redis-schema.md, "Stats hash"). */
#define STATS_PIECE 64
#define STATS_MAX_PIECES 48

/* Adds the stats field f = v (len bytes) in Berth's layout; returns the pairs added. */
static int add_field(rargs *a, const char *f, const char *v, size_t len)
{
    if (len <= STATS_PIECE || len > (size_t)STATS_PIECE * STATS_MAX_PIECES) {
        rargs_adds(a, f);
        rargs_add(a, v, len);
        return 1;
    }
    int k = 0;
    for (size_t at = 0; at < len; at += STATS_PIECE) {
        char name[64];
        snprintf(name, sizeof name, "%s#%d", f, ++k);
        rargs_adds(a, name);
        rargs_add(a, v + at, len - at < STATS_PIECE ? len - at : STATS_PIECE);
    }
    return k;
}

static char *put(char *at, const char *s, size_t n)
{
    memcpy(at, s, n);
    return at + n;
}

/* Appends the job's queue entry, gocraft's job JSON, as one argument: its length is known
 * beforehand, so it is written in place (on the stack for the common job), with no buffer
 * grown piece by piece (five reallocs per launch). */
static void add_job_json(rargs *a, const berth_launch *l, const prepared *p, int64_t now)
{
    static const char k_name[] = "{\"name\":\"", k_id[] = "\",\"id\":\"", k_t[] = "\",\"t\":",
                      k_unique[] = ",\"unique\":true,\"args\":", k_args[] = ",\"args\":";
    char digits[BUF_DECIMAL_MAX];
    size_t dlen = 0;
    const char *t = buf_decimal(digits, now, &dlen);
    const char *args = p->params ? p->params : "null";
    size_t nlen = strlen(p->type->name), idlen = strlen(p->id), alen = strlen(args);
    const char *mid = l->unique ? k_unique : k_args;
    size_t midlen = l->unique ? sizeof k_unique - 1 : sizeof k_args - 1;
    size_t len = sizeof k_name - 1 + nlen + sizeof k_id - 1 + idlen + sizeof k_t - 1 + dlen +
                 midlen + alen + 1;
    char small[256];
    char *json = len <= sizeof small ? small : berth_malloc(len);
    if (!json) {
        a->err = BERTH_ENOMEM;   /* the vector is refused as a whole (args.h) */
        return;
    }
    /* The unique flag goes before the parameters: fetch.lua reads it from the head
     * (parse_job in _lib.lua) without decoding them. */
    char *at = put(json, k_name, sizeof k_name - 1);
    at = put(at, p->type->name, nlen);
    at = put(at, k_id, sizeof k_id - 1);
    at = put(at, p->id, idlen);
    at = put(at, k_t, sizeof k_t - 1);
    at = put(at, t, dlen);
    at = put(at, mid, midlen);
    at = put(at, args, alen);
    *at = '}';
    rargs_add(a, json, len);
    if (json != small)
        berth_free(json);
}

/* The job's arguments for enqueue.lua: name, id, job JSON, revision, the parameters to
 * store when the job is short (else ''), then the count of extra arguments and those:
 * the unique key, the due time and the other stats fields. The common launch (Generic,
 * queued now, not unique, no hook, parameters of at most 64 bytes) is short: 6 arguments
 * instead of 12, since Redis spends about 800 instructions on each (its parse, ARGV, the
 * command's) and the script's HSET spells the field names itself (docs/design-notes.md,
 * "HTTP launches, round five: the instructions one launch costs"). */
static void add_job(berth_engine *e, rargs *a, const berth_launch *l, const prepared *p,
                    int64_t now)
{
    rargs_adds(a, p->type->name);
    rargs_adds(a, p->id);
    add_job_json(a, l, p, now);
    rargs_addi(a, now);
    /* Empty parameters read back as absent (GET leaves them out, as Go's omitempty), so
     * `{}` is not stored; a unique job's are: its lock's key is made from them. */
    const char *params = p->params && (l->unique || strcmp(p->params, "{}") != 0) ?
                         p->params : NULL;
    size_t plen = params ? strlen(params) : 0;
    bool harbor = atomic_load_explicit(&e->harbor_nodes, memory_order_relaxed);
    bool hook = l->status_hook && *l->status_hook;
    if (!p->scheduled && !l->unique && !hook && !harbor && plen <= STATS_PIECE) {
        rargs_add(a, params ? params : "", plen);
        rargs_addi(a, 0);
        return;
    }
    rargs_adds(a, "");
    int nx_at = a->argc;
    rargs_addi(a, 0);
    rargs_adds(a, p->ukey);
    rargs_addi(a, p->scheduled ? p->due_ms : 0);
    /* The other stats in Berth's compact layout (docs/redis-schema.md, "Stats hash
     * fields"; the script writes n and revision first): no id, kind only when not
     * Generic, unique only when true, short names n/e/p, values over 64 bytes in pieces. */
    int nf = 0;
    /* A job queued now gets no status, no `e` and no `update_time`: it is Pending, and both
     * times equal its revision, until a script changes that; the readers take Pending and
     * the revision for them (stats_status and keep_e in _lib.lua, stats_hash.c). Its
     * listpack falls from the 96- to the 48-byte class (docs/design-notes.md, "Enqueue
     * cost per job"). A Scheduled job keeps all three: it has an in-progress entry from
     * now on, and Harbor's reaper reads its status and update_time (docs/compat.md). While
     * Harbor nodes beat in the namespace, the status is written too (harbor_nodes.c). */
    if (p->scheduled) {
        rargs_adds(a, "status"), rargs_adds(a, "Scheduled");
        rargs_adds(a, "e"), rargs_addi(a, now);
        rargs_adds(a, "update_time"), rargs_addi(a, now);
        nf += 3;
    } else if (harbor) {
        /* a Harbor node could fetch it, and it fails a job without a status */
        rargs_adds(a, "status"), rargs_adds(a, "Pending"), nf++;
    }
    if (l->unique)
        rargs_adds(a, "unique"), rargs_adds(a, "1"), nf++;
    if (p->scheduled)
        rargs_adds(a, "kind"), rargs_adds(a, BERTH_KIND_SCHEDULED), nf++;
    if (p->scheduled)
        rargs_adds(a, "run_at"), rargs_addi(a, p->run_at), nf++;
    if (hook)
        nf += add_field(a, "web_hook_url", l->status_hook, strlen(l->status_hook));
    if (params)
        nf += add_field(a, "p", params, plen);
    rargs_seti(a, nx_at, 2 + 2 * (long long)nf);
}

/* The launched job's stats, or NULL when memory ran out. */
static berth_stats *reply_stats(const berth_launch *l, const prepared *p, int64_t now)
{
    berth_stats *s = berth_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->id = berth_strdup(p->id);
    s->status = berth_strdup(p->scheduled ? "Scheduled" : "Pending");
    s->name = berth_strdup(p->type->name);
    s->kind = berth_strdup(p->scheduled ? BERTH_KIND_SCHEDULED : BERTH_KIND_GENERIC);
    s->unique = l->unique;
    static const char link[] = "/api/v1/jobs/";   /* and the id: no printf per launch */
    size_t idlen = strlen(p->id);
    if ((s->ref_link = berth_malloc(sizeof link + idlen)))
        memcpy(put(s->ref_link, link, sizeof link - 1), p->id, idlen + 1);
    s->enqueue_time = s->update_time = now;
    s->run_at = p->scheduled ? p->run_at : 0;
    s->web_hook_url = l->status_hook && *l->status_hook ? berth_strdup(l->status_hook) : NULL;
    s->parameters = p->params ? berth_strdup(p->params) : NULL;
    if (!s->id || !s->status || !s->name || !s->kind || !s->ref_link ||
        (l->status_hook && *l->status_hook && !s->web_hook_url) ||
        (p->params && !s->parameters)) {
        berth_stats_free(s);
        return NULL;
    }
    return s;
}

/* Runs enqueue.lua with a (its header: prefix, now, count n, then n jobs) and returns its
 * reply, an array of n answers, or NULL with *err: BERTH_ENOMEM, or BERTH_EREDIS when Redis
 * cannot be reached or refuses the script; for a refusal (an error reply: OOM past
 * maxmemory, a read-only replica...) why gets Redis's text, else "". The script is one
 * atomic call: every job in it is written, or none. */
static rreply *script_reply(berth_engine *e, rconn *rc, rreply *r, size_t n, int *err,
                            char *why, size_t whylen);

static rreply *run_script(berth_engine *e, const rargs *a, size_t n, int *err, char *why,
                          size_t whylen)
{
    if (a->err) {
        *err = BERTH_ENOMEM;
        return NULL;
    }
    rconn *rc = NULL;
    *err = engine_conn_take(e, &rc);
    rreply *r = rc ? rconn_eval(rc, SCRIPT_ENQUEUE, a) : NULL;
    return script_reply(e, rc, r, n, err, why, whylen);
}

/* run_script's reading of the script's reply r on rc (NULL when rc or the call failed;
 * *err the take's code), which gives rc back to the pool. */
static rreply *script_reply(berth_engine *e, rconn *rc, rreply *r, size_t n, int *err,
                            char *why, size_t whylen)
{
    if (whylen)
        why[0] = '\0';
    if (*err == BERTH_ENOMEM || (rc && !r && rc->nomem)) {
        *err = BERTH_ENOMEM;
    } else if (!rc || rreply_array(rc, r, n) != 0) {
        /* an outage is said once by rhealth, and the API logs each refused request */
        BLOG(&e->log, r ? BERTH_LOG_ERROR : BERTH_LOG_DEBUG, "enqueue failed: %s",
             rc ? rc->err : "no redis connection");
        if (rreply_is_error(r) && whylen)
            snprintf(why, whylen, "%s", rc->err);
        *err = BERTH_EREDIS;
    }
    engine_conn_put(e, rc);
    if (*err) {
        rreply_free(r);
        return NULL;
    }
    return r;
}

/* Job i's answer in the script's reply: 0, or BERTH_EDUP with the holder's id. */
static int job_result(const rreply *r, size_t i, char holder[128])
{
    const char *res = rreply_str(rreply_at(r, i));
    res = res ? res : "";
    if (holder && strncmp(res, "dup:", 4) == 0)
        snprintf(holder, 128, "%s", res + 4);
    else if (holder)
        holder[0] = '\0';
    return strncmp(res, "dup", 3) == 0 ? BERTH_EDUP : 0;
}

/* The header and jobs [from, to) of one enqueue.lua call. */
static void build_part(berth_engine *e, rargs *a, const berth_launch *ls, const prepared *ps,
                       size_t from, size_t to, int64_t now)
{
    rargs_init(a);
    rargs_adds(a, e->prefix);
    rargs_addi(a, now);
    rargs_addi(a, (long long)(to - from));
    for (size_t i = from; i < to; i++)
        add_job(e, a, &ls[i], &ps[i], now);
}

/* Runs enqueue.lua for n prepared jobs as one call; results[i] = 0 or BERTH_EDUP. */
static int submit_whole(berth_engine *e, const berth_launch *ls, const prepared *ps, size_t n,
                        int64_t now, int *results)
{
    rargs a;
    build_part(e, &a, ls, ps, 0, n, now);
    int err = 0;
    rreply *r = run_script(e, &a, n, &err, NULL, 0);
    for (size_t i = 0; i < n; i++)
        results[i] = r ? job_result(r, i, NULL) : err;
    rreply_free(r);
    rargs_free(&a);
    return err;
}

/* Jobs per script call of a pipelined batch: small enough that the client builds the
 * next part while Redis runs this one (and a part's script stays short), large enough
 * that the call's fixed cost is spread (Redis spends ~40k instructions per call). */
#define PART 128

/* Reads part [from, to)'s reply into results: 0, BERTH_EREDIS (results of the part set to
 * it), or 1 when the script cache was flushed (the part did not run: send it again). */
static int recv_part(berth_engine *e, rconn *rc, size_t from, size_t to, int *results)
{
    rreply *r = rconn_eval_recv(rc);
    int err = 0;
    if (r && rreply_is_error(r) && strncmp(rreply_error(r), "NOSCRIPT", 8) == 0) {
        err = 1;   /* the script is loaded again once nothing is pending (a SCRIPT LOAD now
                    * would read a pending call's reply as its own) */
    } else if (rreply_array(rc, r, to - from) != 0) {
        BLOG(&e->log, rconn_fail_level(r), "enqueue failed: %s", rc->err);
        err = BERTH_EREDIS;
    }
    for (size_t i = from; i < to; i++)
        results[i] = err == 0 ? job_result(r, i - from, NULL) : BERTH_EREDIS;
    rreply_free(r);
    return err;
}

/* Sends the batch in parts of PART jobs, each part's call written before the previous
 * one's reply is read, so that building a part overlaps Redis running the last one. Each
 * part is atomic; a part that fails fails its own jobs (BERTH_EREDIS in results), and a
 * broken connection every part not yet answered. A part refused with NOSCRIPT did not run
 * and is sent again once the others are answered. Returns the first failure or 0. */
static int submit_pipelined(berth_engine *e, rconn *rc, const berth_launch *ls,
                            const prepared *ps, size_t n, int64_t now, int *results)
{
    size_t nparts = (n + PART - 1) / PART, sent = 0, got = 0;
    int first = 0;
    bool again = false;
    while (got < nparts) {
        if (sent < nparts && sent < got + 2) {   /* at most two parts in flight */
            rargs a;
            size_t from = sent * PART, to = from + PART < n ? from + PART : n;
            int err = BERTH_EREDIS;
            /* after a broken connection the rest is not sent (on a new one) either: the
             * caller gets a batch that stops at the break, not one with holes */
            if (!first || rconn_connected(rc)) {
                build_part(e, &a, ls, ps, from, to, now);
                err = rconn_eval_send(rc, SCRIPT_ENQUEUE, &a);
                rargs_free(&a);
            }
            if (err) {   /* nothing of this part was sent; the rest is not tried */
                for (size_t i = from; i < n; i++)
                    results[i] = err;
                nparts = sent;
                first = first ? first : err;
                continue;
            }
            sent++;
            continue;
        }
        size_t from = got * PART, to = from + PART < n ? from + PART : n;
        int err = recv_part(e, rc, from, to, results);
        again = again || err == 1;
        if (err == 1)
            results[from] = 1;   /* marks the part to send again (no job result is 1) */
        else if (err && !first)
            first = err;
        got++;
    }
    if (again)
        rc->sha[SCRIPT_ENQUEUE][0] = '\0';
    for (size_t p = 0; again && p * PART < n; p++) {
        size_t from = p * PART, to = from + PART < n ? from + PART : n;
        if (results[from] == 1) {
            int err = submit_whole(e, ls + from, ps + from, to - from, now, results + from);
            first = first ? first : err;
        }
    }
    return first;
}

/* Runs enqueue.lua for n prepared jobs; results[i] = 0 or BERTH_EDUP, or BERTH_EREDIS for
 * the jobs of a part that failed. */
static int submit(berth_engine *e, const berth_launch *ls, const prepared *ps, size_t n,
                  int64_t now, int *results)
{
    if (n <= PART)
        return submit_whole(e, ls, ps, n, now, results);
    rconn *rc = NULL;
    int err = engine_conn_take(e, &rc);
    if (!err && rconn_pipelines(rc))
        err = submit_pipelined(e, rc, ls, ps, n, now, results);
    else if (!err)   /* a Redis Cluster: one call at a time (redirections are followed) */
        err = -1;
    engine_conn_put(e, rc);
    return err == -1 ? submit_whole(e, ls, ps, n, now, results) : err;
}

/* enqueue.h; send_waits gives the borrowed strings back before freeing a. */
int enqueue_join(berth_engine *e, coalesce_item **items, size_t n, rargs *a)
{
    rargs_init(a);
    rargs_adds(a, e->prefix);
    rargs_addi(a, clock_wall_s());
    rargs_addi(a, (long long)n);
    int own = a->argc;
    size_t total = (size_t)a->argc;
    for (size_t i = 0; i < n; i++) {
        const rargs *w = &((launch_wait *)items[i])->args;
        if (w->err)
            a->err = w->err;
        total += (size_t)w->argc;
    }
    char **argv = a->err ? NULL : berth_realloc(a->argv, total * sizeof *argv);
    if (argv)
        a->argv = argv;
    size_t *lens = argv ? berth_realloc(a->lens, total * sizeof *lens) : NULL;
    if (lens)
        a->lens = lens;
    if (!argv || !lens) {
        a->err = a->err ? a->err : BERTH_ENOMEM;
        return own;
    }
    a->cap = (int)total;
    for (size_t i = 0; i < n; i++) {
        const rargs *w = &((launch_wait *)items[i])->args;
        memcpy(a->argv + a->argc, w->argv, (size_t)w->argc * sizeof *argv);
        memcpy(a->lens + a->argc, w->lens, (size_t)w->argc * sizeof *lens);
        a->argc += w->argc;
    }
    return own;
}

void enqueue_outcomes(coalesce_item **items, size_t n, const rreply *r, int err,
                      const char *why)
{
    for (size_t i = 0; i < n; i++) {
        launch_wait *w = (launch_wait *)items[i];
        w->rc = err;
        if (why[0])   /* a refusal's text; none on success (no printf per launch) */
            snprintf(w->why, sizeof w->why, "%s", why);
        else
            w->why[0] = '\0';
        w->result = r ? job_result(r, i, w->holder) : 0;
    }
}

/* coalesce_send_fn: one script call for the waiting launches; each gets its own answer,
 * or all get the same failure (the script is atomic: nothing of the batch was written, or
 * the connection broke after it ran in full). */
static void send_waits(coalesce_item **items, size_t n, void *ud)
{
    berth_engine *e = ud;
    rargs a;
    int own = enqueue_join(e, items, n, &a);
    int err = 0;
    char why[256] = "";
    rreply *r = run_script(e, &a, n, &err, why, sizeof why);
    enqueue_outcomes(items, n, r, err, why);
    rreply_free(r);
    a.argc = own;   /* only the header is a's own */
    rargs_free(&a);
}

/* A lone launch's script call, written by the launching thread (start_waits) and read by
 * the coalescer's sender (finish_waits). */
typedef struct lone_call {
    rconn *rc;
    rargs a;
    int own;     /* entries of a that are its own (join_waits) */
} lone_call;

static void lone_free(lone_call *l)
{
    l->a.argc = l->own;
    rargs_free(&l->a);
    berth_free(l);
}

/* coalesce_start_fn: writes the call on an idle connection whose script is loaded, so that
 * nothing here waits for Redis (no dial, no SCRIPT LOAD, no reply); NULL (nothing sent)
 * without one, on a Redis Cluster (a redirection is followed by waiting for a reply), or
 * when the write fails. */
static void *start_waits(coalesce_item **items, size_t n, void *ud)
{
    berth_engine *e = ud;
    rconn *rc = rpool_take_idle(&e->pool);
    bool ready = rc && rconn_pipelines(rc) && rc->sha[SCRIPT_ENQUEUE][0];
    lone_call *l = ready ? berth_malloc(sizeof *l) : NULL;
    if (!l) {
        engine_conn_put(e, rc);
        return NULL;
    }
    l->rc = rc;
    l->own = enqueue_join(e, items, n, &l->a);
    if (l->a.err || rconn_eval_send(rc, SCRIPT_ENQUEUE, &l->a) != 0) {
        engine_conn_put(e, rc);   /* a broken one is closed */
        lone_free(l);
        return NULL;
    }
    return l;
}

/* coalesce_finish_fn: reads the call's reply and writes the outcomes as send_waits does; a
 * NOSCRIPT reply (the script cache was flushed: the call did not run) sends it once more
 * the usual way, which loads the script again. */
static void finish_waits(coalesce_item **items, size_t n, void *ud, void *started)
{
    berth_engine *e = ud;
    lone_call *l = started;
    rreply *r = rconn_eval_recv(l->rc);
    if (r && rreply_is_error(r) && strncmp(rreply_error(r), "NOSCRIPT", 8) == 0) {
        rreply_free(r);
        r = rconn_eval(l->rc, SCRIPT_ENQUEUE, &l->a);
    }
    int err = 0;
    char why[256];
    r = script_reply(e, l->rc, r, n, &err, why, sizeof why);
    enqueue_outcomes(items, n, r, err, why);
    rreply_free(r);
    lone_free(l);
}

void engine_launches_init(berth_engine *e)
{
    coalesce_init(&e->launches);
    coalesce_set_idle(&e->launches, memguard_refresh);   /* the INFO read off launch paths */
    coalesce_set_start(&e->launches, start_waits, finish_waits);
}

/* Builds w's part of the script's arguments: 0, or BERTH_ENOMEM (the launch then fails
 * alone: it never joins, and so never fails, others' batch). */
static int wait_init(berth_engine *e, launch_wait *w, const berth_launch *l, const prepared *p,
                     int64_t now)
{
    memset(w, 0, sizeof *w);
    rargs_init(&w->args);
    add_job(e, &w->args, l, p, now);
    return w->args.err ? BERTH_ENOMEM : 0;
}

/* A sent launch's answer for its caller: 0 with *out (when out is not NULL), or the error
 * with err filled. */
static int launch_answer(berth_engine *e, const berth_launch *l, const prepared *p,
                         int64_t now, const launch_wait *w, berth_stats **out, char *err,
                         size_t errlen)
{
    int rc = w->rc;
    if (rc == BERTH_ENOMEM)
        snprintf(err, errlen, "out of memory building the launch");
    else if (rc == BERTH_EREDIS && w->why[0])   /* Redis answered, with a refusal: say which */
        snprintf(err, errlen, "redis refused the launch: %s", w->why);
    else if (rc == BERTH_EREDIS)
        snprintf(err, errlen, "redis is unavailable");
    if (rc == 0 && w->result == BERTH_EDUP) {
        snprintf(err, errlen, "job '%s' can not be enqueued: a unique job with the same "
                 "parameters is already queued (%s)", l->name, w->holder[0] ? w->holder : "?");
        rc = BERTH_EDUP;
    }
    if (rc == 0 && p->scheduled)
        engine_tick_wake(e);
    /* The job is queued; only the copy for the caller failed, and the caller learns it. */
    if (rc == 0 && out && !(*out = reply_stats(l, p, now))) {
        snprintf(err, errlen, "out of memory (the job %s was launched)", p->id);
        rc = BERTH_ENOMEM;
    }
    return rc;
}

bool enqueue_is_periodic(const berth_launch *l)
{
    return l && l->kind && strcmp(l->kind, BERTH_KIND_PERIODIC) == 0;
}

/* Periodic launches store a policy, through the periodic part (periodic.h). */
int enqueue_periodic(berth_engine *e, const berth_launch *l, berth_stats **out, char *err,
                     size_t errlen)
{
    if (!e->periodic) {
        snprintf(err, errlen, "periodic jobs are not enabled on this node");
        return BERTH_EINVAL;
    }
    return period_launch(e->periodic, l, out, err, errlen);
}

int berth_engine_launch(berth_engine *e, const berth_launch *l, berth_stats **out, char *err,
                        size_t errlen)
{
    if (enqueue_is_periodic(l))
        return enqueue_periodic(e, l, out, err, errlen);
    prepared p;
    int rc = prepare(e, l, &p, err, errlen);
    int64_t now = clock_wall_s();
    launch_wait w = {.rc = 0};
    if (rc == 0 && (rc = wait_init(e, &w, l, &p, now)) != 0)
        snprintf(err, errlen, "out of memory building the launch");
    else if (rc == 0)
        coalesce_run(&e->launches, &w.item, send_waits, e);
    if (rc == 0)
        rc = launch_answer(e, l, &p, now, &w, out, err, errlen);
    rargs_free(&w.args);
    prepared_free(&p);
    return rc;
}

static void async_free(enqueue_async *a)
{
    rargs_free(&a->w.args);
    prepared_free(&a->p);
    berth_free(a->hook);
    berth_free(a);
}

void enqueue_async_done(enqueue_async *a)
{
    berth_launch l = {.name = a->p.type->name, .unique = a->unique, .status_hook = a->hook};
    berth_stats *s = NULL;
    char err[1024] = "";
    int rc = launch_answer(a->e, &l, &a->p, a->now, &a->w, &s, err, sizeof err);
    berth_launch_done_fn done = a->done;
    void *ud = a->ud;
    async_free(a);
    done(rc, s, err, ud);
}

/* coalesce_item.on_done: on the coalescer's sender thread, once the batch is answered. */
static void async_done(coalesce_item *it)
{
    enqueue_async_done((enqueue_async *)it);
}

int enqueue_async_new(berth_engine *e, const berth_launch *l, berth_launch_done_fn done,
                      void *ud, enqueue_async **out, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    enqueue_async *a = berth_calloc(1, sizeof *a);
    int rc = a ? prepare(e, l, &a->p, err, errlen) : BERTH_ENOMEM;
    if (a && rc == 0) {
        a->e = e;
        a->unique = l->unique;
        a->now = clock_wall_s();
        a->done = done;
        a->ud = ud;
        bool hook = l->status_hook && *l->status_hook;
        if ((hook && !(a->hook = berth_strdup(l->status_hook))) ||
            wait_init(e, &a->w, l, &a->p, a->now) != 0)
            rc = BERTH_ENOMEM;
        a->w.item.on_done = async_done;    /* wait_init cleared it */
    }
    if (rc == BERTH_ENOMEM && errlen && !err[0])
        snprintf(err, errlen, "out of memory building the launch");
    if (rc != 0 && a)
        async_free(a);
    *out = rc == 0 ? a : NULL;
    return rc;
}

void enqueue_async_submit(enqueue_async *a)
{
    if (coalesce_submit(&a->e->launches, &a->w.item, send_waits, a->e) == 0)
        return;                            /* async_done answers */
    berth_launch_done_fn done = a->done;
    void *ud = a->ud;
    async_free(a);
    done(BERTH_ESTATE, NULL, "the engine is stopping: launches are no longer taken", ud);
}

void berth_engine_launch_async(berth_engine *e, const berth_launch *l, berth_launch_done_fn done,
                               void *ud)
{
    char err[1024] = "";
    berth_stats *s = NULL;
    if (enqueue_is_periodic(l)) {
        int rc = enqueue_periodic(e, l, &s, err, sizeof err);
        done(rc, s, err, ud);
        return;
    }
    enqueue_async *a = NULL;
    int rc = enqueue_async_new(e, l, done, ud, &a, err, sizeof err);
    if (rc == 0)
        enqueue_async_submit(a);
    else
        done(rc, NULL, err, ud);
}

int berth_engine_launch_batch(berth_engine *e, const berth_launch *ls, size_t n,
                              char (*ids_out)[25], int *results)
{
    prepared *ps = berth_calloc(n ? n : 1, sizeof *ps);
    int *res = results ? results : berth_calloc(n ? n : 1, sizeof *res);
    if (!ps || !res) {
        berth_free(ps);
        if (!results)
            berth_free(res);
        return BERTH_ENOMEM;
    }
    char err[256];
    int rc = 0;
    size_t i = 0;
    for (; i < n && rc == 0; i++)
        rc = prepare(e, &ls[i], &ps[i], err, sizeof err);
    bool submitted = rc == 0;   /* then results say which jobs were queued */
    if (submitted)
        rc = submit(e, ls, ps, n, clock_wall_s(), res);
    for (size_t k = 0; k < n; k++) {
        if (ids_out && submitted)
            memcpy(ids_out[k], ps[k].id, 25);
        if (k < i)
            prepared_free(&ps[k]);
    }
    if (!results)
        berth_free(res);
    berth_free(ps);
    return rc;
}
