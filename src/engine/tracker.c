/* The tracker; see include/berth/tracker.h. Status changes go through status.lua (the
 * same compare-and-set the hot path uses), so the tracker and the batched scripts can
 * never disagree about which transitions are legal. */
#include "berth/tracker.h"

#include <stdio.h>
#include <string.h>

#include "engine/internal.h"
#include "util/alloc.h"

static char *dup_or_null(const char *s)
{
    return s ? berth_strdup(s) : NULL;
}

/* A deep copy of s; NULL when memory ran out. */
static berth_stats *stats_copy(const berth_stats *s)
{
    berth_stats *c = berth_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    *c = *s;
    c->id = dup_or_null(s->id), c->status = dup_or_null(s->status);
    c->name = dup_or_null(s->name), c->kind = dup_or_null(s->kind);
    c->ref_link = dup_or_null(s->ref_link), c->cron_spec = dup_or_null(s->cron_spec);
    c->check_in = dup_or_null(s->check_in), c->web_hook_url = dup_or_null(s->web_hook_url);
    c->upstream_job_id = dup_or_null(s->upstream_job_id);
    c->parameters = dup_or_null(s->parameters);
    c->ack.status = dup_or_null(s->ack.status);
    if ((s->id && !c->id) || (s->status && !c->status) || (s->name && !c->name) ||
        (s->kind && !c->kind) || (s->ref_link && !c->ref_link) ||
        (s->cron_spec && !c->cron_spec) || (s->check_in && !c->check_in) ||
        (s->web_hook_url && !c->web_hook_url) || (s->upstream_job_id && !c->upstream_job_id) ||
        (s->parameters && !c->parameters) || (s->ack.status && !c->ack.status)) {
        berth_stats_free(c);
        return NULL;
    }
    return c;
}

int berth_tracker_new(berth_engine *e, const char *job_id, berth_tracker **out)
{
    if (!e || !job_id || !*job_id)
        return BERTH_EINVAL;
    berth_tracker *t = berth_calloc(1, sizeof *t);
    if (t) {
        t->e = e;
        t->id = berth_strdup(job_id);
        t->stats = berth_calloc(1, sizeof *t->stats);
    }
    if (t && t->stats)
        t->stats->id = berth_strdup(job_id);
    if (!t || !t->id || !t->stats || !t->stats->id) {
        berth_tracker_free(t);
        return BERTH_ENOMEM;
    }
    *out = t;
    return 0;
}

int berth_tracker_new_with_stats(berth_engine *e, const berth_stats *s, berth_tracker **out)
{
    if (!s || !s->id)
        return BERTH_EINVAL;
    berth_stats *copy = stats_copy(s);
    int rc = copy ? berth_tracker_new(e, s->id, out) : BERTH_ENOMEM;
    if (rc == 0) {
        berth_stats_free((*out)->stats);
        (*out)->stats = copy;
    } else {
        berth_stats_free(copy);
    }
    return rc;
}

void berth_tracker_free(berth_tracker *t)
{
    if (!t)
        return;
    berth_stats_free(t->stats);
    berth_free(t->id);
    berth_free(t);
}

const berth_stats *berth_tracker_job(const berth_tracker *t)
{
    return t->stats;
}

int berth_tracker_load(berth_tracker *t)
{
    rconn *rc = NULL;
    int taken = engine_conn_take(t->e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    berth_stats *s = NULL;
    int err = engine_load_stats(t->e, rc, t->id, &s);
    engine_conn_put(t->e, rc);
    if (err == 0) {
        berth_stats_free(t->stats);
        t->stats = s;
    }
    return err;
}

static void add_field(rargs *a, const char *f, const char *v)
{
    if (v && *v)
        rargs_adds(a, f), rargs_adds(a, v);
}

static void add_num(rargs *a, const char *f, int64_t v, bool always)
{
    if (v || always)
        rargs_adds(a, f), rargs_addi(a, v);
}

int berth_tracker_save(berth_tracker *t)
{
    const berth_stats *s = t->stats;
    if (!s->name || !s->kind || !s->status)
        return BERTH_EINVAL;
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, t->e->prefix);
    rargs_addi(&a, clock_wall_s());
    rargs_adds(&a, t->id);
    rargs_adds(&a, s->upstream_job_id);
    rargs_addi(&a, s->run_at);
    add_field(&a, "id", t->id), add_field(&a, "name", s->name), add_field(&a, "kind", s->kind);
    add_field(&a, "unique", s->unique ? "1" : "0"), add_field(&a, "status", s->status);
    add_num(&a, "enqueue_time", s->enqueue_time, true), add_num(&a, "run_at", s->run_at, false);
    add_field(&a, "cron_spec", s->cron_spec), add_field(&a, "web_hook_url", s->web_hook_url);
    add_num(&a, "numeric_policy_id", s->numeric_policy_id, false);
    add_field(&a, "upstream_job_id", s->upstream_job_id);
    add_field(&a, "parameters", s->parameters), add_num(&a, "die_at", s->die_at, false);
    if (s->check_in && *s->check_in && s->check_in_at)
        add_field(&a, "check_in", "[REDUNDANT]"), add_num(&a, "check_in_at", s->check_in_at, true);
    add_num(&a, "revision", s->revision, false);
    rconn *rc = engine_conn_get(t->e);
    rreply *r = rc ? rconn_eval(rc, SCRIPT_SAVE, &a) : NULL;
    long long rev = 0;
    int err = rc && rreply_integer(rc, r, &rev) == 0 ? 0 : BERTH_EREDIS;
    if (err == 0) {
        t->stats->revision = rev;
        t->stats->update_time = clock_wall_s();
    }
    rreply_free(r);
    engine_conn_put(t->e, rc);
    rargs_free(&a);
    return err;
}

/* Runs a simple command on a borrowed connection; 0 or BERTH_EREDIS. */
static int simple(berth_tracker *t, const char *fmt, const char *a1, const char *a2)
{
    rconn *rc = engine_conn_get(t->e);
    rreply *r = rc ? rconn_cmd(rc, fmt, t->e->prefix, a1, a2) : NULL;
    int err = rc && rconn_ok(rc, r) ? 0 : BERTH_EREDIS;
    rreply_free(r);
    engine_conn_put(t->e, rc);
    return err;
}

int berth_tracker_update(berth_tracker *t, const char *const *kv, size_t npairs)
{
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, "HSET");
    rargs_addf(&a, "%sjob_stats:%s", t->e->prefix, t->id);
    rargs_adds(&a, "update_time");
    rargs_addi(&a, clock_wall_s());
    for (size_t i = 0; i < 2 * npairs; i++)
        rargs_adds(&a, kv[i]);
    rconn *rc = engine_conn_get(t->e);
    rreply *r = rc ? rconn_argv(rc, &a) : NULL;
    int err = rc && rconn_ok(rc, r) ? 0 : BERTH_EREDIS;
    rreply_free(r);
    engine_conn_put(t->e, rc);
    rargs_free(&a);
    if (err == 0)
        t->stats->update_time = clock_wall_s();
    return err;
}

int berth_tracker_numeric_id(const berth_tracker *t, int64_t *out)
{
    if (t->stats->numeric_policy_id <= 0)
        return BERTH_EINVAL;
    *out = t->stats->numeric_policy_id;
    return 0;
}

int berth_tracker_periodic_execution_done(berth_tracker *t)
{
    if (!t->stats->upstream_job_id || !*t->stats->upstream_job_id)
        return BERTH_EINVAL;
    return simple(t, "ZADD %sexecutions:%s XX -1 %s", t->stats->upstream_job_id, t->id);
}

int berth_tracker_expire(berth_tracker *t)
{
    return simple(t, "EXPIRE %sjob_stats:%s %s", t->id, "86400");
}
