/* The libmicrohttpd backend of the HTTP server (http.h): every HTTPS server, and plain HTTP
 * when berth.http_server is libmicrohttpd (http.c chooses). http.h holds the design.
 *
 * Per request, a `reqstate` is made in MHD's URI-log callback (the only place that sees the
 * raw request target, which auth needs: spec §2.2) and freed in the request-completed
 * callback. The access callback is called by MHD first with the headers, then once per
 * chunk of body, then a final time with no data: we only answer on that final call.
 *
 * Header deadlines. MHD's connection timeout is an inactivity timeout: a client sending one
 * header byte every 100 ms would never be cut. So each connection has a `watch` (its MHD
 * socket context) holding the time by which the headers of its current request must be
 * complete, and a watchdog thread shuts down (shutdown(2), not close) the socket of a
 * connection past it; MHD then reads the end of the stream and closes the connection as if
 * the client had left. The deadline is set when the connection opens (read_timeout_s, as
 * Go's ReadTimeout for a first request), tightened to read_timeout_s after the request
 * line, cleared when the headers are in (the body has its own deadline) and, after a
 * response on a kept-alive connection, set to idle_timeout_s + read_timeout_s: an idle
 * connection is still closed by MHD's timeout after idle_timeout_s, one whose next request
 * has started gets read_timeout_s from its request line.
 * The socket shut down is always the connection's own: MHD sends the CLOSED notification,
 * which takes the watch out of the list under `mu`, before it closes the socket, and the
 * watchdog shuts down sockets only under `mu`, of watches in the list.
 *
 * Deferred answers (http.h). The request's state goes from deferred (the handler called
 * http_req_defer) to ready (http_defer_ready, any thread) and, if the handler returned before
 * it was ready, through suspended (MHD_suspend_connection from the access callback, the only
 * place MHD allows it). `ready` and `suspended` are read and written under `amu`, so exactly
 * one of the two threads sees the other's step: the HTTP thread suspends only a request not
 * yet ready, the readying thread resumes only a suspended one. MHD forbids stopping with a
 * suspended connection, so `held` counts deferred requests until their request-completed
 * callback and `resuming` the MHD_resume_connection calls still running; http_server_stop
 * waits for both to reach zero (new requests meanwhile are not deferred) before
 * MHD_stop_daemon. */
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <time.h>

#include "berth/error.h"
#include "berth/version.h"
#include "server/http.h"
#include "server/http_backend.h"
#include "server/http_stream.h"
#include "server/listener.h"
#include "util/alloc.h"
#include "util/clock.h"

/* A connection MHD has open, from its STARTED to its CLOSED notification. */
typedef struct watch {
    struct watch *prev, *next; /* in http_server.watches */
    int fd;                    /* the connection's socket (constant) */
    int64_t deadline_ms;       /* request headers complete by then; 0: none (under mu) */
} watch;

struct http_server {
    const http_ops *ops;       /* first: http.c dispatches through it (http_backend.h) */
    struct MHD_Daemon *d;
    http_config cfg;           /* copy; cfg.host is not kept */
    int port;
    /* the header watchdog (top of file); mu guards the fields below it */
    pthread_t watchdog;
    bool watchdog_running;
    pthread_mutex_t mu;
    pthread_cond_t cv;         /* wakes the watchdog: an earlier deadline, or stopping */
    watch *watches;
    int64_t wake_ms;           /* when the watchdog wakes next (INT64_MAX: when woken) */
    bool stopping;
    /* deferred answers (top of file); amu guards the fields below it and every reqstate's
     * ready and suspended */
    pthread_mutex_t amu;
    pthread_cond_t acv;        /* signalled when held or resuming drops to 0 while closing */
    unsigned held;             /* deferred requests not yet completed */
    unsigned resuming;         /* MHD_resume_connection calls under way */
    bool closing;              /* http_server_stop has begun: no more deferrals */
};

typedef struct reqstate {
    const http_ops *ops;       /* first: req->state_ and the http_defer are this */
    http_server *srv;
    struct MHD_Connection *conn;
    char *uri;                 /* raw request target */
    buf body;                  /* capped at cfg.max_body */
    bool started;              /* the access callback has seen the headers */
    bool too_big;              /* body passed the cap: the rest is dropped, 413 at the end */
    int64_t deadline_ms;       /* the body must be complete by then */
    http_answer_fn answer;     /* deferred (http_req_defer): fills the response when ready */
    void *answer_arg;
    bool deferred;             /* http_req_defer was called (HTTP thread only) */
    bool answered;             /* answer has run (HTTP thread only) */
    bool ready;                /* http_defer_ready was called (under srv->amu) */
    bool suspended;            /* the connection is suspended for it (under srv->amu) */
} reqstate;

static const http_ops mhd_ops;

/* ---- header deadlines (top of file) ---- */

static watch *watch_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* Sets the connection's header deadline (0: none); with only_earlier, a later one than the
 * current is ignored. Runs on the connection's MHD thread. */
static void watch_set(http_server *s, struct MHD_Connection *conn, int64_t deadline_ms,
                      bool only_earlier)
{
    watch *w = watch_of(conn);
    if (!w)
        return;
    pthread_mutex_lock(&s->mu);
    if (!only_earlier || !w->deadline_ms || deadline_ms < w->deadline_ms)
        w->deadline_ms = deadline_ms;
    if (w->deadline_ms && w->deadline_ms < s->wake_ms)
        pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* Go's RequireAndVerifyClientCert: MHD only asks for a certificate (trust set) and leaves
 * its check to the handler; here GnuTLS is told, before the handshake starts, to require one
 * and verify it against the trusted CAs, so a client without a valid certificate fails the
 * handshake and never reaches a handler. */
static void require_client_cert(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t tls = ci ? (gnutls_session_t)ci->tls_session : NULL;
    if (!tls)
        return;   /* not TLS */
    gnutls_certificate_server_set_request(tls, GNUTLS_CERT_REQUIRE);
    gnutls_session_set_verify_cert(tls, NULL, 0);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    http_server *s = cls;
    watch *w = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        w = berth_calloc(1, sizeof *w);
        w->fd = ci ? ci->connect_fd : -1;
        pthread_mutex_lock(&s->mu);
        w->next = s->watches;
        if (s->watches)
            s->watches->prev = w;
        s->watches = w;
        pthread_mutex_unlock(&s->mu);
        *socket_context = w;
        watch_set(s, conn, clock_mono_ms() + (int64_t)s->cfg.read_timeout_s * 1000, false);
        if (s->cfg.tls_client_ca_pem)
            require_client_cert(conn);
    } else if (w) {            /* CLOSED: before MHD closes the socket */
        pthread_mutex_lock(&s->mu);
        if (w->prev)
            w->prev->next = w->next;
        else
            s->watches = w->next;
        if (w->next)
            w->next->prev = w->prev;
        pthread_mutex_unlock(&s->mu);
        berth_free(w);
        *socket_context = NULL;
    }
}

/* Shuts down the sockets past their deadline; returns how many, and sets s->wake_ms to the
 * earliest deadline left. Under s->mu. */
static int watch_sweep(http_server *s, int64_t now)
{
    int cut = 0;
    s->wake_ms = INT64_MAX;
    for (watch *w = s->watches; w; w = w->next) {
        if (!w->deadline_ms || w->fd < 0)
            continue;
        if (w->deadline_ms <= now) {
            shutdown(w->fd, SHUT_RDWR);
            w->deadline_ms = 0;
            cut++;
        } else if (w->deadline_ms < s->wake_ms) {
            s->wake_ms = w->deadline_ms;
        }
    }
    return cut;
}

static void *watchdog_main(void *arg)
{
    http_server *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        int cut = watch_sweep(s, clock_mono_ms());
        if (cut && s->cfg.log) {
            char msg[128];
            snprintf(msg, sizeof msg, "closed %d connection(s): request headers not complete "
                     "within %u s", cut, s->cfg.read_timeout_s);
            pthread_mutex_unlock(&s->mu);
            s->cfg.log(BERTH_LOG_INFO, __FILE__, __LINE__, msg, s->cfg.log_userdata);
            pthread_mutex_lock(&s->mu);
            continue;          /* deadlines may have changed meanwhile: sweep again */
        }
        if (s->wake_ms == INT64_MAX) {
            pthread_cond_wait(&s->cv, &s->mu);
        } else {
            struct timespec ts = {.tv_sec = s->wake_ms / 1000,
                                  .tv_nsec = (s->wake_ms % 1000) * 1000000};
            pthread_cond_timedwait(&s->cv, &s->mu, &ts);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* 0, or an errno value. The mutex and condition variable are made here too. */
static int watchdog_start(http_server *s)
{
    clock_cond_init(&s->cv);   /* the clock of clock_mono_ms */
    pthread_mutex_init(&s->mu, NULL);
    s->wake_ms = INT64_MAX;
    int rc = pthread_create(&s->watchdog, NULL, watchdog_main, s);
    s->watchdog_running = rc == 0;
    return rc;
}

/* After MHD stopped (no connection left). */
static void watchdog_stop(http_server *s)
{
    if (s->watchdog_running) {
        pthread_mutex_lock(&s->mu);
        s->stopping = true;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->watchdog, NULL);
    }
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
}

/* ---- requests ---- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    http_server *s = cls;
    /* the request line is in: the rest of the headers within the read timeout */
    watch_set(s, conn, clock_mono_ms() + (int64_t)s->cfg.read_timeout_s * 1000, true);
    reqstate *st = berth_calloc(1, sizeof *st);
    st->ops = &mhd_ops;
    st->srv = s;
    st->conn = conn;
    st->uri = berth_strdup(uri ? uri : "");
    buf_init(&st->body, s->cfg.max_body);
    return st;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    http_server *s = cls;
    reqstate *st = *con_cls;
    if (st && st->deferred) {
        if (!st->answered) {  /* the client left while it waited: answer only to free it */
            http_req req = {.method = "", .path = "", .uri = st->uri, .body = "",
                            .conn_ = conn, .state_ = st};
            http_resp r;
            http_resp_init(&r);
            st->answer(&req, &r, st->answer_arg);
            http_resp_clear(&r);
        }
        pthread_mutex_lock(&s->amu);
        if (--s->held == 0 && s->closing)
            pthread_cond_broadcast(&s->acv);
        pthread_mutex_unlock(&s->amu);
    }
    if (st) {
        berth_free(st->uri);
        buf_free(&st->body);
        berth_free(st);
        *con_cls = NULL;
    }
    /* Back to the idle timeout while the connection waits for its next request, whose
     * headers get a deadline again (see the top of the file). */
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, s->cfg.idle_timeout_s);
        int64_t wait_s = (int64_t)s->cfg.idle_timeout_s + s->cfg.read_timeout_s;
        watch_set(s, conn, clock_mono_ms() + wait_s * 1000, false);
    }
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, http_resp *r)
{
    struct MHD_Response *mr;
    if (r->stream) {
        mr = http_stream_response(r->stream);
        if (mr) {
            r->stream = NULL;    /* MHD frees it */
            MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 0);
        }
    } else if (r->fd >= 0) {
        mr = MHD_create_response_from_fd_at_offset64(r->fd_len, r->fd, r->fd_off);
        if (mr)
            r->fd = -1;      /* MHD closes it */
    } else {
        size_t len = r->body.len;
        char *p = buf_release(&r->body);
        mr = MHD_create_response_from_buffer_with_free_callback(len, p, berth_free);
        if (!mr)
            berth_free(p);
    }
    if (!mr)
        return MHD_NO;
    /* Every response, errors included, names the version that answered (docs/api.md). */
    MHD_add_response_header(mr, "Server", "berthd/" BERTH_VERSION);
    for (size_t i = 0; i < r->nheaders; i++)
        MHD_add_response_header(mr, r->hname[i], r->hvalue[i]);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    return ret;
}

static enum MHD_Result send_too_big(const http_server *s, struct MHD_Connection *conn)
{
    http_resp r;
    http_resp_too_big(&r, s->cfg.max_body);
    enum MHD_Result ret = send_resp(conn, &r);
    http_resp_clear(&r);
    return ret;
}

/* The headers are in: switch to the request timeout; refuse an announced oversized body. */
static enum MHD_Result on_headers(http_server *s, struct MHD_Connection *conn, reqstate *st)
{
    st->started = true;
    watch_set(s, conn, 0, false);
    st->deadline_ms = clock_mono_ms() + (int64_t)s->cfg.read_timeout_s * 1000;
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, s->cfg.read_timeout_s);
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > s->cfg.max_body)
        return send_too_big(s, conn);
    return MHD_YES;
}

static enum MHD_Result on_upload(reqstate *st, const char *data, size_t *size)
{
    if (!st->too_big && buf_append(&st->body, data, *size) != 0) {
        st->too_big = true;
        buf_free(&st->body);
    }
    *size = 0;
    /* A body trickling in past the read timeout: drop the connection. */
    return clock_mono_ms() > st->deadline_ms ? MHD_NO : MHD_YES;
}

/* The deferred request's answer, now that it is ready; on the request's HTTP thread. */
static enum MHD_Result send_answer(struct MHD_Connection *conn, reqstate *st, http_req *req)
{
    http_resp resp;
    http_resp_init(&resp);
    st->answered = true;
    st->answer(req, &resp, st->answer_arg);
    enum MHD_Result ret = send_resp(conn, &resp);
    http_resp_clear(&resp);
    return ret;
}

/* After a handler deferred: answer now if the answer is ready already, else suspend the
 * connection until http_defer_ready resumes it. */
static enum MHD_Result after_defer(http_server *s, struct MHD_Connection *conn, reqstate *st,
                                   http_req *req)
{
    pthread_mutex_lock(&s->amu);
    bool ready = st->ready;
    if (!ready) {
        MHD_suspend_connection(conn);
        st->suspended = true;
    }
    pthread_mutex_unlock(&s->amu);
    return ready ? send_answer(conn, st, req) : MHD_YES;
}

static enum MHD_Result dispatch(http_server *s, struct MHD_Connection *conn, reqstate *st,
                                const char *url, const char *method)
{
    http_req req = {.method = method, .path = url, .uri = st->uri,
                    .body = st->body.p ? st->body.p : "", .body_len = st->body.len,
                    .conn_ = conn, .state_ = st};
    if (st->deferred)          /* resumed: the answer is ready */
        return st->answered ? MHD_YES : send_answer(conn, st, &req);
    http_resp resp;
    http_resp_init(&resp);
    s->cfg.handler(&req, &resp, s->cfg.ctx);
    if (st->deferred) {
        http_resp_clear(&resp);
        return after_defer(s, conn, st, &req);
    }
    enum MHD_Result ret = send_resp(conn, &resp);
    http_resp_clear(&resp);
    return ret;
}

static http_defer *mhd_defer(const http_req *req, http_answer_fn answer, void *arg)
{
    reqstate *st = req->state_;
    http_server *s = st->srv;
    pthread_mutex_lock(&s->amu);
    bool ok = !s->closing && !st->deferred;
    if (ok)
        s->held++;
    pthread_mutex_unlock(&s->amu);
    if (!ok)
        return NULL;
    st->deferred = true;
    st->answer = answer;
    st->answer_arg = arg;
    return (http_defer *)st;
}

static void mhd_ready(http_defer *d)
{
    reqstate *st = (reqstate *)d;
    http_server *s = st->srv;
    struct MHD_Connection *conn = st->conn;
    pthread_mutex_lock(&s->amu);
    st->ready = true;
    bool resume = st->suspended;
    if (resume)
        s->resuming++;
    pthread_mutex_unlock(&s->amu);
    if (!resume)
        return;   /* the HTTP thread answers when its handler returns */
    /* st may be gone from here (the resumed request completes on its thread); s is not,
     * as http_server_stop waits for resuming to drop to 0 */
    MHD_resume_connection(conn);
    pthread_mutex_lock(&s->amu);
    if (--s->resuming == 0 && s->closing)
        pthread_cond_broadcast(&s->acv);
    pthread_mutex_unlock(&s->amu);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    http_server *s = cls;
    reqstate *st = *con_cls;
    (void)version;
    if (!st)                   /* cannot happen: on_uri runs first */
        return MHD_NO;
    if (!st->started)
        return on_headers(s, conn, st);
    if (*upload_data_size > 0)
        return on_upload(st, upload_data, upload_data_size);
    if (st->too_big)
        return send_too_big(s, conn);
    return dispatch(s, conn, st, url, method);
}

static const char *mhd_query(const http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn_, MHD_GET_ARGUMENT_KIND, name);
}

static const char *mhd_header(const http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn_, MHD_HEADER_KIND, name);
}

/* MHD's own format strings: the attribute tells the compiler so */
__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    http_server *s = cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    /* MHD says this of every failed handshake; with client certificates required the
     * usual cause is a client without a trusted one, which the operator needs to read */
    if (s->cfg.tls_client_ca_pem && strstr(msg, "handshake message out of context"))
        snprintf(msg, sizeof msg, "TLS handshake failed: the client sent no certificate "
                 "signed by a trusted CA (INTERNAL_VERIFY_CLIENT_CERT), or shares no TLS "
                 "version or cipher with berthd");
    if (s->cfg.log)
        s->cfg.log(BERTH_LOG_WARNING, __FILE__, __LINE__, msg, s->cfg.log_userdata);
}


static void free_tls(http_server *s)
{
    char *key = (char *)s->cfg.tls_key_pem;
    if (key)
        explicit_bzero(key, strlen(key));   /* the private key does not linger in freed memory */
    berth_free(key);
    berth_free((char *)s->cfg.tls_cert_pem);
    berth_free((char *)s->cfg.tls_client_ca_pem);
}

/* Harbor: TLS 1.2 minimum, ECDHE with AES-GCM or ChaCha20 (GnuTLS priority syntax). */
#define TLS_PRIORITIES "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:" \
                       "+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"

static struct MHD_Daemon *start_daemon(http_server *s, const struct sockaddr_storage *ss)
{
    /* poll, not epoll: with epoll MHD takes a suspended connection out of its epoll set and
     * puts it back after the resume (two epoll_ctl and an EAGAIN read per deferred launch);
     * poll has no set to change (docs/design-notes.md, "HTTP launches, round three") */
    unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    bool tls = s->cfg.tls_cert_pem && s->cfg.tls_key_pem;
    if (tls)
        flags |= MHD_USE_TLS;
    if (ss->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    unsigned port = ss->ss_family == AF_INET6
                        ? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port)
                        : ntohs(((const struct sockaddr_in *)ss)->sin_port);
    /* Where to listen: the socket bound early (listener.h), or the address. */
    struct MHD_OptionItem where[] = {
        s->cfg.listen_fd > 0 ? (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, s->cfg.listen_fd, NULL}
                             : (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, (void *)ss},
        {MHD_OPTION_END, 0, NULL}};
    /* TLS: none (the list ends at once), or key, certificate, priorities and the client CAs */
    const http_config *c = &s->cfg;
    struct MHD_OptionItem tls_opts[] = {
        {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *)c->tls_key_pem},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)c->tls_cert_pem},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES},
        {c->tls_client_ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0,
         (void *)c->tls_client_ca_pem},
        {MHD_OPTION_END, 0, NULL}};
    return MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_access, s,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,   /* first, or MHD warns on stderr */
        MHD_OPTION_ARRAY, where,
        MHD_OPTION_THREAD_POOL_SIZE, s->cfg.threads,
        MHD_OPTION_CONNECTION_LIMIT, s->cfg.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.idle_timeout_s,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_ARRAY, tls_opts,
        MHD_OPTION_END);
}

/* cfg is checked and defaulted (http.c). */
int http_mhd_start(const http_config *cfg, http_server **out, char *err, size_t errlen)
{
    http_server *s = berth_calloc(1, sizeof *s);
    s->ops = &mhd_ops;
    s->cfg = *cfg;
    s->cfg.host = NULL;
    s->cfg.tls_cert_pem = berth_strdup(cfg->tls_cert_pem);  /* MHD keeps the pointers */
    s->cfg.tls_key_pem = berth_strdup(cfg->tls_key_pem);
    s->cfg.tls_client_ca_pem = cfg->tls_cert_pem ? berth_strdup(cfg->tls_client_ca_pem) : NULL;
    pthread_mutex_init(&s->amu, NULL);
    pthread_cond_init(&s->acv, NULL);
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    int rc = listener_resolve(cfg->host, cfg->port, &ss, &sslen, err, errlen);
    if (rc != 0)
        goto fail;
    int eno = watchdog_start(s);
    if (eno != 0) {
        rc = BERTH_EIO;
        snprintf(err, errlen, "cannot start the HTTP watchdog thread: %s", strerror(eno));
        goto fail_watchdog;
    }
    /* MHD gets its own descriptor: whether a failed start closed it or not, ours is closed
     * exactly once (below on failure, here on success). */
    if (cfg->listen_fd > 0)
        s->cfg.listen_fd = fcntl(cfg->listen_fd, F_DUPFD_CLOEXEC, 3);
    s->d = start_daemon(s, &ss);
    if (s->d && cfg->listen_fd > 0)
        close(cfg->listen_fd);
    if (!s->d) {
        rc = BERTH_EIO;
        snprintf(err, errlen, "cannot listen on %s:%d (address in use or not allowed?)",
                 cfg->host && *cfg->host ? cfg->host : "*", cfg->port);
        goto fail_watchdog;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg->port;
    *out = s;
    return 0;
fail_watchdog:
    watchdog_stop(s);
fail:
    if (cfg->listen_fd > 0)
        close(cfg->listen_fd);
    free_tls(s);
    pthread_cond_destroy(&s->acv);
    pthread_mutex_destroy(&s->amu);
    berth_free(s);
    return rc;
}

static int mhd_port(const http_server *s)
{
    return s->port;
}

static void mhd_stop(http_server *s)
{
    /* MHD must not stop with a suspended connection: first every deferred request is
     * answered (its work ends on its own: http.h) and completed */
    pthread_mutex_lock(&s->amu);
    s->closing = true;
    while (s->held > 0 || s->resuming > 0)
        pthread_cond_wait(&s->acv, &s->amu);
    pthread_mutex_unlock(&s->amu);
    MHD_stop_daemon(s->d);
    watchdog_stop(s);
    free_tls(s);
    pthread_cond_destroy(&s->acv);
    pthread_mutex_destroy(&s->amu);
    berth_free(s);
}

static unsigned mhd_deferred(const http_server *hs)
{
    http_server *s = (http_server *)hs;
    pthread_mutex_lock(&s->amu);
    unsigned n = s->held;
    pthread_mutex_unlock(&s->amu);
    return n;
}

/* No thread hooks here (http.h): libmicrohttpd runs its own loops. */
static void *mhd_thread(const http_req *req)
{
    (void)req;
    return NULL;
}

static const http_ops mhd_ops = {.query = mhd_query, .header = mhd_header, .defer = mhd_defer,
                                 .ready = mhd_ready, .thread = mhd_thread, .port = mhd_port,
                                 .deferred = mhd_deferred, .stop = mhd_stop};
