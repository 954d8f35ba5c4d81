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
#include "util/jsonscan.h"

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

static int64_t int_of(const redisReply *r)
{
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    return r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : 0;
}

/* queue.lua's arguments: prefix, now, action; the caller adds the rest. */
static void args_start(berth_engine *e, rargs *a, const char *action)
{
    rargs_init(a);
    rargs_adds(a, e->prefix);
    rargs_addi(a, engine_now());
    rargs_adds(a, action);
}

int berth_query_queues(berth_engine *e, berth_queue_list *out)
{
    memset(out, 0, sizeof *out);
    rconn *rc = engine_conn_get(e);
    if (!rc)
        return BERTH_EREDIS;
    rargs a;
    args_start(e, &a, "list");
    redisReply *r = rconn_eval(rc, SCRIPT_QUEUE, &a);
    int err = BERTH_EREDIS;
    if (rconn_ok(rc, r) && r->type == REDIS_REPLY_ARRAY && r->elements % 6 == 0) {
        err = 0;
        out->items = berth_calloc(r->elements / 6 + 1, sizeof *out->items);
        for (size_t i = 0; i + 6 <= r->elements; i += 6) {
            redisReply **el = &r->element[i];
            if (el[0]->type != REDIS_REPLY_STRING)
                continue;
            out->items[out->n++] = (berth_queue_info){
                .name = berth_strndup(el[0]->str, el[0]->len), .waiting = int_of(el[1]),
                .running = int_of(el[2]), .oldest_at = int_of(el[3]),
                .paused = int_of(el[4]) != 0, .max_concurrency = int_of(el[5])};
        }
    }
    freeReplyObject(r);
    rargs_free(&a);
    engine_conn_put(e, rc);
    return err;
}

/* 'ok' → 0, 'unknown' → BERTH_ENOTFOUND, anything else BERTH_EREDIS. */
static int status_of(rconn *rc, const redisReply *r)
{
    if (!rconn_ok(rc, r) || r->type != REDIS_REPLY_STRING)
        return BERTH_EREDIS;
    if (strcmp(r->str, "unknown") == 0)
        return BERTH_ENOTFOUND;
    return strcmp(r->str, "ok") == 0 ? 0 : BERTH_EREDIS;
}

int berth_queue_pause(berth_engine *e, const char *name, bool paused)
{
    if (!name || !*name)
        return BERTH_EINVAL;
    rconn *rc = engine_conn_get(e);
    if (!rc)
        return BERTH_EREDIS;
    rargs a;
    args_start(e, &a, paused ? "pause" : "resume");
    rargs_adds(&a, name);
    redisReply *r = rconn_eval(rc, SCRIPT_QUEUE, &a);
    int err = status_of(rc, r);
    freeReplyObject(r);
    rargs_free(&a);
    engine_conn_put(e, rc);
    return err;
}

/* Adds the unique key of a queued job (gocraft JSON with "unique":true) and its id to a. */
static void add_unlock(berth_engine *e, rargs *a, const char *id, const char *raw)
{
    size_t nlen = 0, alen = 0;
    const char *name = jsonscan_member(raw, "name", &nlen);
    const char *args = jsonscan_member(raw, "args", &alen);
    if (!name || nlen < 2 || name[0] != '"')
        return;
    char *jname = berth_strndup(name + 1, nlen - 2);
    char *params = args && !(alen == 4 && memcmp(args, "null", 4) == 0)
                       ? berth_strndup(args, alen) : NULL;
    buf key;
    buf_init(&key, 0);
    if (berth_unique_key(e->ns, jname, params, &key) == 0) {
        rargs_adds(a, key.p);
        rargs_adds(a, id);
    }
    buf_free(&key);
    berth_free(params);
    berth_free(jname);
}

/* Releases the unique keys of the stopped unique jobs listed in r (after taken, stopped). */
static int unlock(berth_engine *e, rconn *rc, const redisReply *r)
{
    rargs a;
    args_start(e, &a, "unlock");
    for (size_t i = 2; i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && r->element[i + 1]->type == REDIS_REPLY_STRING)
            add_unlock(e, &a, r->element[i]->str, r->element[i + 1]->str);
    int err = 0;
    if (a.argc > 3) {
        redisReply *u = rconn_eval(rc, SCRIPT_QUEUE, &a);
        err = rconn_ok(rc, u) ? 0 : BERTH_EREDIS;
        freeReplyObject(u);
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
    redisReply *r = rconn_eval(rc, SCRIPT_QUEUE, &a);
    rargs_free(&a);
    int err = 0;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 2) {
        *taken = int_of(r->element[0]);
        *stopped += int_of(r->element[1]);
        err = unlock(e, rc, r);
    } else {
        err = status_of(rc, r);
        err = err ? err : BERTH_EREDIS;
    }
    freeReplyObject(r);
    return err;
}

int berth_queue_stop_pending(berth_engine *e, const char *name, long long *stopped)
{
    long long n = 0;
    if (stopped)
        *stopped = 0;
    if (!name || !*name)
        return BERTH_EINVAL;
    rconn *rc = engine_conn_get(e);
    if (!rc)
        return BERTH_EREDIS;
    redisReply *len = rconn_cmd(rc, "LLEN %sjobs:%s", e->prefix, name);
    long long left = rconn_ok(rc, len) && len->type == REDIS_REPLY_INTEGER ? len->integer : -1;
    freeReplyObject(len);
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
