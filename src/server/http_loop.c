/* berthd's own HTTP/1.1 server for plain HTTP (http.h; the design and its measurements:
 * docs/design-notes.md, "HTTP launches, round four: an event loop of our own").
 *
 * `threads` loop threads share the one listening socket, each with it in its own epoll set
 * (EPOLLEXCLUSIVE: a new connection wakes one thread, which accepts it). The thread that
 * accepts deals the connections out in turn, handing the others' over through their
 * eventfd: whichever thread is awake would otherwise take a whole burst of clients (wrk's
 * 32 connections went 5:1 to one thread), leaving the other cores' threads idle. A
 * connection's socket is non-blocking and edge-triggered, registered once for reading and
 * writing: no epoll_ctl per request. Requests are read with http_parse.h into the
 * connection's buffer and the handler runs on the thread (http_loop_conn.c); responses go
 * out with writev, sendfile or chunked stream writes (http_loop_write.c).
 *
 * Deferred answers: http_defer_ready from another thread puts the connection on its
 * thread's ready list under the thread's mutex and writes the thread's eventfd only when the
 * list was empty, so a batch of launches answered together costs one wake-up per thread;
 * the thread runs the answers. The eventfd write happens under the mutex: the thread cannot
 * run the answer (and http_server_stop cannot free the thread) before the write is done.
 * Called on the connection's own thread (the work was the thread's: a launcher's reply read
 * in a watch callback), it queues the connection on the thread's own list, no lock on the
 * list and no eventfd, and the answer runs at the end of that same turn.
 *
 * Thread hooks (http.h): each turn is epoll_wait (its timeout the sooner of the sweep's and
 * the hooks' deadline), the events (accepts, the eventfd's answers and handed connections,
 * watched descriptors' callbacks, connections), the sweep, then the turn's end: the answers
 * readied on the thread, then the hooks' turn (a launcher's flush of the launches this
 * turn's handlers added), again while it readies more. The hooks' state is made on the
 * thread before it serves and ended on it after its last turn (http_server_stop's order).
 *
 * Timeouts: each connection has one deadline (its phase's, http.h); every LOOP_SWEEP_MS a
 * thread closes its connections past theirs. No watchdog thread. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "berth/error.h"
#include "server/http_loop.h"
#include "server/listener.h"
#include "util/alloc.h"
#include "util/clock.h"

/* The loop thread running on this thread, if any: http_defer_ready on a connection's own
 * thread needs no wake-up. */
static _Thread_local lthread *loop_self;

lthread *lthread_self(void)
{
    return loop_self;
}

/* ---- accepting ---- */

static void conn_add(lthread *t, int fd)
{
    lconn *c = berth_calloc(1, sizeof *c);
    c->ops = &loop_ops;
    c->t = t;
    c->fd = fd;
    c->phase = LP_HEAD;
    c->can_write = true;
    c->deadline_ms = t->now_ms + (int64_t)t->srv->cfg.read_timeout_s * 1000;
    http_resp_init(&c->resp);
    c->next = t->conns;
    if (t->conns)
        t->conns->prev = c;
    t->conns = c;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        lconn_close(c);
}

/* Gives fd to thread u (another loop thread), which adds it when its eventfd wakes it. */
static void hand_over(lthread *u, int fd)
{
    pthread_mutex_lock(&u->mu);
    if (u->nhanded == u->handed_cap) {
        u->handed_cap = u->handed_cap ? 2 * u->handed_cap : 16;
        u->handed = berth_realloc(u->handed, u->handed_cap * sizeof *u->handed);
    }
    u->handed[u->nhanded++] = fd;
    uint64_t one = 1;          /* under mu, as loop_ready: u outlives the write */
    (void)!write(u->efd, &one, sizeof one);
    pthread_mutex_unlock(&u->mu);
}

static void on_accept(lthread *t)
{
    loop_server *s = t->srv;
    for (int i = 0; i < 16; i++) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;        /* EAGAIN (another thread took it), or a transient error */
        if (atomic_fetch_add(&s->nconns, 1) >= s->cfg.max_connections) {
            atomic_fetch_sub(&s->nconns, 1);
            close(fd);     /* over the limit: closed at once, as libmicrohttpd did */
            continue;
        }
        int one = 1;       /* a response is one write: nothing to gain from Nagle */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        lthread *u = &s->threads[atomic_fetch_add(&s->next_thread, 1) % s->nthreads];
        if (u == t)
            conn_add(t, fd);
        else
            hand_over(u, fd);
    }
}

/* ---- closing ---- */

void lconn_close(lconn *c)
{
    lthread *t = c->t;
    if (c->fd < 0)
        return;
    close(c->fd);      /* also leaves the epoll set */
    c->fd = -1;
    atomic_fetch_sub(&t->srv->nconns, 1);
    if (c->prev)
        c->prev->next = c->next;
    else
        t->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->stream_retry_ms) {
        c->stream_retry_ms = 0;
        t->streams_waiting--;
    }
    if (c->phase == LP_DEFERRED)
        return;        /* its answer runs when ready, then frees it (lconn_answer) */
    c->rnext = t->dead;
    t->dead = c;
}

static void conn_free(lconn *c)
{
    lconn_end_request(c);
    lconn_resp_free(c);
    berth_free(c->out);
    berth_free(c->in);
    berth_free(c);
}

static void free_dead(lthread *t)
{
    lwatch_free_dead(t);
    while (t->dead) {
        lconn *c = t->dead;
        t->dead = c->rnext;
        conn_free(c);
    }
}

/* ---- timeouts ---- */

static void sweep(lthread *t)
{
    t->next_sweep_ms = t->now_ms + LOOP_SWEEP_MS;
    for (lconn *c = t->conns, *next; c; c = next) {
        next = c->next;
        if (c->stream_retry_ms && c->stream_retry_ms <= t->now_ms) {
            c->stream_retry_ms = 0;
            t->streams_waiting--;
            c->can_write = true;
            lconn_run(c);
        } else if (c->deadline_ms && c->deadline_ms <= t->now_ms) {
            if (c->phase == LP_HEAD)
                t->header_cuts++;
            lconn_close(c);
        }
    }
    const http_config *cfg = &t->srv->cfg;
    if (t->header_cuts && cfg->log) {
        char msg[128];
        snprintf(msg, sizeof msg, "closed %u connection(s): request headers not complete "
                 "within %u s", t->header_cuts, cfg->read_timeout_s);
        cfg->log(BERTH_LOG_INFO, __FILE__, __LINE__, msg, cfg->log_userdata);
    }
    t->header_cuts = 0;
}

/* epoll_wait's timeout: until the next sweep while anything can time out, or the hooks'
 * deadline when it is sooner */
static int wait_ms(const lthread *t)
{
    int ms = -1;
    if (t->conns) {
        int64_t until = t->next_sweep_ms;
        if (t->streams_waiting && t->now_ms + LOOP_STREAM_RETRY_MS < until)
            until = t->now_ms + LOOP_STREAM_RETRY_MS;
        ms = until <= t->now_ms ? 0 : (int)(until - t->now_ms);
    }
    const http_thread_hooks *h = &t->srv->cfg.hooks;
    if (t->state && h->timeout_ms) {
        int hm = h->timeout_ms(t->state);
        if (hm >= 0 && (ms < 0 || hm < ms))
            ms = hm;
    }
    return ms;
}

/* ---- deferred answers ---- */

/* Runs c's readied answer and drives the connection on (its next request, or its close). */
static void answer_ready(lconn *c)
{
    c->rnext = NULL;
    lconn_answer(c);
    if (c->fd >= 0 && c->hup)
        lconn_close(c);
    else if (c->fd >= 0)
        lconn_run(c);
}

/* The answers readied on this thread since the last call (loop_ready). */
static void run_local(lthread *t)
{
    while (t->local) {
        lconn *c = t->local;
        t->local = c->rnext;
        if (!t->local)
            t->local_tail = NULL;
        answer_ready(c);
    }
}

static void run_ready(lthread *t)
{
    uint64_t v;
    (void)!read(t->efd, &v, sizeof v);
    pthread_mutex_lock(&t->mu);
    lconn *list = t->ready;
    t->ready = t->ready_tail = NULL;
    int handed[16];
    size_t nh = t->nhanded < 16 ? t->nhanded : 16;
    if (nh) {
        memcpy(handed, t->handed, nh * sizeof *handed);
        memmove(t->handed, t->handed + nh, (t->nhanded - nh) * sizeof *handed);
        t->nhanded -= nh;
    }
    if (t->nhanded) {          /* more than 16: come back for the rest */
        uint64_t one = 1;
        (void)!write(t->efd, &one, sizeof one);
    }
    pthread_mutex_unlock(&t->mu);
    for (size_t i = 0; i < nh; i++)
        conn_add(t, handed[i]);
    while (list) {
        lconn *c = list;
        list = c->rnext;
        answer_ready(c);
    }
}

static http_defer *loop_defer(const http_req *req, http_answer_fn answer, void *arg)
{
    lconn *c = req->state_;
    loop_server *s = c->t->srv;
    pthread_mutex_lock(&s->mu);
    bool ok = !s->closing && !c->deferred;
    if (ok)
        s->held++;
    pthread_mutex_unlock(&s->mu);
    if (!ok)
        return NULL;
    c->deferred = true;
    c->answer = answer;
    c->answer_arg = arg;
    return (http_defer *)c;
}

/* On c's own thread, once its handler has returned: the answer runs this turn (turn_end),
 * after the event being handled, not inside it (the caller may be in the middle of its
 * own work, a launcher's reply being read). */
static void ready_here(lthread *t, lconn *c)
{
    c->rnext = NULL;
    if (t->local_tail)
        t->local_tail->rnext = c;
    else
        t->local = c;
    t->local_tail = c;
}

static void loop_ready(http_defer *d)
{
    lconn *c = (lconn *)d;
    lthread *t = c->t;
    pthread_mutex_lock(&t->mu);
    c->ready = true;
    bool here = c->waiting && loop_self == t;
    if (here)
        c->waiting = false;
    if (c->waiting) {          /* the handler has returned: the thread runs the answer */
        c->waiting = false;
        c->rnext = NULL;
        bool wake = !t->ready;
        if (t->ready_tail)
            t->ready_tail->rnext = c;
        else
            t->ready = c;
        t->ready_tail = c;
        if (wake) {
            uint64_t one = 1;
            (void)!write(t->efd, &one, sizeof one);
        }
    }
    pthread_mutex_unlock(&t->mu);
    if (here)
        ready_here(t, c);
}

void loop_answered(loop_server *s)
{
    pthread_mutex_lock(&s->mu);
    if (--s->held == 0 && s->closing)
        pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* ---- the turn's end (http.h: thread hooks) ---- */

/* After the turn's events: the answers readied on this thread, then the hooks' turn, as
 * long as it readies more (a launcher's answers to a flush that failed at once). */
static void turn_end(lthread *t)
{
    const http_thread_hooks *h = &t->srv->cfg.hooks;
    for (;;) {
        run_local(t);
        if (t->state && h->turn)
            h->turn(t->state);
        if (!t->local)
            return;
    }
}

/* ---- the loop ---- */

static void on_event(lconn *c, uint32_t ev)
{
    if (c->fd < 0)
        return;
    if (ev & (EPOLLHUP | EPOLLERR)) {
        c->hup = true;
        if (c->phase != LP_DEFERRED) {
            lconn_close(c);
            return;
        }
    }
    if (ev & (EPOLLIN | EPOLLRDHUP))
        c->can_read = true;
    if (ev & EPOLLOUT)
        c->can_write = true;
    if (c->phase != LP_DEFERRED)
        lconn_run(c);
}

static void loop_run(lthread *t)
{
    struct epoll_event evs[64];
    /* a write to a client that has gone fails with EPIPE here, never kills the process
     * (writev and sendfile have no MSG_NOSIGNAL; the host may not ignore SIGPIPE) */
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, NULL);
    t->now_ms = clock_mono_ms();
    t->next_sweep_ms = t->now_ms + LOOP_SWEEP_MS;
    while (!atomic_load(&t->stop)) {
        int n = epoll_wait(t->ep, evs, 64, wait_ms(t));
        t->now_ms = clock_mono_ms();
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (!p)
                on_accept(t);
            else if (p == t)
                run_ready(t);
            else if (*(const void *const *)p == &lwatch_kind)
                lwatch_event(p, evs[i].events);
            else
                on_event(p, evs[i].events);
        }
        if (t->now_ms >= t->next_sweep_ms ||
            (t->streams_waiting && t->now_ms >= t->next_sweep_ms - LOOP_SWEEP_MS +
                                                    LOOP_STREAM_RETRY_MS))
            sweep(t);
        turn_end(t);
        free_dead(t);
    }
}

/* The hooks' state lives from before the thread serves to after its last turn. At stop
 * every deferred request is answered already (loop_stop waited, the thread turning): what
 * the state still holds is answered in its stop (blocking is allowed there). */
static void *loop_main(void *arg)
{
    lthread *t = arg;
    const http_thread_hooks *h = &t->srv->cfg.hooks;
    loop_self = t;
    if (h->start)
        t->state = h->start((http_thread *)t, h->ctx);
    loop_run(t);
    if (t->state && h->stop)
        h->stop(t->state);
    t->state = NULL;
    run_local(t);
    free_dead(t);
    loop_self = NULL;
    return NULL;
}

/* ---- start and stop ---- */

/* The thread's epoll set and eventfd; every thread is set up before any runs, since the
 * first to run may hand a connection to any other. */
static int thread_setup(loop_server *s, lthread *t, char *err, size_t errlen)
{
    t->ep = epoll_create1(EPOLL_CLOEXEC);
    t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = NULL};
    struct epoll_event wev = {.events = EPOLLIN, .data.ptr = t};
    if (t->ep < 0 || t->efd < 0 || epoll_ctl(t->ep, EPOLL_CTL_ADD, s->lfd, &lev) != 0 ||
        epoll_ctl(t->ep, EPOLL_CTL_ADD, t->efd, &wev) != 0) {
        snprintf(err, errlen, "cannot set up the HTTP event loop: %s", strerror(errno));
        return BERTH_EIO;
    }
    return 0;
}

static int thread_run(lthread *t, char *err, size_t errlen)
{
    int rc = pthread_create(&t->th, NULL, loop_main, t);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start an HTTP thread: %s", strerror(rc));
        return BERTH_EIO;
    }
    pthread_setname_np(t->th, "berth-http");
    t->running = true;
    return 0;
}

static void thread_join(lthread *t)
{
    if (!t->running)
        return;
    atomic_store(&t->stop, true);
    uint64_t one = 1;
    (void)!write(t->efd, &one, sizeof one);
    pthread_join(t->th, NULL);
}

/* After every thread has stopped (none can hand it a connection any more). */
static void thread_fini(lthread *t)
{
    while (t->conns)          /* nothing is deferred any more (http_server_stop) */
        lconn_close(t->conns);
    free_dead(t);
    for (size_t i = 0; i < t->nhanded; i++) {
        close(t->handed[i]);
        atomic_fetch_sub(&t->srv->nconns, 1);
    }
    berth_free(t->handed);
    lwatch_free_all(t);
    if (t->ep >= 0)
        close(t->ep);
    if (t->efd >= 0)
        close(t->efd);
    pthread_mutex_destroy(&t->mu);
}

static void server_free(loop_server *s)
{
    for (unsigned i = 0; i < s->nthreads; i++)
        thread_join(&s->threads[i]);
    for (unsigned i = 0; i < s->nthreads; i++)
        thread_fini(&s->threads[i]);
    berth_free(s->threads);
    if (s->lfd >= 0)
        close(s->lfd);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    berth_free(s);
}

static int open_listener(loop_server *s, const http_config *cfg, char *err, size_t errlen)
{
    s->lfd = cfg->listen_fd > 0 ? cfg->listen_fd : listener_bind(cfg->host, cfg->port, err, errlen);
    if (s->lfd < 0) {
        int rc = s->lfd;
        s->lfd = -1;
        return rc;
    }
    int fl = fcntl(s->lfd, F_GETFL);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (fl < 0 || fcntl(s->lfd, F_SETFL, fl | O_NONBLOCK) != 0 ||
        getsockname(s->lfd, (struct sockaddr *)&ss, &len) != 0) {
        snprintf(err, errlen, "cannot use the listening socket: %s", strerror(errno));
        return BERTH_EIO;
    }
    s->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                       : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}

int http_loop_start(const http_config *cfg, http_server **out, char *err, size_t errlen)
{
    loop_server *s = berth_calloc(1, sizeof *s);
    s->ops = &loop_ops;
    s->cfg = *cfg;
    s->cfg.host = NULL;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    int rc = open_listener(s, cfg, err, errlen);
    if (rc == 0) {
        s->threads = berth_calloc(cfg->threads, sizeof *s->threads);
        s->nthreads = cfg->threads;
        for (unsigned i = 0; i < s->nthreads; i++) {
            lthread *t = &s->threads[i];
            t->srv = s;
            t->ep = t->efd = -1;
            pthread_mutex_init(&t->mu, NULL);
        }
        for (unsigned i = 0; i < s->nthreads && rc == 0; i++)
            rc = thread_setup(s, &s->threads[i], err, errlen);
        for (unsigned i = 0; i < s->nthreads && rc == 0; i++)
            rc = thread_run(&s->threads[i], err, errlen);
    }
    if (rc != 0) {
        server_free(s);
        return rc;
    }
    *out = (http_server *)s;
    return 0;
}

static int loop_port(const http_server *hs)
{
    return ((const loop_server *)hs)->port;
}

static unsigned loop_deferred(const http_server *hs)
{
    loop_server *s = (loop_server *)hs;
    pthread_mutex_lock(&s->mu);
    unsigned n = s->held;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void loop_stop(http_server *hs)
{
    loop_server *s = (loop_server *)hs;
    pthread_mutex_lock(&s->mu);
    s->closing = true;
    while (s->held > 0)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    server_free(s);
}

/* ---- the request's headers and query ---- */

typedef struct lstr {
    struct lstr *next;
    char s[];
} lstr;

static const char *loop_query(const http_req *req, const char *name)
{
    lconn *c = req->state_;
    size_t n = strlen(c->head.target) + 1;
    lstr *v = berth_malloc(sizeof *v + n);
    if (!http_target_query(c->head.target, name, v->s, n)) {
        berth_free(v);
        return NULL;
    }
    v->next = c->strs;         /* freed with the request */
    c->strs = v;
    return v->s;
}

void lconn_free_strs(lconn *c)
{
    while (c->strs) {
        lstr *v = c->strs;
        c->strs = v->next;
        berth_free(v);
    }
}

static const char *loop_header(const http_req *req, const char *name)
{
    lconn *c = req->state_;
    return http_head_get(&c->head, name);
}

static void *loop_thread(const http_req *req)
{
    return ((const lconn *)req->state_)->t->state;
}

const http_ops loop_ops = {.query = loop_query, .header = loop_header, .defer = loop_defer,
                           .ready = loop_ready, .thread = loop_thread, .port = loop_port,
                           .deferred = loop_deferred, .stop = loop_stop};
