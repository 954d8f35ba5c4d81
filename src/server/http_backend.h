/* Internal to the HTTP server: the two backends behind http.h and what they share.
 *
 * http.c checks and completes the configuration, picks the backend (libmicrohttpd for
 * HTTPS and when asked for, berthd's own event loop otherwise: http_loop.c) and sends
 * every public call on to it. A backend's http_server, the state behind each of its
 * requests (http_req.state_) and each of its http_defer handles all begin with a pointer
 * to the backend's ops, which is how http.c finds them. */
#ifndef BERTH_SERVER_HTTP_BACKEND_H
#define BERTH_SERVER_HTTP_BACKEND_H

#include "server/http.h"

typedef struct http_ops {
    const char *(*query)(const http_req *req, const char *name);
    const char *(*header)(const http_req *req, const char *name);
    http_defer *(*defer)(const http_req *req, http_answer_fn answer, void *arg);
    void (*ready)(http_defer *d);
    void *(*thread)(const http_req *req);   /* http_req_thread */
    int (*port)(const http_server *s);
    unsigned (*deferred)(const http_server *s);   /* http_server_deferred */
    void (*stop)(http_server *s);
} http_ops;

/* cfg is checked and has its defaults (http.c); the contract is http_server_start's. */
int http_mhd_start(const http_config *cfg, http_server **out, char *err, size_t errlen);
int http_loop_start(const http_config *cfg, http_server **out, char *err, size_t errlen);

/* Fills a fresh response with the 413 of a body over max_body: Harbor's error body (code
 * 10000, "request body is larger than N bytes"), as text/plain as Harbor sends it. */
void http_resp_too_big(http_resp *r, size_t max_body);

#endif
