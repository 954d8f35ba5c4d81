/* The engine's periodic part and its enqueuer thread (engine/periodic.h): the thread loads
 * policies when {ns}:berth:period:version changes (a Berth launch or stop) or the policies
 * zset's size or highest score does (a policy a Harbor node added or removed), then once a
 * second plans every policy's fires through period_fire.lua (idempotent, so all nodes can
 * run it) and now and then trims old executions (period_trim.lua). Out of memory the
 * thread drops the pass (logged) and tries again a second later, as after a failed Redis
 * round.
 *
 * Policies Harbor wrote are adopted (docs/compat.md, "Taking over from Harbor"): a policy
 * with no planning marker gets one at the newest fire Harbor already planned for it (its
 * executions zset), so those fires run from Harbor's queue entries and Berth plans the
 * ones after. The execution's queue entry is the bytes Harbor's enqueuer writes (Go's
 * json.Marshal of gocraft's Job), so a Harbor node still planning during a rolling
 * upgrade adds the same zset member, not a second run. Berth also keeps Harbor's
 * {ns}:last_periodic_enqueue_h fresh, which makes such a node skip its rounds. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "model/json_write.h"
#include "model/params.h"
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
    berth_free(pol->params);
    berth_free(pol->hook);
    memset(pol, 0, sizeof *pol);
}

/* The parameters as Harbor stores and sends them (json.Marshal of the decoded map) into
 * *out (NULL for none; free with berth_free). 0 or BERTH_ENOMEM. */
static int go_params(const json_t *params, char **out)
{
    *out = NULL;
    if (!json_is_object(params) || json_object_size(params) == 0)
        return 0;
    char *text = json_dumps(params, JSON_COMPACT);
    buf b;
    buf_init(&b, 0);   /* no cap: the policy JSON it comes from bounds it */
    int rc = text ? berth_params_compact(text, &b) : BERTH_ENOMEM;
    free(text);
    *out = rc == 0 ? buf_release(&b) : NULL;
    buf_free(&b);
    return rc == BERTH_ENOMEM || (rc == 0 && !*out) ? BERTH_ENOMEM : 0;
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
        bool all = go_params(params, &got.params) == 0 && got.name && got.cron &&
                   (got.hook || !hook || !*hook);
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
static void load_policies(period *p, rconn *rc, long long version, long long count,
                          long long top)
{
    rreply *r = rconn_cmd(rc, "ZRANGE %speriod:policies 0 -1 WITHSCORES", engine_prefix(p->e));
    if (rreply_array(rc, r, RREPLY_ANY) != 0) {
        rreply_free(r);
        return;
    }
    size_t n = rreply_len(r) / 2, got = 0;
    policy *v = berth_calloc(n ? n : 1, sizeof *v);
    int err = v ? 0 : BERTH_ENOMEM;
    for (size_t i = 0; i < n && err == 0; i++) {
        const char *text = rreply_str(rreply_at(r, 2 * i));
        int prc = text ? period_policy_parse(text, &v[got]) : BERTH_EINVAL;
        if (prc == 0 && rreply_integer(NULL, rreply_at(r, 2 * i + 1), &v[got].numeric) != 0)
            v[got].numeric = 0;
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
    p->count = count;
    p->top = top;
}

/* The execution's JSON up to its args: {"name":..,"id":..,"t":..,"args": */
static int execution_head(const policy *pol, int64_t t, buf *out)
{
    JSON_WRITE_TRY(buf_puts(out, "{\"name\":"));
    JSON_WRITE_TRY(berth__json_write_cstr(out, pol->name));
    JSON_WRITE_TRY(buf_puts(out, ",\"id\":"));
    JSON_WRITE_TRY(berth__json_write_cstr(out, pol->id));
    return buf_printf(out, ",\"t\":%lld,\"args\":", (long long)t);
}

/* gocraft's Job as Harbor's enqueuer serializes an execution (json.Marshal: name, id = the
 * policy id, t = the fire time, args = the parameters plus "_job_kind_periodic_":"<t>",
 * keys sorted): byte for byte what a Harbor node writes for the same fire. */
static int execution_json(const policy *pol, int64_t t, buf *out)
{
    json_t *args = pol->params ? json_loads(pol->params, 0, NULL) : json_object();
    char ts[24];
    snprintf(ts, sizeof ts, "%lld", (long long)t);
    if (!args || json_object_set_new(args, "_job_kind_periodic_", json_string(ts)) != 0) {
        json_decref(args);
        return BERTH_ENOMEM;
    }
    char *text = json_dumps(args, JSON_COMPACT);
    json_decref(args);
    int rc = text ? execution_head(pol, t, out) : BERTH_ENOMEM;
    if (rc == 0)
        rc = berth_params_compact(text, out);
    free(text);   /* every path: the head may fail after text was made */
    return rc ? rc : buf_puts(out, "}");
}

/* The marker of a policy nobody planned yet under Berth (Harbor wrote it): the newest fire
 * Harbor planned, read from the execution ids (<policy>@<t>) in {ns}:executions:<policy>
 * (finished ones score -1, so both ends are looked at), or now for a policy with none.
 * HSETNX: when nodes race, the first marker stays. Returns the marker, -1 on a Redis
 * error. */
static int64_t adopt(period *p, rconn *rc, const policy *pol, int64_t now)
{
    const char *pre = engine_prefix(p->e);
    int64_t newest = 0;
    rreply *hi = rconn_cmd(rc, "ZRANGE %sexecutions:%s -1 -1", pre, pol->id);
    rreply *done = rconn_cmd(rc, "ZREVRANGEBYSCORE %sexecutions:%s -1 -1 LIMIT 0 1", pre, pol->id);
    const rreply *got[2] = {rreply_at(hi, 0), rreply_at(done, 0)};
    for (int i = 0; i < 2; i++) {
        const char *eid = rreply_str(got[i]);
        const char *at = eid ? strrchr(eid, '@') : NULL;
        long long t = at ? strtoll(at + 1, NULL, 10) : 0;
        if (t > newest)
            newest = t;
    }
    bool ok = rconn_ok(rc, hi) && rconn_ok(rc, done);
    rreply_free(hi);
    rreply_free(done);
    if (!ok)
        return -1;
    rreply_free(rconn_cmd(rc, "HSETNX %sberth:period:fired %s %lld", pre, pol->id,
                          (long long)(newest ? newest : now)));
    rreply *r = rconn_cmd(rc, "HGET %sberth:period:fired %s", pre, pol->id);
    long long last = -1;
    if (rreply_integer(rc, r, &last) != 0)
        last = -1;
    rreply_free(r);
    if (last >= 0)
        BLOG_INFO(engine_logger(p->e), "adopted periodic policy %s (%s, '%s'): fires after %lld",
                  pol->id, pol->name, pol->cron, last);
    return last;
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
    rargs_addi(&a, pol->numeric);
    buf job;
    buf_init(&job, 0);   /* no cap: the policy JSON bounds it */
    int err = 0;
    for (int i = 0; i < n && err == 0; i++) {
        buf_reset(&job);
        err = execution_json(pol, times[i], &job);
        rargs_addi(&a, times[i]);
        rargs_adds(&a, job.p ? job.p : "");
    }
    rreply *r = err ? NULL : rconn_eval(rc, SCRIPT_PERIOD_FIRE, &a);
    if (err)
        BLOG_WARN(engine_logger(p->e), "planning policy %s failed: %s", pol->id,
                  berth_strerror(err));
    else if (!rconn_ok(rc, r))
        BLOG(engine_logger(p->e), rconn_fail_level(r), "planning policy %s failed: %s", pol->id,
             rc->err);
    rreply_free(r);
    rargs_free(&a);
    buf_free(&job);
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

/* True when the cache is stale: a Berth launch/stop bumped the version, or Harbor added
 * or removed a policy (the count or the highest score moved: Harbor's numeric ids are
 * creation times). */
static bool changed(period *p, rconn *rc, long long *version, long long *count, long long *top)
{
    const char *pre = engine_prefix(p->e);
    rreply *v = rconn_cmd(rc, "GET %sberth:period:version", pre);
    rreply *c = rconn_cmd(rc, "ZCARD %speriod:policies", pre);
    rreply *t = rconn_cmd(rc, "ZRANGE %speriod:policies -1 -1 WITHSCORES", pre);
    bool ok = rconn_ok(rc, v) && rconn_ok(rc, c) && rconn_ok(rc, t);
    *version = *count = *top = 0;   /* nil or garbage: 0 */
    if (ok) {
        if (rreply_is_nil(v) || rreply_integer(NULL, v, version) != 0)
            *version = 0;
        if (rreply_integer(NULL, c, count) != 0)
            *count = 0;
        if (rreply_integer(NULL, rreply_at(t, 1), top) != 0)
            *top = 0;
    }
    rreply_free(v);
    rreply_free(c);
    rreply_free(t);
    return ok && (*version != p->version || *count != p->count || *top != p->top);
}

static bool last_of(const rreply *fired, const char *id, long long *last)
{
    for (size_t i = 0; i + 1 < rreply_len(fired); i += 2) {
        const char *fid = rreply_str(rreply_at(fired, i));
        if (fid && strcmp(fid, id) == 0)
            return rreply_integer(NULL, rreply_at(fired, i + 1), last) == 0;
    }
    return false;
}

static void pass(period *p, rconn *rc)
{
    long long version, count, top;
    if (changed(p, rc, &version, &count, &top))
        load_policies(p, rc, version, count, top);
    rreply *f = rconn_cmd(rc, "HGETALL %sberth:period:fired", engine_prefix(p->e));
    if (!rconn_ok(rc, f)) {
        rreply_free(f);
        return;
    }
    int64_t now = clock_wall_s();
    for (size_t k = 0; k < p->npolicies; k++) {
        long long last = 0;
        if (!last_of(f, p->policies[k].id, &last))
            last = adopt(p, rc, &p->policies[k], now);
        if (last >= 0)
            fire(p, rc, &p->policies[k], last, now);
    }
    rreply_free(f);
    /* Harbor's enqueuer plans only when this is older than 120 s: Harbor nodes of a rolling
     * upgrade leave the planning to Berth (and take it back two minutes after the last
     * Berth node stops). */
    if (p->npolicies)
        rreply_free(rconn_cmd(rc, "SET %slast_periodic_enqueue_h %lld", engine_prefix(p->e),
                              (long long)now));
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
    p->version = p->count = p->top = -1;
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
