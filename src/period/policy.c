/* Creating and stopping periodic policies (spec §7.2, §7.5): the engine's one launch and one
 * stop call these for Periodic jobs (engine/periodic.h). */
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

/* {"id","job_name","cron_spec","job_params"(omitempty),"web_hook_url"(omitempty)}; NULL
 * when memory ran out (jansson's constructors and setters fail then, and json_dumps of an
 * incomplete object is never reached). */
static char *policy_json(const char *id, const berth_launch *l, json_t *params)
{
    json_t *j = json_object();
    int bad = !j || json_object_set_new(j, "id", json_string(id)) ||
              json_object_set_new(j, "job_name", json_string(l->name)) ||
              json_object_set_new(j, "cron_spec", json_string(l->cron_spec));
    if (!bad && params && json_object_size(params) > 0)
        bad = json_object_set(j, "job_params", params);
    if (!bad && l->status_hook && *l->status_hook)
        bad = json_object_set_new(j, "web_hook_url", json_string(l->status_hook));
    char *text = bad ? NULL : json_dumps(j, JSON_COMPACT);
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

/* The stats the launch replies; NULL when memory ran out. */
static berth_stats *reply(const char *id, const berth_launch *l, const char *params,
                          int64_t now, int64_t numeric)
{
    berth_stats *s = berth_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    bool hook = l->status_hook && *l->status_hook;
    size_t n = strlen(id) + 16;
    s->id = berth_strdup(id);
    s->status = berth_strdup("Scheduled");
    s->name = berth_strdup(l->name);
    s->kind = berth_strdup(BERTH_KIND_PERIODIC);
    s->ref_link = berth_malloc(n);
    s->cron_spec = berth_strdup(l->cron_spec);
    s->enqueue_time = s->update_time = now;
    s->web_hook_url = hook ? berth_strdup(l->status_hook) : NULL;
    s->numeric_policy_id = numeric;
    s->parameters = params ? berth_strdup(params) : NULL;
    if (!s->id || !s->status || !s->name || !s->kind || !s->ref_link ||
        (l->cron_spec && !s->cron_spec) || (hook && !s->web_hook_url) ||
        (params && !s->parameters)) {
        berth_stats_free(s);
        return NULL;
    }
    snprintf(s->ref_link, n, "/api/v1/jobs/%s", id);
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

/* Runs period_create.lua for policy id: 0, BERTH_ENOMEM, or BERTH_EREDIS with err saying
 * whether Redis refused or was away. *rev gets the policy's numeric id. */
static int store(period *p, const char *id, const berth_launch *l, const char *pjson,
                 const char *ptext, int64_t now, long long *rev, char *err, size_t errlen)
{
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = 0;
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, engine_prefix(p->e)), rargs_addi(&a, now), rargs_adds(&a, id);
    rargs_addi(&a, now + rnd % 10), rargs_adds(&a, pjson);
    stats_args(&a, id, l, ptext, now);
    rconn *c = NULL;
    int rc = a.err ? a.err : engine_conn_take(p->e, &c);
    rreply *r = rc ? NULL : rconn_eval(c, SCRIPT_PERIOD_CREATE, &a);
    if (rc == 0 && !r && c->nomem)
        rc = BERTH_ENOMEM;
    else if (rc == 0 && rreply_integer(c, r, rev) != 0)
        rc = BERTH_EREDIS;
    if (rc == BERTH_ENOMEM)
        snprintf(err, errlen, "out of memory building the launch");
    else if (rc && rreply_is_error(r))
        snprintf(err, errlen, "redis refused the launch: %s", rreply_error(r));   /* e.g. OOM */
    else if (rc)
        snprintf(err, errlen, "redis is unavailable");
    rreply_free(r);
    engine_conn_put(p->e, c);
    rargs_free(&a);
    return rc;
}

int period_launch(period *p, const berth_launch *l, berth_stats **out, char *err,
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
    int64_t now = clock_wall_s();
    long long rev = 0;
    char *pjson = policy_json(id, l, params);
    char *ptext = params ? json_dumps(params, JSON_COMPACT) : NULL;
    if (!pjson || (params && !ptext)) {
        snprintf(err, errlen, "out of memory building the launch");
        rc = BERTH_ENOMEM;
    }
    if (rc == 0)
        rc = store(p, id, l, pjson, ptext, now, &rev, err, errlen);
    if (rc == 0)
        period_wake(p);
    /* The policy is stored; only the copy for the caller failed, and the caller learns it. */
    if (rc == 0 && out && !(*out = reply(id, l, ptext, now, rev))) {
        snprintf(err, errlen, "out of memory (the policy %s was stored)", id);
        rc = BERTH_ENOMEM;
    }
    free(pjson);
    free(ptext);
    json_decref(params);
    return rc;
}

int period_unschedule(period *p, const char *id)
{
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, engine_prefix(p->e)), rargs_addi(&a, clock_wall_s()), rargs_adds(&a, id);
    rconn *c = NULL;
    int rc = a.err ? a.err : engine_conn_take(p->e, &c);
    rreply *r = rc ? NULL : rconn_eval(c, SCRIPT_PERIOD_UNSCHEDULE, &a);
    const char *res = NULL;
    if (rc == 0 && !r && c->nomem)
        rc = BERTH_ENOMEM;
    else if (rc == 0)
        rc = rreply_string(c, r, &res, NULL) != 0 ? BERTH_EREDIS
             : strcmp(res, "ok") == 0           ? 0
                                                : BERTH_ENOTFOUND;
    rreply_free(r);
    engine_conn_put(p->e, c);
    rargs_free(&a);
    return rc;
}
