/* GET /api/v1/pools (Berth's route; Harbor core's dashboard shows the same from the same
 * keys): every live worker pool as /api/v1/stats describes it, plus its host, pid and its
 * workers with the job each runs:
 *   [{"worker_pool_id",...,"status","host","pid","workers":[{"id","job_name","job_id",
 *     "started_at"}]}]   (an idle worker has only "id")
 * Authenticated like every route but /api/v1/stats. */
#include <string.h>

#include "model/api_error.h"
#include "model/json_write.h"
#include "server/api_internal.h"

static int worker_json(const berth_worker_info *w, buf *out)
{
    JSON_WRITE_TRY(buf_puts(out, "{\"id\":"));
    JSON_WRITE_TRY(berth__json_write_cstr(out, w->worker_id));
    if (w->job_id) {
        JSON_WRITE_TRY(buf_puts(out, ",\"job_name\":"));
        JSON_WRITE_TRY(berth__json_write_cstr(out, w->job_name));
        JSON_WRITE_TRY(buf_puts(out, ",\"job_id\":"));
        JSON_WRITE_TRY(berth__json_write_cstr(out, w->job_id));
        JSON_WRITE_TRY(buf_printf(out, ",\"started_at\":%lld", (long long)w->started_at));
    }
    return buf_puts(out, "}");
}

static int pool_json(const berth_pool_info *p, const berth_worker_list *w, buf *out)
{
    JSON_WRITE_TRY(buf_puts(out, "{"));
    JSON_WRITE_TRY(api_pool_json(p, out));
    JSON_WRITE_TRY(buf_puts(out, ",\"host\":"));
    JSON_WRITE_TRY(berth__json_write_cstr(out, p->host));
    JSON_WRITE_TRY(buf_printf(out, ",\"pid\":%ld,\"workers\":[", p->pid));
    bool first = true;
    for (size_t i = 0; i < w->n; i++) {
        if (strcmp(w->items[i].pool_id, p->pool_id) != 0)
            continue;
        JSON_WRITE_TRY(buf_puts(out, first ? "" : ","));
        JSON_WRITE_TRY(worker_json(&w->items[i], out));
        first = false;
    }
    return buf_puts(out, "]}");
}

static int pools_json(const berth_pool_list *l, const berth_worker_list *w, buf *out)
{
    JSON_WRITE_TRY(buf_puts(out, "["));
    for (size_t i = 0; i < l->n; i++) {
        JSON_WRITE_TRY(buf_puts(out, i ? "," : ""));
        JSON_WRITE_TRY(pool_json(&l->items[i], w, out));
    }
    return buf_puts(out, "]");
}

void api_pools(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    (void)req;
    berth_pool_list l;
    berth_worker_list w = {0};
    int rc = berth_query_pools(c->engine, &l);
    if (rc == 0)
        rc = berth_query_workers(c->engine, NULL, &w);
    if (rc != 0)
        api_error(resp, BERTH_API_CHECK_STATS, berth_strerror(rc));
    else if (pools_json(&l, &w, &resp->body) != 0)
        api_error(resp, BERTH_API_JSON, "cannot encode the worker pools");
    else
        http_resp_json(resp, 200);
    berth_worker_list_clear(&w);
    berth_pool_list_clear(&l);
}
