/* hiredis wrapper: lazy reconnect, AUTH/SELECT, EVALSHA with NOSCRIPT reload; see redis.h. */
#include "store/redis.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "berth/error.h"
#include "store/cluster.h"
#include "store/resp.h"
#include "util/alloc.h"
#include "util/clock.h"

extern const char berth_lua_enqueue[], berth_lua_fetch[], berth_lua_finish[],
    berth_lua_status[], berth_lua_reset[], berth_lua_save[], berth_lua_stop[],
    berth_lua_requeue[], berth_lua_schedule[], berth_lua_sweep[], berth_lua_period_create[],
    berth_lua_period_fire[], berth_lua_period_unschedule[], berth_lua_period_trim[],
    berth_lua_hook_leader[], berth_lua_hook_prepare[], berth_lua_hook_done[], berth_lua_hook_replay[],
    berth_lua_queue[];

static const char *const sources[SCRIPT_COUNT] = {
    berth_lua_enqueue, berth_lua_fetch, berth_lua_finish, berth_lua_status, berth_lua_reset,
    berth_lua_save, berth_lua_stop, berth_lua_requeue, berth_lua_schedule, berth_lua_sweep,
    berth_lua_period_create, berth_lua_period_fire, berth_lua_period_unschedule,
    berth_lua_period_trim, berth_lua_hook_leader, berth_lua_hook_prepare, berth_lua_hook_done,
    berth_lua_hook_replay, berth_lua_queue,
};

const char *rconn_script_source(script_id id)
{
    return sources[id];
}

/* Copies n borrowed host:port pairs into *to (port 0 → dflt), counting in *count. */
static int copy_hosts(rhostport **to, size_t *count, const rhostport *from, size_t n, int dflt)
{
    *to = NULL;
    *count = 0;
    if (n && !(*to = berth_calloc(n, sizeof **to)))
        return BERTH_ENOMEM;
    for (size_t i = 0; i < n; i++, (*count)++) {
        if (!((*to)[i].host = berth_strdup(from[i].host)))
            return BERTH_ENOMEM;
        (*to)[i].port = from[i].port ? from[i].port : dflt;
    }
    return 0;
}

/* Copies the strings of a target whose strings are borrowed (*t as given) into owned
 * ones. On failure *t holds what was copied so far: rtarget_free frees it. */
static int own_strings(rtarget *t)
{
    const char *from[] = {t->host, t->unix_path, t->password, t->master};
    char **to[] = {&t->host, &t->unix_path, &t->password, &t->master};
    const rhostport *sentinels = t->sentinels, *nodes = t->nodes;
    size_t nsentinels = t->nsentinels, nnodes = t->nnodes;
    t->host = t->unix_path = t->password = t->master = NULL;
    t->sentinels = t->nodes = NULL;
    t->nsentinels = t->nnodes = 0;
    int rc = 0;
    for (size_t i = 0; i < 4; i++)
        if (rc == 0 && from[i] && !(*to[i] = berth_strdup(from[i])))
            rc = BERTH_ENOMEM;
    if (rc == 0)
        rc = copy_hosts(&t->sentinels, &t->nsentinels, sentinels, nsentinels, 26379);
    if (rc == 0)
        rc = copy_hosts(&t->nodes, &t->nnodes, nodes, nnodes, 6379);
    return rc;
}

int rtarget_copy(rtarget *dst, const rtarget *src)
{
    *dst = *src;
    return own_strings(dst);
}

/* The borrowed host:port pairs of a config list, in a new array (NULL when n is 0). */
static rhostport *borrow_hosts(const berth_hostport *list, size_t n, bool *nomem)
{
    rhostport *h = n ? berth_calloc(n, sizeof *h) : NULL;
    *nomem = *nomem || (n && !h);
    for (size_t i = 0; h && i < n; i++)
        h[i] = (rhostport){(char *)list[i].host, list[i].port};
    return h;
}

int rtarget_from_config(rtarget *t, const berth_engine_config *c, rhealth *health)
{
    bool nomem = false;
    size_t ns = c->redis_sentinels ? c->redis_nsentinels : 0;
    size_t nc = c->redis_cluster ? c->redis_ncluster : 0;
    rhostport *s = borrow_hosts(c->redis_sentinels, ns, &nomem);
    rhostport *n = borrow_hosts(c->redis_cluster, nc, &nomem);
    char prefix[256];
    int plen = snprintf(prefix, sizeof prefix, "{%s}:", c->ns && *c->ns ? c->ns : "berth");
    *t = (rtarget){.host = (char *)(nc ? n[0].host : c->redis_host ? c->redis_host : "127.0.0.1"),
                   .port = nc ? (n[0].port ? n[0].port : 6379) : c->redis_port ? c->redis_port : 6379,
                   .unix_path = (char *)c->redis_unix,
                   .password = (char *)c->redis_password,
                   .db = c->redis_db,
                   .sentinels = s,
                   .nsentinels = ns,
                   .master = (char *)c->redis_master,
                   .nodes = n,
                   .nnodes = nc,
                   .slot = rcluster_slot(prefix, plen < (int)sizeof prefix ? (size_t)plen
                                                                            : sizeof prefix - 1),
                   .health = health};
    int rc = nomem ? BERTH_ENOMEM : own_strings(t);
    if (nomem)
        *t = (rtarget){0};
    berth_free(s);
    berth_free(n);
    return rc;
}

void rtarget_free(rtarget *t)
{
    berth_free(t->host);
    berth_free(t->unix_path);
    berth_free(t->password);
    for (size_t i = 0; i < t->nsentinels; i++)
        berth_free(t->sentinels[i].host);
    berth_free(t->sentinels);
    for (size_t i = 0; i < t->nnodes; i++)
        berth_free(t->nodes[i].host);
    berth_free(t->nodes);
    berth_free(t->master);
    *t = (rtarget){0};
}

void rconn_init(rconn *rc, const rtarget *t, int timeout_ms)
{
    memset(rc, 0, sizeof *rc);
    if (rtarget_copy(&rc->target, t) != 0) /* rconn_connect then fails: see there */
        rtarget_free(&rc->target);
    rc->timeout_ms = timeout_ms;
}

/* A dial failed: the first failure of an outage says so, unless Redis came back since the
 * dial began (backs0: h->backs then): a dial held up in a slow connect, or a thread
 * preempted between its failed connect and here, would otherwise declare a second outage
 * after "redis is back". */
static void health_lost(rconn *rc, unsigned backs0)
{
    rhealth *h = rc->target.health;
    bool up = false;
    if (h)
        atomic_fetch_add(&h->gen, 1);
    if (!h || atomic_load(&h->backs) != backs0 ||
        !atomic_compare_exchange_strong(&h->down, &up, true))
        return;
    atomic_store(&h->down_since_ms, clock_mono_ms());
    BLOG_WARN(&h->log, "lost the connection to redis: %s; retrying with back-off (launches "
              "are refused and jobs wait until it is back)", rc->err);
}

/* A dial worked: the first success after an outage says so. */
static void health_back(rconn *rc)
{
    rhealth *h = rc->target.health;
    bool down = true;
    if (!h || !atomic_compare_exchange_strong(&h->down, &down, false))
        return;
    atomic_fetch_add(&h->backs, 1);
    BLOG_WARN(&h->log, "redis is back after %lld ms", clock_mono_ms() - atomic_load(&h->down_since_ms));
}

berth_log_level rconn_fail_level(const rreply *r)
{
    return r ? BERTH_LOG_WARNING : BERTH_LOG_DEBUG;
}

static void drop(rconn *rc, const char *why)
{
    snprintf(rc->err, sizeof rc->err, "%s", why);
    if (rc->c)
        redisFree(rc->c);
    rc->c = NULL;
}

/* An open connection broke: its siblings dialled before may be just as dead (a restart
 * closes them all), so the generation moves and pools stop handing them out. */
static void broke(rconn *rc, const char *why)
{
    if (rc->c && rc->target.health)
        atomic_fetch_add(&rc->target.health->gen, 1);
    drop(rc, why);
}

void rconn_broke(rconn *rc, const char *why)
{
    broke(rc, why);
}

static int handshake(rconn *rc)
{
    redisReply *r = NULL;
    if (rc->target.password && *rc->target.password) {
        r = redisCommand(rc->c, "AUTH %s", rc->target.password);
        if (!r || r->type == REDIS_REPLY_ERROR)
            goto fail;
        freeReplyObject(r);
    }
    if (rc->target.db > 0) {
        r = redisCommand(rc->c, "SELECT %d", rc->target.db);
        if (!r || r->type == REDIS_REPLY_ERROR)
            goto fail;
        freeReplyObject(r);
    }
    return 0;
fail:
    drop(rc, r && r->str ? r->str : "handshake failed");
    freeReplyObject(r);
    return BERTH_EREDIS;
}

/* During an outage a connect alone does not prove Redis back: a killed redis-server's
 * listening socket still completes connects until the kernel has torn the process down
 * (the dial "worked", the next command fails, and a second outage was declared), and a
 * restarted one answers LOADING until its data is read. So the first dial after the
 * outage asks PING; outside an outage, nothing (no round trip added). */
static int confirm_back(rconn *rc)
{
    rhealth *h = rc->target.health;
    if (!h || !atomic_load(&h->down))
        return 0;
    redisReply *r = redisCommand(rc->c, "PING");
    if (r && r->type == REDIS_REPLY_STATUS) {
        freeReplyObject(r);
        return 0;
    }
    drop(rc, r && r->type == REDIS_REPLY_ERROR ? r->str : rc->c->errstr);
    freeReplyObject(r);
    return BERTH_EREDIS;
}

/* Asks one sentinel for the master's address (SENTINEL get-master-addr-by-name). */
static int ask_sentinel(rconn *rc, const char *host, int port, char *mhost, size_t mlen,
                        int *mport)
{
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    int ok = 0;
    if (c && !c->err) {
        redisSetTimeout(c, tv);
        redisReply *r = redisCommand(c, "SENTINEL get-master-addr-by-name %s", rc->target.master);
        ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
             r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING;
        if (ok) {
            snprintf(mhost, mlen, "%s", r->element[0]->str);
            *mport = atoi(r->element[1]->str);
        }
        freeReplyObject(r);
    }
    if (c)
        redisFree(c);
    return ok ? 0 : BERTH_EREDIS;
}

/* Sets target.host/port from the first sentinel that knows the master: 0, BERTH_EREDIS
 * or BERTH_ENOMEM. */
static int resolve_master(rconn *rc)
{
    char mhost[256];
    int mport = 0;
    for (size_t i = 0; i < rc->target.nsentinels; i++) {
        const rhostport *s = &rc->target.sentinels[i];
        if (ask_sentinel(rc, s->host, s->port ? s->port : 26379, mhost, sizeof mhost,
                         &mport) == 0) {
            if (berth_strdup_to(&rc->target.host, mhost) != 0) {
                snprintf(rc->err, sizeof rc->err, "out of memory setting up the connection");
                return BERTH_ENOMEM;
            }
            rc->target.port = mport;
            return 0;
        }
    }
    snprintf(rc->err, sizeof rc->err, "none of the %zu sentinels (first %s:%d) knows master '%s'",
             rc->target.nsentinels, rc->target.sentinels[0].host, rc->target.sentinels[0].port,
             rc->target.master);
    return BERTH_EREDIS;
}

int rconn_connect(rconn *rc)
{
    if (rc->c)
        return 0;
    rc->nomem = !rc->target.host && !rc->target.unix_path; /* rconn_init ran out */
    if (rc->nomem) {
        snprintf(rc->err, sizeof rc->err, "out of memory setting up the connection");
        return BERTH_ENOMEM;
    }
    unsigned backs0 = rc->target.health ? atomic_load(&rc->target.health->backs) : 0;
    int found = rc->target.nsentinels > 0 ? resolve_master(rc)
                : rc->target.nnodes > 0   ? rcluster_find_owner(rc)
                                          : 0;
    rc->nomem = found == BERTH_ENOMEM;
    if (rc->nomem)
        return found;
    if (found != 0) {
        health_lost(rc, backs0);
        return BERTH_EREDIS;
    }
    struct timeval tv = {rc->timeout_ms / 1000, (rc->timeout_ms % 1000) * 1000};
    if (rc->target.unix_path && *rc->target.unix_path)
        rc->c = rc->timeout_ms ? redisConnectUnixWithTimeout(rc->target.unix_path, tv)
                               : redisConnectUnix(rc->target.unix_path);
    else
        rc->c = rc->timeout_ms ? redisConnectWithTimeout(rc->target.host, rc->target.port, tv)
                               : redisConnect(rc->target.host, rc->target.port);
    if (!rc->c || rc->c->err) {
        drop(rc, rc->c ? rc->c->errstr : "cannot allocate redis context");
        health_lost(rc, backs0);
        return BERTH_EREDIS;
    }
    if (rc->timeout_ms)
        redisSetTimeout(rc->c, tv);
    rc->gen = rc->target.health ? atomic_load(&rc->target.health->gen) : 0;
    for (int i = 0; i < SCRIPT_COUNT; i++)
        rc->sha[i][0] = '\0';
    int err = handshake(rc);
    if (err == 0)
        err = confirm_back(rc);
    if (err == 0)
        health_back(rc);
    return err;
}

void rconn_close(rconn *rc)
{
    if (rc->c)
        redisFree(rc->c);
    rc->c = NULL;
    rtarget_free(&rc->target);
}

bool rconn_connected(const rconn *rc)
{
    return rc->c != NULL;
}

bool rconn_current(const rconn *rc)
{
    return rc->c && !(rc->target.health && atomic_load(&rc->target.health->gen) != rc->gen);
}

bool rconn_fresh(const rconn *rc)
{
    if (!rconn_current(rc))
        return false;
    char b;
    ssize_t n = recv(rc->c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static rreply *checked(rconn *rc, void *reply)
{
    if (!reply)
        broke(rc, rc->c && rc->c->errstr[0] ? rc->c->errstr : "connection lost");
    return reply;
}

/* Sends one formatted command on rc (dialling first) and reads its reply. */
static redisReply *exchange(rconn *rc, const char *cmd, size_t len)
{
    if (rconn_connect(rc) != 0)
        return NULL;
    void *r = NULL;
    if (redisAppendFormattedCommand(rc->c, cmd, len) == REDIS_OK)
        redisGetReply(rc->c, &r);
    return (redisReply *)checked(rc, r);
}

/* ASK: the slot is moving and this one command goes, after ASKING, to the node that
 * imports it, on a connection of its own (the slot's owner does not change until the
 * move ends with a MOVED). */
static redisReply *asked(rconn *rc, const rredirect *rd, const char *cmd, size_t len)
{
    rtarget t = {.host = (char *)rd->host, .port = rd->port, .password = rc->target.password,
                 .db = rc->target.db, .slot = rc->target.slot}; /* borrowed: copied below */
    rconn other;
    rconn_init(&other, &t, rc->timeout_ms);
    redisReply *ok = (redisReply *)rconn_cmd(&other, "ASKING");
    redisReply *r = ok && ok->type != REDIS_REPLY_ERROR ? exchange(&other, cmd, len) : NULL;
    freeReplyObject(ok);
    if (!r)
        snprintf(rc->err, sizeof rc->err, "ASK to %.100s:%d: %.120s", rd->host, rd->port,
                 other.err);
    rc->nomem = !r && other.nomem;
    rconn_close(&other);
    return r;
}

#define MAX_REDIRECTS 5

/* exchange, in a cluster following the redirections (cluster.h). A script is not sent
 * after an ASK: its namespace is half on each node while the slot moves (one slot holds
 * it all), and a script would see half of it; it fails as if Redis were away (the
 * caller backs off and retries) until the move ends with a MOVED. */
static redisReply *routed(rconn *rc, const char *cmd, size_t len, bool script)
{
    redisReply *r = exchange(rc, cmd, len);
    rredirect rd;
    for (int hops = 0; r && rc->target.nnodes && r->type == REDIS_REPLY_ERROR; hops++) {
        if (rcluster_transient(r->str)) {   /* did not run: as if Redis were away */
            broke(rc, r->str);
            freeReplyObject(r);
            return NULL;
        }
        if (hops == MAX_REDIRECTS || !rcluster_redirect(r->str, &rd))
            break;
        freeReplyObject(r);
        if (rd.ask && script) {
            drop(rc, "ASK for a script: the namespace's slot is moving to another node");
            return NULL;
        }
        if (rd.ask)
            return asked(rc, &rd, cmd, len);
        if (berth_strdup_to(&rc->target.host, rd.host) != 0) {
            drop(rc, "out of memory following a MOVED");
            rc->nomem = true;
            return NULL;
        }
        rc->target.port = rd.port;
        broke(rc, "the namespace's slot moved");  /* pooled siblings point there too */
        r = exchange(rc, cmd, len);
    }
    return r;
}

/* The formatted command, or NULL (out of memory or a bad format) with rc->err set. */
static char *formatted(rconn *rc, int len, char *cmd)
{
    rc->nomem = len < 0;
    if (len < 0)
        snprintf(rc->err, sizeof rc->err, "out of memory building the command");
    return len < 0 ? NULL : cmd;
}

rreply *rconn_cmd(rconn *rc, const char *fmt, ...)
{
    char *cmd = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = redisvFormatCommand(&cmd, fmt, ap);
    va_end(ap);
    if (!formatted(rc, len, cmd))
        return NULL;
    redisReply *r = routed(rc, cmd, (size_t)len, false);
    redisFreeCommand(cmd);
    return (rreply *)r;
}

rreply *rconn_read(rconn *rc, const char *fmt, ...)
{
    char *cmd = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = redisvFormatCommand(&cmd, fmt, ap);
    va_end(ap);
    if (!formatted(rc, len, cmd))
        return NULL;
    bool was_open = rc->c != NULL;
    redisReply *r = routed(rc, cmd, (size_t)len, false);
    if (!r && was_open && !rc->nomem)   /* broke under the call: once more */
        r = routed(rc, cmd, (size_t)len, false);
    redisFreeCommand(cmd);
    return (rreply *)r;
}

/* A vector that could not be built completely is never sent. */
static bool vector_ok(rconn *rc, const rargs *a)
{
    rc->nomem = a->err != 0;
    if (a->err)
        snprintf(rc->err, sizeof rc->err, "out of memory building the command");
    return !a->err;
}

int rconn_fail_code(const rconn *rc)
{
    return rc->nomem ? BERTH_ENOMEM : BERTH_EREDIS;
}

/* Formats argv[0..argc) and sends it, routed. */
static redisReply *send_argv(rconn *rc, int argc, const char **argv, const size_t *lens,
                             bool script)
{
    char *cmd = NULL;
    long len = resp_format_argv(&cmd, argc, argv, lens);   /* no sprintf per argument */
    if (!formatted(rc, len < 0 ? -1 : 0, cmd))
        return NULL;
    redisReply *r = routed(rc, cmd, (size_t)len, script);
    berth_free(cmd);
    return r;
}

rreply *rconn_argv(rconn *rc, const rargs *a)
{
    if (!vector_ok(rc, a))
        return NULL;
    return (rreply *)send_argv(rc, a->argc, (const char **)a->argv, a->lens, false);
}

static int load_script(rconn *rc, script_id id)
{
    redisReply *r = (redisReply *)rconn_cmd(rc, "SCRIPT LOAD %s", sources[id]);
    int ok = r && r->type == REDIS_REPLY_STRING && r->len == 40;
    if (ok)
        memcpy(rc->sha[id], r->str, 41);
    else if (r)
        snprintf(rc->err, sizeof rc->err, "SCRIPT LOAD: %s", r->str ? r->str : "bad reply");
    freeReplyObject(r);
    return ok ? 0 : BERTH_EREDIS;
}

/* EVALSHA sha 0 ARGV…; in a cluster EVALSHA sha 1 <prefix> ARGV…: every script's ARGV[1]
 * is the namespace's "{ns}:" prefix, declared as the one key so that a node that does
 * not serve the slot answers MOVED or ASK instead of running it. The vectors go to argvp
 * and lensp (the caller frees them; the strings are borrowed); returns their length, or -1
 * (out of memory, rc->err set). */
int rconn_eval_argv(rconn *rc, script_id id, const rargs *a, const char ***argvp,
                    size_t **lensp)
{
    bool keyed = rc->target.nnodes > 0 && a->argc > 0;
    int head = keyed ? 4 : 3, argc = a->argc + head;
    const char **argv = *argvp = berth_malloc((size_t)argc * sizeof *argv);
    size_t *lens = *lensp = berth_malloc((size_t)argc * sizeof *lens);
    if (!argv || !lens) {
        snprintf(rc->err, sizeof rc->err, "out of memory building the command");
        rc->nomem = true;
        return -1;
    }
    argv[0] = "EVALSHA", lens[0] = 7;
    argv[1] = rc->sha[id], lens[1] = 40;
    argv[2] = keyed ? "1" : "0", lens[2] = 1;
    if (keyed)
        argv[3] = a->argv[0], lens[3] = a->lens[0];
    for (int i = 0; i < a->argc; i++)
        argv[i + head] = a->argv[i], lens[i + head] = a->lens[i];
    return argc;
}

static redisReply *evalsha(rconn *rc, script_id id, const rargs *a)
{
    const char **argv = NULL;
    size_t *lens = NULL;
    int argc = rconn_eval_argv(rc, id, a, &argv, &lens);
    redisReply *r = argc < 0 ? NULL : send_argv(rc, argc, argv, lens, true);
    berth_free(argv);
    berth_free(lens);
    return r;
}

bool rconn_pipelines(const rconn *rc)
{
    return rc->target.nnodes == 0;
}

int rconn_eval_send(rconn *rc, script_id id, const rargs *a)
{
    if (!vector_ok(rc, a))
        return BERTH_ENOMEM;
    if (rconn_connect(rc) != 0 || (!rc->sha[id][0] && load_script(rc, id) != 0))
        return rconn_fail_code(rc);
    const char **argv = NULL;
    size_t *lens = NULL;
    int argc = rconn_eval_argv(rc, id, a, &argv, &lens), done = 0;
    char *cmd = NULL;
    long len = argc < 0 ? -1 : resp_format_argv(&cmd, argc, argv, lens);
    int err = formatted(rc, len < 0 ? -1 : 0, cmd) ? 0 : BERTH_ENOMEM;
    if (!err && redisAppendFormattedCommand(rc->c, cmd, (size_t)len) != REDIS_OK) {
        snprintf(rc->err, sizeof rc->err, "out of memory building the command");
        rc->nomem = true;
        err = BERTH_ENOMEM;
    }
    berth_free(cmd);
    /* written now, so that Redis runs it while the caller builds the next call */
    while (!err && !done && redisBufferWrite(rc->c, &done) != REDIS_OK)
        err = BERTH_EREDIS;
    if (err == BERTH_EREDIS)
        broke(rc, rc->c->errstr[0] ? rc->c->errstr : "connection lost");
    berth_free(argv);
    berth_free(lens);
    return err;
}

rreply *rconn_eval_recv(rconn *rc)
{
    if (!rc->c) {
        if (!rc->err[0])
            snprintf(rc->err, sizeof rc->err, "connection lost");
        return NULL;
    }
    void *r = NULL;
    redisGetReply(rc->c, &r);
    return checked(rc, r);
}

rreply *rconn_eval(rconn *rc, script_id id, const rargs *a)
{
    if (!vector_ok(rc, a))
        return NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (rconn_connect(rc) != 0)
            return NULL;
        if (!rc->sha[id][0] && load_script(rc, id) != 0)
            return NULL;
        redisReply *r = evalsha(rc, id, a);
        if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
            freeReplyObject(r);
            rc->sha[id][0] = '\0';
            continue;
        }
        return (rreply *)r;
    }
    return NULL;
}

bool rconn_ok(rconn *rc, const rreply *r)
{
    if (!r)
        return false;
    const char *e = rreply_error(r);
    if (rreply_is_error(r)) {
        if (rc)
            snprintf(rc->err, sizeof rc->err, "%s", e && *e ? e : "error reply");
        return false;
    }
    return true;
}
