/* Reply and query helpers of the API handlers; see api_internal.h. */
#include <stdio.h>
#include <string.h>

#include "model/action.h"
#include "model/api_error.h"
#include "model/json_write.h"
#include "model/stats_json.h"
#include "server/api_internal.h"

void api_error_full(http_resp *resp, int status, int code, const char *message,
                    const char *details)
{
    resp->status = status;
    buf_reset(&resp->body);
    http_resp_header(resp, "Content-Type", "text/plain; charset=utf-8");
    if (berth_api_error_body_msg(code, message, details, &resp->body) != 0) {
        buf_reset(&resp->body);   /* over the cap: say so without the details */
        berth_api_error_body_msg(code, message, "details too long", &resp->body);
    }
}

void api_error(http_resp *resp, int code, const char *details)
{
    api_error_full(resp, berth_api_error_http_status(code), code, NULL, details);
}

void api_log_failure(const api_ctx *c, const http_req *req, const http_resp *resp)
{
    if (!c->log || resp->status < 500)
        return;
    char msg[512];
    snprintf(msg, sizeof msg, "Serve http request '%s %.200s' error: %d %.200s", req->method,
             req->uri, resp->status, resp->body.p ? resp->body.p : "");
    c->log(BERTH_LOG_ERROR, __FILE__, __LINE__, msg, c->log_userdata);
}

void api_reply_stats(http_resp *resp, int status, const berth_stats *s)
{
    if (berth_stats_to_json(s, true, false, &resp->body) != 0) {
        api_error(resp, BERTH_API_JSON, "cannot encode the job stats");
        return;
    }
    http_resp_json(resp, status);
}

/* Does s hold only what a Generic or Scheduled launch's stats hold (engine/enqueue.c
 * reply_stats)? Then the fixed template below writes what berth_stats_to_json would. */
static bool launch_shaped(const berth_stats *s)
{
    return s->id && s->status && s->name && s->kind && s->ref_link && !s->cron_spec &&
           !s->check_in && !s->check_in_at && !s->die_at && !s->upstream_job_id &&
           !s->numeric_policy_id && !s->revision && !s->ack.status;
}

/* The appends below go on only while they succeed: rc is the first failure (the cap of the
 * response body, or no memory), as in model/stats_json.c. */
static int put(buf *b, int rc, const char *text)
{
    return rc ? rc : buf_puts(b, text);
}

static int put_str(buf *b, int rc, const char *text)
{
    return rc ? rc : berth__json_write_cstr(b, text);
}

/* key then a decimal int64, without printf */
static int put_int(buf *b, int rc, const char *key, int64_t v)
{
    char t[24];
    size_t n = sizeof t;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        t[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        t[--n] = '-';
    rc = put(b, rc, key);
    return rc ? rc : buf_append(b, t + n, sizeof t - n);
}

/* The fields of Go's StatsInfo in its order (model/stats_json.c), those a launch leaves
 * empty left out. id and ref_link need no escaping (hex id, fixed path). */
static int put_launched(buf *b, const berth_stats *s, const char *params)
{
    /* the bench's reply is 234 bytes: one allocation, not a buffer doubled from 64 */
    size_t about = 256 + strlen(s->name) + (params ? strlen(params) : 0) +
                   (s->web_hook_url ? strlen(s->web_hook_url) : 0);
    int rc = buf_reserve(b, about);
    rc = put(b, rc, "{\"job\":{\"id\":\"");
    rc = put(b, rc, s->id);
    rc = put(b, rc, "\",\"status\":");
    rc = put_str(b, rc, s->status);
    rc = put(b, rc, ",\"name\":");
    rc = put_str(b, rc, s->name);
    rc = put(b, rc, ",\"kind\":");
    rc = put_str(b, rc, s->kind);
    rc = put(b, rc, s->unique ? ",\"unique\":true" : ",\"unique\":false");
    rc = put(b, rc, ",\"ref_link\":\"");
    rc = put(b, rc, s->ref_link);
    rc = put_int(b, rc, "\",\"enqueue_time\":", s->enqueue_time);
    rc = put_int(b, rc, ",\"update_time\":", s->update_time);
    if (s->run_at)
        rc = put_int(b, rc, ",\"run_at\":", s->run_at);
    if (s->web_hook_url && *s->web_hook_url) {
        rc = put(b, rc, ",\"web_hook_url\":");
        rc = put_str(b, rc, s->web_hook_url);
    }
    if (params && strcmp(params, "{}") != 0) {   /* Go's omitempty: no empty map */
        rc = put(b, rc, ",\"parameters\":");
        rc = put(b, rc, params);
    }
    return put(b, rc, "}}");
}

void api_reply_launched(http_resp *resp, const berth_stats *s, const char *params)
{
    if (!launch_shaped(s) || (s->parameters && !params)) {
        api_reply_stats(resp, 202, s);
        return;
    }
    if (put_launched(&resp->body, s, params) != 0) {
        api_error(resp, BERTH_API_JSON, "cannot encode the job stats");
        return;
    }
    http_resp_json(resp, 202);
}

bool api_query_uint(const http_req *req, const char *name, unsigned bits, uint64_t *out)
{
    const char *v = http_req_query(req, name);
    if (!v || !*v)
        return false;
    uint64_t max = bits >= 64 ? UINT64_MAX : (((uint64_t)1 << bits) - 1), n = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        unsigned d = (unsigned)(*p - '0');
        if (n > (max - d) / 10)
            return false;
        n = n * 10 + d;
    }
    *out = n;
    return true;
}

bool api_query_bool(const http_req *req, const char *name, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    const char *v = http_req_query(req, name);
    if (!v)
        return false;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(v, yes[i]) == 0)
            return *out = true, true;
        if (strcmp(v, no[i]) == 0)
            return *out = false, true;
    }
    return false;
}

bool api_read_action(const http_req *req, http_resp *resp, char **action)
{
    char err[512] = "";
    if (berth_action_parse(req->body, req->body_len, action, err, sizeof err) == 0)
        return true;
    api_error_full(resp, 400, BERTH_API_JSON, NULL, err);
    return false;
}

