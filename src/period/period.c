/* The engine's periodic part and its enqueuer thread (engine/periodic.h): the thread loads
 * policies when {ns}:berth:period:version changes, then once a second plans every policy's
 * fires through period_fire.lua (idempotent, so all nodes can run it) and now and then
 * trims old executions (period_trim.lua). Out of memory the thread drops the pass (logged)
 * and tries again a second later, as after a failed Redis round. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "period/period_internal.h"
#include "util/alloc.h"

#define PASS_MS 1000
#define TRIM_EVERY_S 5
#define MAX_FIRES 128

static void policies_free(period *p)
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

int period_policy_parse(const char *text, policy *pol)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j && json_error_code(&jerr) == json_error_out_of_memory)
        return BERTH_ENOMEM;
    const char *id = json_string_value(json_object_get(j, "id"));
    const char *name = json_string_value(json_object_get(j, "job_name"));
    const char *cron = json_string_value(json_object_get(j, "cron_spec"));
    const char *hook = json_string_value(json_object_get(j, "web_hook_url"));
    json_t *params = json_object_get(j, "job_params");
    char err[256];
    const char *field = NULL;
    policy got = {0};
    bool ok = id && strlen(id) < sizeof got.id && name && cron &&
              cron_parse(cron, &got.sched, err, sizeof err, &field) == 0;
    int rc = ok ? 0 : BERTH_EINVAL;
    if (ok) {
        snprintf(got.id, sizeof got.id, "%s", id);
        got.name = berth_strdup(name);
        got.cron = berth_strdup(cron);
        got.hook = hook && *hook ? berth_strdup(hook) : NULL;
        got.params = json_is_object(params) ? json_dumps(params, JSON_COMPACT) : NULL;
        bool all = got.name && got.cron && (got.hook || !hook || !*hook) &&
                   (got.params || !json_is_object(params));
        rc = all ? 0 : BERTH_ENOMEM;
    }
    if (rc == 0)
        *pol = got;
    else
        period_policy_clear(&got);
    json_decref(j);
    return rc;
}

/* The policies zset into p's cache. Out of memory the old cache and version stay, so the
 * next pass tries again. */
static void load_policies(period *p, rconn *rc, long long version)
{
    rreply *r = rconn_cmd(rc, "ZRANGE %speriod:policies 0 -1", engine_prefix(p->e));
    if (rreply_array(rc, r, RREPLY_ANY) != 0) {
        rreply_free(r);
        return;
    }
    size_t n = rreply_len(r), got = 0;
    policy *v = berth_calloc(n ? n : 1, sizeof *v);
    int err = v ? 0 : BERTH_ENOMEM;
    for (size_t i = 0; i < n && err == 0; i++) {
        const char *text = rreply_str(rreply_at(r, i));
        int prc = text ? period_policy_parse(text, &v[got]) : BERTH_EINVAL;
        if (prc == 0)
            got++;
        else if (prc == BERTH_EINVAL)
            BLOG_WARN(engine_logger(p->e), "skipping malformed periodic policy: %.200s",
                      text ? text : "(not a string)");
        else
            err = prc;
    }
    rreply_free(r);
    if (err) {
        for (size_t i = 0; i < got; i++)
            period_policy_clear(&v[i]);
        berth_free(v);
        BLOG_WARN(engine_logger(p->e), "out of memory loading periodic policies: trying again");
        return;
    }
    policies_free(p);
    p->policies = v;
    p->npolicies = got;
    p->version = version;
}

static void fire(period *p, rconn *rc, const policy *pol, int64_t last, int64_t now)
{
    int64_t times[MAX_FIRES], advance = 0;
    int n = period_plan(&p->cfg, pol, last, now, times, MAX_FIRES, &advance);
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

static void trim(period *p, rconn *rc, int64_t now)
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

static void pass(period *p, rconn *rc)
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
    int64_t now = clock_wall_s();
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

static void *period_main(void *arg)
{
    period *p = arg;
    rconn rc;
    rconn_init(&rc, engine_target(p->e), 5000);
    pthread_mutex_lock(&p->mu);
    while (p->running) {
        p->wake = false;
        pthread_mutex_unlock(&p->mu);
        pass(p, &rc);
        struct timespec deadline;
        clock_deadline(&deadline, PASS_MS);
        pthread_mutex_lock(&p->mu);
        while (p->running && !p->wake)
            if (pthread_cond_timedwait(&p->cv, &p->mu, &deadline) != 0)
                break;
    }
    pthread_mutex_unlock(&p->mu);
    rconn_close(&rc);
    return NULL;
}

void period_wake(period *p)
{
    pthread_mutex_lock(&p->mu);
    p->wake = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

int period_new(berth_engine *e, const berth_periodic_config *cfg, period **out)
{
    period *p = berth_calloc(1, sizeof *p);
    if (!p)
        return BERTH_ENOMEM;
    p->e = e;
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
    pthread_mutex_init(&p->mu, NULL);
    clock_cond_init(&p->cv);
    *out = p;
    return 0;
}

int period_start(period *p)
{
    if (p->started)
        return BERTH_ESTATE;
    p->running = true;   /* no thread yet: no lock needed */
    if (pthread_create(&p->thread, NULL, period_main, p) != 0) {
        p->running = false;
        return BERTH_ENOMEM;
    }
    p->started = true;
    return 0;
}

void period_stop(period *p)
{
    if (!p || !p->started)
        return;
    pthread_mutex_lock(&p->mu);
    p->running = false;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    p->started = false;
}

void period_free(period *p)
{
    if (!p)
        return;
    period_stop(p);
    policies_free(p);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    berth_free(p);
}
