/* Listing periodic policies with their next fire times (berth_query_policies, berth/period.h)
 * for operators: the policies zset parsed as the enqueuer parses it, the next fire computed
 * from the cron spec, and the newest planned fire from {ns}:berth:period:fired. Read-only. */
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
    redisReply *r = rconn_cmd(rc, "HGET %sberth:period:fired %s", e->prefix, id);
    int64_t v = 0;
    if (!rconn_ok(rc, r))
        *err = BERTH_EREDIS;
    else if (r->type == REDIS_REPLY_STRING)
        v = strtoll(r->str, NULL, 10);
    freeReplyObject(r);
    return v;
}

/* One zset member and its score onto out (skipped when malformed). */
static int add_policy(berth_engine *e, rconn *rc, const redisReply *json, const redisReply *score,
                      int64_t now, berth_policy_list *out)
{
    policy pol;
    if (json->type != REDIS_REPLY_STRING || !period_policy_parse(json->str, &pol))
        return 0;
    int err = 0;
    berth_policy_info *p = &out->items[out->n++];
    *p = (berth_policy_info){
        .id = berth_strdup(pol.id), .job_name = berth_strdup(pol.name),
        .cron_spec = berth_strdup(pol.cron), .params_json = berth_strdup(pol.params),
        .web_hook_url = berth_strdup(pol.hook),
        .numeric_id = score->type == REDIS_REPLY_STRING ? strtoll(score->str, NULL, 10) : 0,
        .next_fire = cron_next(&pol.sched, now)};
    p->last_planned = last_planned(e, rc, pol.id, &err);
    period_policy_clear(&pol);
    return err;
}

int berth_query_policies(berth_engine *e, berth_policy_list *out)
{
    memset(out, 0, sizeof *out);
    rconn *rc = engine_conn_get(e);
    if (!rc)
        return BERTH_EREDIS;
    redisReply *r = rconn_cmd(rc, "ZRANGE %speriod:policies 0 -1 WITHSCORES", e->prefix);
    int err = BERTH_EREDIS;
    if (rconn_ok(rc, r) && r->type == REDIS_REPLY_ARRAY) {
        err = 0;
        out->items = berth_calloc(r->elements / 2 + 1, sizeof *out->items);
        int64_t now = engine_now();
        for (size_t i = 0; i + 1 < r->elements && err == 0; i += 2)
            err = add_policy(e, rc, r->element[i], r->element[i + 1], now, out);
    }
    freeReplyObject(r);
    engine_conn_put(e, rc);
    return err;
}
