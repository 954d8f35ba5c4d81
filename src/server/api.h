/* berthd's REST API: Harbor's job-service routes (spec §2) on the HTTP wrapper.
 *
 *   api_ctx ctx = {.engine = e, .secret = getenv("CORE_SECRET"), .redis_url = url,
 *                  .ns = "harbor_job_service_namespace", .idle_timeout_second = 3600};
 *   api_server *api;
 *   api_server_start(&ctx, "0.0.0.0", 8080, &api, err, sizeof err);
 *   ...
 *   api_server_stop(api);    // before berth_engine_free
 *
 * Routes (docs/api.md): POST/GET /api/v1/jobs, GET/POST /api/v1/jobs/{id},
 * GET /api/v1/jobs/{id}/log, GET /api/v1/jobs/{id}/executions, GET /api/v1/stats,
 * GET /api/v1/config, GET /healthz; Berth's own: GET /api/v1/hooks, POST /api/v1/hooks/replay,
 * GET /api/v1/queues, PUT /api/v1/queues/{name}, GET /api/v1/pools, GET /api/v1/policies.
 * Every request but exactly /api/v1/stats and /healthz is
 * authenticated first (auth.h). With tenants (api_ctx.tenants), /ns/<name>/<route> is
 * <route> answered by that namespace's engine; a name not served is 404 (docs/api.md).
 * Deliberate differences from Harbor: docs/compat.md. */
#ifndef BERTH_SERVER_API_H
#define BERTH_SERVER_API_H

#include <stddef.h>

#include "berth/berth.h"
#include "berth/period.h"

/* One more namespace the server answers for, under the path prefix /ns/<name> (its
 * routes are the table's, the prefix stripped); the unprefixed routes are ctx.engine's. */
typedef struct api_tenant {
    const char *name;            /* the namespace (no braces); copied */
    berth_engine *engine;        /* borrowed, as engine below */
} api_tenant;

typedef struct api_ctx {
    berth_engine *engine;        /* borrowed; started, and outliving the server */
    const api_tenant *tenants;   /* more namespaces (copied at start); NULL when none */
    size_t ntenants;
    const char *secret;          /* CORE_SECRET; NULL or "" → every authed request is 401 */
    const char *redis_url;       /* /api/v1/config RedisURL; NULL → 500/10001 "no configuration" */
    const char *ns;              /* /api/v1/config Namespace (without braces) */
    int idle_timeout_second;     /* /api/v1/config IdleTimeoutSecond */
    const char *job_log_dir;     /* FILE job logs <dir>/<id>.log; NULL → log route 500/10009 */
    long max_retrieve_bytes;     /* log replies send at most the last this many bytes; 0 → all */
    size_t max_body;             /* request body cap; 0 → 1 MiB (413 past it) */
    double max_memory_fraction;  /* launches get 503 once Redis used_memory reaches this share
                                    of maxmemory (berth/memguard.h); 0 → no check */
    unsigned threads;            /* HTTP threads; 0 → one per CPU, at most 4 (http.h) */
    int http_server;             /* HTTP_SERVER_* (http.h): which server answers plain HTTP */
    unsigned max_connections;    /* 0 → 1024 */
    unsigned read_timeout_s;     /* 0 → 15 */
    unsigned idle_timeout_s;     /* keep-alive idle; 0 → 60 */
    const char *tls_cert_pem;    /* both set → HTTPS; PEM text (copied) */
    const char *tls_key_pem;
    const char *tls_client_ca_pem; /* with TLS: client certificates required and verified
                                    against these PEM CAs (http.h); NULL: not asked */
    int listen_fd;               /* > 0: serve on this socket bound early (listener.h), owned
                                    by the server from the call on; 0: bind host:port */
    berth_log_fn log;            /* server messages; NULL → dropped */
    void *log_userdata;
} api_ctx;

typedef struct api_server api_server;

/* Starts serving on host:port (host NULL or "" → all interfaces; port 0 → ephemeral).
 * ctx is copied, strings included. 0, or BERTH_EINVAL / BERTH_EIO with a message in err.
 * The server is the caller's: api_server_stop. */
int api_server_start(const api_ctx *ctx, const char *host, int port, api_server **out,
                     char *err, size_t errlen);
/* The port actually bound. */
int api_server_port(const api_server *s);
/* Requests waiting for their deferred answer now (launches waiting for their batch). */
unsigned api_server_deferred(const api_server *s);
/* Stops listening, closes connections once running requests are answered, frees s.
 * NULL is a no-op. */
void api_server_stop(api_server *s);

#endif
