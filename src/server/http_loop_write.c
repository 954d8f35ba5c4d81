/* berthd's HTTP event loop: responses (http_loop.h). The head is written into the
 * connection's `out` and sent with the in-memory body in one writev, the body not copied; a
 * file body follows the head by sendfile; a streamed body is read chunk by chunk into `out`
 * (chunked encoding for HTTP/1.1, up to the close for HTTP/1.0). A stream with nothing to
 * send yet is asked again LOOP_STREAM_RETRY_MS later (the thread's timer), so the loop never
 * waits for it. Every response names the server (`Server: berthd/<version>`) and carries a
 * Date, as libmicrohttpd's did. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <time.h>

#include "berth/version.h"
#include "server/http_loop.h"
#include "server/http_stream.h"
#include "util/alloc.h"

#define STREAM_CHUNK (32 * 1024)
#define CHUNK_PREFIX 10            /* room for "%zx\r\n" before a chunk's data */

static const char *reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

static void out_reserve(lconn *c, size_t n)
{
    if (c->out_len + n <= c->out_cap)
        return;
    size_t cap = c->out_cap ? c->out_cap : 512;
    while (cap < c->out_len + n)
        cap *= 2;
    c->out = berth_realloc(c->out, cap);
    c->out_cap = cap;
}

static void out_put(lconn *c, const char *s, size_t n)
{
    out_reserve(c, n);
    memcpy(c->out + c->out_len, s, n);
    c->out_len += n;
}

static void out_puts(lconn *c, const char *s)
{
    out_put(c, s, strlen(s));
}

static void out_num(lconn *c, unsigned long long v)
{
    char tmp[BUF_DECIMAL_MAX];
    size_t n;
    char *d = buf_decimal(tmp, (long long)v, &n);
    out_put(c, d, n);
}

/* "Date: <IMF-fixdate>\r\n", written once a second per thread */
static const char *date_line(lthread *t)
{
    time_t now = time(NULL);
    if (now != t->date_s) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(t->date, sizeof t->date, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
        t->date_s = now;
    }
    return t->date;
}

#define SERVER_LINE "Server: berthd/" BERTH_VERSION "\r\n"

static void write_head(lconn *c)
{
    http_resp *r = &c->resp;
    c->out_len = c->out_off = 0;
    out_puts(c, "HTTP/1.1 ");
    out_num(c, (unsigned)r->status);
    out_put(c, " ", 1);
    out_puts(c, reason(r->status));
    out_puts(c, "\r\n" SERVER_LINE);
    for (size_t i = 0; i < r->nheaders; i++) {
        out_puts(c, r->hname[i]);
        out_put(c, ": ", 2);
        out_puts(c, r->hvalue[i]);
        out_put(c, "\r\n", 2);
    }
    if (r->stream) {
        c->chunked_out = c->head.minor == 1;
        if (c->chunked_out)
            out_puts(c, "Transfer-Encoding: chunked\r\n");
        else
            c->close_after = true;     /* HTTP/1.0: the body ends with the connection */
    } else if (r->status >= 200 && r->status != 204 && r->status != 304) {
        out_puts(c, "Content-Length: ");
        out_num(c, r->fd >= 0 ? r->fd_len : r->body.len);
        out_put(c, "\r\n", 2);
    }
    if (c->close_after)
        out_puts(c, "Connection: close\r\n");
    else if (c->head.minor == 0)
        out_puts(c, "Connection: keep-alive\r\n");
    out_puts(c, date_line(c->t));
    out_put(c, "\r\n", 2);
}

void lconn_respond(lconn *c, http_resp *r)
{
    c->resp = *r;
    http_resp_init(r);
    c->has_resp = true;
    c->body_off = 0;
    c->stream_end = false;
    write_head(c);
    if (c->head_only && c->resp.stream) {   /* HEAD: the head as for GET, no body */
        http_stream_free(c->resp.stream);
        c->resp.stream = NULL;
    }
    c->phase = LP_WRITE;
    c->deadline_ms = c->t->now_ms + (int64_t)c->t->srv->cfg.read_timeout_s * 1000;
}

void lconn_respond_raw(lconn *c, const char *text)
{
    c->out_len = c->out_off = 0;
    out_puts(c, "HTTP/1.1 ");
    out_puts(c, text);
    out_puts(c, "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
                SERVER_LINE "\r\n");
    out_puts(c, text);
    c->has_resp = false;
    c->close_after = true;
    c->phase = LP_WRITE;
    c->deadline_ms = c->t->now_ms + (int64_t)c->t->srv->cfg.read_timeout_s * 1000;
}

/* The next piece of a streamed body into out: 1 there is one (or the end), 0 not yet,
 * -1 the stream failed. */
static int stream_next(lconn *c)
{
    struct http_stream *s = c->resp.stream;
    c->out_len = c->out_off = 0;
    out_reserve(c, CHUNK_PREFIX + STREAM_CHUNK + 2);
    long n = s->read(s->cls, c->out + CHUNK_PREFIX, STREAM_CHUNK);
    if (n == HTTP_STREAM_AGAIN) {
        c->stream_retry_ms = c->t->now_ms + LOOP_STREAM_RETRY_MS;
        c->t->streams_waiting++;
        return 0;
    }
    if (n == HTTP_STREAM_END) {
        c->stream_end = true;
        if (c->chunked_out)
            out_puts(c, "0\r\n\r\n");
        return 1;
    }
    if (n < 0 || n > STREAM_CHUNK)
        return -1;
    if (!c->chunked_out) {
        c->out_off = CHUNK_PREFIX;
        c->out_len = CHUNK_PREFIX + (size_t)n;
        return 1;
    }
    char pre[CHUNK_PREFIX + 1];
    int plen = snprintf(pre, sizeof pre, "%lx\r\n", n);
    c->out_off = CHUNK_PREFIX - (size_t)plen;
    memcpy(c->out + c->out_off, pre, (size_t)plen);
    c->out_len = CHUNK_PREFIX + (size_t)n;
    memcpy(c->out + c->out_len, "\r\n", 2);
    c->out_len += 2;
    return 1;
}

/* Writes out's rest and the in-memory body: 1 all written, 0 the socket is full, -1 error */
static int write_mem(lconn *c)
{
    http_resp *r = &c->resp;
    bool mem_body = c->has_resp && !c->head_only && r->fd < 0 && !r->stream;
    for (;;) {
        size_t olen = c->out_len - c->out_off;
        size_t blen = mem_body ? r->body.len - c->body_off : 0;
        if (olen + blen == 0)
            return 1;
        struct iovec iov[2] = {{c->out + c->out_off, olen},
                               {mem_body ? r->body.p + c->body_off : NULL, blen}};
        ssize_t n = writev(c->fd, olen ? iov : iov + 1, olen ? (blen ? 2 : 1) : 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                return -1;
            c->can_write = false;
            return 0;
        }
        size_t k = (size_t)n < olen ? (size_t)n : olen;
        c->out_off += k;
        c->body_off += (size_t)n - k;
        if (!r->stream)
            c->deadline_ms = c->t->now_ms + (int64_t)c->t->srv->cfg.read_timeout_s * 1000;
    }
}

static int write_file(lconn *c)
{
    http_resp *r = &c->resp;
    while (r->fd_len > 0) {
        off_t off = (off_t)r->fd_off;
        size_t want = r->fd_len > (1u << 20) ? (1u << 20) : (size_t)r->fd_len;
        ssize_t n = sendfile(c->fd, r->fd, &off, want);
        if (n < 0 && errno == EAGAIN) {
            c->can_write = false;
            return 0;
        }
        if (n <= 0)
            return -1;         /* the file ended early, or the client left */
        r->fd_off += (uint64_t)n;
        r->fd_len -= (uint64_t)n;
        c->deadline_ms = c->t->now_ms + (int64_t)c->t->srv->cfg.read_timeout_s * 1000;
    }
    return 1;
}

int lconn_write(lconn *c)
{
    http_resp *r = &c->resp;
    if (c->stream_retry_ms)
        return 0;              /* the thread's timer asks the stream again */
    for (;;) {
        if (!c->can_write)
            return 0;
        int rc = write_mem(c);
        if (rc <= 0)
            return rc;
        if (!c->has_resp || c->head_only)
            return 1;
        if (r->fd >= 0)
            return write_file(c);
        if (!r->stream || c->stream_end)
            return 1;
        c->deadline_ms = 0;    /* a stream has no timeout: it decides when it ends */
        rc = stream_next(c);
        if (rc <= 0)
            return rc;
    }
}

void lconn_resp_free(lconn *c)
{
    http_resp_clear(&c->resp);     /* a stream's done runs here, sent or not */
    c->has_resp = false;
    c->stream_end = false;
    c->chunked_out = false;
    c->head_only = false;
    c->close_after = false;
    c->body_off = 0;
    c->out_len = c->out_off = 0;
    if (c->stream_retry_ms) {
        c->stream_retry_ms = 0;
        c->t->streams_waiting--;
    }
}
