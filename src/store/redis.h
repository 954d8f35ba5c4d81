/* The one module that talks hiredis (0.14 today; a 1.x upgrade should touch only store/:
 * this file, reply.c, pool.c and subscribe.c; scripts/check-boundaries.sh keeps
 * <hiredis/...> out of every other directory). An rconn is one connection owned by one thread; it
 * reconnects lazily: after an I/O error the next call dials again, so callers only see
 * NULL replies (BERTH_EREDIS) while Redis is away and back off themselves.
 * Scripts run by EVALSHA; a NOSCRIPT answer (Redis restarted) reloads them once.
 * With sentinels, every dial asks them for the current master first, so a failover is
 * followed by the next reconnect. In a Redis Cluster (target.nnodes > 0), every dial asks
 * the cluster which master serves the namespace's slot (cluster.h), scripts declare the
 * namespace's prefix as their one key so that a node that does not serve it redirects
 * them, and MOVED (redial the new owner) and ASK (ASKING, then the command once on the
 * other node) are followed inside each call; CLUSTERDOWN and TRYAGAIN come back as a
 * connection failure (NULL: the command did not run; the caller backs off and retries). */
#ifndef BERTH_STORE_REDIS_H
#define BERTH_STORE_REDIS_H

#include <stdatomic.h>
#include <stdbool.h>

#include "berth/berth.h"
#include "store/args.h"
#include "store/reply.h"
#include "util/log.h"

/* What every connection to one Redis knows about it, so that an outage is logged once
 * and not by each thread at each retry: the first dial that fails says the connection is
 * lost, the first dial that works again says Redis is back and after how long. An I/O
 * error on an open connection only drops it (the next call dials); Redis restarting
 * leaves many stale connections, and only a failed dial says Redis is really away.
 * gen counts outages: it moves when a dial fails and when an open connection breaks, and
 * a pooled connection dialled under an older gen is closed instead of reused (pool.h), so
 * connections that sat idle through a restart never fail a request after it. */
typedef struct rhealth {
    atomic_bool down;
    _Atomic long long down_since_ms;
    atomic_uint gen;
    atomic_uint backs;   /* outages ended: a dial that failed but began before the last
                            one ended is stale (it says nothing), not a new outage */
    berth_logger log;
} rhealth;

typedef struct rhostport {
    char *host;
    int port;
} rhostport;

typedef struct rtarget {
    char *host;          /* TCP host (NULL when unix_path is set) */
    int port;
    char *unix_path;     /* unix socket, preferred when set */
    char *password;      /* AUTH when set */
    int db;              /* SELECT when > 0 */
    rhostport *sentinels; /* ask these, in order, for master's address at every dial */
    size_t nsentinels;
    char *master;        /* the sentinel master name (with sentinels) */
    rhostport *nodes;    /* Redis Cluster seed nodes: ask them for the slot's owner */
    size_t nnodes;       /* > 0: cluster mode (host/port: the last known owner) */
    int slot;            /* cluster mode: the namespace's hash slot */
    rhealth *health;     /* shared by every copy, not owned; NULL: outages are not logged */
} rtarget;

typedef enum {
    SCRIPT_ENQUEUE, SCRIPT_FETCH, SCRIPT_FINISH, SCRIPT_STATUS, SCRIPT_RESET, SCRIPT_SAVE,
    SCRIPT_STOP, SCRIPT_REQUEUE, SCRIPT_SCHEDULE, SCRIPT_SWEEP, SCRIPT_PERIOD_CREATE,
    SCRIPT_PERIOD_FIRE, SCRIPT_PERIOD_UNSCHEDULE, SCRIPT_PERIOD_TRIM, SCRIPT_HOOK_LEADER,
    SCRIPT_HOOK_PREPARE, SCRIPT_HOOK_DONE, SCRIPT_HOOK_REPLAY, SCRIPT_QUEUE, SCRIPT_COUNT
} script_id;

typedef struct rconn {
    struct redisContext *c;      /* hiredis's, opaque outside store/; NULL while disconnected */
    unsigned gen;                /* target.health->gen when c was dialled */
    rtarget target;              /* owned copy */
    int timeout_ms;              /* socket timeout for every call */
    char sha[SCRIPT_COUNT][41];  /* "" until loaded on this server */
    char err[256];               /* last connection or reply error text */
    bool nomem;                  /* the last call failed for want of memory, not Redis */
} rconn;

/* An owned target for the Redis that an engine config names, its defaults applied
 * (127.0.0.1:6379; sentinel port 26379; cluster node port 6379, the slot of "{ns}:");
 * free with rtarget_free. */
int rtarget_from_config(rtarget *t, const berth_engine_config *c, rhealth *health);
/* Copies a target (all strings duplicated); free with rtarget_free. Both: 0, or
 * BERTH_ENOMEM with the partial copy still to be freed with rtarget_free. */
int rtarget_copy(rtarget *dst, const rtarget *src);
void rtarget_free(rtarget *t);

/* Sets up rc (no I/O). timeout_ms 0 means no timeout (blocking subscriber). If the target
 * cannot be copied (out of memory), every rconn_connect fails with BERTH_ENOMEM. */
void rconn_init(rconn *rc, const rtarget *t, int timeout_ms);
/* Dials now if disconnected. 0, or BERTH_EREDIS (BERTH_ENOMEM) with rc->err set. */
int rconn_connect(rconn *rc);
void rconn_close(rconn *rc);   /* closes and frees the target copy */
bool rconn_connected(const rconn *rc);
/* True when rc is connected and was dialled in the current outage generation (no I/O). */
bool rconn_current(const rconn *rc);
/* rconn_current, and its socket has neither been closed by the server nor holds unread
 * bytes (a non-blocking peek: one system call). */
bool rconn_fresh(const rconn *rc);

/* Each returns the reply (caller frees with rreply_free) or NULL on a connection
 * error (rc->err says why; the connection is dropped and redialled on the next call).
 * An error *reply* is returned as a reply for which rreply_is_error holds. */
rreply *rconn_cmd(rconn *rc, const char *fmt, ...);
rreply *rconn_argv(rconn *rc, const rargs *a);
rreply *rconn_eval(rconn *rc, script_id id, const rargs *a);
/* For commands that only read: a connection that breaks under the call (it was open
 * before it) is redialled and the command sent once more. Never use it for a write: the
 * first attempt may have been applied before the connection broke. */
rreply *rconn_read(rconn *rc, const char *fmt, ...);

/* Pipelined script calls (bulk enqueue: the client builds the next call while Redis runs
 * the last one). rconn_eval_send dials, loads the script if needed, and writes the call to
 * the socket without reading its reply: 0, or BERTH_EREDIS/BERTH_ENOMEM (nothing sent).
 * rconn_eval_recv reads the replies in the order the calls were sent (NULL: the connection
 * broke, rc->err says why; every call still pending is lost with it, and whether a call
 * whose reply was lost ran is unknown). While calls are pending rc is for nothing else.
 * A reply may be NOSCRIPT (the script cache was flushed after the load): that call did not
 * run. Not on a Redis Cluster (rconn_pipelines false): a redirection cannot be followed in
 * the middle of a pipeline, so a caller sends one call at a time there (rconn_eval). */
bool rconn_pipelines(const rconn *rc);
int rconn_eval_send(rconn *rc, script_id id, const rargs *a);
rreply *rconn_eval_recv(rconn *rc);

/* For store/'s own non-blocking calls (nbio.h). rconn_broke gives up an open connection
 * that broke (closed, its outage generation moved, why in rc->err). rconn_eval_argv builds
 * the EVALSHA vector of script id with a (borrowed strings: free the two arrays, not the
 * strings): its length, or -1 (out of memory, rc->err set). */
void rconn_broke(rconn *rc, const char *why);
int rconn_eval_argv(rconn *rc, script_id id, const rargs *a, const char ***argvp,
                    size_t **lensp);

/* Script source text (for tests and SCRIPT LOAD). */
const char *rconn_script_source(script_id id);

/* The error code for a call that returned NULL: BERTH_ENOMEM when it ran out of memory
 * (rc->nomem), else BERTH_EREDIS. */
int rconn_fail_code(const rconn *rc);

/* True if r is a usable reply (not NULL, not an error); else copies the error into rc->err. */
bool rconn_ok(rconn *rc, const rreply *r);

/* The level at which a caller logs its failed call that got reply r: a NULL reply is a
 * connection failure, which the target's rhealth already reports once per outage, so
 * DEBUG; an error reply (OOM, a script error) is the caller's to report, WARNING. */
berth_log_level rconn_fail_level(const rreply *r);

#endif
