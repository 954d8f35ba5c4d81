/* The HTTP server, so that request handlers are plain functions
 * `void handler(const http_req *req, http_resp *resp, void *ctx)`.
 *
 * Two backends serve this interface (http.c chooses, http_backend.h): berthd's own event
 * loop for plain HTTP (http_loop.c: `threads` epoll threads sharing the listening socket,
 * docs/design-notes.md "HTTP launches, round four"), and libmicrohttpd (http_mhd.c) for
 * HTTPS and when http_config.server asks for it (berth.http_server: libmicrohttpd). Both
 * behave as described here. For every request the server reads the whole body into a
 * capped buffer and calls the handler once, then sends the response; a connection stays on
 * one thread. A body over max_body gets 413 with Harbor's error JSON (code 10000): at once
 * when Content-Length announces it (the connection is then closed), else after the rest of
 * the upload was read and dropped (the connection is kept). Request heads over 32 KiB
 * (libmicrohttpd's connection memory) are refused with 431.
 *
 * Timeouts: a connection idle between requests is closed after idle_timeout_s; while a
 * request is being read or its response written, a stall of read_timeout_s closes it. The
 * request headers must be complete within read_timeout_s of the connection opening (of the
 * request line, for a later request on a kept-alive connection) however steadily they
 * trickle in, and the whole body within read_timeout_s of the headers. Connections past
 * max_connections are closed at once.
 *
 * Handlers run on the server's threads, several at a time: they must be thread-safe and
 * should not block for long (each blocks the other connections of its thread); one that
 * waits for other work defers its answer (http_req_defer below). On the event loop, work
 * can also be kept on the handler's own thread and answered there (http_thread_hooks). */
#ifndef BERTH_SERVER_HTTP_H
#define BERTH_SERVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "berth/log.h"
#include "util/buf.h"

/* One request, valid only during the handler call. */
typedef struct http_req {
    const char *method;     /* "GET", "POST", ... */
    const char *path;       /* percent-decoded path, without the query */
    const char *uri;        /* the request target exactly as received (path + "?" + query) */
    const char *body;       /* the whole body, NUL-terminated ("" when none) */
    size_t body_len;
    const char *job_id;     /* the {job_id} path segment when the router matched one */
    void *conn_;            /* internal: the backend's connection */
    void *state_;           /* internal: the backend's request state (http_backend.h) */
} http_req;

/* Query argument (decoded; the first when repeated), or NULL when absent or valueless. */
const char *http_req_query(const http_req *req, const char *name);
/* Request header (case-insensitive name; the first when repeated), or NULL. */
const char *http_req_header(const http_req *req, const char *name);

#define HTTP_RESP_MAX_HEADERS 8

/* A response under construction. The wrapper makes it (status 200, no body, no headers) and
 * sends it after the handler returns; everything in it is the wrapper's to free. */
typedef struct http_resp {
    int status;
    buf body;                                /* capped at HTTP_RESP_MAX_BODY */
    char *hname[HTTP_RESP_MAX_HEADERS];      /* owned copies */
    char *hvalue[HTTP_RESP_MAX_HEADERS];
    size_t nheaders;
    int fd;                                  /* when >= 0: body is fd[off, off+len) */
    uint64_t fd_off, fd_len;
    struct http_stream *stream;              /* when set: the body is streamed (below) */
} http_resp;

/* Largest in-memory response body (job lists, logs go by fd). */
#define HTTP_RESP_MAX_BODY ((size_t)256 << 20)

void http_resp_init(http_resp *r);
/* Frees headers, body, and closes fd if set. */
void http_resp_clear(http_resp *r);
/* Adds a header (copies both); extra headers past HTTP_RESP_MAX_HEADERS are dropped. */
void http_resp_header(http_resp *r, const char *name, const char *value);
/* Sets status and Go's success headers for JSON: Content-Type and Accept application/json.
 * The handler appends the body to r->body. */
void http_resp_json(http_resp *r, int status);
/* Sets status, `Content-Type: text/plain; charset=utf-8`, and the body text. */
void http_resp_text(http_resp *r, int status, const char *text);
/* Sets status and a body read from fd at [off, off+len) (the response owns fd from here). */
void http_resp_file(http_resp *r, int status, int fd, uint64_t off, uint64_t len);

/* Streamed bodies (a log followed while the job runs), sent with chunked encoding
 * (HTTP/1.0 clients get the body up to a closed connection). read fills dst with up to max
 * bytes and returns how many (> 0); HTTP_STREAM_AGAIN when nothing is ready yet (read must
 * not wait: it runs on an HTTP thread whose other connections wait meanwhile; the server
 * asks again about HTTP_STREAM_RETRY_MS later — the event loop with a timer, the
 * libmicrohttpd backend by waiting that long on its thread, as libmicrohttpd would ask
 * again at once); HTTP_STREAM_END at the end; HTTP_STREAM_ERROR to
 * drop the connection. done(cls) is called exactly once: when the response ends or the
 * client goes away, or by http_resp_clear if it is never sent. While a stream is sent the
 * connection has no inactivity timeout: the stream decides when it ends. */
#define HTTP_STREAM_AGAIN 0
#define HTTP_STREAM_END (-1)
#define HTTP_STREAM_ERROR (-2)
#define HTTP_STREAM_RETRY_MS 50
typedef long (*http_stream_read_fn)(void *cls, char *dst, size_t max);
void http_resp_stream(http_resp *r, int status, http_stream_read_fn read,
                      void (*done)(void *cls), void *cls);

typedef void (*http_handler_fn)(const http_req *req, http_resp *resp, void *ctx);

/* Deferred answers: a handler whose answer waits for work done elsewhere (a launch waiting
 * for its batch script) calls http_req_defer and returns. The wrapper then suspends the
 * connection (no HTTP thread waits, the thread serves its other connections). When the work
 * is done, any thread calls http_defer_ready once; the server calls answer(req, resp, arg)
 * on the connection's HTTP thread to fill the response, which it then sends (resp is
 * filled as by a handler). Readied on the connection's own thread (a thread hook's work),
 * the answer runs in the same turn of the loop, without waking anything. answer is called exactly
 * once per deferral, also when the client has gone meanwhile (its response is then
 * dropped), so it may free arg. A deferred request has no timeout: the work must end.
 * http_server_stop waits for every deferred request to be answered before it closes the
 * connections, so the work must end without the server's help (or with the thread hooks').
 * NULL when the server is stopping: the handler then answers at once. */
typedef struct http_defer http_defer;
typedef void (*http_answer_fn)(const http_req *req, http_resp *resp, void *arg);
http_defer *http_req_defer(const http_req *req, http_answer_fn answer, void *arg);
/* Any thread, once per deferral: the answer is ready (see http_req_defer). */
void http_defer_ready(http_defer *d);

/* Per-thread hooks (berthd's own event loop only; libmicrohttpd has no loop of ours to
 * hook, and ignores them): work the application keeps on each loop thread, such as one
 * berth_launcher per thread, which batches that thread's launches and answers them on it.
 *
 * On each loop thread, before it serves, start(th, ctx) returns the thread's state (NULL:
 * none, and no other hook runs on that thread). Handlers get it with http_req_thread. At
 * the end of every turn of the loop (after the turn's events, the answers they readied on
 * this thread and the timeouts), turn(state) runs, and again while it readies more answers
 * on the thread. timeout_ms(state), when set, is asked before every wait: the thread turns
 * within that many milliseconds even if nothing happens (-1: no deadline). http_thread_watch
 * adds a descriptor of the application's to the thread's wait.
 *
 * Stop order (http_server_stop): new deferrals are refused (the handler answers at once),
 * then the stop waits until every deferred request is answered while the threads keep
 * turning (hooks, watches and deadlines included: a launcher answers its batches); then
 * each thread leaves its loop and runs stop(state) on itself, where the state must answer
 * or drop what it still holds (berth_launcher_free, which blocks until its launches are
 * answered), then frees it; connections and the listener close after every thread ended. */
typedef struct http_thread http_thread;

typedef struct http_thread_hooks {
    void *(*start)(http_thread *th, void *ctx);
    void (*turn)(void *state);
    int (*timeout_ms)(void *state);        /* NULL: no deadline */
    void (*stop)(void *state);
    void *ctx;
} http_thread_hooks;

/* The request's thread state (http_thread_hooks.start's), for its handler and answers; NULL
 * on libmicrohttpd, with no hooks, or when start returned NULL. */
void *http_req_thread(const http_req *req);

/* A watched descriptor's callback, on its loop thread: events are poll(2)'s (POLLIN,
 * POLLOUT, POLLERR, POLLHUP). Not called for a descriptor once it is unwatched. */
typedef void (*http_watch_fn)(unsigned events, void *arg);

/* On th's own thread (from a hook, a handler, an answer or a watch callback): the watched
 * descriptor old_fd (-1: none) becomes fd (-1: none), for the poll(2) events in `events`,
 * level-triggered, with fn(events, arg) called when ready. old_fd may already be closed, or
 * be the same number as fd (another socket got it, or the same one with other events).
 * The server watches a duplicate of fd (close-on-exec), closed when it is unwatched: the
 * socket stays open until then even if its owner closed it.
 * 0; BERTH_ESTATE off th's thread; BERTH_EINVAL when old_fd is not watched here or fn is
 * NULL; BERTH_EIO when epoll refused fd, BERTH_ENOMEM without memory (old_fd is unwatched
 * then all the same). */
int http_thread_watch(http_thread *th, int old_fd, int fd, unsigned events, http_watch_fn fn,
                      void *arg);

typedef struct http_config {
    const char *host;          /* numeric address or name; NULL or "" → all interfaces */
    int port;                  /* 0 → an ephemeral port (see http_server_port) */
    unsigned threads;          /* HTTP threads; 0 → one per online CPU, at most 4: more
                                  threads than cores cost wake-ups (docs/design-notes.md,
                                  "HTTP launches") */
    unsigned max_connections;  /* 0 → 1024 */
    unsigned read_timeout_s;   /* 0 → 15 (Harbor's read/write timeouts) */
    unsigned idle_timeout_s;   /* 0 → 60 (Harbor's idle timeout) */
    size_t max_body;           /* 0 → 1 MiB */
    http_handler_fn handler;   /* called once per complete request */
    void *ctx;                 /* passed to handler */
    berth_log_fn log;          /* the server's messages; NULL → dropped */
    void *log_userdata;
    const char *tls_cert_pem;  /* both set → HTTPS (TLS ≥ 1.2) with this PEM certificate chain */
    const char *tls_key_pem;   /* and this PEM private key; copied */
    const char *tls_client_ca_pem; /* with TLS: every client must present a certificate
                                  signed by one of these PEM CAs, or its handshake fails
                                  (Harbor's INTERNAL_VERIFY_CLIENT_CERT); copied; NULL: none */
    int listen_fd;             /* > 0: serve on this bound, listening socket (listener.h),
                                  which the server then owns (closed on failure and at stop);
                                  host and port must name its address. 0: bind host:port */
    int server;                /* HTTP_SERVER_*: which backend serves plain HTTP */
    http_thread_hooks hooks;   /* per-thread hooks (all NULL: none); the event loop only */
} http_config;

#define HTTP_SERVER_DEFAULT 0    /* the environment's BERTH_HTTP_SERVER (builtin or
                                    libmicrohttpd), else HTTP_SERVER_DEFAULT_IS */
#define HTTP_SERVER_BUILTIN 1    /* berthd's own event loop (http_loop.c) */
#define HTTP_SERVER_MHD 2        /* libmicrohttpd (http_mhd.c); HTTPS always uses it */
#define HTTP_SERVER_DEFAULT_IS HTTP_SERVER_BUILTIN

typedef struct http_server http_server;

/* Binds and starts serving. 0, or BERTH_EINVAL / BERTH_EIO with a message in err. The
 * server is the caller's: http_server_stop. cfg is copied (host only during the call). */
int http_server_start(const http_config *cfg, http_server **out, char *err, size_t errlen);
/* The bound port (the real one when cfg.port was 0). */
int http_server_port(const http_server *s);
/* Deferred requests not yet answered, now (a gauge: tests wait on it). */
unsigned http_server_deferred(const http_server *s);
/* Waits until every deferred request is answered (new ones are answered at once meanwhile),
 * then closes the listener and every connection after running handlers return; frees s.
 * NULL is a no-op. */
void http_server_stop(http_server *s);

#endif
