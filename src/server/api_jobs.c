/* One job: launch (POST /api/v1/jobs), get (GET /api/v1/jobs/{id}) and stop
 * (POST /api/v1/jobs/{id}) — spec §2.5–§2.7, with the differences in docs/compat.md
 * (malformed JSON is 400, not 500). Every kind goes to the engine's one launch and one stop
 * (a Periodic job is a policy, stored by the engine's periodic part). */
#include <stdio.h>
#include <string.h>

#include "berth/berth.h"
#include "berth/launcher.h"
#include "berth/memguard.h"
#include "model/action.h"
#include "model/api_error.h"
#include "model/params.h"
#include "model/request.h"
#include "server/api_internal.h"
#include "util/alloc.h"

#define ERRLEN 1024

static bool hook_known(const char *name, void *ud)
{
    return berth_engine_knows(((const api_ctx *)ud)->engine, name);
}

static int hook_validate(const char *name, const char *params, char *err, size_t errlen,
                         void *ud)
{
    return berth_engine_validate(((const api_ctx *)ud)->engine, name, params, err, errlen);
}

static int hook_cron(const char *spec, char *err, size_t errlen, void *ud)
{
    (void)ud;
    return berth_period_check_cron(spec, err, errlen);
}

/* Harbor's duplicate text first (core and people grep for it), then the engine's, which
 * names the job holding the unique key. */
static void launch_failed(http_resp *resp, const char *name, int rc, const char *err)
{
    if (rc == BERTH_EUNKNOWN || rc == BERTH_EINVAL) {
        api_error(resp, BERTH_API_BAD_REQUEST, err);
    } else if (rc == BERTH_EDUP) {
        buf d;
        buf_init(&d, 0);  /* no cap: a name from a body under max_body, and err[ERRLEN] */
        buf_printf(&d, "job '%s' can not be enqueued, please check the job metatdata: %s",
                   name, err);
        api_error(resp, BERTH_API_LAUNCH, d.p);
        buf_free(&d);
    } else {
        api_error(resp, BERTH_API_LAUNCH, *err ? err : berth_strerror(rc));
    }
}

/* A launch waiting for its batch script, its HTTP request deferred (http.h): the engine's
 * answer is kept here until the request's HTTP thread builds the response. */
typedef struct pending_launch {
    const api_ctx *c;
    http_defer *d;
    char *name;              /* for the duplicate's text */
    char *params;            /* the request's parameters, Go-encoded, for the reply */
    int rc;
    berth_stats *stats;
    char err[ERRLEN];
} pending_launch;

/* berth_launch_done_fn: on the request's loop thread when its launcher answers (the
 * answer then runs in the same turn, http.h), else on the engine's launch sender thread
 * (or inline on a failure). */
static void launch_done(int rc, berth_stats *s, const char *err, void *ud)
{
    pending_launch *p = ud;
    p->rc = rc;
    p->stats = s;
    snprintf(p->err, sizeof p->err, "%s", err ? err : "");
    http_defer_ready(p->d);
}

/* http_answer_fn: on the request's HTTP thread, once the launch is answered. */
static void launch_answer(const http_req *req, http_resp *resp, void *arg)
{
    pending_launch *p = arg;
    if (p->rc == 0)
        api_reply_launched(resp, p->stats, p->params);
    else
        launch_failed(resp, p->name, p->rc, p->err);
    api_log_failure(p->c, req, resp);
    berth_stats_free(p->stats);
    berth_free(p->name);
    berth_free(p->params);
    berth_free(p);
}

/* The launch goes to the engine without holding this HTTP thread (its request deferred)
 * when it can: through the thread's launcher on berthd's own event loop (api_launchers.c),
 * else through the engine's coalescer; else (a Periodic policy, the server stopping, no
 * memory) it waits here. */
static void launch(const api_ctx *c, const http_req *req, berth_request *r,
                   http_resp *resp)
{
    berth_launch l = {.name = r->name, .params_json = r->parameters, .kind = r->kind,
                      .schedule_delay = r->schedule_delay, .unique = r->unique,
                      .status_hook = r->status_hook, .params_go_encoded = true};
    berth_stats *s = NULL;
    char err[ERRLEN] = "";
    l.cron_spec = r->cron_spec;
    if (berth_engine_memory_ok(c->engine, c->max_memory_fraction, err, sizeof err) != 0) {
        api_error_full(resp, 503, BERTH_API_LAUNCH, NULL, err);   /* back-pressure */
        return;
    }
    bool periodic = strcmp(r->kind, BERTH_KIND_PERIODIC) == 0;
    pending_launch *p = periodic ? NULL : berth_calloc(1, sizeof *p);
    if (p && (p->name = berth_strdup(r->name)) &&
        (p->d = http_req_defer(req, launch_answer, p))) {
        p->c = c;
        p->params = r->parameters;   /* the reply's (l borrows it until the call returns) */
        r->parameters = NULL;
        berth_launcher *lr = api_launcher(req, c->engine);
        if (lr)
            berth_launcher_add(lr, &l, launch_done, p);
        else
            berth_engine_launch_async(c->engine, &l, launch_done, p);
        return;
    }
    if (p)
        berth_free(p->name);
    berth_free(p);
    int rc = berth_engine_launch(c->engine, &l, &s, err, sizeof err);
    if (rc == 0)
        api_reply_launched(resp, s, r->parameters);   /* a Periodic policy: the general writer */
    else
        launch_failed(resp, r->name, rc, err);
    berth_stats_free(s);
}

void api_launch(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    berth_request *r = NULL;
    char err[ERRLEN] = "";
    /* Go reads the number -0 as a negative zero and keeps it in the parameters (and their
     * unique key); the request parser would read the integer 0. Spelled -0.0 it keeps the
     * sign (and a -0 schedule_delay is refused, as by Go). A body without a '-' (most)
     * is parsed as it is, without the copy. */
    buf body;
    buf_init(&body, 0);  /* no cap: req->body (under max_body) plus ".0" after each -0 */
    const char *text = req->body;
    size_t len = req->body_len;
    if (memchr(text, '-', len)) {
        berth_params_signed_zeros(text, len, &body);
        text = body.p ? body.p : "", len = body.len;
    }
    int rc = berth_request_parse(text, len, &r, err, sizeof err);
    buf_free(&body);
    if (rc != 0) {
        api_error_full(resp, 400, BERTH_API_JSON, NULL, err);
        return;
    }
    berth_validate_hooks hooks = {.known_job = hook_known, .validate_params = hook_validate,
                                  .cron_check = hook_cron, .ud = (void *)c};
    if (berth_request_validate(r, &hooks, err, sizeof err) != 0)
        api_error(resp, BERTH_API_BAD_REQUEST, err);
    else if (strcmp(r->kind, BERTH_KIND_PERIODIC) == 0 && !berth_engine_periodic(c->engine))
        api_error(resp, BERTH_API_BAD_REQUEST, "periodic jobs are not enabled on this node");
    else
        launch(c, req, r, resp);
    berth_request_free(r);
}

void api_get_job(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    berth_stats *s = NULL;
    int rc = berth_engine_get_stats(c->engine, req->job_id, &s);
    if (rc == 0)
        api_reply_stats(resp, 200, s);
    else if (rc == BERTH_ENOTFOUND)
        api_error(resp, BERTH_API_NOT_FOUND, req->job_id);
    else
        api_error(resp, BERTH_API_GET_JOB, berth_strerror(rc));
    berth_stats_free(s);
}

void api_job_action(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    char *action = NULL;
    if (!api_read_action(req, resp, &action))
        return;
    if (strcmp(action, BERTH_ACTION_STOP) != 0) {
        buf d;
        buf_init(&d, 0);  /* no cap: an action read from a body under max_body */
        buf_printf(&d, "command: %s", action);
        api_error(resp, BERTH_API_UNKNOWN_ACTION, d.p);
        buf_free(&d);
    } else {
        int rc = berth_engine_stop_job(c->engine, req->job_id);
        if (rc == 0)
            resp->status = 204;
        else if (rc == BERTH_ENOTFOUND)
            api_error(resp, BERTH_API_NOT_FOUND, req->job_id);
        else
            api_error(resp, BERTH_API_STOP_JOB, berth_strerror(rc));
    }
    berth_free(action);
}
