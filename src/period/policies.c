/* Listing periodic policies with their next fire times (berth_query_policies, berth/period.h)
 * for operators: the policies zset parsed as the enqueuer parses it, the next fire computed
 * from the cron spec, and the newest planned fire from {ns}:berth:period:fired. Read-only.
 * Works whether or not the engine's periodic part is enabled. */
#include <stdlib.h>
#include <string.h>

#include "period/period_internal.h"
#include "util/alloc.h"

void berth_policy_list_clear(berth_policy_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        berth_policy_info *p = &l->items[i];
        berth_free(p->id);
        berth_free(p->job_name);
        berth_free(p->cron_spec);
        berth_free(p->params_json);
        berth_free(p->web_hook_url);
    }
    berth_free(l->items);
    memset(l, 0, sizeof *l);
}

static int64_t last_planned(berth_engine *e, rconn *rc, const char *id, int *err)
{
    rreply *r = rconn_cmd(rc, "HGET %sberth:period:fired %s", engine_prefix(e), id);
    long long v = 0;
    if (!rconn_ok(rc, r))
        *err = BERTH_EREDIS;
    else if (rreply_integer(NULL, r, &v) != 0)
        v = 0;   /* nil: never planned */
    rreply_free(r);
    return v;
}

/* One zset member and its score onto out (skipped when malformed): 0, BERTH_ENOMEM or
 * BERTH_EREDIS. */
static int add_policy(berth_engine *e, rconn *rc, const rreply *json, const rreply *score,
                      int64_t now, berth_policy_list *out)
{
    policy pol;
    const char *text = rreply_str(json);
    long long numeric_id = 0;
    int err = text ? period_policy_parse(text, &pol) : BERTH_EINVAL;
    if (err)
        return err == BERTH_EINVAL ? 0 : err;
    if (rreply_integer(NULL, score, &numeric_id) != 0)
        numeric_id = 0;
    berth_policy_info *p = &out->items[out->n++];
    *p = (berth_policy_info){
        .id = berth_strdup(pol.id), .job_name = berth_strdup(pol.name),
        .cron_spec = berth_strdup(pol.cron), .params_json = berth_strdup(pol.params),
        .web_hook_url = berth_strdup(pol.hook),
        .numeric_id = numeric_id,
        .next_fire = cron_next(&pol.sched, now)};
    if (!p->id || !p->job_name || !p->cron_spec || (pol.params && !p->params_json) ||
        (pol.hook && !p->web_hook_url))
        err = BERTH_ENOMEM;   /* the caller clears out, this entry with it */
    else
        p->last_planned = last_planned(e, rc, pol.id, &err);
    period_policy_clear(&pol);
    return err;
}

int berth_query_policies(berth_engine *e, berth_policy_list *out)
{
    memset(out, 0, sizeof *out);
    rconn *rc = NULL;
    int err = engine_conn_take(e, &rc);
    if (err)
        return err;
    rreply *r = rconn_cmd(rc, "ZRANGE %speriod:policies 0 -1 WITHSCORES", engine_prefix(e));
    err = !r && rc->nomem ? BERTH_ENOMEM : BERTH_EREDIS;
    if (rreply_array(rc, r, RREPLY_ANY) == 0) {
        out->items = berth_calloc(rreply_len(r) / 2 + 1, sizeof *out->items);
        err = out->items ? 0 : BERTH_ENOMEM;
        int64_t now = clock_wall_s();
        for (size_t i = 0; i + 1 < rreply_len(r) && err == 0; i += 2)
            err = add_policy(e, rc, rreply_at(r, i), rreply_at(r, i + 1), now, out);
    }
    rreply_free(r);
    engine_conn_put(e, rc);
    return err;
}
