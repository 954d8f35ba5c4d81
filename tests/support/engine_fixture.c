/* Engine test helpers; see engine_fixture.h. */
#include "test.h"

#include "engine_fixture.h"
#include "model/params.h"
#include "model/request.h"
#include "wait.h"

#include <stdio.h>
#include <string.h>

berth_engine_config engine_fixture_config(redis_fixture *rf)
{
    berth_engine_config c = {0};
    c.redis_unix = rf->sock;
    c.ns = "t";
    c.workers = 4;
    c.lease_ms = 1500;
    c.grace_ms = 500;
    c.backoff_scale = 0.001;
    return c;
}

int engine_fixture_noop(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx, (void)params, (void)ud;
    return 0;
}

berth_engine *engine_fixture_new(const berth_engine_config *cfg, const berth_job_type *types)
{
    berth_engine *e = NULL;
    char err[256] = "";
    if (berth_engine_new(cfg, &e, err, sizeof err) != 0)
        fail_msg("berth_engine_new: %s", err);
    for (const berth_job_type *t = types; t && t->name; t++)
        assert_int_equal(berth_engine_register(e, t), 0);
    return e;
}

berth_engine *engine_fixture_noop_unstarted(redis_fixture *rf)
{
    redis_fixture_flush(rf);
    berth_engine_config c = engine_fixture_config(rf);
    c.hooks_disabled = true;
    return engine_fixture_new(&c, (berth_job_type[]){{.name = "NOOP",
                                                      .run = engine_fixture_noop}, {0}});
}

berth_engine *engine_fixture_start(const berth_engine_config *cfg, const berth_job_type *types)
{
    berth_engine *e = engine_fixture_new(cfg, types);
    assert_int_equal(berth_engine_start(e), 0);
    return e;
}

void engine_fixture_status(berth_engine *e, const char *id, char *out, size_t outlen)
{
    berth_stats *s = NULL;
    out[0] = '\0';
    if (berth_engine_get_stats(e, id, &s) == 0 && s->status)
        snprintf(out, outlen, "%s", s->status);
    berth_stats_free(s);
}

typedef struct status_wait {
    berth_engine *e;
    const char *id, *want;
    char st[32];
} status_wait;

static bool status_is(void *arg)
{
    status_wait *w = arg;
    engine_fixture_status(w->e, w->id, w->st, sizeof w->st);
    return strcmp(w->st, w->want) == 0;
}

int engine_fixture_wait_status(berth_engine *e, const char *id, const char *want, int timeout_ms)
{
    status_wait w = {e, id, want, ""};
    if (wait_until(status_is, &w, timeout_ms))
        return 1;
    fprintf(stderr, "job %s: waited for %s, status is '%s'\n", id, want, w.st);
    return 0;
}

char *engine_fixture_launch(berth_engine *e, const char *name)
{
    berth_stats *st = NULL;
    char err[256];
    if (berth_engine_launch(e, &(berth_launch){.name = name}, &st, err, sizeof err) != 0)
        fail_msg("launch %s: %s", name, err);
    char *id = strdup(st->id);
    berth_stats_free(st);
    return id;
}

berth_request *engine_fixture_parse_launch(const char *body)
{
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_params_signed_zeros(body, strlen(body), &b), 0);
    berth_request *r = NULL;
    char err[512] = "";
    int rc = berth_request_parse(b.p, b.len, &r, err, sizeof err);
    buf_free(&b);
    if (rc != 0)
        fail_msg("parse of %s: %s", body, err);
    return r;
}
