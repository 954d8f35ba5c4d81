/* One HTTP request of a built-in job (WEBHOOK, SLACK, P2P_PREHEAT), on a libcurl easy
 * handle made for the request, behaving on the wire as Harbor's Go client does:
 *   - only the headers the caller gives, plus Host, Content-Length and, when the caller
 *     did not set them, `User-Agent: Go-http-client/1.1` and `Accept-Encoding: gzip`
 *     (a gzip reply is decoded, as Go's transport does); libcurl's own `Accept: * / *`,
 *     form Content-Type and `Expect: 100-continue` are suppressed;
 *   - redirects followed as Go's default client (at most 10; 301/302/303 turn a POST into
 *     a GET, 307/308 repeat it; credentials are not sent to another host);
 *   - the proxy chosen by the URL's scheme, loopback never proxied (Go's ProxyFromEnvironment);
 *   - a whole-request timeout; TLS verification unless `insecure`;
 *   - errors worded as Go's url.Error: `Post "<url>": <cause>`.
 * A stop of the job (berth_ctx_op_command) or the engine's shutdown aborts the transfer
 * within about a second (JHTTP_STOPPED).
 *
 * Ownership: the caller owns every input; jhttp_resp_free frees the reply. No shared state:
 * any number of threads may call jhttp_do at once (curl_global_init is the engine's). */
#ifndef BERTH_JOBS_JHTTP_H
#define BERTH_JOBS_JHTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "berth/context.h"
#include "util/buf.h"

/* jhttp_do's result besides 0 and BERTH_* codes: the job was asked to stop. */
#define JHTTP_STOPPED 1

typedef struct jhttp_header {
    const char *name;
    const char *value;
} jhttp_header;

typedef struct jhttp_req {
    const char *method;          /* "GET" or "POST" */
    const char *url;
    const char *body;            /* POST body (may hold NUL bytes), or NULL */
    size_t body_len;
    const jhttp_header *headers; /* the complete header set, in order; names/values checked */
    size_t n_headers;
    bool insecure;               /* do not verify the server's certificate */
    bool internal_tls;           /* present berthd's certificate and trust the internal CA
                                    (util/internal_tls.h): a call to a Harbor component */
    long timeout_ms;             /* whole request; <= 0: none (Go's zero Timeout) */
    const char *http_proxy;      /* for http:// URLs; NULL or "": direct */
    const char *https_proxy;     /* for https:// URLs */
    const char *no_proxy;        /* NO_PROXY list; loopback is always direct */
    size_t max_reply;            /* reply bytes kept; the rest is read and dropped */
    berth_ctx *ctx;              /* the run: its stop aborts the request; may be NULL */
} jhttp_req;

typedef struct jhttp_resp {
    long status;                 /* final HTTP status; 0 when none arrived */
    char status_text[128];       /* Go's Response.Status: "500 Internal Server Error" */
    buf body;                    /* up to max_reply bytes, NUL-terminated */
    bool truncated;              /* the body was longer than max_reply */
    char final_url[2048];        /* the URL of the final response (after redirects) */
} jhttp_resp;

/* Sends the request. 0 when a response arrived (whatever its status; see out->status);
 * JHTTP_STOPPED when the job was asked to stop; BERTH_EIO with Go's url.Error wording in
 * err (`Post "<url>": <cause>`) when the request could not be made or no response came
 * (including a bad header name or value, an unsupported scheme, a timeout). out is always
 * initialised: free it with jhttp_resp_free. */
int jhttp_do(const jhttp_req *r, jhttp_resp *out, char *err, size_t errlen);
void jhttp_resp_free(jhttp_resp *r);

/* Go's http.NewRequest check of a URL: 0, or BERTH_EINVAL with `parse "<url>": <cause>` in
 * err (a control character anywhere, or an http(s) URL curl cannot parse). A URL of
 * another scheme passes here and fails in jhttp_do, as in Go. */
int jhttp_check_url(const char *url, char *err, size_t errlen);

/* Go's method word in url.Error: "Post", "Get", ... */
const char *jhttp_go_method(const char *method);

#endif
