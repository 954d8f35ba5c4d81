/* A scriptable HTTP(S) server for tests of jobs that call out (webhook and Slack receivers,
 * the Dragonfly- and Kraken-shaped preheat fakes, a forward proxy): libmicrohttpd on a free
 * loopback port, plain or TLS (GnuTLS, with a PEM key pair such as hf_make_cert makes),
 * optionally requiring client certificates (hf_start_mtls).
 * It records every request — method, target, headers in arrival order, body — and answers
 * each with what the test's handler says (status, body, content type, a delay). The
 * handler runs on the server's threads: it must only read the request and its own state
 * (under its own lock when the test changes that state). */
#ifndef BERTH_TEST_HTTP_FAKE_H
#define BERTH_TEST_HTTP_FAKE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct hf_req {
    char method[16];
    char *target;        /* the request target as sent (a proxy gets the absolute form) */
    char *headers;       /* "Name: value\n" per header line, in arrival order */
    char *query;         /* the query arguments decoded, "k=v" joined with '&' ("" if none) */
    char *body;          /* NUL-terminated; may hold NUL bytes (see body_len) */
    size_t body_len;
    long long t_ms;      /* arrival, CLOCK_MONOTONIC milliseconds (wait_now_ms) */
    char client_cn[128]; /* hf_start_mtls: the CN of the client's verified certificate */
} hf_req;

typedef struct hf_reply {
    int status;          /* 0 → 200 */
    char body[8192];     /* sent as is (strlen) */
    const char *content_type;   /* NULL → none */
    char headers[512];   /* more header lines, "Name: value\n" each (e.g. Refresh-After) */
    int delay_ms;        /* wait before answering (ends early when the server stops) */
    bool drop;           /* close the connection without an answer */
} hf_reply;

typedef void (*hf_handler)(const hf_req *req, hf_reply *out, void *ud);

typedef struct http_fake http_fake;

/* Starts a server; cert/key are PEM file paths for TLS, or NULL for plain HTTP. handler
 * NULL → 200 with an empty body. NULL if it could not start. */
http_fake *hf_start(const char *cert, const char *key, hf_handler handler, void *ud);
/* hf_start over TLS asking every client for a certificate, checked by the fake itself
 * (GnuTLS, against the CAs of the PEM file ca) on each request, as a Harbor component with
 * INTERNAL_VERIFY_CLIENT_CERT on: a request without one, or with one that does not verify,
 * is dropped unanswered and unrecorded, and counted by hf_refused. */
http_fake *hf_start_mtls(const char *cert, const char *key, const char *ca, hf_handler handler,
                         void *ud);
/* Requests hf_start_mtls's check dropped. */
size_t hf_refused(http_fake *f);
/* Stops (ending delayed answers) and frees; NULL is a no-op. */
void hf_stop(http_fake *f);
int hf_port(const http_fake *f);
/* Requests received so far (answered or not). */
size_t hf_count(http_fake *f);
/* Waits until at least n requests arrived, up to ms; returns the count. */
size_t hf_wait(http_fake *f, size_t n, int ms);
/* A copy of request i (0-based) in *out; free with hf_req_free. -1 when there is none. */
int hf_get(http_fake *f, size_t i, hf_req *out);
void hf_req_free(hf_req *r);
/* Number of header lines "name: value" exactly (name case-insensitive) in r. */
int hf_header_count(const hf_req *r, const char *name, const char *value);
/* The first value of header name (case-insensitive) copied into out, or NULL. */
const char *hf_header(const hf_req *r, const char *name, char *out, size_t outlen);

/* Writes a self-signed certificate for CN=localhost, IP 127.0.0.1, and its key, as
 * <dir>/cert.pem and <dir>/key.pem with the openssl command; fills the paths. 0 or -1. */
int hf_make_cert(const char *dir, char *cert, size_t certlen, char *key, size_t keylen);

#endif
