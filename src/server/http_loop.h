/* Internal to berthd's own HTTP event loop (http_loop.c: threads, accepting, timers,
 * deferred answers; http_loop_conn.c: reading requests; http_loop_write.c: responses).
 *
 * Ownership and threads: each loop thread (lthread) owns its epoll set, every connection
 * (lconn) it accepted, its hooks' state and its watched descriptors (lwatch); a connection
 * is touched only by its thread, except its `ready`, `waiting` and `rnext` fields, which
 * http_defer_ready sets from any other thread under the thread's `mu` (on the thread
 * itself it queues the connection on the thread's own `local` list, no eventfd). Connections are freed at the end of the loop iteration that closed
 * them (the `dead` list), so an event of the same epoll batch never meets freed memory. */
#ifndef BERTH_SERVER_HTTP_LOOP_H
#define BERTH_SERVER_HTTP_LOOP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/http.h"
#include "server/http_backend.h"
#include "server/http_parse.h"

/* libmicrohttpd's connection memory, which bounded a request head before: 431 past it */
#define LOOP_MAX_HEAD (32 * 1024)
#define LOOP_IN_START 4096            /* a connection's first read buffer */
#define LOOP_LINGER_MS 1000           /* reading and dropping after a close we start */
#define LOOP_STREAM_RETRY_MS HTTP_STREAM_RETRY_MS  /* a stream that had nothing: asked again */
#define LOOP_SWEEP_MS 250             /* timeouts are checked this often */

enum lphase {
    LP_IDLE,       /* kept alive, waiting for the next request (idle_timeout_s) */
    LP_HEAD,       /* reading the request head (read_timeout_s from its start) */
    LP_BODY,       /* reading the body (read_timeout_s from the end of the head) */
    LP_DEFERRED,   /* the handler deferred; waiting for http_defer_ready */
    LP_WRITE,      /* writing the response (a stall of read_timeout_s closes) */
    LP_LINGER,     /* we closed our side: reading and dropping until the client closes */
};

struct lthread;

typedef struct lconn {
    const http_ops *ops;       /* first (http_backend.h): req->state_ and http_defer are this */
    struct lthread *t;
    struct lconn *prev, *next; /* t->conns while open */
    struct lconn *rnext;       /* t->ready (under t->mu), then t->dead */
    int fd;                    /* -1 once closed */
    enum lphase phase;
    bool can_read, can_write;  /* edge-triggered: set by events, cleared at EAGAIN */
    bool hup;                  /* the client has gone (EPOLLHUP / ERR) */
    int64_t deadline_ms;       /* 0: none */
    /* input: the head, then the body right after it (decoded in place when chunked) */
    char *in;
    size_t in_len, in_cap, scanned;
    http_head head;
    char *path;                /* decoded path (own allocation) */
    size_t body_len;           /* body bytes at in + head.head_len */
    size_t raw_off;            /* chunked: undecoded input starts here */
    http_chunked ch;
    bool too_big;              /* unannounced body past max_body: dropped, then 413 */
    size_t req_end;            /* the request's last byte + 1 (a pipelined one follows) */
    char saved;                /* in[req_end], replaced by the body's NUL meanwhile */
    bool have_req;             /* a head was parsed (the fields above are the request's) */
    struct lstr *strs;         /* query values handed out for this request */
    /* deferred answer */
    http_answer_fn answer;
    void *answer_arg;
    bool deferred, answered;
    bool ready, waiting;       /* under t->mu */
    /* output */
    http_resp resp;
    bool has_resp;
    bool close_after;          /* close once the response is out */
    bool head_only;            /* HEAD: no body */
    bool chunked_out;          /* the stream goes with chunked encoding */
    char *out;                 /* the response head, then a stream's current chunk */
    size_t out_len, out_cap, out_off;  /* out_off: bytes of out written */
    size_t body_off;           /* bytes of the in-memory body written */
    bool stream_end;           /* the stream said END: its last chunk is in out */
    int64_t stream_retry_ms;   /* > 0: the stream had nothing; ask again then */
} lconn;

typedef struct loop_server loop_server;

/* A descriptor of the application's in the thread's epoll set (http_thread_watch); its
 * epoll data is the lwatch, told apart from an lconn by its first field. Unwatched, it is
 * freed at the end of the turn (an event of the same epoll batch may still name it). */
typedef struct lwatch {
    const void *kind;          /* &lwatch_kind (an lconn has &loop_ops here) */
    struct lwatch *next;       /* t->watches, then t->dead_watches */
    int fd;                    /* the application's number; -1 once unwatched */
    int own;                   /* our close-on-exec duplicate of it: what epoll holds */
    http_watch_fn fn;
    void *arg;
} lwatch;

extern const int lwatch_kind;

typedef struct lthread {
    loop_server *srv;
    pthread_t th;
    int ep, efd;               /* epoll set, and the eventfd that wakes it */
    bool running;
    atomic_bool stop;
    pthread_mutex_t mu;        /* guards ready and every lconn's ready/waiting/rnext */
    lconn *ready, *ready_tail; /* deferred answers ready to run (under mu) */
    int *handed;               /* sockets accepted by another thread for this one (under mu) */
    size_t nhanded, handed_cap;
    lconn *conns;              /* open connections */
    lconn *dead;               /* closed, freed at the end of the iteration */
    unsigned streams_waiting;  /* connections with stream_retry_ms set */
    int64_t now_ms, next_sweep_ms;
    int64_t date_s;            /* the second date[] was written for */
    char date[40];             /* "Date: ...\r\n" */
    unsigned header_cuts;      /* header deadlines passed since the last log */
    void *state;               /* the hooks' (http_thread_hooks.start), or NULL */
    lconn *local, *local_tail; /* answers readied on this thread, run this turn (no lock) */
    lwatch *watches;           /* watched descriptors (http_thread_watch) */
    lwatch *dead_watches;      /* unwatched, freed at the end of the turn */
} lthread;

struct loop_server {
    const http_ops *ops;       /* first (http_backend.h) */
    http_config cfg;           /* copy (defaults applied); cfg.host not kept */
    int lfd, port;
    atomic_uint nconns;
    atomic_uint next_thread;   /* round robin of new connections over the threads */
    lthread *threads;
    unsigned nthreads;
    pthread_mutex_t mu;        /* guards held and closing */
    pthread_cond_t cv;         /* held dropped to 0 while closing */
    unsigned held;             /* deferred requests not yet answered */
    bool closing;
};

extern const http_ops loop_ops;

/* http_loop_conn.c: drives c as far as its bytes allow (reading, parsing, calling the
 * handler, writing); returns when it waits for the socket or a deferred answer, or closed c. */
void lconn_run(lconn *c);
/* Closes c's socket and queues c to be freed (not while its deferred answer is pending:
 * the answer frees it). */
void lconn_close(lconn *c);
/* Ends the current request and frees what it held. */
void lconn_end_request(lconn *c);
/* Calls the deferred answer (ready) and sends its response. */
void lconn_answer(lconn *c);

/* http_loop_write.c: sets c's response from r (taken over; r is left empty), phase WRITE */
void lconn_respond(lconn *c, http_resp *r);
/* Sets a raw response (Go's bytes for a bad request) and closes after it. */
void lconn_respond_raw(lconn *c, const char *text);
/* Writes what it can: 1 done, 0 the socket is full (or a stream waits), -1 error. */
int lconn_write(lconn *c);
/* The response's resources (stream done called, fd closed). */
void lconn_resp_free(lconn *c);

/* http_loop_watch.c: a watched descriptor's epoll event (w may be unwatched: ignored) */
void lwatch_event(lwatch *w, uint32_t ev);
/* Frees the watches unwatched this turn; all of them (the thread has ended). */
void lwatch_free_dead(lthread *t);
void lwatch_free_all(lthread *t);

/* http_loop.c: the loop thread running on the calling thread, or NULL */
lthread *lthread_self(void);
/* http_loop.c: a deferred request was answered (held count) */
void loop_answered(loop_server *s);
/* http_loop.c: frees the query values handed out for the request */
void lconn_free_strs(lconn *c);

#endif
