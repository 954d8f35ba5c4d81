/* The HTTP server's public calls (http.h), sent on to the backend that serves: berthd's own
 * event loop (http_loop.c) for plain HTTP, libmicrohttpd (http_mhd.c) for HTTPS and when
 * the configuration asks for it (berth.http_server). Kept apart from both backends so the
 * fuzz build can supply http_req_query and http_req_header itself (CMakeLists.txt). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth/error.h"
#include "model/api_error.h"
#include "server/http.h"
#include "server/http_backend.h"

static const http_ops *ops_of(const void *obj)
{
    return *(const http_ops *const *)obj;
}

const char *http_req_query(const http_req *req, const char *name)
{
    return ops_of(req->state_)->query(req, name);
}

const char *http_req_header(const http_req *req, const char *name)
{
    return ops_of(req->state_)->header(req, name);
}

http_defer *http_req_defer(const http_req *req, http_answer_fn answer, void *arg)
{
    return ops_of(req->state_)->defer(req, answer, arg);
}

void *http_req_thread(const http_req *req)
{
    return ops_of(req->state_)->thread(req);
}

void http_defer_ready(http_defer *d)
{
    ops_of(d)->ready(d);
}

int http_server_port(const http_server *s)
{
    return ops_of(s)->port(s);
}

unsigned http_server_deferred(const http_server *s)
{
    return ops_of(s)->deferred(s);
}

void http_server_stop(http_server *s)
{
    if (s)
        ops_of(s)->stop(s);
}

void http_resp_too_big(http_resp *r, size_t max_body)
{
    http_resp_init(r);
    char details[96];
    snprintf(details, sizeof details, "request body is larger than %zu bytes", max_body);
    r->status = 413;
    http_resp_header(r, "Content-Type", "text/plain; charset=utf-8");
    berth_api_error_body(BERTH_API_READ_BODY, details, &r->body);
}

static void apply_defaults(http_config *c)
{
    if (!c->threads) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        c->threads = cpus < 1 ? 1 : cpus > 4 ? 4 : (unsigned)cpus;
    }
    if (!c->max_connections)
        c->max_connections = 1024;
    if (!c->read_timeout_s)
        c->read_timeout_s = 15;
    if (!c->idle_timeout_s)
        c->idle_timeout_s = 60;
    if (!c->max_body)
        c->max_body = (size_t)1 << 20;
    if (c->server == HTTP_SERVER_DEFAULT) {
        const char *env = getenv("BERTH_HTTP_SERVER");
        c->server = env && strcmp(env, "libmicrohttpd") == 0 ? HTTP_SERVER_MHD
                    : env && strcmp(env, "builtin") == 0   ? HTTP_SERVER_BUILTIN
                                                            : HTTP_SERVER_DEFAULT_IS;
    }
}

int http_server_start(const http_config *cfg, http_server **out, char *err, size_t errlen)
{
    *out = NULL;
    const char *why = NULL;
    if (!cfg->handler || cfg->port < 0 || cfg->port > 65535 || cfg->server < 0 ||
        cfg->server > HTTP_SERVER_MHD)
        why = "invalid HTTP server configuration";
    else if (!cfg->tls_cert_pem != !cfg->tls_key_pem)
        why = "HTTPS needs both a certificate and a key";
    if (why) {
        snprintf(err, errlen, "%s", why);
        if (cfg->listen_fd > 0)
            close(cfg->listen_fd);
        return BERTH_EINVAL;
    }
    http_config c = *cfg;
    apply_defaults(&c);
    if (c.tls_cert_pem || c.server == HTTP_SERVER_MHD)
        return http_mhd_start(&c, out, err, errlen);
    return http_loop_start(&c, out, err, errlen);
}
