/* GET /api/v1/policies (Berth's route): the stored periodic policies with their next fire
 * times, in numeric id order:
 *   [{"id","job_name","cron_spec","numeric_policy_id","next_fire_at","last_planned_at",
 *     "web_hook_url"(omitempty),"parameters"(omitempty)}]
 * Times are unix seconds (UTC), 0 when there is none. Executions: GET
 * /api/v1/jobs/{id}/executions. */
#include <jansson.h>

#include "berth/period.h"
#include "model/api_error.h"
#include "model/json_write.h"
#include "server/api_internal.h"

static int params_json(const char *text, buf *out)
{
    json_t *j = json_loads(text, 0, NULL);
    int rc = j ? berth__json_write_value(out, j) : buf_puts(out, "null");
    json_decref(j);
    return rc;
}

static int policy_json(const berth_policy_info *p, buf *out)
{
    JSON_WRITE_TRY(buf_puts(out, "{\"id\":"));
    JSON_WRITE_TRY(berth__json_write_cstr(out, p->id));
    JSON_WRITE_TRY(buf_puts(out, ",\"job_name\":"));
    JSON_WRITE_TRY(berth__json_write_cstr(out, p->job_name));
    JSON_WRITE_TRY(buf_puts(out, ",\"cron_spec\":"));
    JSON_WRITE_TRY(berth__json_write_cstr(out, p->cron_spec));
    JSON_WRITE_TRY(buf_printf(out, ",\"numeric_policy_id\":%lld,\"next_fire_at\":%lld,"
                              "\"last_planned_at\":%lld", (long long)p->numeric_id,
                              (long long)p->next_fire, (long long)p->last_planned));
    if (p->web_hook_url) {
        JSON_WRITE_TRY(buf_puts(out, ",\"web_hook_url\":"));
        JSON_WRITE_TRY(berth__json_write_cstr(out, p->web_hook_url));
    }
    if (p->params_json) {
        JSON_WRITE_TRY(buf_puts(out, ",\"parameters\":"));
        JSON_WRITE_TRY(params_json(p->params_json, out));
    }
    return buf_puts(out, "}");
}

void api_policies(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    (void)req;
    berth_policy_list l;
    int rc = berth_query_policies(c->engine, &l);
    bool ok = rc == 0 && buf_puts(&resp->body, "[") == 0;
    for (size_t i = 0; ok && i < l.n; i++)
        ok = buf_puts(&resp->body, i ? "," : "") == 0 && policy_json(&l.items[i], &resp->body) == 0;
    ok = ok && buf_puts(&resp->body, "]") == 0;
    if (rc != 0)
        api_error(resp, BERTH_API_CHECK_STATS, berth_strerror(rc));
    else if (!ok)
        api_error(resp, BERTH_API_JSON, "cannot encode the policies");
    else
        http_resp_json(resp, 200);
    berth_policy_list_clear(&l);
}
