/* Berth's read-only views for the dashboard (include/berth/monitor.h; docs/api.md):
 *   GET /api/v1/throughput?minutes=N     [{"at","success","error","stopped"}], oldest first
 *                                        (N 1..60, default 15)
 *   GET /api/v1/jobs/{id}/checkins       [{"at","message"}], newest first
 *   GET /api/v1/hooks/parked?limit=N     [{"id","job_id","status","revision","url",
 *                                        "check_in","reason","parked_at"}], newest first
 *                                        (N 1..1000, default 100)
 * Authenticated like every route but /api/v1/stats. */
#include <stdio.h>

#include "berth/monitor.h"
#include "model/api_error.h"
#include "model/json_write.h"
#include "server/api_internal.h"

/* A positive query number up to max, or dflt when absent; false after answering 400. */
static bool query_count(const http_req *req, http_resp *resp, const char *name, uint64_t max,
                        uint64_t *out)
{
    if (!http_req_query(req, name))
        return true;
    if (api_query_uint(req, name, 32, out) && *out >= 1 && *out <= max)
        return true;
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be an integer from 1 to %llu", name, (unsigned long long)max);
    api_error(resp, BERTH_API_BAD_REQUEST, msg);
    return false;
}

void api_throughput(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    uint64_t n = 15;
    if (!query_count(req, resp, "minutes", BERTH_THROUGHPUT_MAX_MINUTES, &n))
        return;
    berth_minute m[BERTH_THROUGHPUT_MAX_MINUTES];
    int rc = berth_query_throughput(c->engine, (unsigned)n, m);
    if (rc != 0) {
        api_error(resp, BERTH_API_CHECK_STATS, berth_strerror(rc));
        return;
    }
    http_resp_json(resp, 200);
    buf_puts(&resp->body, "[");
    for (uint64_t i = 0; i < n; i++)
        buf_printf(&resp->body, "%s{\"at\":%lld,\"success\":%lld,\"error\":%lld,\"stopped\":%lld}",
                   i ? "," : "", (long long)m[i].at, (long long)m[i].success,
                   (long long)m[i].error, (long long)m[i].stopped);
    buf_puts(&resp->body, "]");
}

static int checkins_json(const berth_checkin_list *l, buf *out)
{
    JSON_WRITE_TRY(buf_puts(out, "["));
    for (size_t i = 0; i < l->n; i++) {
        JSON_WRITE_TRY(buf_printf(out, "%s{\"at\":%lld,\"message\":", i ? "," : "",
                                  (long long)l->items[i].at));
        JSON_WRITE_TRY(berth__json_write_cstr(out, l->items[i].message));
        JSON_WRITE_TRY(buf_puts(out, "}"));
    }
    return buf_puts(out, "]");
}

void api_checkins(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    berth_checkin_list l;
    int rc = berth_query_checkins(c->engine, req->job_id, &l);
    if (rc != 0)
        api_error(resp, BERTH_API_GET_JOB, berth_strerror(rc));
    else if (checkins_json(&l, &resp->body) != 0)
        api_error(resp, BERTH_API_JSON, "cannot encode the check-ins");
    else
        http_resp_json(resp, 200);
    berth_checkin_list_clear(&l);
}

static int str_member(buf *out, const char *key, const char *v)
{
    JSON_WRITE_TRY(berth__json_write_key(out, key, false));
    return berth__json_write_cstr(out, v);
}

static int parked_json(const berth_parked_hook *h, buf *out)
{
    JSON_WRITE_TRY(buf_puts(out, "{\"id\":"));
    JSON_WRITE_TRY(berth__json_write_cstr(out, h->event_id));
    JSON_WRITE_TRY(str_member(out, "job_id", h->job_id));
    JSON_WRITE_TRY(str_member(out, "status", h->status));
    JSON_WRITE_TRY(buf_printf(out, ",\"revision\":%lld", (long long)h->revision));
    JSON_WRITE_TRY(str_member(out, "url", h->url));
    JSON_WRITE_TRY(str_member(out, "check_in", h->check_in));
    JSON_WRITE_TRY(str_member(out, "reason", h->reason));
    return buf_printf(out, ",\"parked_at\":%lld}", (long long)h->parked_at);
}

void api_hooks_parked(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    uint64_t n = 100;
    if (!query_count(req, resp, "limit", 1000, &n))
        return;
    berth_parked_list l;
    int rc = berth_query_parked_hooks(c->engine, (unsigned)n, &l);
    bool ok = rc == 0 && buf_puts(&resp->body, "[") == 0;
    for (size_t i = 0; ok && i < l.n; i++)
        ok = buf_puts(&resp->body, i ? "," : "") == 0 && parked_json(&l.items[i], &resp->body) == 0;
    ok = ok && buf_puts(&resp->body, "]") == 0;
    if (rc != 0)
        api_error(resp, BERTH_API_CHECK_STATS, berth_strerror(rc));
    else if (!ok)
        api_error(resp, BERTH_API_JSON, "cannot encode the parked hooks");
    else
        http_resp_json(resp, 200);
    berth_parked_list_clear(&l);
}
