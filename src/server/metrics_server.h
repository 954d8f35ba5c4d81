/* berthd's Prometheus endpoint (config `metric:`, Harbor §13; docs/metrics.md): a second
 * HTTP server on metric.port answering GET <metric.path> with the text exposition format,
 * without auth, as Harbor's. Names are prefixed <METRIC_NAMESPACE>_<METRIC_SUBSYSTEM>_
 * (harbor_jobservice_ when unset, as Harbor sets them).
 *
 *   metrics_server *m;
 *   metrics_server_start(&(metrics_ctx){.engine = e, .path = "/metrics", .workers = 10},
 *                        "0.0.0.0", 9090, &m, err, sizeof err);
 *   metrics_server_stop(m); */
#ifndef BERTH_SERVER_METRICS_SERVER_H
#define BERTH_SERVER_METRICS_SERVER_H

#include "berth/berth.h"
#include "berth/log.h"
#include "util/buf.h"

/* One more namespace's engine (berthd's berth.namespaces): with any, every series gets a
 * namespace="<ns>" label, worker_pool's namespace included (ns below). */
#define METRICS_MAX_TENANTS 64   /* tenants rendered past this are left out */

typedef struct metrics_tenant {
    const char *ns;          /* copied */
    berth_engine *engine;    /* started */
    unsigned workers;
} metrics_tenant;

typedef struct metrics_ctx {
    berth_engine *engine;    /* started */
    const char *ns;          /* engine's namespace: its label when there are tenants */
    const metrics_tenant *tenants;   /* copied; NULL when none */
    size_t ntenants;
    const char *path;        /* e.g. "/metrics"; copied */
    unsigned workers;        /* the configured worker count (harbor_jobservice_info) */
    int http_server;         /* HTTP_SERVER_* (http.h): berthd's choice, as for the API */
    berth_log_fn log;        /* the HTTP layer's messages; may be NULL */
    void *log_userdata;
} metrics_ctx;

typedef struct metrics_server metrics_server;

/* Binds host:port (0: ephemeral) and serves. 0, or an error with err filled. The server is
 * the caller's: metrics_server_stop. */
int metrics_server_start(const metrics_ctx *ctx, const char *host, int port,
                         metrics_server **out, char *err, size_t errlen);
int metrics_server_port(const metrics_server *m);
void metrics_server_stop(metrics_server *m);   /* NULL is a no-op */

/* Appends the exposition text for engine e to b (what the endpoint answers). */
void metrics_render(berth_engine *e, unsigned workers, buf *b);

#endif
