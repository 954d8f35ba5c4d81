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

/* Copies the strings of a target whose strings are borrowed (*t as given) into owned
 * ones. On failure *t holds what was copied so far: rtarget_free frees it. */
static int own_strings(rtarget *t, const rhostport *sentinels)
{
    const char *from[] = {t->host, t->unix_path, t->password, t->master};
    char **to[] = {&t->host, &t->unix_path, &t->password, &t->master};
    size_t n = t->nsentinels;
    t->host = t->unix_path = t->password = t->master = NULL;
    t->sentinels = NULL;
    t->nsentinels = 0;
    int rc = 0;
    for (size_t i = 0; i < 4; i++)
        if (rc == 0 && from[i] && !(*to[i] = berth_strdup(from[i])))
            rc = BERTH_ENOMEM;
    if (rc == 0 && n && !(t->sentinels = berth_calloc(n, sizeof *t->sentinels)))
        rc = BERTH_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++, t->nsentinels++)
        if (!(t->sentinels[i].host = berth_strdup(sentinels[i].host)))
            rc = BERTH_ENOMEM;
        else
            t->sentinels[i].port = sentinels[i].port ? sentinels[i].port : 26379;
    return rc;
}

int rtarget_copy(rtarget *dst, const rtarget *src)
{
    *dst = *src;
    return own_strings(dst, src->sentinels);
}

int rtarget_from_config(rtarget *t, const berth_engine_config *c, rhealth *health)
{
    size_t n = c->redis_sentinels ? c->redis_nsentinels : 0;
    rhostport *s = n ? berth_calloc(n, sizeof *s) : NULL;
    if (n && !s) {
        *t = (rtarget){0};
        return BERTH_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)   /* borrowed for the copy below */
        s[i] = (rhostport){(char *)c->redis_sentinels[i].host, c->redis_sentinels[i].port};
    *t = (rtarget){.host = (char *)(c->redis_host ? c->redis_host : "127.0.0.1"),
                   .port = c->redis_port ? c->redis_port : 6379,
                   .unix_path = (char *)c->redis_unix,
                   .password = (char *)c->redis_password,
                   .db = c->redis_db,
                   .sentinels = s,
                   .nsentinels = n,
                   .master = (char *)c->redis_master,
                   .health = health};
    int rc = own_strings(t, s);
    berth_free(s);
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

/* A dial failed: the first failure of an outage says so. */
static void health_lost(rconn *rc)
{
    rhealth *h = rc->target.health;
    bool up = false;
    if (h)
        atomic_fetch_add(&h->gen, 1);
    if (!h || !atomic_compare_exchange_strong(&h->down, &up, true))
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
    int found = rc->target.nsentinels > 0 ? resolve_master(rc) : 0;
    rc->nomem = found == BERTH_ENOMEM;
    if (rc->nomem)
        return found;
    if (found != 0) {
        health_lost(rc);
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
        health_lost(rc);
        return BERTH_EREDIS;
    }
    if (rc->timeout_ms)
        redisSetTimeout(rc->c, tv);
    rc->gen = rc->target.health ? atomic_load(&rc->target.health->gen) : 0;
    for (int i = 0; i < SCRIPT_COUNT; i++)
        rc->sha[i][0] = '\0';
    int err = handshake(rc);
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

bool rconn_fresh(const rconn *rc)
{
    if (!rc->c || (rc->target.health && atomic_load(&rc->target.health->gen) != rc->gen))
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

rreply *rconn_cmd(rconn *rc, const char *fmt, ...)
{
    if (rconn_connect(rc) != 0)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    void *r = redisvCommand(rc->c, fmt, ap);
    va_end(ap);
    return checked(rc, r);
}

rreply *rconn_read(rconn *rc, const char *fmt, ...)
{
    bool was_open = rc->c != NULL;
    void *r = NULL;
    for (int attempt = 0; attempt < 2 && !r; attempt++) {
        if (attempt > 0 && !was_open)
            break;
        if (rconn_connect(rc) != 0)
            return NULL;
        va_list ap;
        va_start(ap, fmt);
        r = checked(rc, redisvCommand(rc->c, fmt, ap));
        va_end(ap);
    }
    return r;
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

rreply *rconn_argv(rconn *rc, const rargs *a)
{
    if (!vector_ok(rc, a) || rconn_connect(rc) != 0)
        return NULL;
    return checked(rc, redisCommandArgv(rc->c, a->argc, (const char **)a->argv, a->lens));
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

static redisReply *evalsha(rconn *rc, script_id id, const rargs *a)
{
    int argc = a->argc + 3;
    const char **argv = berth_malloc((size_t)argc * sizeof *argv);
    size_t *lens = berth_malloc((size_t)argc * sizeof *lens);
    if (!argv || !lens) {
        berth_free(argv);
        berth_free(lens);
        snprintf(rc->err, sizeof rc->err, "out of memory building the command");
        rc->nomem = true;
        return NULL;
    }
    argv[0] = "EVALSHA", lens[0] = 7;
    argv[1] = rc->sha[id], lens[1] = 40;
    argv[2] = "0", lens[2] = 1;
    for (int i = 0; i < a->argc; i++)
        argv[i + 3] = a->argv[i], lens[i + 3] = a->lens[i];
    redisReply *r = (redisReply *)checked(rc, redisCommandArgv(rc->c, argc, argv, lens));
    berth_free(argv);
    berth_free(lens);
    return r;
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
