/* HTTP/1.1 requests read from bytes (RFC 9112): the request head, chunked bodies, and the
 * request target's path and query, for berthd's own event loop (http_loop.c).
 *
 * Pure functions over the caller's buffers: no allocation, no I/O, no locks, no globals, so
 * any thread may call them on its own buffers. The head parser rewrites the head's bytes in
 * place (NULs after the method, the target, each header name and value) only when it
 * returns HTTP_PARSE_DONE; every pointer it hands out points into the caller's buffer and
 * lives as long as that buffer's bytes. Decoding follows what libmicrohttpd did for Berth
 * before (the path's %xx decoded, '+' kept; a query argument's %xx and '+' decoded), so
 * handlers see the same strings whichever server read the request.
 *
 * Fuzzed by tests/fuzz/fuzz_http_parse.c (any bytes, split at any points, must give the
 * same result as in one piece, and never read or write outside the buffer). */
#ifndef BERTH_SERVER_HTTP_PARSE_H
#define BERTH_SERVER_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_PARSE_MORE 0     /* more bytes are needed; nothing was written */
#define HTTP_PARSE_DONE 1     /* complete */
/* Errors are negative HTTP statuses to answer before closing the connection:
 * -400 malformed, -431 head larger than the caller's limit, -501 a transfer coding other
 * than chunked, -505 a version other than HTTP/1.0 or HTTP/1.1. */

#define HTTP_PARSE_MAX_HEADERS 64   /* more header fields than this: -431 */

typedef struct http_header {
    const char *name;         /* as sent (case kept), NUL-terminated */
    const char *value;        /* leading and trailing spaces/tabs removed, NUL-terminated */
} http_header;

typedef struct http_head {
    const char *method;       /* the method token, e.g. "POST" */
    const char *target;       /* the raw request target, e.g. "/api/v1/jobs?x=1" */
    unsigned minor;           /* HTTP/1.<minor>: 0 or 1 */
    http_header hdr[HTTP_PARSE_MAX_HEADERS];
    size_t nhdr;
    bool has_length;          /* a valid Content-Length (repeats must agree, else -400) */
    uint64_t content_length;
    bool chunked;             /* Transfer-Encoding ends in chunked (with Content-Length: -400) */
    bool keep_alive;          /* HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
                                 "Connection: keep-alive" */
    bool expect_continue;     /* "Expect: 100-continue" */
    size_t head_len;          /* bytes the head took, up to and including its empty line */
} http_head;

/* Parses the request head at the start of buf[0, len). *scanned is the caller's resume
 * point: 0 for a new request, then left as the parser sets it across HTTP_PARSE_MORE
 * returns on the same, growing buffer, so a head that arrives a byte at a time costs linear
 * time. Empty lines before the request line are skipped (RFC 9112 §2.2) and count in
 * head_len. Returns HTTP_PARSE_DONE (out filled, the head rewritten in place),
 * HTTP_PARSE_MORE (no complete head yet and len < max_head), or a negative status (above);
 * -431 as soon as max_head bytes hold no complete head. */
int http_parse_head(char *buf, size_t len, size_t max_head, size_t *scanned, http_head *out);

/* The first value of header `name` (case-insensitive), or NULL. */
const char *http_head_get(const http_head *h, const char *name);

/* Chunked body decoding, incremental and in place. Zero-initialise (or http_chunked_init)
 * per body; its fields are the decoder's own. */
typedef struct http_chunked {
    int state;
    uint64_t left;            /* data bytes left in the current chunk */
    size_t line;              /* bytes of the current size or trailer line seen so far */
} http_chunked;

void http_chunked_init(http_chunked *c);

/* Decodes buf[0, len): the data bytes found are moved to the front of buf and *data_len
 * gets their count; *consumed gets the input bytes used (the caller drops them and keeps
 * the rest for the next call or the next request). Chunk extensions and trailer fields are
 * read and dropped; a size or trailer line longer than 4 KiB is -400. Returns
 * HTTP_PARSE_DONE after the last chunk's trailers ended (*consumed stops right after
 * them), HTTP_PARSE_MORE when it needs more input, or -400. */
int http_chunked_decode(http_chunked *c, char *buf, size_t len, size_t *consumed,
                        size_t *data_len);

/* The target's path (up to '?' or '#'), with %xx decoded ('+' kept, a '%' not followed by
 * two hex digits kept as it is), written NUL-terminated to dst. Returns its length, or -1
 * when it does not fit in dstlen (a decoded path is never longer than the target). */
long http_target_path(const char *target, char *dst, size_t dstlen);

/* Query argument `name` of target (the first when repeated), with %xx and '+' decoded,
 * written NUL-terminated to dst: returns dst; NULL when absent, when it has no '=' (as
 * libmicrohttpd: a valueless argument has no value) or when it does not fit in dstlen. */
const char *http_target_query(const char *target, const char *name, char *dst, size_t dstlen);

#endif
