/* The API server: Harbor's route table (spec §2.4) behind authentication (spec §2.2), on
 * the HTTP wrapper. Handlers live in api_jobs.c, api_list.c, api_log.c and api_misc.c. */
#include <stdio.h>
#include <string.h>

#include "model/api_error.h"
#include "server/api.h"
#include "server/api_internal.h"
#include "server/auth.h"
#include "server/router.h"
#include "server/ui.h"
#include "util/alloc.h"

struct api_server {
    api_ctx ctx;               /* copy; its strings point at the owned copies below */
    char *secret, *redis_url, *ns, *job_log_dir;
    api_ctx *tenant;           /* ntenants copies of ctx, each with its engine and ns */
    char **tenant_ns;          /* owned names (tenant[i].ns) */
    size_t ntenants;
    berth_engine **engines;    /* ctx.engine and the tenants', for the launchers */
    api_engines launch_engines;
    http_server *http;
};

#define TENANT_PREFIX "/ns/"

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

/* /ns/<name>/<rest>: the tenant's context and req with the prefix stripped from its path
 * and target (into *sub); NULL after answering 404 when no tenant has that name. */
static const api_ctx *tenant_of(const api_server *s, const http_req *req, http_req *sub,
                                http_resp *resp)
{
    const char *name = req->path + strlen(TENANT_PREFIX);
    size_t len = strcspn(name, "/");
    for (size_t i = 0; i < s->ntenants; i++)
        if (strlen(s->tenant_ns[i]) == len && memcmp(s->tenant_ns[i], name, len) == 0) {
            *sub = *req;
            sub->path = name + len;
            size_t cut = strlen(TENANT_PREFIX) + len;   /* the target starts the same way */
            sub->uri = strncmp(req->uri, req->path, cut) == 0 ? req->uri + cut : sub->path;
            return &s->tenant[i];
        }
    api_error(resp, BERTH_API_NOT_FOUND, "no namespace of this berthd has that name");
    return NULL;
}

static void on_request(const http_req *req, http_resp *resp, void *ctx)
{
    api_server *s = ctx;
    http_req sub;
    const api_ctx *c = &s->ctx;
    if (ui_wants(req)) {
        ui_serve(req, resp);   /* static files, no data: no secret needed (ui.h) */
    } else if (auth_request(req, s->ctx.secret, resp)) {
        if (s->ntenants && strncmp(req->path, TENANT_PREFIX, strlen(TENANT_PREFIX)) == 0) {
            c = tenant_of(s, req, &sub, resp);
            req = c ? &sub : req;
        }
        if (c && *req->path)
            router_dispatch(routes, sizeof routes / sizeof routes[0], req, resp, (void *)c);
        else if (c)
            http_resp_text(resp, 404, "404 page not found\n");
    }
    api_log_failure(c ? c : &s->ctx, req, resp);   /* a deferred answer logs its own */
}

/* ctx's tenants as contexts of their own: the shared settings, their engine and name. */
static void copy_tenants(api_server *s, const api_ctx *ctx)
{
    s->ntenants = ctx->tenants ? ctx->ntenants : 0;
    s->tenant = berth_calloc(s->ntenants ? s->ntenants : 1, sizeof *s->tenant);
    s->tenant_ns = berth_calloc(s->ntenants ? s->ntenants : 1, sizeof *s->tenant_ns);
    for (size_t i = 0; i < s->ntenants; i++) {
        s->tenant[i] = s->ctx;
        s->tenant[i].engine = ctx->tenants[i].engine;
        s->tenant[i].ns = s->tenant_ns[i] = berth_strdup(ctx->tenants[i].name);
        s->tenant[i].tenants = NULL;
        s->tenant[i].ntenants = 0;
    }
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
    s->ctx.tenants = NULL;     /* the copies below */
    s->ctx.ntenants = 0;
    copy_tenants(s, ctx);
    s->engines = berth_calloc(1 + s->ntenants, sizeof *s->engines);
    s->engines[0] = s->ctx.engine;
    for (size_t i = 0; i < s->ntenants; i++)
        s->engines[1 + i] = s->tenant[i].engine;
    s->launch_engines = (api_engines){s->engines, 1 + s->ntenants};
    http_config hc = {.host = host, .port = port, .threads = ctx->threads,
                      .max_connections = ctx->max_connections,
                      .read_timeout_s = ctx->read_timeout_s,
                      .idle_timeout_s = ctx->idle_timeout_s, .max_body = ctx->max_body,
                      .handler = on_request, .ctx = s, .log = ctx->log,
                      .log_userdata = ctx->log_userdata, .tls_cert_pem = ctx->tls_cert_pem,
                      .tls_key_pem = ctx->tls_key_pem,
                      .tls_client_ca_pem = ctx->tls_client_ca_pem, .listen_fd = ctx->listen_fd,
                      .server = ctx->http_server,
                      .hooks = api_launcher_hooks(&s->launch_engines)};
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

unsigned api_server_deferred(const api_server *s)
{
    return http_server_deferred(s->http);
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
    for (size_t i = 0; i < s->ntenants; i++)
        berth_free(s->tenant_ns[i]);
    berth_free(s->tenant_ns);
    berth_free(s->tenant);
    berth_free(s->engines);
    berth_free(s);
}
