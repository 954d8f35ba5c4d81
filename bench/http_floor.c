/* The machine's HTTP floor for the launch benchmark (scripts/bench_http_floor.sh): servers
 * that answer every request with a fixed 202 of a launch reply's size (no Redis, no parse),
 * so wrk's rate against them bounds what berthd can reach on the same cores.
 *
 *   http_floor mhd PORT THREADS        libmicrohttpd with berthd's flags and options
 *   http_floor mhd-resume PORT THREADS the same, each request suspended and resumed from
 *                                      another thread in batches, as a deferred launch is
 *   http_floor mhd-poll[-resume] ...  the same two with poll(2) in place of epoll
 *   http_floor epoll PORT THREADS      a hand-written epoll HTTP/1.1 server (keep-alive,
 *                                      Content-Length bodies only): the floor of any server
 *   http_floor berth[-defer] ...       berthd's HTTP layer (http.h) on its own event loop,
 *                                      answering in the handler or deferred and readied
 *                                      from another thread in batches, as a launch is
 *   http_floor berth-mhd[-defer] ...   the same http.h layer on libmicrohttpd
 *
 * Runs until killed. Not shipped; a benchmark tool, so it prints and exits on errors. */
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/http.h"

/* The size of berthd's 202 to bench/http_launch.lua's body (234 bytes). */
static const char BODY[] =
    "{\"job\":{\"id\":\"c78588a3f46aea1c46e6639d\",\"status\":\"Pending\",\"name\":\"SCHEDULER\","
    "\"kind\":\"Generic\",\"unique\":false,\"ref_link\":\"/api/v1/jobs/c78588a3f46aea1c46e6639d\","
    "\"enqueue_time\":1796645930,\"update_time\":1796645930,\"parameters\":{\"k\":1}}}";

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* ---- libmicrohttpd ---- */

/* Connections suspended and waiting for the resumer thread (mhd-resume). */
typedef struct pending {
    struct pending *next;
    struct MHD_Connection *conn;
} pending;

static pthread_mutex_t pmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pcv = PTHREAD_COND_INITIALIZER;
static pending *queue;
static bool resume_mode;
static bool poll_mode;        /* MHD_USE_POLL_INTERNAL_THREAD instead of epoll */

/* Per request: whether the body has been read and whether it was suspended already. */
typedef struct req {
    bool started, suspended;
} req;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls, (void)uri, (void)conn;
    return calloc(1, sizeof(req));   /* berthd makes a request state here too */
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn, (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static enum MHD_Result answer(struct MHD_Connection *conn)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(sizeof BODY - 1, (void *)BODY,
                                                             MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Server", "berthd/0.1.0");
    MHD_add_response_header(r, "Accept", "application/json");
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, 202, r);
    MHD_destroy_response(r);
    return ret;
}

/* Resumes whatever waits, a batch per wake-up, as the coalescer's sender answers a batch. */
static void *resumer(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&pmu);
        while (!queue)
            pthread_cond_wait(&pcv, &pmu);
        pending *p = queue;
        queue = NULL;
        pthread_mutex_unlock(&pmu);
        while (p) {
            pending *next = p->next;
            MHD_resume_connection(p->conn);
            free(p);
            p = next;
        }
    }
    return NULL;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    (void)cls, (void)url, (void)method, (void)version, (void)upload_data;
    req *rq = *con_cls;
    if (!rq->started) {
        rq->started = true;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!resume_mode || rq->suspended)
        return answer(conn);
    rq->suspended = true;
    MHD_suspend_connection(conn);
    pending *p = malloc(sizeof *p);
    p->conn = conn;
    pthread_mutex_lock(&pmu);
    p->next = queue;
    queue = p;
    pthread_cond_signal(&pcv);
    pthread_mutex_unlock(&pmu);
    return MHD_YES;
}

static void run_mhd(int port, unsigned threads)
{
    pthread_t t;
    if (resume_mode && pthread_create(&t, NULL, resumer, NULL) != 0)
        die("pthread_create");
    unsigned loop = poll_mode ? MHD_USE_POLL_INTERNAL_THREAD : MHD_USE_EPOLL_INTERNAL_THREAD;
    struct MHD_Daemon *d = MHD_start_daemon(
        loop | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME,
        (uint16_t)port, NULL, NULL, on_access, NULL,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, 1024,
        MHD_OPTION_CONNECTION_TIMEOUT, 60,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_END);
    if (!d)
        die("MHD_start_daemon");
    pause();
}

/* ---- epoll ---- */

typedef struct conn {
    int fd;
    size_t len;
    char in[4096];
} conn;

static char reply[512];
static size_t reply_len;

/* Length of the first complete request in c->in, or 0 while it is incomplete. */
static size_t request_len(const conn *c)
{
    const char *end = memmem(c->in, c->len, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t head = (size_t)(end - c->in) + 4, body = 0;
    for (const char *p = c->in; p < end; p++) {
        if (*p == '\n' && strncasecmp(p + 1, "Content-Length:", 15) == 0) {
            body = strtoul(p + 16, NULL, 10);
            break;
        }
    }
    return c->len >= head + body ? head + body : 0;
}

/* Reads what is there and answers each complete request; false: close the connection. */
static bool serve(conn *c)
{
    ssize_t n = read(c->fd, c->in + c->len, sizeof c->in - c->len);
    if (n <= 0)
        return n < 0 && errno == EAGAIN;
    c->len += (size_t)n;
    size_t used;
    while ((used = request_len(c)) > 0) {
        if (write(c->fd, reply, reply_len) != (ssize_t)reply_len)
            return false;
        memmove(c->in, c->in + used, c->len - used);
        c->len -= used;
    }
    return c->len < sizeof c->in;
}

/* One thread: its own listening socket on the shared port (SO_REUSEPORT) and epoll set. */
static void *epoll_thread(void *arg)
{
    int port = (int)(intptr_t)arg, one = 1;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(ls, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 1024) != 0)
        die("bind/listen");
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    struct epoll_event evs[64];
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (!c) {
                int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
                if (fd < 0)
                    continue;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                c = calloc(1, sizeof *c);
                c->fd = fd;
                struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
            } else if (!serve(c)) {
                close(c->fd);
                free(c);
            }
        }
    }
    return NULL;
}

static void run_epoll(int port, unsigned threads)
{
    reply_len = (size_t)snprintf(reply, sizeof reply,
                                 "HTTP/1.1 202 Accepted\r\nDate: Mon, 07 Dec 2026 12:18:50 GMT\r\n"
                                 "Server: berthd/0.1.0\r\nAccept: application/json\r\n"
                                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                                 sizeof BODY - 1, BODY);
    for (unsigned i = 0; i < threads; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, epoll_thread, (void *)(intptr_t)port) != 0)
            die("pthread_create");
    }
    pause();
}

/* ---- berthd's http.h ---- */

typedef struct dpending {
    http_defer *d;
    struct dpending *next;
} dpending;

static dpending *dqueue;
static bool berth_defer;

static void berth_answer(const http_req *hr, http_resp *resp, void *arg)
{
    (void)hr, (void)arg;
    resp->status = 202;
    http_resp_header(resp, "Content-Type", "application/json");
    buf_append(&resp->body, BODY, sizeof BODY - 1);
}

/* Readies whatever waits, a batch per wake-up, as the coalescer's sender does. */
static void *readier(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&pmu);
        while (!dqueue)
            pthread_cond_wait(&pcv, &pmu);
        dpending *p = dqueue;
        dqueue = NULL;
        pthread_mutex_unlock(&pmu);
        while (p) {
            dpending *next = p->next;
            http_defer_ready(p->d);
            free(p);
            p = next;
        }
    }
    return NULL;
}

static void berth_handler(const http_req *hr, http_resp *resp, void *ctx)
{
    (void)ctx;
    http_defer *d = berth_defer ? http_req_defer(hr, berth_answer, NULL) : NULL;
    if (!d) {
        berth_answer(hr, resp, NULL);
        return;
    }
    dpending *p = malloc(sizeof *p);
    p->d = d;
    pthread_mutex_lock(&pmu);
    p->next = dqueue;
    dqueue = p;
    pthread_cond_signal(&pcv);
    pthread_mutex_unlock(&pmu);
}

static void run_berth(int port, unsigned threads, int server)
{
    pthread_t t;
    if (berth_defer && pthread_create(&t, NULL, readier, NULL) != 0)
        die("pthread_create");
    http_config cfg = {.host = "127.0.0.1", .port = port, .threads = threads,
                       .handler = berth_handler, .server = server};
    http_server *s;
    char err[256];
    if (http_server_start(&cfg, &s, err, sizeof err) != 0)
        die(err);
    pause();
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s mhd|mhd-resume|mhd-poll|mhd-poll-resume|epoll|berth[-mhd][-defer] PORT THREADS\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int port = atoi(argv[2]);
    unsigned threads = (unsigned)atoi(argv[3]);
    if (strcmp(argv[1], "epoll") == 0) {
        run_epoll(port, threads);
    } else if (strncmp(argv[1], "berth", 5) == 0) {
        berth_defer = strstr(argv[1], "defer") != NULL;
        run_berth(port, threads, strstr(argv[1], "mhd") ? HTTP_SERVER_MHD : HTTP_SERVER_BUILTIN);
    } else {
        resume_mode = strstr(argv[1], "resume") != NULL;
        poll_mode = strncmp(argv[1], "mhd-poll", 8) == 0;
        run_mhd(port, threads);
    }
    return 0;
}
