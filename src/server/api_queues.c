/* Berth's queue routes (not in Harbor's job service; Harbor core offers the same under
 * /api/v2.0/jobservice/queues on the same Redis keys; docs/api.md, include/berth/queue.h):
 *   GET /api/v1/queues        [{"name","waiting","running","oldest_age","paused",
 *                               "max_concurrency"}] sorted by name
 *   PUT /api/v1/queues/{name} {"action":"pause"|"resume"|"stop"}; name `all` (any case) is
 *                             every known queue, as in Harbor core. 200
 *                             {"queue":..,"action":..,"stopped":N}; 404 unknown queue;
 *                             400 bad body or action. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "berth/queue.h"
#include "model/api_error.h"
#include "model/json_write.h"
#include "server/api_internal.h"
#include "util/alloc.h"

#define ERRLEN 512

static int queue_json(const berth_queue_info *q, int64_t now, buf *out)
{
    JSON_WRITE_TRY(berth__json_write_key(out, "name", true));
    JSON_WRITE_TRY(berth__json_write_cstr(out, q->name));
    int64_t age = q->oldest_at > 0 && now > q->oldest_at ? now - q->oldest_at : 0;
    return buf_printf(out, ",\"waiting\":%lld,\"running\":%lld,\"oldest_age\":%lld,"
                      "\"paused\":%s,\"max_concurrency\":%lld", (long long)q->waiting,
                      (long long)q->running, (long long)age, q->paused ? "true" : "false",
                      (long long)q->max_concurrency);
}

static int queues_json(const berth_queue_list *l, buf *out)
{
    int64_t now = (int64_t)time(NULL);
    JSON_WRITE_TRY(buf_puts(out, "["));
    for (size_t i = 0; i < l->n; i++) {
        JSON_WRITE_TRY(buf_puts(out, i ? ",{" : "{"));
        JSON_WRITE_TRY(queue_json(&l->items[i], now, out));
        JSON_WRITE_TRY(buf_puts(out, "}"));
    }
    return buf_puts(out, "]");
}

void api_queues(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    (void)req;
    berth_queue_list l;
    int rc = berth_query_queues(c->engine, &l);
    if (rc != 0)
        api_error_full(resp, 500, BERTH_API_CHECK_STATS, NULL, berth_strerror(rc));
    else if (queues_json(&l, &resp->body) != 0)
        api_error(resp, BERTH_API_JSON, "cannot encode the queues");
    else
        http_resp_json(resp, 200);
    berth_queue_list_clear(&l);
}

/* The action on one queue. 0 or a berth error. */
static int act(berth_engine *e, const char *name, const char *action, long long *stopped)
{
    long long n = 0;
    int rc;
    if (strcmp(action, "stop") == 0)
        rc = berth_queue_stop_pending(e, name, &n);
    else
        rc = berth_queue_pause(e, name, strcmp(action, "pause") == 0);
    *stopped += n;
    return rc;
}

/* The action on every known queue; stops at the first failure. */
static int act_all(berth_engine *e, const char *action, long long *stopped)
{
    berth_queue_list l;
    int rc = berth_query_queues(e, &l);
    for (size_t i = 0; rc == 0 && i < l.n; i++)
        rc = act(e, l.items[i].name, action, stopped);
    berth_queue_list_clear(&l);
    return rc;
}

static bool known_action(const char *a)
{
    return strcmp(a, "pause") == 0 || strcmp(a, "resume") == 0 || strcmp(a, "stop") == 0;
}

static void reply_done(http_resp *resp, const char *name, const char *action, long long stopped)
{
    http_resp_json(resp, 200);
    buf_puts(&resp->body, "{\"queue\":");
    berth__json_write_cstr(&resp->body, name);
    buf_puts(&resp->body, ",\"action\":");
    berth__json_write_cstr(&resp->body, action);
    buf_printf(&resp->body, ",\"stopped\":%lld}", stopped);
}

void api_queue_action(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    char *action = NULL;
    if (!api_read_action(req, resp, &action))
        return;
    char err[ERRLEN] = "";
    long long stopped = 0;
    int rc = 0;
    if (!known_action(action)) {
        snprintf(err, sizeof err, "unknown queue action '%.200s': use pause, resume or stop", action);
        api_error(resp, BERTH_API_BAD_REQUEST, err);
        goto done;
    }
    rc = strcasecmp(req->job_id, "all") == 0 ? act_all(c->engine, action, &stopped)
                                             : act(c->engine, req->job_id, action, &stopped);
    if (rc == 0) {
        reply_done(resp, req->job_id, action, stopped);
    } else if (rc == BERTH_ENOTFOUND) {
        snprintf(err, sizeof err, "queue %.200s", req->job_id);
        api_error(resp, BERTH_API_NOT_FOUND, err);
    } else {
        api_error_full(resp, 500, BERTH_API_CHECK_STATS, "queue action failed", berth_strerror(rc));
    }
done:
    berth_free(action);
}
