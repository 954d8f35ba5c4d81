/* Reading a job's stats and stopping a job: the API side of the tracker. */
#include <stdio.h>
#include <string.h>

#include "engine/internal.h"
#include "model/params.h"
#include "model/stats_hash.h"
#include "util/alloc.h"

/* HGETALL → berth_stats. ref_link is not stored (it is derived from the id). */
int engine_load_stats(berth_engine *e, rconn *rc, const char *id, berth_stats **out)
{
    rreply *r = rconn_read(rc, "HGETALL %sjob_stats:%s", e->prefix, id);
    if (rreply_array(rc, r, RREPLY_ANY) != 0) {
        rreply_free(r);
        return BERTH_EREDIS;
    }
    size_t n = rreply_len(r) / 2;
    const char **fields = berth_calloc(n + 1, sizeof *fields);
    const char **values = berth_calloc(n + 1, sizeof *values);
    for (size_t i = 0; fields && values && i < n; i++) { /* a non-string gives NULL,
                                                             which the reader skips */
        fields[i] = rreply_str(rreply_at(r, 2 * i));
        values[i] = rreply_str(rreply_at(r, 2 * i + 1));
    }
    int rc2 = fields && values ? berth_stats_from_hash_id(id, fields, values, n, out)
                               : BERTH_ENOMEM;
    berth_free(fields);
    berth_free(values);
    rreply_free(r);
    if (rc2 == 0 && !(*out)->ref_link) {
        size_t len = strlen(id) + 16;
        if (!((*out)->ref_link = berth_malloc(len))) {
            berth_stats_free(*out);
            *out = NULL;
            return BERTH_ENOMEM;
        }
        snprintf((*out)->ref_link, len, "/api/v1/jobs/%s", id);
    }
    return rc2;
}

int berth_engine_get_stats(berth_engine *e, const char *job_id, berth_stats **out)
{
    if (!job_id || !*job_id || !out)
        return BERTH_EINVAL;
    rconn *rc = NULL;
    int err = engine_conn_take(e, &rc);
    if (err != 0)
        return err;
    err = engine_load_stats(e, rc, job_id, out);
    engine_conn_put(e, rc);
    return err;
}

/* A periodic policy (its stats say Periodic, or it has none: Harbor's stop of a policy id
 * whose stats expired still unschedules it) goes to the periodic part, when enabled. */
static bool is_policy(const berth_engine *e, int err, const berth_stats *s)
{
    if (!e->periodic)
        return false;
    return err == BERTH_ENOTFOUND ||
           (err == 0 && s->kind && strcmp(s->kind, BERTH_KIND_PERIODIC) == 0);
}

int berth_engine_stop_job(berth_engine *e, const char *job_id)
{
    if (!job_id || !*job_id)
        return BERTH_EINVAL;
    rconn *rc = NULL;
    int taken = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    berth_stats *s = NULL;
    int err = engine_load_stats(e, rc, job_id, &s);
    if (is_policy(e, err, s)) {
        berth_stats_free(s);
        engine_conn_put(e, rc);
        return period_unschedule(e->periodic, job_id);
    }
    buf key;
    buf_init(&key, 0);  /* no cap: the key holds the stored job's parameters, already read */
    if (err == 0 && s->unique)
        berth_unique_key(e->ns, s->name, s->parameters, &key);
    if (err == 0) {
        rargs a;
        rargs_init(&a);
        rargs_adds(&a, e->prefix);
        rargs_addi(&a, clock_wall_s());
        rargs_adds(&a, job_id);
        rargs_adds(&a, key.p ? key.p : "");
        rreply *r = rconn_eval(rc, SCRIPT_STOP, &a);
        const char *res = NULL;
        if (rreply_string(rc, r, &res, NULL) != 0)
            err = BERTH_EREDIS;
        else if (strcmp(res, "missing") == 0)
            err = BERTH_ENOTFOUND;
        rreply_free(r);
        rargs_free(&a);
    }
    buf_free(&key);
    berth_stats_free(s);
    engine_conn_put(e, rc);
    return err;
}
