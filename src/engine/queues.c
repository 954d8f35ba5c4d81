/* Queue control (include/berth/queue.h): thin C over queue.lua, which holds the Redis
 * semantics shared with Harbor core's dashboard. The one thing the script cannot do is
 * compute a unique job's key (Go's JSON of its args: model/params.c), so stop hands the
 * stopped unique jobs back here and a second call releases their keys. */
#include <stdlib.h>
#include <string.h>

#include "berth/queue.h"
#include "engine/internal.h"
#include "model/params.h"
#include "util/alloc.h"
#include "util/json_scan.h"

/* Jobs taken out of a queue per script call: bounds how long one call holds Redis. */
#define STOP_BATCH 500

void berth_queue_list_clear(berth_queue_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        berth_free(l->items[i].name);
    berth_free(l->items);
    memset(l, 0, sizeof *l);
}

/* An integer entry of a queue.lua reply; 0 for anything else. */
static int64_t int_of(const rreply *r)
{
    long long v = 0;
    return rreply_integer(NULL, r, &v) == 0 ? v : 0;
}

/* queue.lua's arguments: prefix, now, action; the caller adds the rest. */
static void args_start(berth_engine *e, rargs *a, const char *action)
{
    rargs_init(a);
    rargs_adds(a, e->prefix);
    rargs_addi(a, clock_wall_s());
    rargs_adds(a, action);
}

int berth_query_queues(berth_engine *e, berth_queue_list *out)
{
    memset(out, 0, sizeof *out);
    rconn *rc = NULL;
    int taken = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    rargs a;
    args_start(e, &a, "list");
    rreply *r = rconn_eval(rc, SCRIPT_QUEUE, &a);
    int err = r ? BERTH_EREDIS : rconn_fail_code(rc);
    if (rreply_array(rc, r, RREPLY_ANY) == 0 && rreply_len(r) % 6 == 0) {
        out->items = berth_calloc(rreply_len(r) / 6 + 1, sizeof *out->items);
        err = out->items ? 0 : BERTH_ENOMEM;
        for (size_t i = 0; err == 0 && i + 6 <= rreply_len(r); i += 6) {
            const char *name;
            size_t len;
            if (rreply_string(NULL, rreply_at(r, i), &name, &len) != 0)
                continue;
            out->items[out->n++] = (berth_queue_info){
                .name = berth_strndup(name, len), .waiting = int_of(rreply_at(r, i + 1)),
                .running = int_of(rreply_at(r, i + 2)), .oldest_at = int_of(rreply_at(r, i + 3)),
                .paused = int_of(rreply_at(r, i + 4)) != 0,
                .max_concurrency = int_of(rreply_at(r, i + 5))};
            if (!out->items[out->n - 1].name)
                err = BERTH_ENOMEM;
        }
    }
    rreply_free(r);
    rargs_free(&a);
    engine_conn_put(e, rc);
    return err;
}

/* 'ok' → 0, 'unknown' → BERTH_ENOTFOUND, no reply for want of memory BERTH_ENOMEM,
 * anything else BERTH_EREDIS. */
static int status_of(rconn *rc, const rreply *r)
{
    const char *s;
    if (!r)
        return rconn_fail_code(rc);
    if (rreply_string(rc, r, &s, NULL) != 0)
        return BERTH_EREDIS;
    if (strcmp(s, "unknown") == 0)
        return BERTH_ENOTFOUND;
    return strcmp(s, "ok") == 0 ? 0 : BERTH_EREDIS;
}

int berth_queue_pause(berth_engine *e, const char *name, bool paused)
{
    if (!name || !*name)
        return BERTH_EINVAL;
    rconn *rc = NULL;
    int taken = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    rargs a;
    args_start(e, &a, paused ? "pause" : "resume");
    rargs_adds(&a, name);
    rreply *r = rconn_eval(rc, SCRIPT_QUEUE, &a);
    int err = status_of(rc, r);
    rreply_free(r);
    rargs_free(&a);
    engine_conn_put(e, rc);
    return err;
}

/* Adds the unique key of a queued job (gocraft JSON with "unique":true) and its id to a
 * (out of memory, a->err: rargs refuses the vector). */
static void add_unlock(berth_engine *e, rargs *a, const char *id, const char *raw)
{
    size_t nlen = 0, alen = 0;
    const char *name = json_scan_member(raw, "name", &nlen);
    const char *args = json_scan_member(raw, "args", &alen);
    if (!name || nlen < 2 || name[0] != '"')
        return;
    bool has_args = args && !(alen == 4 && memcmp(args, "null", 4) == 0);
    char *jname = berth_strndup(name + 1, nlen - 2);
    char *params = has_args ? berth_strndup(args, alen) : NULL;
    buf key;
    buf_init(&key, 0);  /* no cap: the key holds the job's own args, already in memory */
    int rc = !jname || (has_args && !params) ? BERTH_ENOMEM
                                             : berth_unique_key(e->ns, jname, params, &key);
    if (rc == BERTH_ENOMEM || key.err)
        a->err = BERTH_ENOMEM;
    else if (rc == 0) {
        rargs_adds(a, key.p);
        rargs_adds(a, id);
    }
    buf_free(&key);
    berth_free(params);
    berth_free(jname);
}

/* Releases the unique keys of the stopped unique jobs listed in r (after taken, stopped). */
static int unlock(berth_engine *e, rconn *rc, const rreply *r)
{
    rargs a;
    args_start(e, &a, "unlock");
    for (size_t i = 2; i + 1 < rreply_len(r); i += 2) {
        const char *id = rreply_str(rreply_at(r, i)), *raw = rreply_str(rreply_at(r, i + 1));
        if (id && raw)
            add_unlock(e, &a, id, raw);
    }
    int err = a.err;
    if (err == 0 && a.argc > 3) {
        rreply *u = rconn_eval(rc, SCRIPT_QUEUE, &a);
        err = rconn_ok(rc, u) ? 0 : u ? BERTH_EREDIS : rconn_fail_code(rc);
        rreply_free(u);
    }
    rargs_free(&a);
    return err;
}

/* One batch: takes up to STOP_BATCH jobs. Sets *taken (0 ends the loop). */
static int stop_batch(berth_engine *e, rconn *rc, const char *name, long long *taken,
                      long long *stopped)
{
    rargs a;
    args_start(e, &a, "stop");
    rargs_adds(&a, name);
    rargs_addi(&a, STOP_BATCH);
    rreply *r = rconn_eval(rc, SCRIPT_QUEUE, &a);
    rargs_free(&a);
    int err = 0;
    if (rreply_len(r) >= 2) {
        *taken = int_of(rreply_at(r, 0));
        *stopped += int_of(rreply_at(r, 1));
        err = unlock(e, rc, r);
    } else {
        err = status_of(rc, r);
        err = err ? err : BERTH_EREDIS;
    }
    rreply_free(r);
    return err;
}

int berth_queue_stop_pending(berth_engine *e, const char *name, long long *stopped)
{
    long long n = 0;
    if (stopped)
        *stopped = 0;
    if (!name || !*name)
        return BERTH_EINVAL;
    rconn *rc = NULL;
    int conn = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (conn)
        return conn;
    rreply *len = rconn_cmd(rc, "LLEN %sjobs:%s", e->prefix, name);
    long long left = -1;
    if (rreply_integer(rc, len, &left) != 0)
        left = -1;
    rreply_free(len);
    int err = left < 0 ? BERTH_EREDIS : 0;
    /* One batch even for an empty queue: it says whether the queue is known. */
    while (err == 0) {
        long long taken = 0;
        err = stop_batch(e, rc, name, &taken, &n);
        left -= taken;
        if (taken < STOP_BATCH || left <= 0)
            break;
    }
    engine_conn_put(e, rc);
    if (stopped)
        *stopped = n;
    return err;
}
