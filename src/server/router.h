/* Routing by method and path, as Harbor's gorilla/mux router answers (spec §2.4):
 *   - a pattern is a literal path whose segments may be `{job_id}`, which matches one
 *     non-empty segment (never a `/`); the matched text is handed over in req->job_id;
 *   - a path that is not clean (`//`, `.` or `..` segments) gets 301 with Location = the
 *     clean path (Go's path.Clean, trailing slash kept) plus the original query;
 *   - a path some route matches, but with another method: 405, empty body;
 *   - no route matches the path: 404, `404 page not found\n` as text/plain.
 * The table is the caller's and read-only: routing is thread-safe. */
#ifndef BERTH_SERVER_ROUTER_H
#define BERTH_SERVER_ROUTER_H

#include <stddef.h>

#include "server/http.h"

typedef struct route {
    const char *method;        /* exact, e.g. "GET" */
    const char *pattern;       /* e.g. "/api/v1/jobs/{job_id}/log" */
    http_handler_fn fn;
} route;

/* Answers req through the first route whose pattern and method match, or as above. */
void router_dispatch(const route *routes, size_t n, const http_req *req, http_resp *resp,
                     void *ctx);
/* gorilla/mux's cleanPath: "" → "/", a leading "/" added, Go's path.Clean, and a trailing
 * "/" kept when the input had one. The result is the caller's (berth_free); NULL when
 * memory ran out. */
char *router_clean_path(const char *path);

#endif
