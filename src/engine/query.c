/* Read-only queries for the REST API's list routes; see include/berth/query.h. Stats are
 * loaded one HGETALL at a time through engine_load_stats (pages are at most
 * BERTH_QUERY_MAX_PAGE ids, and a missing hash is simply skipped, as Harbor does). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/query.h"
#include "engine/internal.h"
#include "util/alloc.h"

#define DEFAULT_PAGE 25

void berth_stats_list_clear(berth_stats_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        berth_stats_free(l->items[i]);
    berth_free(l->items);
    memset(l, 0, sizeof *l);
}

static uint64_t clamp_page(uint64_t v)
{
    if (v == 0)
        return DEFAULT_PAGE;
    return v > BERTH_QUERY_MAX_PAGE ? BERTH_QUERY_MAX_PAGE : v;
}

/* Loads id's stats onto the end of out; a missing hash is skipped. 0, BERTH_EREDIS or
 * BERTH_ENOMEM. */
static int add_stats(berth_engine *e, rconn *rc, const char *id, berth_stats_list *out)
{
    berth_stats *s = NULL;
    int err = engine_load_stats(e, rc, id, &s);
    if (err == BERTH_ENOTFOUND)
        return 0;
    if (err)
        return err == BERTH_ENOMEM ? err : BERTH_EREDIS;
    berth_stats **items = berth_realloc(out->items, (out->n + 1) * sizeof *out->items);
    if (!items) {
        berth_stats_free(s);
        return BERTH_ENOMEM;
    }
    out->items = items;
    out->items[out->n++] = s;
    return 0;
}

/* Loads the stats of every string element of arr (ids, or keys when after_colon). */
static int add_all(berth_engine *e, rconn *rc, const rreply *arr, bool after_colon,
                   berth_stats_list *out)
{
    for (size_t i = 0; i < rreply_len(arr); i++) {
        const char *id = rreply_str(rreply_at(arr, i));
        if (!id)
            continue;
        const char *colon = after_colon ? strrchr(id, ':') : NULL;
        if (colon)
            id = colon + 1;
        int err = *id ? add_stats(e, rc, id, out) : 0;
        if (err)
            return err;
    }
    return 0;
}

int berth_query_jobs(berth_engine *e, uint64_t cursor, unsigned count, berth_stats_list *out)
{
    memset(out, 0, sizeof *out);
    rconn *rc = NULL;
    int taken = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    rreply *r = rconn_read(rc, "SCAN %llu MATCH %sjob_stats:* COUNT %llu",
                              (unsigned long long)cursor, e->prefix,
                              (unsigned long long)clamp_page(count));
    int err = BERTH_EREDIS;
    long long next = 0;
    if (rreply_array(rc, r, 2) == 0 && rreply_integer(rc, rreply_at(r, 0), &next) == 0 &&
        rreply_array(rc, rreply_at(r, 1), RREPLY_ANY) == 0) {
        out->next_cursor = (uint64_t)next;
        err = add_all(e, rc, rreply_at(r, 1), true, out);
    }
    rreply_free(r);
    engine_conn_put(e, rc);
    return err;
}

/* The stats id of a scheduled entry: the job's id, or <id>@<run_at> for an execution.
 * *out NULL for an entry without an id; BERTH_ENOMEM when memory ran out. */
static int scheduled_id(const char *job_json, const char *score, char **out)
{
    json_error_t jerr;
    json_t *j = json_loads(job_json, 0, &jerr);
    const char *id = json_string_value(json_object_get(j, "id"));
    *out = NULL;
    if (id && json_object_get(json_object_get(j, "args"), "_job_kind_periodic_")) {
        size_t n = strlen(id) + 32;
        if ((*out = berth_malloc(n)))
            snprintf(*out, n, "%s@%lld", id, (long long)strtod(score, NULL));
    } else if (id) {
        *out = berth_strdup(id);
    }
    bool nomem = (id && !*out) || (!j && json_error_code(&jerr) == json_error_out_of_memory);
    json_decref(j);
    return nomem ? BERTH_ENOMEM : 0;
}

static int add_scheduled(berth_engine *e, rconn *rc, const rreply *arr,
                         berth_stats_list *out)
{
    for (size_t i = 0; i + 1 < rreply_len(arr); i += 2) {
        const char *job = rreply_str(rreply_at(arr, i));
        const char *score = rreply_str(rreply_at(arr, i + 1));
        if (!job || !score)
            continue;
        char *id = NULL;
        int err = scheduled_id(job, score, &id);
        if (err == 0 && id && *id)
            err = add_stats(e, rc, id, out);
        berth_free(id);
        if (err)
            return err;
    }
    return 0;
}

static int64_t int_reply(rconn *rc, rreply *r, int *err)
{
    long long v = 0;
    if (rreply_integer(rc, r, &v) != 0)
        *err = BERTH_EREDIS;
    rreply_free(r);
    return v;
}

int berth_query_scheduled(berth_engine *e, uint64_t page, berth_stats_list *out)
{
    memset(out, 0, sizeof *out);
    rconn *rc = NULL;
    int taken = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    int err = 0;
    out->total = int_reply(rc, rconn_read(rc, "ZCARD %sscheduled", e->prefix), &err);
    uint64_t skip = (page ? page : 1) - 1;   /* pages before this one */
    uint64_t off = skip * BERTH_SCHEDULED_PAGE_SIZE;
    if (err == 0 && skip <= (uint64_t)out->total / BERTH_SCHEDULED_PAGE_SIZE &&
        off < (uint64_t)out->total) {
        rreply *r = rconn_read(rc, "ZRANGEBYSCORE %sscheduled -inf +inf WITHSCORES LIMIT "
                                  "%llu %d", e->prefix, (unsigned long long)off,
                                  BERTH_SCHEDULED_PAGE_SIZE);
        if (rreply_array(rc, r, RREPLY_ANY) == 0)
            err = add_scheduled(e, rc, r, out);
        else
            err = BERTH_EREDIS;
        rreply_free(r);
    }
    engine_conn_put(e, rc);
    return err;
}

static rreply *executions_page(berth_engine *e, rconn *rc, const char *id, uint64_t off,
                                   uint64_t size, bool non_dead_only)
{
    if (non_dead_only)
        return rconn_read(rc, "ZREVRANGEBYSCORE %sexecutions:%s +inf 0 LIMIT %llu %llu",
                         e->prefix, id, (unsigned long long)off, (unsigned long long)size);
    return rconn_read(rc, "ZREVRANGE %sexecutions:%s %llu %llu", e->prefix, id,
                     (unsigned long long)off, (unsigned long long)(off + size - 1));
}

int berth_query_executions(berth_engine *e, const char *policy_id, uint64_t page,
                           uint64_t size, bool non_dead_only, berth_stats_list *out)
{
    memset(out, 0, sizeof *out);
    rconn *rc = NULL;
    int taken = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    int err = 0;
    rreply *tr = non_dead_only
                         ? rconn_read(rc, "ZCOUNT %sexecutions:%s 0 +inf", e->prefix, policy_id)
                         : rconn_read(rc, "ZCARD %sexecutions:%s", e->prefix, policy_id);
    out->total = int_reply(rc, tr, &err);
    size = clamp_page(size);
    page = page ? page : 1;
    /* (page - 1) * size may overflow: compare by division first. */
    bool in_range = (page - 1) < (uint64_t)out->total / size + 1 &&
                    (page - 1) * size < (uint64_t)out->total;
    if (err == 0 && in_range) {
        rreply *r = executions_page(e, rc, policy_id, (page - 1) * size, size,
                                        non_dead_only);
        if (rreply_array(rc, r, RREPLY_ANY) == 0)
            err = add_all(e, rc, r, false, out);
        else
            err = BERTH_EREDIS;
        rreply_free(r);
    }
    engine_conn_put(e, rc);
    return err;
}

/* ---- worker pools (GET /api/v1/stats) --------------------------------------------------- */

static void pool_info_free(berth_pool_info *p)
{
    berth_free(p->pool_id);
    berth_free(p->host);
    for (size_t k = 0; k < p->njob_names; k++)
        berth_free(p->job_names[k]);
    berth_free(p->job_names);
}

void berth_pool_list_clear(berth_pool_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        pool_info_free(&l->items[i]);
    berth_free(l->items);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits gocraft's comma-joined job_names into a sorted array: 0 or BERTH_ENOMEM. */
static int split_names(const char *s, berth_pool_info *p)
{
    while (s && *s) {
        size_t n = strcspn(s, ",");
        if (n > 0) {
            char **v = berth_realloc(p->job_names, (p->njob_names + 1) * sizeof(char *));
            if (v)
                p->job_names = v;
            char *name = v ? berth_strndup(s, n) : NULL;
            if (!name)
                return BERTH_ENOMEM;
            p->job_names[p->njob_names++] = name;
        }
        s += n + (s[n] == ',');
    }
    if (p->njob_names > 1)
        qsort(p->job_names, p->njob_names, sizeof(char *), cmp_str);
    return 0;
}

/* Reads one heartbeat hash into p. 1 when the pool counts (heartbeat_at != 0), 0 when it
 * does not, BERTH_ENOMEM. */
static int read_pool(const rreply *h, berth_pool_info *p)
{
    int err = 0;
    for (size_t i = 0; i + 1 < rreply_len(h); i += 2) {
        const char *f = rreply_str(rreply_at(h, i)), *v = rreply_str(rreply_at(h, i + 1));
        if (!f || !v)
            continue;
        if (strcmp(f, "heartbeat_at") == 0)
            p->heartbeat_at = strtoll(v, NULL, 10);
        else if (strcmp(f, "started_at") == 0)
            p->started_at = strtoll(v, NULL, 10);
        else if (strcmp(f, "concurrency") == 0)
            p->concurrency = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(f, "job_names") == 0 && p->njob_names == 0)
            err = split_names(v, p);
        else if (strcmp(f, "host") == 0 && !p->host)
            err = (p->host = berth_strdup(v)) ? 0 : BERTH_ENOMEM;
        else if (strcmp(f, "pid") == 0)
            p->pid = strtol(v, NULL, 10);
        if (err)
            return err;
    }
    return p->heartbeat_at != 0;
}

static int add_pool(berth_engine *e, rconn *rc, const char *id, berth_pool_list *out)
{
    rreply *h = rconn_read(rc, "HGETALL %sworker_pools:%s", e->prefix, id);
    if (rreply_array(rc, h, RREPLY_ANY) != 0) {
        rreply_free(h);
        return BERTH_EREDIS;
    }
    berth_pool_info p = {0};
    int counts = read_pool(h, &p);
    rreply_free(h);
    berth_pool_info *items = NULL;
    if (counts == 1 && (p.pool_id = berth_strdup(id)))
        items = berth_realloc(out->items, (out->n + 1) * sizeof *out->items);
    if (!items) {
        pool_info_free(&p);
        return counts == 0 ? 0 : BERTH_ENOMEM;
    }
    out->items = items;
    out->items[out->n++] = p;
    return 0;
}

int berth_query_pools(berth_engine *e, berth_pool_list *out)
{
    memset(out, 0, sizeof *out);
    rconn *rc = NULL;
    int taken = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    rreply *m = rconn_read(rc, "SMEMBERS %sworker_pools", e->prefix);
    int err = 0;
    if (rreply_array(rc, m, RREPLY_ANY) != 0) {
        err = BERTH_EREDIS;
    } else {
        const char **ids = berth_calloc(rreply_len(m) + 1, sizeof *ids);
        size_t n = 0;
        err = ids ? 0 : BERTH_ENOMEM;
        for (size_t i = 0; ids && i < rreply_len(m); i++)
            if (rreply_str(rreply_at(m, i)))
                ids[n++] = rreply_str(rreply_at(m, i));
        if (n > 1)
            qsort(ids, n, sizeof *ids, cmp_str);
        for (size_t i = 0; i < n && err == 0; i++)
            err = add_pool(e, rc, ids[i], out);
        berth_free(ids);
    }
    rreply_free(m);
    engine_conn_put(e, rc);
    return err;
}
