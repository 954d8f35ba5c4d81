/* berthd's HTTP event loop: one connection's requests, read and handed to the handler
 * (http_loop.h). A connection's buffer `in` holds the request head and, right after it, the
 * body (a chunked body decoded in place), then whatever the client pipelined after; the
 * http_req the handler gets points into it, so nothing is copied. The byte after the body is
 * saved and replaced by the body's NUL until the request ends. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/http_loop.h"
#include "util/alloc.h"

#define LOOP_CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"

/* Go's answers to a request it cannot read (net/http server.go), then the connection closes */
static const char *bad_request_text(int rc)
{
    switch (rc) {
    case -431:
        return "431 Request Header Fields Too Large";
    case -501:
        return "501 Not Implemented: unsupported transfer encoding";
    case -505:
        return "505 HTTP Version Not Supported: unsupported protocol version";
    default:
        return "400 Bad Request";
    }
}

/* Grows in to at least need bytes, moving the head's pointers with it. */
static void in_reserve(lconn *c, size_t need)
{
    if (need <= c->in_cap)
        return;
    size_t cap = c->in_cap ? c->in_cap : LOOP_IN_START;
    while (cap < need)
        cap *= 2;
    ptrdiff_t off[2 + 2 * HTTP_PARSE_MAX_HEADERS] = {0};
    http_head *h = &c->head;
    size_t n = 0;
    if (c->have_req) {
        off[n++] = h->method - c->in;
        off[n++] = h->target - c->in;
        for (size_t i = 0; i < h->nhdr; i++) {
            off[n++] = h->hdr[i].name - c->in;
            off[n++] = h->hdr[i].value - c->in;
        }
    }
    c->in = berth_realloc(c->in, cap);
    c->in_cap = cap;
    if (c->have_req) {
        n = 0;
        h->method = c->in + off[n++];
        h->target = c->in + off[n++];
        for (size_t i = 0; i < h->nhdr; i++) {
            h->hdr[i].name = c->in + off[n++];
            h->hdr[i].value = c->in + off[n++];
        }
    }
}

/* Reads what the socket has into in (room for at least `want` more bytes): > 0 bytes read,
 * 0 would block, -1 the client closed or failed (c is closed). */
static ssize_t in_read(lconn *c, size_t want)
{
    in_reserve(c, c->in_len + want + 1);
    ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1, 0);
    if (n > 0) {
        /* a short read emptied the socket: edge-triggered, new bytes bring a new event */
        c->can_read = (size_t)n == c->in_cap - c->in_len - 1;
        c->in_len += (size_t)n;
        return n;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        c->can_read = errno == EINTR;
        return 0;
    }
    lconn_close(c);
    return -1;
}

static void bad_request(lconn *c, int rc)
{
    lconn_respond_raw(c, bad_request_text(rc));
}

static void dispatch(lconn *c);

/* The head is in: the body's framing, an announced body too big, 100-continue. */
static void on_head(lconn *c)
{
    const http_config *cfg = &c->t->srv->cfg;
    http_head *h = &c->head;
    c->have_req = true;
    c->req_end = h->head_len;      /* until the body is read (an early answer drops it) */
    c->saved = c->in[c->req_end];
    size_t tlen = strlen(h->target);
    c->path = berth_malloc(tlen + 1);
    if (http_target_path(h->target, c->path, tlen + 1) < 0) {
        bad_request(c, -400);
        return;
    }
    c->head_only = strcmp(h->method, "HEAD") == 0;
    c->close_after = !h->keep_alive;
    c->body_len = 0;
    c->raw_off = h->head_len;
    http_chunked_init(&c->ch);
    c->deadline_ms = c->t->now_ms + (int64_t)cfg->read_timeout_s * 1000;
    if (h->has_length && h->content_length > cfg->max_body) {
        c->close_after = true;    /* answered before the body; the connection closes */
        http_resp r;
        http_resp_too_big(&r, cfg->max_body);
        lconn_respond(c, &r);
        return;
    }
    bool body = h->chunked || (h->has_length && h->content_length > 0);
    if (body && h->expect_continue && h->minor == 1 && c->in_len == h->head_len)
        (void)!send(c->fd, LOOP_CONTINUE, sizeof LOOP_CONTINUE - 1, MSG_NOSIGNAL);
    if (h->has_length)
        in_reserve(c, h->head_len + h->content_length + 1);
    c->phase = LP_BODY;
}

/* Decodes the chunked input in [raw_off, in_len) to the body's end; 1 the body is complete,
 * 0 more input needed, -1 malformed (answered). */
static int chunked_step(lconn *c)
{
    const http_config *cfg = &c->t->srv->cfg;
    size_t body_at = c->head.head_len;
    for (;;) {
        size_t consumed = 0, data = 0;
        int rc = http_chunked_decode(&c->ch, c->in + c->raw_off, c->in_len - c->raw_off,
                                     &consumed, &data);
        if (rc < 0) {
            bad_request(c, rc);
            return -1;
        }
        if (!c->too_big && c->body_len + data > cfg->max_body)
            c->too_big = true;         /* the rest is read and dropped, then 413 */
        if (c->too_big)
            data = 0;
        memmove(c->in + body_at + c->body_len, c->in + c->raw_off, data);
        c->body_len += data;
        size_t rest = c->in_len - c->raw_off - consumed;
        memmove(c->in + body_at + c->body_len, c->in + c->raw_off + consumed, rest);
        c->raw_off = body_at + c->body_len;
        c->in_len = c->raw_off + rest;
        if (rc == HTTP_PARSE_DONE) {
            c->req_end = c->raw_off;
            return 1;
        }
        if (consumed == 0 || rest == 0)
            return 0;
    }
}

/* 1 the body is complete, 0 more input needed, -1 answered already. */
static int body_step(lconn *c)
{
    http_head *h = &c->head;
    if (h->chunked)
        return chunked_step(c);
    uint64_t want = h->has_length ? h->content_length : 0;
    if (c->in_len - h->head_len < want)
        return 0;
    c->body_len = (size_t)want;
    c->req_end = h->head_len + (size_t)want;
    return 1;
}

/* How much to read next in this phase. */
static size_t read_want(const lconn *c)
{
    if (c->phase != LP_BODY)
        return LOOP_IN_START / 2;
    if (!c->head.chunked)
        return (size_t)(c->head.head_len + c->head.content_length - c->in_len);
    return c->in_cap - c->in_len > 4096 ? 4096 : 16384;
}

/* Reads the head and body as far as the bytes go. 1: a request is complete (dispatched
 * next), 0: waiting for bytes, -1: answered or closed. */
static int read_step(lconn *c)
{
    for (;;) {
        if (c->phase == LP_IDLE && c->in_len > 0) {
            c->phase = LP_HEAD;
            c->deadline_ms = c->t->now_ms + (int64_t)c->t->srv->cfg.read_timeout_s * 1000;
        }
        if (c->phase == LP_HEAD && c->in_len > 0) {
            int rc = http_parse_head(c->in, c->in_len, LOOP_MAX_HEAD, &c->scanned, &c->head);
            if (rc < 0) {
                bad_request(c, rc);
                return -1;
            }
            if (rc == HTTP_PARSE_DONE) {
                on_head(c);
                if (c->phase != LP_BODY)
                    return -1;
            }
        }
        if (c->phase == LP_BODY) {
            int rc = body_step(c);
            if (rc != 0)
                return rc;
        }
        if (!c->can_read)
            return 0;
        ssize_t n = in_read(c, read_want(c));
        if (n < 0)
            return -1;
    }
}

static void req_fill(lconn *c, http_req *req)
{
    *req = (http_req){.method = c->head.method, .path = c->path, .uri = c->head.target,
                      .body = c->in + c->head.head_len, .body_len = c->body_len,
                      .conn_ = c, .state_ = c};
}

static void dispatch(lconn *c)
{
    loop_server *s = c->t->srv;
    c->saved = c->in[c->req_end];
    c->in[c->head.head_len + c->body_len] = '\0';
    if (c->too_big) {
        http_resp r;
        http_resp_too_big(&r, s->cfg.max_body);
        lconn_respond(c, &r);
        return;
    }
    c->deadline_ms = 0;
    http_req req;
    req_fill(c, &req);
    http_resp r;
    http_resp_init(&r);
    s->cfg.handler(&req, &r, s->cfg.ctx);
    if (!c->deferred) {
        lconn_respond(c, &r);
        return;
    }
    http_resp_clear(&r);
    c->phase = LP_DEFERRED;
    pthread_mutex_lock(&c->t->mu);
    bool ready = c->ready;
    c->waiting = !ready;
    pthread_mutex_unlock(&c->t->mu);
    if (ready)
        lconn_answer(c);
}

void lconn_answer(lconn *c)
{
    http_req req;
    req_fill(c, &req);
    http_resp r;
    http_resp_init(&r);
    c->answered = true;
    c->answer(&req, &r, c->answer_arg);
    loop_answered(c->t->srv);
    if (c->fd < 0) {              /* the client has gone: drop it, free c */
        http_resp_clear(&r);
        c->phase = LP_WRITE;
        c->rnext = c->t->dead;
        c->t->dead = c;
        return;
    }
    lconn_respond(c, &r);
}

void lconn_end_request(lconn *c)
{
    lconn_free_strs(c);
    berth_free(c->path);
    c->path = NULL;
    if (!c->have_req)
        return;
    c->in[c->req_end] = c->saved;
    size_t rest = c->in_len - c->req_end;
    memmove(c->in, c->in + c->req_end, rest);
    c->in_len = rest;
    c->have_req = false;
    c->scanned = 0;
    c->deferred = c->answered = c->ready = c->too_big = false;
    c->answer = NULL;
    if (c->in_cap > 4 * LOOP_MAX_HEAD && rest < LOOP_IN_START) {
        c->in = berth_realloc(c->in, LOOP_IN_START);
        c->in_cap = LOOP_IN_START;
    }
}

/* After a response: the next request, or the close. */
static void next_request(lconn *c)
{
    bool close_after = c->close_after;
    lconn_end_request(c);
    lconn_resp_free(c);
    if (close_after) {
        shutdown(c->fd, SHUT_WR);   /* then read and drop until the client closes */
        c->phase = LP_LINGER;
        c->deadline_ms = c->t->now_ms + LOOP_LINGER_MS;
        return;
    }
    c->phase = LP_IDLE;
    c->deadline_ms = c->t->now_ms + (int64_t)c->t->srv->cfg.idle_timeout_s * 1000;
}

static void linger(lconn *c)
{
    char tmp[4096];
    for (;;) {
        ssize_t n = recv(c->fd, tmp, sizeof tmp, 0);
        if (n > 0)
            continue;
        if (n < 0 && errno == EAGAIN) {
            c->can_read = false;
            return;
        }
        lconn_close(c);
        return;
    }
}

void lconn_run(lconn *c)
{
    while (c->fd >= 0) {
        switch (c->phase) {
        case LP_IDLE:
        case LP_HEAD:
        case LP_BODY: {
            int rc = read_step(c);
            if (rc == 0)
                return;
            if (rc > 0)
                dispatch(c);
            break;
        }
        case LP_DEFERRED:
            return;
        case LP_WRITE: {
            int rc = lconn_write(c);
            if (rc < 0)
                lconn_close(c);
            else if (rc == 0)
                return;
            else
                next_request(c);
            break;
        }
        case LP_LINGER:
            if (c->can_read)
                linger(c);
            return;
        }
    }
}
