/* Berth's own routes for the hook outbox (not in Harbor; docs/hooks.md, docs/compat.md):
 *   GET  /api/v1/hooks                  {"pending":N,"retrying":N,"parked":N,"dropped":N}
 *   POST /api/v1/hooks/replay?limit=N   parked events back into the outbox (default 1000)
 *                                       → {"replayed":N}
 * Both need the Harbor-Secret like every route but /api/v1/stats. */
#include <stdio.h>

#include "model/api_error.h"
#include "server/api_internal.h"

void api_hooks(const http_req *req, http_resp *resp, void *ctx)
{
    (void)req;
    const api_ctx *c = ctx;
    berth_hook_counts n;
    if (berth_engine_hook_counts(c->engine, &n) != 0) {
        api_error_full(resp, 500, BERTH_API_CHECK_STATS, NULL, "redis is unavailable");
        return;
    }
    http_resp_json(resp, 200);
    buf_printf(&resp->body, "{\"pending\":%lld,\"retrying\":%lld,\"parked\":%lld,\"dropped\":%lld}",
               n.pending, n.retrying, n.parked, n.dropped);
}

void api_hooks_replay(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    uint64_t limit = 1000;
    if (http_req_query(req, "limit") && (!api_query_uint(req, "limit", 32, &limit) || limit == 0)) {
        api_error(resp, BERTH_API_BAD_REQUEST, "limit must be a positive integer");
        return;
    }
    long long moved = 0;
    if (berth_engine_hook_replay(c->engine, (long)limit, &moved) != 0) {
        api_error_full(resp, 500, BERTH_API_CHECK_STATS, NULL, "redis is unavailable");
        return;
    }
    http_resp_json(resp, 200);
    buf_printf(&resp->body, "{\"replayed\":%lld}", moved);
}
