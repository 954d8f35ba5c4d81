/* The completer: one thread per node that writes the outcomes (outcome.h: finished runs,
 * check-ins, unique-lock releases) of many runs with one finish.lua call per batch. If
 * Redis is away it keeps the batch and retries with back-off; if the node dies first, the
 * runs' leases expire and another node runs them again (at-least-once). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "engine/internal.h"
#include "joblog/joblog.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/json_scan.h"

/* Retry delay after `fails` failures (gocraft: fails⁴ + 15 + rand(30)·(fails+1) s), scaled. */
static double backoff(const berth_engine *e, int fails)
{
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = (unsigned)clock_wall_ms();
    double f = fails;
    double secs = pow(f, 4) + 15 + (double)(rnd % 30) * (f + 1);
    return secs * e->cfg.backoff_scale;
}

/* The retry entry: the queued JSON with gocraft's fails/err/failed_at updated. Returns
 * NULL (no retry) when the type forbids it or the fails reached max_fails, and NULL with
 * *nomem set when memory ran out. */
static char *retry_json(berth_engine *e, run *r, double *retry_at, bool *nomem)
{
    const jtype *t = r->type;
    if (!t || (t->t.should_retry && !t->t.should_retry(t->t.userdata)))
        return NULL;
    json_error_t jerr;
    json_t *j = json_loads(r->raw, 0, &jerr);
    if (!json_is_object(j)) {
        *nomem = !j && json_error_code(&jerr) == json_error_out_of_memory;
        json_decref(j);
        return NULL;
    }
    json_int_t fails = json_integer_value(json_object_get(j, "fails")) + 1;
    char *out = NULL;
    if (fails < (json_int_t)t->t.max_fails) {
        int64_t now = clock_wall_s();
        const char *why = r->errmsg.len ? r->errmsg.p : berth_strerror(r->rc);
        if (json_object_set_new(j, "fails", json_integer(fails)) == 0 &&
            json_object_set_new(j, "err", json_string(why)) == 0 &&
            json_object_set_new(j, "failed_at", json_integer(now)) == 0)
            out = json_dumps(j, JSON_COMPACT);
        *nomem = out == NULL;
        *retry_at = (double)clock_wall_ms() / 1000.0 + backoff(e, (int)fails);
    }
    json_decref(j);
    return out;
}

/* The op of a run's end: S or E, or RS / RE when its start is written with it. */
static void add_finished(berth_engine *e, rargs *a, const outcome *o)
{
    run *r = o->u.finished;
    double retry_at = 0;
    bool nomem = false;
    char *retry = r->rc != 0 ? retry_json(e, r, &retry_at, &nomem) : NULL;
    if (nomem)   /* the batch is refused as a whole and tried again (flush) */
        a->err = BERTH_ENOMEM;
    rargs_adds(a, o->merged ? (r->rc == 0 ? "RS" : "RE") : (r->rc == 0 ? "S" : "E"));
    rargs_adds(a, r->id), rargs_adds(a, r->name), rargs_addi(a, r->revision);
    if (retry)
        rargs_addf(a, "%.3f", retry_at);
    else
        rargs_adds(a, "");
    rargs_adds(a, retry ? retry : "");
    rargs_addi(a, (long long)r->batch);
    free(retry);
}

/* The wire form of one outcome for finish.lua: op, effective id, name, revision, a, b,
 * fetch batch. A merged STARTED adds nothing: its FINISHED carries it. */
static void add_op(berth_engine *e, rargs *a, const outcome *o)
{
    switch (o->op) {
    case OUTCOME_FINISHED:
        add_finished(e, a, o);
        break;
    case OUTCOME_STARTED:
        if (o->merged)
            break;
        rargs_adds(a, "R");
        rargs_adds(a, o->u.started->id), rargs_adds(a, o->u.started->name);
        rargs_addi(a, o->u.started->revision), rargs_adds(a, ""), rargs_adds(a, "");
        rargs_addi(a, (long long)o->u.started->batch);
        break;
    case OUTCOME_CHECKIN:
        rargs_adds(a, "C");
        rargs_adds(a, o->u.checkin.id), rargs_adds(a, o->u.checkin.name);
        rargs_addi(a, o->u.checkin.revision), rargs_adds(a, o->u.checkin.text);
        rargs_adds(a, ""), rargs_addi(a, 0);
        break;
    case OUTCOME_UNIQUE_RELEASE:
        rargs_adds(a, "U");
        rargs_adds(a, o->u.unique.holder), rargs_adds(a, ""), rargs_addi(a, 0);
        rargs_adds(a, o->u.unique.key), rargs_adds(a, ""), rargs_addi(a, 0);
        break;
    }
}

/* A run that started and succeeded within the batch, not a periodic execution (whose
 * execution mark finish.lua writes on the general path): it can go in a group. */
static bool groupable(const outcome *o)
{
    return o->op == OUTCOME_FINISHED && o->merged && o->u.finished->rc == 0 &&
           !strchr(o->u.finished->id, '@');
}

/* finish.lua's 'G': fetch batch, name, count, then id and revision per run — the
 * consecutive groupable runs from batch[i] on of one job name and fetch batch (the merged
 * STARTED messages between them add nothing). Five arguments less per run than 'RS', and
 * the script counts and releases once per group. Returns the index after the group. */
static size_t add_group(rargs *a, outcome **batch, size_t i, size_t n)
{
    const run *first = batch[i]->u.finished;
    rargs_adds(a, "G"), rargs_addi(a, (long long)first->batch), rargs_adds(a, first->name);
    int count_at = a->argc;
    rargs_addi(a, 0);
    long long k = 0;
    for (; i < n; i++) {
        const outcome *o = batch[i];
        if (o->op == OUTCOME_STARTED && o->merged)
            continue;
        if (!groupable(o) || o->u.finished->batch != first->batch ||
            strcmp(o->u.finished->name, first->name) != 0)
            break;
        rargs_adds(a, o->u.finished->id), rargs_addi(a, o->u.finished->revision);
        k++;
    }
    rargs_seti(a, count_at, k);
    return i;
}

long long finish_ops_add(berth_engine *e, rargs *a, outcome **batch, size_t n)
{
    long long ops = 0;
    for (size_t i = 0; i < n; ops++) {
        while (i < n && batch[i]->op == OUTCOME_STARTED && batch[i]->merged)
            i++;   /* adds nothing: its FINISHED carries it */
        if (i == n)
            break;
        if (groupable(batch[i]))
            i = add_group(a, batch, i, n);
        else
            add_op(e, a, batch[i++]);
    }
    return ops;
}

static void stop_slot(slot *s, void *arg)
{
    engine_raise_stop(arg, s);
}

static void lost_slot(slot *s, void *arg)
{
    atomic_store(&s->cur->handed_back, true);
    engine_raise_stop(arg, s);
}

static bool is(const char *answer, const char *want)
{
    return answer && strcmp(answer, want) == 0;
}

/* Tells the host (cfg.on_event) about a status or check-in that Redis took ("ok"). A run
 * whose start Redis refused because the job was stopped meanwhile (a stop message that
 * crossed the start) gets its stop flag raised here; one this node no longer owns (its
 * lease was reaped while it waited, another node may run it) is stopped and its outcome
 * dropped. res: finish.lua's answer for the op (NULL when it was no text). */
static void notify(berth_engine *e, const outcome *o, const char *res)
{
    const run *started = o->op == OUTCOME_STARTED ? o->u.started : NULL;
    if (started && !o->merged && is(res, "Stopped"))
        slots_find(&e->workers, started->id, strlen(started->id), stop_slot, e);
    else if (started && !o->merged && is(res, "lost"))
        slots_find(&e->workers, started->id, strlen(started->id), lost_slot, e);
    if (!e->cfg.on_event || o->op == OUTCOME_UNIQUE_RELEASE || !is(res, "ok"))
        return;
    berth_status_event ev = {0};
    if (started) {
        ev.job_id = started->id;
        ev.revision = started->revision;
        ev.status = "Running";
    } else if (o->op == OUTCOME_FINISHED) {
        ev.job_id = o->u.finished->id;
        ev.revision = o->u.finished->revision;
        ev.status = o->u.finished->rc == 0 ? "Success" : "Error";
    } else {
        ev.job_id = o->u.checkin.id;
        ev.revision = o->u.checkin.revision;
        ev.check_in = o->u.checkin.text;
    }
    e->cfg.on_event(&ev, e->cfg.event_userdata);
}

/* Writes one batch, numbered number (the same when it is sent again, so that finish.lua
 * releases nothing twice if an earlier attempt was applied but its reply lost); returns
 * true when Redis took it. */
static bool flush(berth_engine *e, rconn *rc, outcome **batch, size_t n, uint64_t number,
                  rargs *a)
{
    rargs_reset(a);
    rargs_adds(a, e->prefix);
    rargs_addi(a, clock_wall_s());
    rargs_adds(a, e->pool_id);
    rargs_addi(a, (long long)number);
    int ops_at = a->argc;
    rargs_addi(a, 0);
    rargs_seti(a, ops_at, finish_ops_add(e, a, batch, n));
    rreply *r = rconn_eval(rc, SCRIPT_FINISH, a);   /* refuses a vector with a->err */
    long long oks = -1;   /* finish.lua answers n (a count) when every answer is "ok" */
    bool all_ok = r && !rreply_is_error(r) && rreply_len(r) == 0 &&
                  rreply_integer(rc, r, &oks) == 0 && oks == (long long)n;
    if (!all_ok && rreply_array(rc, r, n) != 0) {   /* a merged op answers twice: n answers */
        BLOG(&e->log, rconn_fail_level(r), "finish batch of %zu failed: %s", n, rc->err);
        rreply_free(r);
        return false;
    }
    /* answers in op order; a merged op's are its start's, then its end's */
    for (size_t i = 0, k = 0; i < n; i++) {
        const outcome *o = batch[i];
        if (o->op == OUTCOME_STARTED && o->merged)
            continue;
        if (o->op == OUTCOME_FINISHED && o->merged)
            notify(e, o->u.finished->start_batched, all_ok ? "ok" : rreply_str(rreply_at(r, k++)));
        notify(e, o, all_ok ? "ok" : rreply_str(rreply_at(r, k++)));
    }
    rreply_free(r);
    return true;
}

/* The runs of finished outcomes no longer hold a lease here; free the batch (in order: a
 * run outlives its STARTED, which comes first), then wake the fetcher if it waits for
 * fewer held runs. */
static void release(berth_engine *e, outcome **batch, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (batch[i]->op == OUTCOME_STARTED)
            batch[i]->u.started->start_batched = NULL;
        if (batch[i]->op == OUTCOME_FINISHED)
            leases_remove(&e->held, batch[i]->u.finished);
        outcome_free(batch[i]);
    }
    slots_notify(&e->workers, NULL, NULL);
}

/* Adds o to the batch; a FINISHED whose run's STARTED waits in the batch is merged with it
 * (one op: Running, then the final status, from one read of the stats), unless the run
 * checked in: its check-in ops lie between the two and must see Running. */
static void join(outcome **batch, size_t *have, outcome *o)
{
    if (o->op == OUTCOME_STARTED)
        o->u.started->start_batched = o;
    else if (o->op == OUTCOME_FINISHED && o->u.finished->start_batched &&
             !atomic_load(&o->u.finished->checked_in))
        o->merged = o->u.finished->start_batched->merged = true;
    batch[(*have)++] = o;
}

/* A handed-back run's outcome is dropped, and with it its STARTED if that is still in the
 * batch (it points at the run). */
static void drop(berth_engine *e, outcome **batch, size_t *have, outcome *o)
{
    run *r = o->u.finished;
    for (size_t i = 0; r->start_batched && i < *have; i++) {
        if (batch[i] == r->start_batched) {
            memmove(&batch[i], &batch[i + 1], (*have - i - 1) * sizeof *batch);
            (*have)--;
            outcome_free(r->start_batched);
            r->start_batched = NULL;
        }
    }
    leases_remove(&e->held, r);
    outcome_free(o);
}

/* A run handed back at shutdown was requeued and will run again elsewhere: its outcome
 * must not be written. */
static bool handed_back(const outcome *o)
{
    return o->op == OUTCOME_FINISHED && atomic_load(&o->u.finished->handed_back);
}

/* Takes up to COMPLETER_BATCH_MAX outcomes from the queue (waiting for the first when the
 * batch is empty), dropping those of handed-back runs. */
static size_t collect(berth_engine *e, outcome **batch, size_t have)
{
    fnode *n = have ? NULL : fifo_pop(&e->done, -1);
    while (n || (have < COMPLETER_BATCH_MAX && (n = fifo_pop(&e->done, 0)))) {
        outcome *o = FIFO_ENTRY(n, outcome, node);
        if (handed_back(o))
            drop(e, batch, &have, o);
        else
            join(batch, &have, o);
        n = NULL;
        if (have >= COMPLETER_BATCH_MAX)
            break;
    }
    return have;
}

/* Once a run's final status is visible, GET .../log must return every line it wrote: wait
 * for the REDIS job-log lines a FINISHED run left on their way (the sink writes them when
 * the run ends, many runs per EVAL, so they are usually in Redis already). Not bounded by
 * a time here: while the sink cannot write, Redis refuses writes (finish.lua would fail
 * too), and the sink itself gives an ended run's lines up after 60 s of failures (then
 * the wait ends at once), so the wait is bounded there (docs/logs.md). A stopping engine
 * waits one second per batch at most. */
static void wait_job_logs(berth_engine *e, outcome **batch, size_t n)
{
    int64_t stopping_until = 0;   /* stopping: one second for the whole batch */
    for (size_t i = 0; i < n; i++) {
        run *r = batch[i]->op == OUTCOME_FINISHED ? batch[i]->u.finished : NULL;
        while (r && r->log_unsent && !joblog_run_wait(r->log_unsent, 200)) {
            if (!atomic_load(&e->running) && !stopping_until)
                stopping_until = clock_mono_ms() + 1000;
            if (stopping_until && clock_mono_ms() >= stopping_until)
                break;
        }
        if (r && r->log_unsent) {
            joblog_run_free(r->log_unsent);
            r->log_unsent = NULL;
        }
    }
}

void *completer_main(void *arg)
{
    berth_engine *e = arg;
    rconn rc;
    rconn_init(&rc, &e->target, 5000);
    rargs a;
    rargs_init(&a);
    outcome *batch[COMPLETER_BATCH_MAX];
    size_t n = 0;
    uint64_t number = 0;
    int backoff_ms = 50;
    for (;;) {
        if (n == 0) {   /* a batch Redis did not take is sent again as it was */
            n = collect(e, batch, 0);
            number++;
        }
        if (n == 0) {
            if (!atomic_load(&e->running) && fifo_len(&e->done) == 0)
                break;
            continue;
        }
        wait_job_logs(e, batch, n);
        if (flush(e, &rc, batch, n, number, &a)) {
            release(e, batch, n);
            n = 0;
            backoff_ms = 50;
        } else if (!atomic_load(&e->running)) {
            release(e, batch, n);  /* leases will expire; another node re-runs them */
            n = 0;
        } else {
            clock_sleep_ms(backoff_ms);
            backoff_ms = backoff_ms < 1000 ? backoff_ms * 2 : 1000;
        }
    }
    rargs_free(&a);
    rconn_close(&rc);
    return NULL;
}
