/* The API server: Harbor's route table (spec §2.4) behind authentication (spec §2.2), on
 * the HTTP wrapper. Handlers live in api_jobs.c, api_list.c, api_log.c and api_misc.c. */
#include <stdio.h>
#include <string.h>

#include "server/api.h"
#include "server/api_internal.h"
#include "server/auth.h"
#include "server/router.h"
#include "server/ui.h"
#include "util/alloc.h"

struct api_server {
    api_ctx ctx;               /* copy; its strings point at the owned copies below */
    char *secret, *redis_url, *ns, *job_log_dir;
    http_server *http;
};

static const route routes[] = {
    {"POST", "/api/v1/jobs", api_launch},
    {"GET", "/api/v1/jobs", api_list_jobs},
    {"GET", "/api/v1/jobs/{job_id}", api_get_job},
    {"POST", "/api/v1/jobs/{job_id}", api_job_action},
    {"GET", "/api/v1/jobs/{job_id}/log", api_job_log},
    {"GET", "/api/v1/jobs/{job_id}/executions", api_executions},
    {"GET", "/api/v1/stats", api_stats},
    {"GET", "/api/v1/config", api_config},
    {"GET", "/healthz", api_healthz},
    {"GET", "/api/v1/hooks", api_hooks},
    {"POST", "/api/v1/hooks/replay", api_hooks_replay},
    {"GET", "/api/v1/queues", api_queues},
    {"PUT", "/api/v1/queues/{job_id}", api_queue_action},
    {"GET", "/api/v1/pools", api_pools},
    {"GET", "/api/v1/policies", api_policies},
    {"GET", "/api/v1/throughput", api_throughput},
    {"GET", "/api/v1/jobs/{job_id}/checkins", api_checkins},
    {"GET", "/api/v1/hooks/parked", api_hooks_parked},
};

static void on_request(const http_req *req, http_resp *resp, void *ctx)
{
    api_server *s = ctx;
    if (ui_wants(req))
        ui_serve(req, resp);   /* static files, no data: no secret needed (ui.h) */
    else if (auth_request(req, s->ctx.secret, resp))
        router_dispatch(routes, sizeof routes / sizeof routes[0], req, resp, &s->ctx);
    api_log_failure(&s->ctx, req, resp);   /* a deferred answer logs its own */
}

int api_server_start(const api_ctx *ctx, const char *host, int port, api_server **out,
                     char *err, size_t errlen)
{
    *out = NULL;
    if (!ctx || !ctx->engine) {
        snprintf(err, errlen, "the API needs an engine");
        return BERTH_EINVAL;
    }
    api_server *s = berth_calloc(1, sizeof *s);
    s->ctx = *ctx;
    s->ctx.secret = s->secret = berth_strdup(ctx->secret);
    s->ctx.redis_url = s->redis_url = berth_strdup(ctx->redis_url);
    s->ctx.ns = s->ns = berth_strdup(ctx->ns);
    s->ctx.job_log_dir = s->job_log_dir = berth_strdup(ctx->job_log_dir);
    s->ctx.tls_cert_pem = s->ctx.tls_key_pem = NULL;   /* the HTTP server keeps its own copies */
    s->ctx.tls_client_ca_pem = NULL;
    http_config hc = {.host = host, .port = port, .threads = ctx->threads,
                      .max_connections = ctx->max_connections,
                      .read_timeout_s = ctx->read_timeout_s,
                      .idle_timeout_s = ctx->idle_timeout_s, .max_body = ctx->max_body,
                      .handler = on_request, .ctx = s, .log = ctx->log,
                      .log_userdata = ctx->log_userdata, .tls_cert_pem = ctx->tls_cert_pem,
                      .tls_key_pem = ctx->tls_key_pem,
                      .tls_client_ca_pem = ctx->tls_client_ca_pem, .listen_fd = ctx->listen_fd};
    int rc = http_server_start(&hc, &s->http, err, errlen);
    if (rc != 0) {
        api_server_stop(s);
        return rc;
    }
    *out = s;
    return 0;
}

int api_server_port(const api_server *s)
{
    return http_server_port(s->http);
}

void api_server_stop(api_server *s)
{
    if (!s)
        return;
    http_server_stop(s->http);
    berth_free(s->secret);
    berth_free(s->redis_url);
    berth_free(s->ns);
    berth_free(s->job_log_dir);
    berth_free(s);
}
