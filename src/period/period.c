/* The periodic enqueuer thread: loads policies when {ns}:berth:period:version changes,
 * then once a second plans every policy's fires through period_fire.lua (idempotent, so
 * all nodes can run it) and now and then trims old executions (period_trim.lua). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "period/period_internal.h"
#include "util/alloc.h"

#define PASS_MS 1000
#define TRIM_EVERY_S 5
#define MAX_FIRES 128

static void policies_free(berth_period *p)
{
    for (size_t i = 0; i < p->npolicies; i++)
        period_policy_clear(&p->policies[i]);
    berth_free(p->policies);
    p->policies = NULL;
    p->npolicies = 0;
}

void period_policy_clear(policy *pol)
{
    berth_free(pol->name);
    berth_free(pol->cron);
    free(pol->params);
    berth_free(pol->hook);
    memset(pol, 0, sizeof *pol);
}

bool period_policy_parse(const char *text, policy *pol)
{
    json_t *j = json_loads(text, 0, NULL);
    const char *id = json_string_value(json_object_get(j, "id"));
    const char *name = json_string_value(json_object_get(j, "job_name"));
    const char *cron = json_string_value(json_object_get(j, "cron_spec"));
    const char *hook = json_string_value(json_object_get(j, "web_hook_url"));
    json_t *params = json_object_get(j, "job_params");
    char err[256];
    const char *field = NULL;
    bool ok = id && strlen(id) < sizeof pol->id && name && cron &&
              cron_parse(cron, &pol->sched, err, sizeof err, &field) == 0;
    if (ok) {
        snprintf(pol->id, sizeof pol->id, "%s", id);
        pol->name = berth_strdup(name);
        pol->cron = berth_strdup(cron);
        pol->hook = hook && *hook ? berth_strdup(hook) : NULL;
        pol->params = json_is_object(params) ? json_dumps(params, JSON_COMPACT) : NULL;
    }
    json_decref(j);
    return ok;
}

static void load_policies(berth_period *p, rconn *rc, long long version)
{
    rreply *r = rconn_cmd(rc, "ZRANGE %speriod:policies 0 -1", engine_prefix(p->e));
    if (rreply_array(rc, r, RREPLY_ANY) != 0) {
        rreply_free(r);
        return;
    }
    policies_free(p);
    size_t n = rreply_len(r);
    p->policies = berth_calloc(n ? n : 1, sizeof *p->policies);
    for (size_t i = 0; i < n; i++) {
        const char *text = rreply_str(rreply_at(r, i));
        if (text && period_policy_parse(text, &p->policies[p->npolicies]))
            p->npolicies++;
        else
            BLOG_WARN(engine_logger(p->e), "skipping malformed periodic policy: %.200s",
                      text ? text : "(not a string)");
    }
    p->version = version;
    rreply_free(r);
}

static void fire(berth_period *p, rconn *rc, const policy *pol, int64_t last, int64_t now)
{
    int64_t times[MAX_FIRES], advance = 0;
    int n = period_plan(p, pol, last, now, times, MAX_FIRES, &advance);
    if (n == 0 && advance <= last)
        return;
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, engine_prefix(p->e));
    rargs_addi(&a, now);
    rargs_adds(&a, pol->id);
    rargs_adds(&a, pol->name);
    rargs_adds(&a, pol->cron);
    rargs_adds(&a, pol->hook);
    rargs_adds(&a, pol->params);
    rargs_addi(&a, advance);
    for (int i = 0; i < n; i++)
        rargs_addi(&a, times[i]);
    rreply *r = rconn_eval(rc, SCRIPT_PERIOD_FIRE, &a);
    if (!rconn_ok(rc, r))
        BLOG(engine_logger(p->e), rconn_fail_level(r), "planning policy %s failed: %s", pol->id,
             rc->err);
    rreply_free(r);
    rargs_free(&a);
}

static void trim(berth_period *p, rconn *rc, int64_t now)
{
    if (now < p->next_trim)
        return;
    p->next_trim = now + TRIM_EVERY_S;
    for (size_t i = 0; i < p->npolicies; i++) {
        rargs a;
        rargs_init(&a);
        rargs_adds(&a, engine_prefix(p->e));
        rargs_addi(&a, now);
        rargs_adds(&a, p->policies[i].id);
        rargs_addi(&a, p->cfg.keep_executions);
        rreply_free(rconn_eval(rc, SCRIPT_PERIOD_TRIM, &a));
        rargs_free(&a);
    }
}

static void pass(berth_period *p, rconn *rc)
{
    rreply *v = rconn_cmd(rc, "GET %sberth:period:version", engine_prefix(p->e));
    if (!rconn_ok(rc, v)) {
        rreply_free(v);
        return;
    }
    long long version = 0;   /* nil (no policy yet) or garbage: 0 */
    if (rreply_is_nil(v) || rreply_integer(rc, v, &version) != 0)
        version = 0;
    rreply_free(v);
    if (version != p->version)
        load_policies(p, rc, version);
    rreply *f = rconn_cmd(rc, "HGETALL %sberth:period:fired", engine_prefix(p->e));
    int64_t now = engine_now();
    for (size_t i = 0; i + 1 < rreply_len(f); i += 2) {
        long long last = 0;
        const char *id = rreply_str(rreply_at(f, i));
        if (!id || rreply_integer(rc, rreply_at(f, i + 1), &last) != 0)
            continue;
        for (size_t k = 0; k < p->npolicies; k++)
            if (strcmp(p->policies[k].id, id) == 0)
                fire(p, rc, &p->policies[k], last, now);
    }
    rreply_free(f);
    trim(p, rc, now);
}

void *period_main(void *arg)
{
    berth_period *p = arg;
    rconn rc;
    rconn_init(&rc, engine_target(p->e), 5000);
    pthread_mutex_lock(&p->mu);
    while (p->running) {
        p->wake = false;
        pthread_mutex_unlock(&p->mu);
        pass(p, &rc);
        struct timespec deadline;
        engine_timespec_after(&deadline, PASS_MS);
        pthread_mutex_lock(&p->mu);
        while (p->running && !p->wake)
            if (pthread_cond_timedwait(&p->cv, &p->mu, &deadline) != 0)
                break;
    }
    pthread_mutex_unlock(&p->mu);
    rconn_close(&rc);
    return NULL;
}

void period_wake(berth_period *p)
{
    pthread_mutex_lock(&p->mu);
    p->wake = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

int berth_period_new(berth_engine *e, const berth_period_config *cfg, berth_period **out)
{
    if (!e || !out)
        return BERTH_EINVAL;
    berth_period *p = berth_calloc(1, sizeof *p);
    p->e = e;
    if (cfg)
        p->cfg = *cfg;
    if (!p->cfg.grace_s)
        p->cfg.grace_s = 3600;
    if (!p->cfg.max_catch_up)
        p->cfg.max_catch_up = 100;
    if (p->cfg.max_catch_up > MAX_FIRES / 2)
        p->cfg.max_catch_up = MAX_FIRES / 2;
    if (!p->cfg.horizon_s)
        p->cfg.horizon_s = 10;
    if (!p->cfg.keep_executions)
        p->cfg.keep_executions = 50;
    p->version = -1;
    engine_periodic seam = {.self = p, .launch = period_launch, .unschedule = period_unschedule};
    if (engine_periodic_attach(e, &seam) != 0) {
        berth_free(p);
        return BERTH_ESTATE;   /* the engine has a periodic part already */
    }
    pthread_mutex_init(&p->mu, NULL);
    engine_cond_init(&p->cv);
    *out = p;
    return 0;
}

int berth_period_start(berth_period *p)
{
    if (p->started)
        return BERTH_ESTATE;
    p->started = p->running = true;
    if (pthread_create(&p->thread, NULL, period_main, p) != 0) {
        p->started = p->running = false;   /* berth_period_free then joins nothing */
        return BERTH_ENOMEM;
    }
    return 0;
}

void berth_period_free(berth_period *p)
{
    if (!p)
        return;
    if (p->started) {
        pthread_mutex_lock(&p->mu);
        p->running = false;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
    }
    engine_periodic_detach(p->e);
    policies_free(p);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    berth_free(p);
}
