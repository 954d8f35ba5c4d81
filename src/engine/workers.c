/* Workers and what they run (berth_query_workers, include/berth/query.h): the pool's
 * heartbeat names its workers (worker_ids, comma-joined), and each busy worker has
 * gocraft's observation hash {ns}:worker:<id> (job_name, job_id, started_at, args), written
 * by the heartbeat thread of the node that runs it. gocraft's job_id of a periodic
 * execution is its policy's id; the job id reported here is the execution's
 * (<policy>@<the args' _job_kind_periodic_>), so stopping it stops that run, not the
 * policy. Read-only. */
#include <stdlib.h>
#include <string.h>

#include "berth/query.h"
#include "engine/internal.h"
#include "util/alloc.h"

static void worker_info_free(berth_worker_info *w)
{
    berth_free(w->worker_id);
    berth_free(w->pool_id);
    berth_free(w->job_name);
    berth_free(w->job_id);
}

void berth_worker_list_clear(berth_worker_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        worker_info_free(&l->items[i]);
    berth_free(l->items);
    memset(l, 0, sizeof *l);
}

/* A copy of a non-empty string reply into *out (else NULL): 0 or BERTH_ENOMEM. */
static int str_copy(const rreply *r, char **out)
{
    const char *s;
    size_t len;
    *out = rreply_string(NULL, r, &s, &len) == 0 && len > 0 ? berth_strndup(s, len) : NULL;
    return *out || rreply_string(NULL, r, &s, &len) != 0 || len == 0 ? 0 : BERTH_ENOMEM;
}

/* job_id of a periodic execution's observation → <policy>@<fire time> in place. */
static int execution_id(const rreply *args, char **job_id)
{
    static const char mark[] = "\"_job_kind_periodic_\":\"";
    const char *a = rreply_str(args);
    const char *m = a && *job_id ? strstr(a, mark) : NULL;
    if (!m)
        return 0;
    m += sizeof mark - 1;
    size_t n = strspn(m, "0123456789");
    if (n == 0 || m[n] != '"')
        return 0;
    size_t len = strlen(*job_id);
    char *id = berth_realloc(*job_id, len + n + 2);
    if (!id)
        return BERTH_ENOMEM;
    id[len] = '@';
    memcpy(id + len + 1, m, n);
    id[len + n + 1] = 0;
    *job_id = id;
    return 0;
}

/* Appends one worker with its observation: 0, BERTH_EREDIS (appended without it) or
 * BERTH_ENOMEM. */
static int add_worker(berth_engine *e, rconn *rc, const char *pool, const char *wid, size_t len,
                      berth_worker_list *out)
{
    berth_worker_info w = {.worker_id = berth_strndup(wid, len), .pool_id = berth_strdup(pool)};
    int err = w.worker_id && w.pool_id ? 0 : BERTH_ENOMEM;
    rreply *r = err ? NULL : rconn_cmd(rc, "HMGET %sworker:%s job_name job_id started_at args",
                                       e->prefix, w.worker_id);
    if (err == 0 && rreply_array(rc, r, 4) == 0) {
        long long started = 0;
        err = str_copy(rreply_at(r, 0), &w.job_name);
        if (err == 0)
            err = str_copy(rreply_at(r, 1), &w.job_id);
        if (err == 0)
            err = execution_id(rreply_at(r, 3), &w.job_id);
        w.started_at = rreply_integer(NULL, rreply_at(r, 2), &started) == 0 ? started : 0;
    } else if (err == 0) {
        err = BERTH_EREDIS;
    }
    rreply_free(r);
    berth_worker_info *items = NULL;
    if (err != BERTH_ENOMEM)
        items = berth_realloc(out->items, (out->n + 1) * sizeof *out->items);
    if (!items) {
        worker_info_free(&w);
        return BERTH_ENOMEM;
    }
    out->items = items;
    out->items[out->n++] = w;
    return err;
}

static int add_pool_workers(berth_engine *e, rconn *rc, const char *pool, berth_worker_list *out)
{
    rreply *r = rconn_cmd(rc, "HGET %sworker_pools:%s worker_ids", e->prefix, pool);
    if (!rconn_ok(rc, r)) {
        rreply_free(r);
        return BERTH_EREDIS;
    }
    int err = 0;
    const char *s = rreply_str(r) ? rreply_str(r) : "";   /* nil: no workers listed */
    while (*s && err == 0) {
        size_t n = strcspn(s, ",");
        if (n > 0)
            err = add_worker(e, rc, pool, s, n, out);
        s += n + (s[n] == ',');
    }
    rreply_free(r);
    return err;
}

int berth_query_workers(berth_engine *e, const char *pool_id, berth_worker_list *out)
{
    memset(out, 0, sizeof *out);
    berth_pool_list pools = {0};
    int err = pool_id ? 0 : berth_query_pools(e, &pools);
    rconn *rc = err ? NULL : engine_conn_get(e);
    if (!rc && err == 0)
        err = BERTH_EREDIS;
    if (rc && pool_id)
        err = add_pool_workers(e, rc, pool_id, out);
    for (size_t i = 0; rc && !pool_id && i < pools.n && err == 0; i++)
        err = add_pool_workers(e, rc, pools.items[i].pool_id, out);
    engine_conn_put(e, rc);
    berth_pool_list_clear(&pools);
    return err;
}
