/* Job lists: GET /api/v1/jobs (SCAN with Next-Cursor, or the scheduled set with
 * Total-Count for kind=Scheduled; spec §2.10) and GET /api/v1/jobs/{id}/executions
 * (spec §2.9). Query parameters are read as Harbor's extractQuery reads them; Berth's
 * differences (cursor as uint64, `[]` for no executions, non_dead_only=false = all, pages
 * clamped to 1000) are in docs/compat.md. */
#include <stdio.h>
#include <string.h>

#include "berth/query.h"
#include "model/api_error.h"
#include "model/json_write.h"
#include "model/stats_json.h"
#include "server/api_internal.h"

typedef struct list_query {
    uint64_t page;           /* page_number, 1 unless given and > 1 */
    uint64_t size;           /* page_size, 25 unless given and > 0 */
    bool has_cursor;
    uint64_t cursor;
    bool has_non_dead;
    bool non_dead;
    const char *kind;        /* NULL unless given and non-empty */
} list_query;

static void read_query(const http_req *req, list_query *q)
{
    uint64_t v;
    *q = (list_query){.page = 1, .size = 25};
    if (api_query_uint(req, "page_number", 32, &v) && v > 1)
        q->page = v;
    if (api_query_uint(req, "page_size", 32, &v) && v > 0)
        q->size = v;
    q->has_non_dead = api_query_bool(req, "non_dead_only", &q->non_dead);
    const char *k = http_req_query(req, "kind");
    q->kind = k && *k ? k : NULL;
    q->has_cursor = api_query_uint(req, "cursor", 64, &q->cursor);
}

/* Harbor's 10014 message: "failed to get scheduled jobs, q=" + the given extras as a Go map
 * (keys sorted: Cursor, Kind, NonDeadOnly). */
static void list_failed(http_resp *resp, const list_query *q, int rc)
{
    buf m;
    buf_init(&m, 0);  /* no cap: a fixed text and the query values MHD already bounded */
    buf_puts(&m, "failed to get scheduled jobs, q={");
    bool first = true;
    if (q->has_cursor) {
        berth__json_write_key(&m, "Cursor", first), first = false;
        buf_printf(&m, "%llu", (unsigned long long)q->cursor);
    }
    if (q->kind) {
        berth__json_write_key(&m, "Kind", first), first = false;
        berth__json_write_cstr(&m, q->kind);
    }
    if (q->has_non_dead) {
        berth__json_write_key(&m, "NonDeadOnly", first);
        buf_puts(&m, q->non_dead ? "true" : "false");
    }
    buf_puts(&m, "}");
    api_error_full(resp, 500, BERTH_API_GET_JOBS, m.p, berth_strerror(rc));
    buf_free(&m);
}

static void reply_list(http_resp *resp, const berth_stats_list *l, const char *header,
                       uint64_t value)
{
    if (berth_stats_list_to_json((const berth_stats *const *)l->items, l->n, false,
                                 &resp->body) != 0) {
        api_error(resp, BERTH_API_JSON, "cannot encode the job list");
        return;
    }
    char v[24];
    snprintf(v, sizeof v, "%llu", (unsigned long long)value);
    http_resp_header(resp, header, v);
    http_resp_json(resp, 200);
}

void api_list_jobs(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    list_query q;
    read_query(req, &q);
    berth_stats_list l;
    bool scheduled = q.kind && strcmp(q.kind, BERTH_KIND_SCHEDULED) == 0;
    int rc = scheduled ? berth_query_scheduled(c->engine, q.page, &l)
                       : berth_query_jobs(c->engine, q.has_cursor ? q.cursor : 0,
                                          (unsigned)q.size, &l);
    if (rc != 0)
        list_failed(resp, &q, rc);
    else if (scheduled)
        reply_list(resp, &l, "Total-Count", (uint64_t)l.total);
    else
        reply_list(resp, &l, "Next-Cursor", l.next_cursor);
    berth_stats_list_clear(&l);
}

void api_executions(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    berth_stats *s = NULL;
    int rc = berth_engine_get_stats(c->engine, req->job_id, &s);
    if (rc != 0) {
        if (rc == BERTH_ENOTFOUND)
            api_error(resp, BERTH_API_NOT_FOUND, req->job_id);
        else
            api_error(resp, BERTH_API_GET_EXECUTIONS, berth_strerror(rc));
        return;
    }
    if (!s->kind || strcmp(s->kind, BERTH_KIND_PERIODIC) != 0) {
        char d[160];
        snprintf(d, sizeof d, "only periodic job has executions: %s kind is received",
                 s->kind ? s->kind : "");
        api_error(resp, BERTH_API_GET_EXECUTIONS, d);
        berth_stats_free(s);
        return;
    }
    berth_stats_free(s);
    list_query q;
    read_query(req, &q);
    berth_stats_list l;
    rc = berth_query_executions(c->engine, req->job_id, q.page, q.size,
                                q.has_non_dead && q.non_dead, &l);
    if (rc != 0)
        api_error(resp, BERTH_API_GET_EXECUTIONS, berth_strerror(rc));
    else
        reply_list(resp, &l, "Total-Count", (uint64_t)l.total);
    berth_stats_list_clear(&l);
}
