/* The completer: one thread per node that writes the outcomes of many runs (and their
 * check-ins and unique-lock releases) with one finish.lua call per batch. If Redis is
 * away it keeps the batch and retries with back-off; if the node dies first, the runs'
 * leases expire and another node runs them again (at-least-once). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "engine/internal.h"
#include "util/alloc.h"
#include "util/jsonscan.h"

#define BATCH_MAX 256

/* The retry entry: the queued JSON with gocraft's fails/err/failed_at updated. Returns
 * NULL (no retry) when the type forbids it or the fails reached max_fails. */
static char *retry_json(berth_engine *e, run *r, double *retry_at)
{
    const jtype *t = r->type;
    if (!t || (t->t.should_retry && !t->t.should_retry(t->t.userdata)))
        return NULL;
    json_t *j = json_loads(r->raw, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    json_int_t fails = json_integer_value(json_object_get(j, "fails")) + 1;
    char *out = NULL;
    if (fails < (json_int_t)t->t.max_fails) {
        int64_t now = engine_now();
        const char *why = r->errmsg.len ? r->errmsg.p : berth_strerror(r->rc);
        json_object_set_new(j, "fails", json_integer(fails));
        json_object_set_new(j, "err", json_string(why));
        json_object_set_new(j, "failed_at", json_integer(now));
        out = json_dumps(j, JSON_COMPACT);
        *retry_at = (double)engine_now_ms() / 1000.0 + engine_backoff(e, (int)fails);
    }
    json_decref(j);
    return out;
}

static void add_op(berth_engine *e, rargs *a, run *r)
{
    char op = r->op;
    char *retry = NULL;
    double retry_at = 0;
    if (op == 'E')
        retry = retry_json(e, r, &retry_at);
    rargs_add(a, &op, 1);
    rargs_adds(a, r->id);
    rargs_adds(a, r->name);
    rargs_addi(a, r->revision);
    if (op == 'C' || op == 'U') {
        rargs_adds(a, r->checkin);
    } else if (retry) {
        rargs_addf(a, "%.3f", retry_at);
    } else {
        rargs_adds(a, "");
    }
    rargs_adds(a, retry ? retry : "");
    free(retry);
}

static void notify(berth_engine *e, run *r, const rreply *res)
{
    if (!e->cfg.on_event || r->op == 'X' || r->op == 'U')
        return;
    if (!rreply_str_is(res, "ok"))
        return;
    berth_status_event ev = {.job_id = r->id, .revision = r->revision,
                             .status = r->op == 'S' ? "Success" : r->op == 'E' ? "Error" : NULL,
                             .check_in = r->op == 'C' ? r->checkin : NULL};
    e->cfg.on_event(&ev, e->cfg.event_userdata);
}

/* Writes one batch; returns true when Redis took it. */
static bool flush(berth_engine *e, rconn *rc, run **batch, size_t n, rargs *a)
{
    rargs_reset(a);
    rargs_adds(a, e->prefix);
    rargs_addi(a, engine_now());
    rargs_adds(a, e->pool_id);
    rargs_addi(a, (long long)n);
    for (size_t i = 0; i < n; i++)
        add_op(e, a, batch[i]);
    rreply *r = rconn_eval(rc, SCRIPT_FINISH, a);
    if (rreply_array(rc, r, n) != 0) {
        BLOG(&e->log, rconn_fail_level(r), "finish batch of %zu failed: %s", n, rc->err);
        rreply_free(r);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        notify(e, batch[i], rreply_at(r, i));
    rreply_free(r);
    return true;
}

static void release(berth_engine *e, run **batch, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (batch[i]->op == 'S' || batch[i]->op == 'E')
            engine_disown(e, batch[i]);
        run_free(batch[i]);
    }
}

/* Takes up to BATCH_MAX runs from the queue, dropping outcomes of handed-back runs
 * (they were requeued at shutdown and will run again elsewhere). */
static size_t collect(berth_engine *e, run **batch, size_t have)
{
    run *r = have ? NULL : runq_pop(&e->done, -1);
    while (r || (have < BATCH_MAX && (r = runq_pop(&e->done, 0)))) {
        if (atomic_load(&r->handed_back) && (r->op == 'S' || r->op == 'E')) {
            engine_disown(e, r);
            run_free(r);
        } else {
            batch[have++] = r;
        }
        r = NULL;
        if (have >= BATCH_MAX)
            break;
    }
    return have;
}

void *completer_main(void *arg)
{
    berth_engine *e = arg;
    rconn rc;
    rconn_init(&rc, &e->target, 5000);
    rargs a;
    rargs_init(&a);
    run *batch[BATCH_MAX];
    size_t n = 0;
    int backoff_ms = 50;
    for (;;) {
        n = collect(e, batch, n);
        if (n == 0) {
            if (!atomic_load(&e->running) && runq_len(&e->done) == 0)
                break;
            continue;
        }
        if (flush(e, &rc, batch, n, &a)) {
            release(e, batch, n);
            n = 0;
            backoff_ms = 50;
        } else if (!atomic_load(&e->running)) {
            release(e, batch, n);  /* leases will expire; another node re-runs them */
            n = 0;
        } else {
            struct timespec ts = {0, backoff_ms * 1000000L};
            nanosleep(&ts, NULL);
            backoff_ms = backoff_ms < 1000 ? backoff_ms * 2 : 1000;
        }
    }
    rargs_free(&a);
    rconn_close(&rc);
    return NULL;
}
