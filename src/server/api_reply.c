/* Reply and query helpers of the API handlers; see api_internal.h. */
#include <stdio.h>
#include <string.h>

#include "model/action.h"
#include "model/api_error.h"
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

