/* EXECUTION_SWEEP (spec harbor-jobs §14; Harbor's pkg/task/sweep_job.go and
 * sweep_manager.go): first settles executions left `Running` for more than
 * reaper.max_dangling_hours with no running task; then, per vendor type of
 * `execution_retain_counts`, keeps the newest n executions of each vendor ID and deletes the
 * older final ones with their final tasks, in batches of EXECUTION_SWEEP_BATCH_SIZE IDs. A
 * vendor that fails is logged and the others still run; the job then fails with Harbor's
 * joined error JSON. Stop checkpoints before each vendor and each batch. MaxFails 1, no
 * retry, one at a time, priority 1000.
 *
 * Difference (docs/compat.md): each batch (its task DELETE and its execution DELETE) is
 * one transaction in Berth, two autocommit statements in Harbor. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth/error.h"
#include "jobs/gofmt.h"
#include "jobs/job_params.h"
#include "jobs/jobs_db.h"
#include "util/alloc.h"
#include "util/buf.h"

#define PAGE 100000          /* Harbor's defaultPageSize for listing candidates */
#define BATCH_MAX 65535      /* PostgreSQL's bound-parameter limit, Harbor's default */

typedef struct sweep {
    berth_ctx *ctx;
    db_pool *pool;
    size_t batch;
    json_t *errs;            /* Harbor's errors.Errors: [{"code","message"}] */
} sweep;

typedef struct ids {
    long long *v;
    size_t n, cap;
} ids;

static int ids_push(ids *a, long long id)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        long long *v = berth_realloc(a->v, cap * sizeof *v);
        if (!v)
            return BERTH_ENOMEM;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = id;
    return 0;
}

/* EXECUTION_SWEEP_BATCH_SIZE, 1..65535, else Harbor's error and the default. */
static size_t batch_size(berth_ctx *ctx)
{
    const char *v = getenv("EXECUTION_SWEEP_BATCH_SIZE");
    if (!v || !*v)
        return BATCH_MAX;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || end == v)
        BERTH_JERROR(ctx, "failed to parse the batch size from env, value: %s, error: "
                     "strconv.Atoi: parsing \"%s\": invalid syntax", v, v);
    else if (n <= 0 || n > BATCH_MAX)
        BERTH_JERROR(ctx, "invalid batch size %ld for sweep job, should be positive and not "
                     "over than 65535", n);
    else
        return (size_t)n;
    return BATCH_MAX;
}

/* ---- parameters: json.Unmarshal into map[string]int64 ------------------------------- */

/* The retain count of one entry; a value that is not an int64 leaves Go's zero value in
 * the map and makes the decode fail (the first such error is logged). */
static long long retain_of(const json_t *v, const char **bad)
{
    double d = json_number_value(v);
    if (json_is_null(v))
        return 0;
    if (!json_is_number(v))
        *bad = *bad ? *bad : json_is_string(v) ? "string" : json_is_boolean(v) ? "bool"
               : json_is_array(v) ? "array" : "object";
    else if (d != (double)(long long)d || d >= 9.2233720368547758e18)
        *bad = *bad ? *bad : "number";
    else
        return (long long)d;
    return 0;
}

/* The map as Harbor's parseParams leaves it: object → entries, anything else → empty. */
static json_t *retain_counts(berth_ctx *ctx, const json_t *params)
{
    json_t *m = json_object();
    const json_t *v = json_object_get(params, "execution_retain_counts");
    if (!v || json_is_null(v) || !m)
        return m;
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    const char *bad = NULL;
    if (!json_is_object(v)) {
        BERTH_JERROR(ctx, "failed to unmarshal params %s, error: json: cannot unmarshal %s "
                     "into Go value of type map[string]int64", text ? text : "",
                     json_is_string(v) ? "string" : json_is_array(v) ? "array"
                     : json_is_boolean(v) ? "bool" : "number");
    } else {
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)v, k, e)
            json_object_set_new(m, k, json_integer(retain_of(e, &bad)));
        if (bad)
            BERTH_JERROR(ctx, "failed to unmarshal params %s, error: json: cannot unmarshal "
                         "%s into Go value of type int64", text ? text : "", bad);
    }
    free(text);
    return m;
}

/* ---- candidates ---------------------------------------------------------------------- */

static int wrapf(char *err, size_t errlen, const char *why, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int wrapf(char *err, size_t errlen, const char *why, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s: %s", msg, why);
    return BERTH_EIO;
}

/* Candidates of one vendor ID, in Harbor's order (pages of PAGE ids by id, last page
 * first). */
static int vendor_candidates(db_conn *c, const char *vt, const char *vid, long long keep,
                             ids *out, char *err, size_t errlen)
{
    char off[32], why[1024];
    snprintf(off, sizeof off, "%lld", keep > 0 ? keep - 1 : 0);
    const char *p1[] = {vt, vid, off};
    db_res *r = NULL;
    if (db_query(c, "SELECT start_time FROM execution WHERE vendor_type = $1 AND vendor_id = $2 "
                 "ORDER BY start_time DESC LIMIT 1 OFFSET $3", 3, p1, &r, why, sizeof why))
        return wrapf(err, errlen, why, "failed to get candidate max start time, vendor type: %s, "
                     "vendor id: %s", vt, vid);
    if (db_res_rows(r) == 0 || db_res_null(r, 0, 0)) {
        db_res_free(r);
        return 0;   /* fewer than n executions: nothing to sweep */
    }
    const char *p2[] = {vt, vid, db_res_value(r, 0, 0)};
    db_res *ids_r = NULL;
    int rc = db_query(c, "SELECT id FROM execution WHERE vendor_type = $1 AND vendor_id = $2 AND "
                      "start_time < $3 AND status IN ('Error', 'Success', 'Stopped') ORDER BY id",
                      3, p2, &ids_r, why, sizeof why);
    db_res_free(r);
    if (rc != 0)
        return wrapf(err, errlen, why, "failed to list candidate execution ids, vendor type: %s, "
                     "vendor id: %s", vt, vid);
    int n = db_res_rows(ids_r);
    for (int page = (n + PAGE - 1) / PAGE; rc == 0 && page >= 1; page--)
        for (int i = (page - 1) * PAGE; rc == 0 && i < n && i < page * PAGE; i++)
            rc = ids_push(out, db_res_int(ids_r, i, 0));
    db_res_free(ids_r);
    return rc;
}

static int list_candidates(db_pool *pool, const char *vt, long long keep, ids *out, char *err,
                           size_t errlen)
{
    db_conn *c;
    int rc = db_get(pool, &c, err, errlen);
    if (rc != 0)
        return rc;
    char why[1024];
    db_res *v = NULL;
    const char *p[] = {vt};
    rc = db_query(c, "SELECT DISTINCT vendor_id FROM execution WHERE vendor_type = $1 AND "
                  "vendor_id IS NOT NULL", 1, p, &v, why, sizeof why);
    if (rc != 0)
        wrapf(err, errlen, why, "failed to list vendor ids for vendor type %s", vt);
    for (int i = 0; rc == 0 && i < db_res_rows(v); i++)
        rc = vendor_candidates(c, vt, db_res_value(v, i, 0), keep, out, err, errlen);
    db_res_free(v);
    db_put(pool, c);
    return rc;
}

/* ---- cleaning ------------------------------------------------------------------------ */

typedef struct batch {
    const char *arr;         /* "{1,2,3}" */
} batch;

static int clean_tx(db_conn *c, void *ud, char *err, size_t errlen)
{
    const char *p[] = {((batch *)ud)->arr};
    char why[1024];
    if (db_exec(c, "DELETE FROM task WHERE status_code = 3 AND execution_id = ANY($1::int[])",
                1, p, NULL, why, sizeof why))
        return wrapf(err, errlen, why, "failed to delete tasks");
    if (db_exec(c, "DELETE FROM execution WHERE id = ANY($1::int[]) AND id NOT IN "
                "(SELECT DISTINCT execution_id FROM task)", 1, p, NULL, why, sizeof why))
        return wrapf(err, errlen, why, "failed to delete executions");
    return 0;
}

static int clean(db_pool *pool, const long long *v, size_t n, char *err, size_t errlen)
{
    buf arr;
    buf_init(&arr, 24 * BATCH_MAX + 8);
    buf_puts(&arr, "{");
    for (size_t i = 0; i < n; i++)
        buf_printf(&arr, "%s%lld", i ? "," : "", v[i]);
    buf_puts(&arr, "}");
    int rc = arr.err ? arr.err : 0;
    batch b = {arr.p};
    if (rc == 0)
        rc = db_tx(pool, clean_tx, &b, err, errlen);
    buf_free(&arr);
    return rc;
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* One vendor type (SweepJob.sweep). 1 when stopped. */
static int sweep_vendor(sweep *s, const char *vt, long long keep, char *err, size_t errlen)
{
    BERTH_JINFO(s->ctx, "[%s] start to sweep, retain latest %lld executions", vt, keep);
    int64_t start = now_ns();
    ids c = {0};
    int rc = list_candidates(s->pool, vt, keep, &c, err, errlen);
    if (rc != 0) {
        BERTH_JERROR(s->ctx, "[%s] failed to list candidates, error: %s", vt, err);
        berth_free(c.v);
        return rc;
    }
    BERTH_JINFO(s->ctx, "[%s] listed %zu candidate executions for sweep", vt, c.n);
    for (size_t i = 0; rc == 0 && i < c.n; i += s->batch) {
        if (jobs_db_stopping(s->ctx))
            rc = 1;
        else if ((rc = clean(s->pool, c.v + i, c.n - i < s->batch ? c.n - i : s->batch, err,
                             errlen)) != 0)
            BERTH_JERROR(s->ctx, "[%s] failed to batch clean candidates, error: %s", vt, err);
    }
    if (rc == 0) {
        buf d;
        buf_init(&d, 64);
        gofmt_duration(&d, now_ns() - start);
        BERTH_JINFO(s->ctx, "[%s] end to sweep, %zu executions were deleted in total, elapsed "
                    "time: %s", vt, c.n, d.p ? d.p : "");
        buf_free(&d);
    }
    berth_free(c.v);
    return rc;
}

static void add_err(sweep *s, const char *msg)
{
    json_array_append_new(s->errs, json_pack("{s:s, s:s}", "code", "UNKNOWN", "message", msg));
}

static int sweep_all(sweep *s, json_t *counts)
{
    char err[2048];
    const char *vt;
    json_t *n;
    json_object_foreach(counts, vt, n) {
        int rc = jobs_db_stopping(s->ctx) ? 1 : sweep_vendor(s, vt, json_integer_value(n), err,
                                                              sizeof err);
        if (rc == 1) {
            BERTH_JINFO(s->ctx, "received the stop signal, quit sweep job");
            return 1;
        }
        if (rc != 0) {
            BERTH_JERROR(s->ctx, "[%s] failed to run sweep, error: %s", vt, err);
            add_err(s, err);
        }
    }
    return 0;
}

static void fix_dangling(sweep *s, unsigned hours)
{
    char h[16], why[1024], err[1536];
    snprintf(h, sizeof h, "%u", hours);
    const char *p[] = {h};
    db_conn *c;
    int rc = db_get(s->pool, &c, err, sizeof err);
    if (rc == 0) {
        rc = db_exec(c, "UPDATE execution SET status = CASE "
                     "WHEN EXISTS (SELECT 1 FROM task WHERE execution_id = execution.id AND "
                     "status = 'Error') THEN 'Error' "
                     "WHEN EXISTS (SELECT 1 FROM task WHERE execution_id = execution.id AND "
                     "status = 'Stopped') THEN 'Stopped' ELSE 'Success' END "
                     "WHERE status = 'Running' AND EXTRACT(epoch FROM NOW() - start_time)/3600 > "
                     "$1::float8 AND NOT EXISTS (SELECT 1 FROM task WHERE execution_id = "
                     "execution.id AND status = 'Running')", 1, p, NULL, why, sizeof why);
        if (rc != 0)
            wrapf(err, sizeof err, why, "failed to fix dangling state execution");
        db_put(s->pool, c);
    }
    if (rc != 0)
        BERTH_JERROR(s->ctx, "failed to fix dangling state executions, error: %s", err);
}

int jobs_db_sweep_run(berth_ctx *ctx, const char *params, void *ud)
{
    berth_jobs_db *d = ud;
    json_t *o = NULL;
    char err[1536];
    if (job_params_load(params, &o, err, sizeof err) != 0)
        return jobs_db_fail(ctx, "%s", err);
    sweep s = {.ctx = ctx, .batch = batch_size(ctx), .errs = json_array()};
    json_t *counts = retain_counts(ctx, o);
    json_decref(o);
    int rc = jobs_db_pool(d, &s.pool, NULL, err, sizeof err);
    if (rc != 0)
        rc = jobs_db_fail(ctx, "%s", err);
    if (rc == 0) {
        BERTH_JINFO(ctx, "start to run sweep job");
        fix_dangling(&s, d->max_dangling_hours);
        rc = sweep_all(&s, counts);
    }
    if (rc == 0) {
        BERTH_JINFO(ctx, "end to run sweep job");
        if (json_array_size(s.errs)) {
            json_t *all = json_pack("{s:O}", "errors", s.errs);
            char *text = json_dumps(all, JSON_COMPACT | JSON_PRESERVE_ORDER);
            berth_ctx_fail(ctx, "%s", text ? text : "sweep failed");
            free(text);
            json_decref(all);
            rc = BERTH_EJOB;
        }
    }
    json_decref(counts);
    json_decref(s.errs);
    return rc == 1 ? 0 : rc;
}
