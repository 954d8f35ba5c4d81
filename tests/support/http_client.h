/* A tiny HTTP client for black-box API tests, on one libcurl easy handle per hc: requests
 * made through the same hc reuse its connection (keep-alive), as Harbor core's client does.
 * Paths are sent as given (CURLOPT_PATH_AS_IS), so `..` and `//` reach the server. */
#ifndef BERTH_TEST_HTTP_CLIENT_H
#define BERTH_TEST_HTTP_CLIENT_H

#include <stddef.h>

typedef struct hc {
    void *curl;            /* CURL * */
    int port;
} hc;

typedef struct hc_resp {
    long status;           /* 0 when the request failed at the transport level */
    char *body;            /* NUL-terminated, never NULL after hc_do */
    size_t len;
    char *headers;         /* the raw header block of the final response */
    long num_connects;     /* new connections this request opened (0 = reused) */
} hc_resp;

/* Sets up a client for 127.0.0.1:port. */
void hc_init(hc *c, int port);
void hc_cleanup(hc *c);

/* Sends method path (with query) to the server. auth: the Authorization header value, ""
 * for an empty header, NULL for none. body may be NULL. chunked: send the body with
 * Transfer-Encoding: chunked instead of Content-Length. Returns 0, or -1 on a transport
 * error (out->status 0). Free out with hc_resp_free. */
int hc_do(hc *c, const char *method, const char *path, const char *auth, const char *body,
          size_t body_len, int chunked, hc_resp *out);
/* Shorthands: GET, and POST of a NUL-terminated body (Content-Type: application/json). */
int hc_get(hc *c, const char *path, const char *auth, hc_resp *out);
int hc_post(hc *c, const char *path, const char *auth, const char *body, hc_resp *out);

/* Value of response header name (case-insensitive) copied into out, or NULL if absent. */
const char *hc_header(const hc_resp *r, const char *name, char *out, size_t outlen);
void hc_resp_free(hc_resp *r);
/* Polls GET /healthz on 127.0.0.1:port (wait_until_every, 25 ms) until it answers 200 or
 * ms pass; 1 when it did. Deadlines are upper bounds: a slow (sanitized, loaded) start
 * only waits longer. */
int hc_wait_healthy(int port, int ms);

#endif
