/* The tracker's status half: Status, CheckIn, the CAS transitions and Reset, plus the
 * persisted retry list behind UpdateStatusWithRetry. Harbor keeps failed status writes
 * in memory only (lost on restart); Berth pushes them to {ns}:berth:status_retry, and
 * keeps them in memory only while Redis itself is unreachable. */
#include <stdio.h>
#include <string.h>

#include "berth/tracker.h"
#include "engine/internal.h"
#include "util/alloc.h"

/* Out of memory the in-memory copy keeps its old status (Redis has the new one). */
static void set_mem_status(berth_tracker *t, const char *status)
{
    if (berth_strdup_to(&t->stats->status, status) == 0)
        t->stats->update_time = clock_wall_s();
}

/* status.lua: 0, BERTH_EMISMATCH or BERTH_EREDIS. */
static int cas(berth_engine *e, rconn *rc, const char *id, const char *target, int64_t rev)
{
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, e->prefix);
    rargs_addi(&a, clock_wall_s());
    rargs_adds(&a, id);
    rargs_adds(&a, target);
    rargs_addi(&a, rev);
    rreply *r = rconn_eval(rc, SCRIPT_STATUS, &a);
    int err = BERTH_EREDIS;
    if (rconn_ok(rc, r))
        err = rreply_str_is(r, "ok") ? 0 : BERTH_EMISMATCH;
    rreply_free(r);
    rargs_free(&a);
    return err;
}

static void persist_retry(berth_tracker *t, const char *target)
{
    berth_engine *e = t->e;
    char item[512];
    snprintf(item, sizeof item, "%s %s %lld", t->id, target, (long long)t->stats->revision);
    rconn *rc = engine_conn_get(e);
    rreply *r = rc ? rconn_cmd(rc, "RPUSH %sberth:status_retry %s", e->prefix, item) : NULL;
    if ((!rc || !rconn_ok(rc, r)) && status_retry_keep(&e->retry, item) != 0)
        BLOG_ERROR(&e->log, "out of memory: status change %s not kept for retry", item);
    rreply_free(r);
    engine_conn_put(e, rc);
}

int berth_tracker_update_status_with_retry(berth_tracker *t, berth_status target)
{
    const char *name = berth_status_name(target);
    if (!name)
        return BERTH_EINVAL;
    rconn *rc = engine_conn_get(t->e);
    int err = rc ? cas(t->e, rc, t->id, name, t->stats->revision) : BERTH_EREDIS;
    engine_conn_put(t->e, rc);
    if (err == BERTH_EREDIS)
        persist_retry(t, name);
    return err;
}

/* Run/Stop/Fail/Succeed: unless the CAS refused, the in-memory status follows (Harbor
 * does so even when the write failed for other reasons; the retry list catches up). */
static int transition(berth_tracker *t, berth_status target)
{
    int err = berth_tracker_update_status_with_retry(t, target);
    if (err != BERTH_EMISMATCH)
        set_mem_status(t, berth_status_name(target));
    return err;
}

int berth_tracker_run(berth_tracker *t) { return transition(t, BERTH_STATUS_RUNNING); }
int berth_tracker_stop(berth_tracker *t) { return transition(t, BERTH_STATUS_STOPPED); }
int berth_tracker_fail(berth_tracker *t) { return transition(t, BERTH_STATUS_ERROR); }
int berth_tracker_succeed(berth_tracker *t) { return transition(t, BERTH_STATUS_SUCCESS); }

/* No status with a revision is Pending: a Generic job untouched since its launch stores
 * none (stats_status in src/store/lua/_lib.lua); no revision either is no job. */
int berth_tracker_status(berth_tracker *t, berth_status *out)
{
    rconn *rc = engine_conn_get(t->e);
    rreply *r = rc ? rconn_read(rc, "HMGET %sjob_stats:%s status revision", t->e->prefix,
                                t->id) : NULL;
    int err = BERTH_EREDIS;
    if (rc && rreply_array(rc, r, 2) == 0) {
        const char *s = rreply_str(rreply_at(r, 0));
        err = BERTH_ENOTFOUND;
        if (s || rreply_str(rreply_at(r, 1))) {
            *out = s ? berth_status_parse(s) : BERTH_STATUS_PENDING;
            err = *out == BERTH_STATUS_INVALID ? BERTH_EINVAL : 0;
        }
    }
    rreply_free(r);
    engine_conn_put(t->e, rc);
    return err;
}

int berth_tracker_checkin(berth_tracker *t, const char *msg)
{
    if (!msg || !*msg)
        return BERTH_EINVAL;
    int64_t now = clock_wall_s();
    if (berth_strdup_to(&t->stats->check_in, msg) != 0)
        return BERTH_ENOMEM;
    t->stats->check_in_at = now;
    t->stats->update_time = now;
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, t->e->prefix);
    rargs_addi(&a, now);
    rargs_adds(&a, t->e->pool_id);
    rargs_addi(&a, 0);   /* no completer batch: a check-in releases nothing */
    rargs_addi(&a, 1);
    rargs_adds(&a, "C"), rargs_adds(&a, t->id), rargs_adds(&a, t->stats->name);
    rargs_addi(&a, t->stats->revision), rargs_adds(&a, msg), rargs_adds(&a, "");
    rargs_addi(&a, 0);
    rconn *rc = NULL;
    int err = engine_conn_take(t->e, &rc);
    rreply *r = err ? NULL : rconn_eval(rc, SCRIPT_FINISH, &a);
    if (err == 0 && !rconn_ok(rc, r))
        err = rc->nomem ? BERTH_ENOMEM : BERTH_EREDIS;
    rreply_free(r);
    engine_conn_put(t->e, rc);
    rargs_free(&a);
    return err;
}

int berth_tracker_reset(berth_tracker *t)
{
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, t->e->prefix);
    rargs_addi(&a, clock_wall_s());
    rargs_adds(&a, t->id);
    rconn *rc = engine_conn_get(t->e);
    rreply *r = rc ? rconn_eval(rc, SCRIPT_RESET, &a) : NULL;
    int err = BERTH_EREDIS;
    long long rev = 0;
    if (rc && rconn_ok(rc, r)) {
        err = rreply_integer(rc, r, &rev) == 0 ? 0 : BERTH_ENOTFOUND;
        if (err == 0) {
            t->stats->revision = rev;
            set_mem_status(t, "Pending");
            berth_free(t->stats->check_in), t->stats->check_in = NULL;
            t->stats->check_in_at = 0;
            berth_free(t->stats->ack.status), t->stats->ack.status = NULL;
        }
    }
    rreply_free(r);
    engine_conn_put(t->e, rc);
    rargs_free(&a);
    return err;
}

/* Heartbeat: move in-memory items to Redis, then retry up to 100 persisted changes. */
void engine_retry_status(berth_engine *e, rconn *rc)
{
    status_retry_flush(&e->retry, rc, e->prefix);
    for (int i = 0; i < 100; i++) {
        rreply *r = rconn_cmd(rc, "LINDEX %sberth:status_retry 0", e->prefix);
        const char *item;
        size_t len;
        if (rreply_string(rc, r, &item, &len) != 0) {   /* nil: the list is empty */
            rreply_free(r);
            return;
        }
        char id[256], target[32];
        long long rev = 0;
        int ok = sscanf(item, "%255s %31s %lld", id, target, &rev) == 3;
        int err = ok ? cas(e, rc, id, target, rev) : BERTH_EMISMATCH;
        if (err != BERTH_EREDIS)
            rreply_free(rconn_cmd(rc, "LREM %sberth:status_retry 1 %b", e->prefix, item, len));
        rreply_free(r);
        if (err == BERTH_EREDIS)
            return;
    }
}
