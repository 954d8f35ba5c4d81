/* GET /api/v1/stats (worker pool health, no auth; spec §2.11), GET /api/v1/config (Redis
 * settings for Harbor core, Go field names; spec §2.12) and GET /healthz (Berth's liveness
 * probe: the process answers HTTP; no Redis call). */
#include <stdio.h>
#include <time.h>

#include "berth/query.h"
#include "model/api_error.h"
#include "model/json_write.h"
#include "server/api_internal.h"
#include "util/clock.h"

/* gocraft's health rule: Dead once heartbeat_at + 10 s is before now. */
static const char *pool_status(int64_t heartbeat_at)
{
    return (heartbeat_at + 10) * 1000 < clock_wall_ms() ? "Dead" : "Healthy";
}

int api_pool_json(const berth_pool_info *p, buf *out)
{
    JSON_WRITE_TRY(berth__json_write_key(out, "worker_pool_id", true));
    JSON_WRITE_TRY(berth__json_write_cstr(out, p->pool_id));
    JSON_WRITE_TRY(buf_printf(out, ",\"started_at\":%lld,\"heartbeat_at\":%lld,\"job_names\":[",
                              (long long)p->started_at, (long long)p->heartbeat_at));
    for (size_t k = 0; k < p->njob_names; k++) {
        if (k)
            JSON_WRITE_TRY(buf_puts(out, ","));
        JSON_WRITE_TRY(berth__json_write_cstr(out, p->job_names[k]));
    }
    JSON_WRITE_TRY(buf_printf(out, "],\"concurrency\":%u,\"status\":", p->concurrency));
    return berth__json_write_cstr(out, pool_status(p->heartbeat_at));
}

static int pools_json(const berth_pool_list *l, buf *out)
{
    JSON_WRITE_TRY(buf_puts(out, "{\"worker_pools\":["));
    for (size_t i = 0; i < l->n; i++) {
        JSON_WRITE_TRY(buf_puts(out, i ? ",{" : "{"));
        JSON_WRITE_TRY(api_pool_json(&l->items[i], out));
        JSON_WRITE_TRY(buf_puts(out, "}"));
    }
    return buf_puts(out, "]}");
}

void api_stats(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    (void)req;
    berth_pool_list l;
    int rc = berth_query_pools(c->engine, &l);
    if (rc != 0)
        api_error(resp, BERTH_API_CHECK_STATS, berth_strerror(rc));
    else if (l.n == 0)
        api_error(resp, BERTH_API_CHECK_STATS, "failed to get stats of worker pools");
    else if (pools_json(&l, &resp->body) != 0)
        api_error(resp, BERTH_API_JSON, "cannot encode the worker pools");
    else
        http_resp_json(resp, 200);
    berth_pool_list_clear(&l);
}

static int config_json(const api_ctx *c, buf *out)
{
    JSON_WRITE_TRY(buf_puts(out, "{\"redis_pool_config\":{\"RedisURL\":"));
    JSON_WRITE_TRY(berth__json_write_cstr(out, c->redis_url));
    JSON_WRITE_TRY(buf_puts(out, ",\"Namespace\":"));
    JSON_WRITE_TRY(berth__json_write_cstr(out, c->ns));
    return buf_printf(out, ",\"IdleTimeoutSecond\":%d}}", c->idle_timeout_second);
}

void api_config(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    (void)req;
    if (!c->redis_url)
        api_error(resp, BERTH_API_JSON, "no configuration");
    else if (config_json(c, &resp->body) != 0)
        api_error(resp, BERTH_API_JSON, "cannot encode the configuration");
    else
        http_resp_json(resp, 200);
}

void api_healthz(const http_req *req, http_resp *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    http_resp_text(resp, 200, "ok\n");
}
