/* Creating and stopping periodic policies (spec §7.2, §7.5). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "model/id.h"
#include "period/period_internal.h"
#include "util/alloc.h"

/* Harbor's texts: `'cron_spec' must be specified for the Periodic job` and
 * `'cron_spec' is not correctly set: <cron>: <parser error>`. */
int berth_period_check_cron(const char *spec, char *err, size_t errlen)
{
    cron_schedule s;
    const char *field = NULL;
    char why[512];
    if (cron_parse(spec ? spec : "", &s, why, sizeof why, &field) == 0)
        return 0;
    if (field)
        snprintf(err, errlen, "%s (field '%s')", why, field);
    else
        snprintf(err, errlen, "%s", why);
    return BERTH_EINVAL;
}

static int check_cron(const char *spec, char *err, size_t errlen)
{
    if (!spec || !*spec) {
        snprintf(err, errlen, "'cron_spec' must be specified for the Periodic job");
        return BERTH_EINVAL;
    }
    char why[768];
    if (berth_period_check_cron(spec, why, sizeof why) != 0) {
        snprintf(err, errlen, "'cron_spec' is not correctly set: %s: %s", spec, why);
        return BERTH_EINVAL;
    }
    return 0;
}

/* {"id","job_name","cron_spec","job_params"(omitempty),"web_hook_url"(omitempty)} */
static char *policy_json(const char *id, const berth_launch *l, json_t *params)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_string(id));
    json_object_set_new(j, "job_name", json_string(l->name));
    json_object_set_new(j, "cron_spec", json_string(l->cron_spec));
    if (params && json_object_size(params) > 0)
        json_object_set(j, "job_params", params);
    if (l->status_hook && *l->status_hook)
        json_object_set_new(j, "web_hook_url", json_string(l->status_hook));
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}

static void stats_args(rargs *a, const char *id, const berth_launch *l, const char *params,
                       int64_t now)
{
    rargs_adds(a, "id"), rargs_adds(a, id);
    rargs_adds(a, "name"), rargs_adds(a, l->name);
    rargs_adds(a, "kind"), rargs_adds(a, BERTH_KIND_PERIODIC);
    rargs_adds(a, "unique"), rargs_adds(a, "0");
    rargs_adds(a, "status"), rargs_adds(a, "Scheduled");
    rargs_adds(a, "cron_spec"), rargs_adds(a, l->cron_spec);
    rargs_adds(a, "enqueue_time"), rargs_addi(a, now);
    rargs_adds(a, "update_time"), rargs_addi(a, now);
    rargs_adds(a, "revision"), rargs_addi(a, now);
    if (l->status_hook && *l->status_hook)
        rargs_adds(a, "web_hook_url"), rargs_adds(a, l->status_hook);
    if (params)
        rargs_adds(a, "parameters"), rargs_adds(a, params);
}

static berth_stats *reply(const char *id, const berth_launch *l, const char *params,
                          int64_t now, int64_t numeric)
{
    berth_stats *s = berth_calloc(1, sizeof *s);
    s->id = berth_strdup(id);
    s->status = berth_strdup("Scheduled");
    s->name = berth_strdup(l->name);
    s->kind = berth_strdup(BERTH_KIND_PERIODIC);
    size_t n = strlen(id) + 16;
    s->ref_link = berth_malloc(n);
    snprintf(s->ref_link, n, "/api/v1/jobs/%s", id);
    s->cron_spec = berth_strdup(l->cron_spec);
    s->enqueue_time = s->update_time = now;
    s->web_hook_url = l->status_hook && *l->status_hook ? berth_strdup(l->status_hook) : NULL;
    s->numeric_policy_id = numeric;
    s->parameters = params ? berth_strdup(params) : NULL;
    return s;
}

static json_t *parse_params(const char *text, char *err, size_t errlen, int *rc)
{
    *rc = 0;
    if (!text || strcmp(text, "null") == 0)
        return NULL;
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(j)) {
        snprintf(err, errlen, "parameters must be a JSON object: %s", j ? "not an object" : jerr.text);
        json_decref(j);
        *rc = BERTH_EINVAL;
        return NULL;
    }
    return j;
}

int berth_period_launch(berth_period *p, const berth_launch *l, berth_stats **out, char *err,
                        size_t errlen)
{
    int rc = berth_engine_knows(p->e, l->name) ? 0 : BERTH_EUNKNOWN;
    if (rc)
        snprintf(err, errlen, "job with name '%s' is unknown", l->name ? l->name : "");
    if (!rc)
        rc = check_cron(l->cron_spec, err, errlen);
    json_t *params = rc ? NULL : parse_params(l->params_json, err, errlen, &rc);
    if (rc)
        return rc;
    char id[25];
    berth_id_new(id);
    int64_t now = engine_now();
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = 0;
    char *pjson = policy_json(id, l, params);
    char *ptext = params ? json_dumps(params, JSON_COMPACT) : NULL;
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, engine_prefix(p->e)), rargs_addi(&a, now), rargs_adds(&a, id);
    rargs_addi(&a, now + rnd % 10), rargs_adds(&a, pjson);
    stats_args(&a, id, l, ptext, now);
    rconn *c = engine_conn_get(p->e);
    rreply *r = c ? rconn_eval(c, SCRIPT_PERIOD_CREATE, &a) : NULL;
    long long rev = 0;
    rc = c && rreply_integer(c, r, &rev) == 0 ? 0 : BERTH_EREDIS;
    if (rc && rreply_is_error(r))
        snprintf(err, errlen, "redis refused the launch: %s", rreply_error(r));   /* e.g. OOM */
    else if (rc)
        snprintf(err, errlen, "redis is unavailable");
    else if (out)
        *out = reply(id, l, ptext, now, rev);
    rreply_free(r);
    engine_conn_put(p->e, c);
    rargs_free(&a);
    free(pjson);
    free(ptext);
    json_decref(params);
    if (rc == 0)
        period_wake(p);
    return rc;
}

int period_launch(void *self, const berth_launch *l, berth_stats **out, char *err,
                  size_t errlen)
{
    return berth_period_launch(self, l, out, err, errlen);
}

/* Kept for hosts written against the two-handle API: the engine's one stop serves both. */
int berth_period_stop(berth_period *p, const char *id)
{
    return berth_engine_stop_job(p->e, id);
}

int period_unschedule(void *self, const char *id)
{
    berth_period *p = self;
    int rc;
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, engine_prefix(p->e)), rargs_addi(&a, engine_now()), rargs_adds(&a, id);
    rconn *c = engine_conn_get(p->e);
    rreply *r = c ? rconn_eval(c, SCRIPT_PERIOD_UNSCHEDULE, &a) : NULL;
    const char *res = NULL;
    rc = BERTH_EREDIS;
    if (c && rreply_string(c, r, &res, NULL) == 0)
        rc = strcmp(res, "ok") == 0 ? 0 : BERTH_ENOTFOUND;
    rreply_free(r);
    engine_conn_put(p->e, c);
    rargs_free(&a);
    return rc;
}
