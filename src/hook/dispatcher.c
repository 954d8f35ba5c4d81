/* The hook dispatcher thread; see hook.h for the design. One pass of the loop: hold the
 * lead, read new events, prepare them (outdated check + payload), start the ready ones
 * (a job's events strictly in order), drive HTTP, schedule retries or park, release the
 * waiting events of a receiver that is back (endpoint.h), settle. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "berth/error.h"
#include "hook/deliver.h"
#include "hook/hook.h"
#include "hook/payload.h"
#include "model/stats_hash.h"
#include "util/alloc.h"
#include "util/clock.h"

#define MAX_EVENTS 512
#define BATCH 64
/* The leader lock's TTL when hook_opts.lead_ttl_ms is 0, and always the TTL of the
 * retrying count (a dead leader's last report lapses with it). */
#define LEAD_TTL_MS 10000

struct hook_dispatcher {
    hook_opts o;
    rtarget target;
    char *prefix, *pool;
    pthread_t thread;
    atomic_bool running;
    rconn rc;                      /* dispatcher thread only, like everything below */
    hook_http *http;
    hook_event *ev[MAX_EVENTS];
    size_t n;
    bool leading, read_own, group_ok;
    int64_t next_log_ms;           /* when the open-event counts are logged next */
    long long reported_retrying;   /* last count written to {ns}:berth:hooks:retrying */
    char own_cursor[48];           /* while read_own: last pending id read back */
    hook_endpoints eps;            /* receiver state for the "receiver is back" rule */
};

void hook_event_free(hook_event *e)
{
    if (!e)
        return;
    berth_free(e->job), berth_free(e->status), berth_free(e->url), berth_free(e->checkin);
    berth_free(e->payload);
    for (size_t i = 0; i < e->nsnap; i++)
        berth_free(e->snap[i]);
    berth_free(e->snap);
    buf_free(&e->resp);
    berth_free(e);
}

static rreply *eval(hook_dispatcher *d, script_id id, rargs *a)
{
    rreply *r = rconn_eval(&d->rc, id, a);
    if (!rconn_ok(&d->rc, r)) {
        BLOG(&d->o.log, rconn_fail_level(r), "hook dispatcher: redis: %s", d->rc.err);
        rreply_free(r);
        return NULL;
    }
    return r;
}

static void start_args(hook_dispatcher *d, rargs *a)
{
    rargs_init(a);
    rargs_adds(a, d->prefix);
    rargs_addi(a, clock_wall_ms() / 1000);
}

static bool take_lead(hook_dispatcher *d, long ttl)
{
    rargs a;
    start_args(d, &a);
    rargs_adds(&a, d->pool);
    rargs_addi(&a, ttl);
    rreply *r = eval(d, SCRIPT_HOOK_LEADER, &a);
    long long v = 0;
    bool lead = r && rreply_integer(&d->rc, r, &v) == 0 && v == 1;
    rreply_free(r);
    rargs_free(&a);
    return lead;
}

static void ensure_group(hook_dispatcher *d)
{
    rreply *r = rconn_cmd(&d->rc, "XGROUP CREATE %sberth:hooks berth 0 MKSTREAM", d->prefix);
    d->group_ok = r && (!rreply_is_error(r) || strstr(rreply_error(r), "BUSYGROUP"));
    rreply_free(r);
}

/* A new leader takes over what earlier leaders read but never settled. */
static void claim(hook_dispatcher *d)
{
    char cursor[64] = "0-0";
    for (int i = 0; i < 1000; i++) {
        rreply *r = rconn_cmd(&d->rc, "XAUTOCLAIM %sberth:hooks berth %s 0 %s COUNT 500 JUSTID",
                                  d->prefix, d->pool, cursor);
        const char *next = NULL;
        bool ok = rreply_array(&d->rc, r, RREPLY_ANY) == 0 && rreply_len(r) >= 2 &&
                  rreply_string(&d->rc, rreply_at(r, 0), &next, NULL) == 0;
        if (ok)
            snprintf(cursor, sizeof cursor, "%s", next);
        rreply_free(r);
        if (!ok || strcmp(cursor, "0-0") == 0)
            break;
    }
    d->read_own = true;
    snprintf(d->own_cursor, sizeof d->own_cursor, "0");
}

static const char *field(const rreply *kv, const char *name)
{
    for (size_t i = 0; i + 1 < rreply_len(kv); i += 2)
        if (rreply_str_is(rreply_at(kv, i), name))
            return rreply_str(rreply_at(kv, i + 1));
    return NULL;
}

static long long field_int(const rreply *kv, const char *name)
{
    const char *v = field(kv, name);
    return v ? strtoll(v, NULL, 10) : 0;
}

/* The 'h.<field>' entries of a stream entry: the stats as they were when the event was
 * recorded (_lib.lua hook()). 0 or BERTH_ENOMEM. */
static int snapshot_from(const rreply *kv, hook_event *e)
{
    size_t n = 0;
    for (size_t i = 0; i + 1 < rreply_len(kv); i += 2) {
        const char *f = rreply_str(rreply_at(kv, i));
        n += f && strncmp(f, "h.", 2) == 0;
    }
    if (n == 0)
        return 0;
    if (!(e->snap = berth_calloc(2 * n, sizeof *e->snap)))
        return BERTH_ENOMEM;
    for (size_t i = 0; i + 1 < rreply_len(kv); i += 2) {
        const char *f = rreply_str(rreply_at(kv, i)), *v = rreply_str(rreply_at(kv, i + 1));
        if (!f || strncmp(f, "h.", 2) != 0)
            continue;
        e->snap[e->nsnap++] = berth_strdup(f + 2);
        e->snap[e->nsnap++] = berth_strdup(v ? v : "");
        if (!e->snap[e->nsnap - 2] || !e->snap[e->nsnap - 1])
            return BERTH_ENOMEM;
    }
    return 0;
}

/* One stream entry [id, [field, value, ...]] into *out: NULL when it has another shape
 * (skipped: without an id it cannot be settled, and another reader would meet it again).
 * 0, or BERTH_ENOMEM (*out NULL). */
static int event_from(const rreply *entry, hook_event **out)
{
    const char *sid = rreply_str(rreply_at(entry, 0));
    *out = NULL;
    if (!sid)
        return 0;
    hook_event *e = berth_calloc(1, sizeof *e);
    if (!e)
        return BERTH_ENOMEM;
    buf_init(&e->resp, 512);
    snprintf(e->sid, sizeof e->sid, "%s", sid);
    const rreply *kv = rreply_at(entry, 1);
    if (rreply_array(NULL, kv, RREPLY_ANY) != 0) {   /* deleted meanwhile: settle it */
        e->outcome = 'D';
        *out = e;
        return 0;
    }
    const char *job = field(kv, "j"), *status = field(kv, "s"), *url = field(kv, "u");
    const char *c = field(kv, "c");
    e->job = berth_strdup(job);
    e->status = berth_strdup(status);
    e->url = berth_strdup(url);
    e->checkin = c && *c ? berth_strdup(c) : NULL;
    e->revision = field_int(kv, "r");
    e->checkin_at = field_int(kv, "t");
    e->at = field_int(kv, "at");
    if ((job && !e->job) || (status && !e->status) || (url && !e->url) ||
        (c && *c && !e->checkin) || snapshot_from(kv, e) != 0) {
        hook_event_free(e);
        return BERTH_ENOMEM;
    }
    if (!e->job || !e->status || !e->url)
        e->outcome = 'D';   /* malformed: settled without delivery */
    else
        hook_endpoint_key(e->url, e->ep, sizeof e->ep);
    *out = e;
    return 0;
}

/* Reads new events (or, after taking the lead, our own unsettled ones first). Blocks up to
 * a second only when nothing else is waiting. */
static void read_events(hook_dispatcher *d)
{
    size_t room = MAX_EVENTS - d->n;
    if (room == 0)
        return;
    bool idle = d->n == 0;
    rreply *r = rconn_cmd(&d->rc, idle && !d->read_own
                                          ? "XREADGROUP GROUP berth %s COUNT %d BLOCK 1000 STREAMS %sberth:hooks %s"
                                          : "XREADGROUP GROUP berth %s COUNT %d STREAMS %sberth:hooks %s",
                              d->pool, (int)room, d->prefix, d->read_own ? d->own_cursor : ">");
    size_t got = 0;
    /* [[stream, [entry, ...]]], or nil when the block timed out */
    if (rconn_ok(&d->rc, r) && rreply_len(r) == 1) {
        const rreply *entries = rreply_at(rreply_at(r, 0), 1);
        for (size_t i = 0; i < rreply_len(entries) && d->n < MAX_EVENTS; i++, got++) {
            hook_event *ev = NULL;
            if (event_from(rreply_at(entries, i), &ev) != 0) {
                /* out of memory: the rest stay pending for this node; read them back
                 * from the last one taken (own_cursor) at the next pass */
                BLOG_WARN(&d->o.log, "out of memory reading hook events: reading again");
                d->read_own = true;
                got++;
                break;
            }
            if (!ev)
                continue;
            d->ev[d->n++] = ev;
            snprintf(d->own_cursor, sizeof d->own_cursor, "%s", ev->sid);
        }
    }
    if (d->read_own && got == 0)
        d->read_own = false;
    rreply_free(r);
}

/* Outdated check and payload for events not prepared yet, BATCH per script call. As in
 * Harbor, an event's first attempt is made whatever the ack says, and the outdated check
 * is made before each retry: a failed event is unprepared again (schedule), its payload
 * kept, and checked here once it is due.
 * Returns how many it looked at (BATCH means: call again; out of memory it returns 0, and
 * the events left unprepared wait for the next pass). */
static size_t prepare_batch(hook_dispatcher *d)
{
    hook_event *batch[BATCH];
    size_t k = 0;
    bool nomem = false;
    int64_t now = clock_wall_ms();
    for (size_t i = 0; i < d->n && k < BATCH; i++)
        if (!d->ev[i]->prepared && !d->ev[i]->outcome &&
            (!d->ev[i]->payload || d->ev[i]->next_ms <= now))
            batch[k++] = d->ev[i];
    if (k == 0)
        return 0;
    rargs a;
    start_args(d, &a);
    rargs_addi(&a, (long long)k);
    for (size_t i = 0; i < k; i++) {
        rargs_adds(&a, batch[i]->sid), rargs_adds(&a, batch[i]->job);
        rargs_adds(&a, batch[i]->status), rargs_addi(&a, batch[i]->revision);
        rargs_addi(&a, batch[i]->checkin_at);
    }
    rreply *r = eval(d, SCRIPT_HOOK_PREPARE, &a);
    rargs_free(&a);
    if (rreply_array(&d->rc, r, k) != 0) {
        BLOG_ERROR(&d->o.log, "hook dispatcher: %s", d->rc.err);
        rreply_free(r);
        return 0;
    }
    for (size_t i = 0; i < k; i++) {
        const rreply *one = rreply_at(r, i), *h = rreply_at(one, 1);
        long long outdated = 0;
        bool retry = batch[i]->payload != NULL;
        if (rreply_array(&d->rc, one, 2) != 0 ||
            rreply_integer(&d->rc, rreply_at(one, 0), &outdated) != 0 ||
            (retry && outdated == 1)) {
            batch[i]->outcome = 'D';   /* outdated retry, or a shape no script of ours writes */
            continue;
        }
        if (retry) {
            batch[i]->prepared = true;
            continue;
        }
        /* the metadata: the stats recorded with the event (plus the parameters, which it
         * leaves out, from the hash while it lasts); events recorded before snapshots: the
         * hash as it is now */
        size_t n = rreply_len(h) / 2, ns = batch[i]->nsnap / 2;
        const char *f[n + ns + 1], *v[n + ns + 1];
        size_t m = 0;
        for (size_t j = 0; j < ns; j++, m++)
            f[m] = batch[i]->snap[2 * j], v[m] = batch[i]->snap[2 * j + 1];
        for (size_t j = 0; j < n; j++) {
            const char *hf = rreply_str(rreply_at(h, 2 * j));
            if (ns && !berth_stats_field_is_params(hf))
                continue;
            f[m] = hf, v[m++] = rreply_str(rreply_at(h, 2 * j + 1));
        }
        n = m;
        int prc = hook_payload(batch[i], f, v, n, d->o.max_payload, &batch[i]->payload);
        if (prc == BERTH_ENOMEM) {   /* not prepared: the next pass tries again */
            nomem = true;
            continue;
        }
        batch[i]->prepared = true;
        batch[i]->next_ms = clock_wall_ms();   /* first_ms: at its first send (start_ready) */
        if (prc != 0) {
            batch[i]->outcome = 'P';
            snprintf(batch[i]->reason, sizeof batch[i]->reason, "cannot build the payload");
        }
    }
    rreply_free(r);
    return nomem ? 0 : k;
}

static void prepare(hook_dispatcher *d)
{
    while (prepare_batch(d) == BATCH)
        ;
}

/* An event may go when it is prepared, due, and no earlier event of its job is open. */
static bool ready(hook_dispatcher *d, size_t i, int64_t now)
{
    hook_event *e = d->ev[i];
    if (e->outcome || e->inflight || !e->prepared || !e->next_ms || e->next_ms > now)
        return false;
    for (size_t j = 0; j < i; j++)
        if (!d->ev[j]->outcome && strcmp(d->ev[j]->job, e->job) == 0)
            return false;
    return true;
}

/* The retry period counts from an event's first attempt, not from when it was read: a
 * job's later events wait behind its first one, and would otherwise find their period
 * spent by that wait (one attempt each, then parked). */
static void start_ready(hook_dispatcher *d)
{
    int64_t now = clock_wall_ms();
    for (size_t i = 0; i < d->n; i++) {
        if (!ready(d, i, now))
            continue;
        if (d->ev[i]->attempts == 0)
            d->ev[i]->first_ms = now;
        if (hook_http_send(d->http, d->ev[i]) != 0)
            d->ev[i]->outcome = 'P';
    }
}

static int64_t backoff_ms(const hook_dispatcher *d, int attempts)
{
    double ms = 2000.0;
    for (int i = 1; i < attempts && ms < 600000.0; i++)
        ms *= 2;
    if (ms > 600000.0)
        ms = 600000.0;                              /* at most 10 minutes apart */
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = (unsigned)clock_wall_ms();
    ms *= 0.5 + (double)(rnd % 1000) / 1000.0;      /* ±50 % jitter */
    return (int64_t)(ms * d->o.backoff_scale) + 1;
}

/* Failed attempts: retry later, or park once the retry period is over. */
static void schedule(hook_dispatcher *d)
{
    int64_t now = clock_wall_ms(), period = (int64_t)d->o.retry_hours * 3600 * 1000;
    if (d->o.backoff_scale < 1)
        period = (int64_t)((double)period * d->o.backoff_scale);
    for (size_t i = 0; i < d->n; i++) {
        hook_event *e = d->ev[i];
        if (e->outcome || e->inflight || !e->prepared || e->next_ms)
            continue;
        if (now - e->first_ms >= period) {
            e->outcome = 'P';
            BLOG_WARN(&d->o.log, "hook for job %s (%s) parked after %d attempts: %s", e->job,
                      e->status, e->attempts, e->reason);
        } else {
            e->next_ms = now + backoff_ms(d, e->attempts);
            e->prepared = false;   /* the outdated check again once it is due */
        }
    }
}

/* The attempts that finished this pass move their endpoints' state (down, back). */
static void note_answers(hook_dispatcher *d, int64_t now)
{
    int64_t gap = (int64_t)(2000.0 * d->o.backoff_scale);   /* the first back-off step */
    for (size_t i = 0; i < d->n; i++) {
        hook_event *e = d->ev[i];
        if (!e->answered)
            continue;
        e->answered = false;
        hook_endpoint_result(hook_endpoints_get(&d->eps, e->ep, now), e->outcome == 'A', now, gap);
    }
}

static bool waiting(const hook_event *e, int64_t now)
{
    /* in back-off it is unprepared (checked again when due), its payload built */
    return !e->outcome && !e->inflight && e->payload && e->attempts > 0 && e->next_ms > now;
}

/* A receiver that is back: its events waiting in back-off go at once, oldest first, each
 * once per recovery, keeping at most per_host of its requests in flight (each answer lets
 * the next go). The recovery ends when none is left to release. */
static void release_one(hook_dispatcher *d, hook_endpoint *ep, int64_t now)
{
    unsigned inflight = 0;
    for (size_t i = 0; i < d->n; i++)
        inflight += d->ev[i]->inflight && strcmp(d->ev[i]->ep, ep->key) == 0;
    for (size_t i = 0; i < d->n; i++) {
        hook_event *e = d->ev[i];
        if (!waiting(e, now) || e->released == ep->epoch || strcmp(e->ep, ep->key) != 0)
            continue;
        if (inflight >= d->o.per_host)
            return;               /* more next pass */
        e->next_ms = now;
        e->released = ep->epoch;
        inflight++;
    }
    ep->recovering = false;
}

static void release_waiting(hook_dispatcher *d, int64_t now)
{
    for (int k = 0; k < HOOK_ENDPOINTS; k++)
        if (d->eps.e[k].recovering)
            release_one(d, &d->eps.e[k], now);
}

/* Writes the settled events (hook_done.lua) and drops them from memory. */
static void settle(hook_dispatcher *d)
{
    rargs a;
    start_args(d, &a);
    int at_count = a.argc;
    rargs_addi(&a, 0);
    int k = 0;
    for (size_t i = 0; i < d->n; i++) {
        hook_event *e = d->ev[i];
        if (!e->outcome)
            continue;
        char out[2] = {e->outcome, 0};
        rargs_adds(&a, e->sid), rargs_adds(&a, e->job ? e->job : "");
        rargs_adds(&a, e->status ? e->status : ""), rargs_addi(&a, e->revision);
        rargs_addi(&a, e->checkin_at), rargs_adds(&a, out), rargs_adds(&a, e->reason);
        k++;
    }
    if (k == 0) {
        rargs_free(&a);
        return;
    }
    rargs_seti(&a, at_count, k);
    rreply *r = eval(d, SCRIPT_HOOK_DONE, &a);
    rargs_free(&a);
    if (!r)
        return;   /* Redis away: keep them and try again next pass */
    rreply_free(r);
    size_t keep = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (d->ev[i]->outcome)
            hook_event_free(d->ev[i]);
        else
            d->ev[keep++] = d->ev[i];
    }
    d->n = keep;
}

static void report(hook_dispatcher *d)
{
    long long retrying = 0;
    for (size_t i = 0; i < d->n; i++)
        retrying += d->ev[i]->attempts > 0 && !d->ev[i]->outcome;
    /* Only while something fails, so an idle service writes nothing. */
    if (retrying > 0)
        rreply_free(rconn_cmd(&d->rc, "SET %sberth:hooks:retrying %lld PX %d", d->prefix,
                                  retrying, LEAD_TTL_MS));
    else if (d->reported_retrying > 0)
        rreply_free(rconn_cmd(&d->rc, "DEL %sberth:hooks:retrying", d->prefix));
    d->reported_retrying = retrying;
    int64_t now = clock_wall_ms();
    if (retrying > 0 && now >= d->next_log_ms) {   /* once a minute while receivers fail */
        BLOG_WARN(&d->o.log, "hooks: %zu event(s) held, %lld of them retrying", d->n, retrying);
        d->next_log_ms = now + 60000;
    }
}

static void drop_all(hook_dispatcher *d)
{
    for (size_t i = 0; i < d->n; i++) {
        hook_http_cancel(d->http, d->ev[i]);
        hook_event_free(d->ev[i]);
    }
    d->n = 0;
}

/* Time to the next due retry, for the HTTP poll: at most 100 ms. */
static int poll_ms(const hook_dispatcher *d)
{
    int64_t now = clock_wall_ms(), wait = 100;
    for (size_t i = 0; i < d->n; i++) {
        const hook_event *e = d->ev[i];
        if (!e->outcome && !e->inflight && e->next_ms && e->next_ms - now < wait)
            wait = e->next_ms - now;
    }
    return wait < 0 ? 0 : (int)wait;
}

static void pass(hook_dispatcher *d)
{
    if (!d->leading) {
        d->leading = true;
        claim(d);
        BLOG_INFO(&d->o.log, "hook dispatcher: %s now delivers hooks", d->pool);
    }
    read_events(d);
    prepare(d);
    start_ready(d);
    hook_http_poll(d->http, d->n ? poll_ms(d) : 0);
    schedule(d);
    int64_t now = clock_wall_ms();
    note_answers(d, now);
    release_waiting(d, now);
    settle(d);
    report(d);
}

static void *dispatch_main(void *arg)
{
    hook_dispatcher *d = arg;
    while (atomic_load(&d->running)) {
        if (!d->group_ok)
            ensure_group(d);
        if (d->group_ok && take_lead(d, d->o.lead_ttl_ms)) {
            pass(d);
            continue;
        }
        if (d->leading) {
            drop_all(d);      /* lost the lead: the new leader claims our events */
            d->leading = false;
        }
        for (int i = 0; i < 10 && atomic_load(&d->running); i++)
            clock_sleep_ms(100);
    }
    drop_all(d);
    if (d->leading)
        take_lead(d, 1);      /* hand the lead over at once */
    return NULL;
}

/* Frees what start made, stopping and joining the thread first when it runs. */
static void dispatcher_free(hook_dispatcher *d, bool thread_runs)
{
    if (!d)
        return;
    if (thread_runs) {
        atomic_store(&d->running, false);
        pthread_join(d->thread, NULL);
    }
    hook_http_free(d->http);
    rconn_close(&d->rc);
    berth_free(d->prefix);
    berth_free(d->pool);
    berth_free(d);
}

int hook_dispatcher_start(const hook_opts *o, hook_dispatcher **out)
{
    hook_dispatcher *d = berth_calloc(1, sizeof *d);
    if (!d)
        return BERTH_ENOMEM;
    d->o = *o;
    d->prefix = berth_strdup(o->prefix);
    d->pool = berth_strdup(o->pool_id);
    if (!d->o.retry_hours)
        d->o.retry_hours = 24;
    if (d->o.backoff_scale <= 0)
        d->o.backoff_scale = 1;
    if (!d->o.lead_ttl_ms)
        d->o.lead_ttl_ms = LEAD_TTL_MS;
    if (!d->o.max_payload)
        d->o.max_payload = 1u << 20;
    if (!d->o.per_host)
        d->o.per_host = 16;
    rconn_init(&d->rc, o->target, 5000);
    d->http = hook_http_new(o->per_host);
    atomic_init(&d->running, true);
    if (!d->prefix || !d->pool || !d->http ||
        pthread_create(&d->thread, NULL, dispatch_main, d) != 0) {
        dispatcher_free(d, false);
        return BERTH_ENOMEM;
    }
    *out = d;
    return 0;
}

void hook_dispatcher_stop(hook_dispatcher *d)
{
    dispatcher_free(d, true);
}

static long long count_of(rconn *rc, const char *fmt, const char *prefix)
{
    rreply *r = rconn_cmd(rc, fmt, prefix);
    long long v = -1;
    if (rconn_ok(rc, r) && (rreply_is_nil(r) || rreply_integer(rc, r, &v) != 0))
        v = 0;   /* an absent counter, or one holding something else */
    rreply_free(r);
    return v;
}

int hook_counts_read(rconn *rc, const char *prefix, hook_counts *out)
{
    out->pending = count_of(rc, "XLEN %sberth:hooks", prefix);
    out->retrying = count_of(rc, "GET %sberth:hooks:retrying", prefix);
    out->parked = count_of(rc, "XLEN %sberth:hooks:parked", prefix);
    out->dropped = count_of(rc, "GET %sberth:hooks:dropped", prefix);
    bool ok = out->pending >= 0 && out->retrying >= 0 && out->parked >= 0 && out->dropped >= 0;
    return ok ? 0 : BERTH_EREDIS;
}

int hook_replay(rconn *rc, const char *prefix, long limit, long long *moved)
{
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, prefix);
    rargs_addi(&a, clock_wall_ms() / 1000);
    rargs_addi(&a, limit);
    rreply *r = rconn_eval(rc, SCRIPT_HOOK_REPLAY, &a);
    rargs_free(&a);
    long long v = 0;
    int ok = rreply_integer(rc, r, &v) == 0;
    if (ok)
        *moved = v;
    rreply_free(r);
    return ok ? 0 : BERTH_EREDIS;
}
