/* A real 3-master, 3-replica Redis Cluster for tests; see redis_cluster_fixture.h. */
#include "test.h"

#include "redis_cluster_fixture.h"

#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"
#include "wait.h"

static const char *const node_args[] = {
    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
    "--cluster-node-timeout", "1000", NULL};

/* One command on node i; the reply (free it) or NULL when the node does not answer. */
static redisReply *node_vcmd(redis_cluster *c, int i, const char *fmt, va_list ap)
{
    if (c->node[i].pid <= 0)
        return NULL;
    redisContext *ctx = redisConnectUnix(c->node[i].sock);
    redisReply *r = ctx && !ctx->err ? redisvCommand(ctx, fmt, ap) : NULL;
    if (ctx)
        redisFree(ctx);
    return r;
}

static redisReply *node_cmd(redis_cluster *c, int i, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = node_vcmd(c, i, fmt, ap);
    va_end(ap);
    return r;
}

/* A command on node i that must answer +OK (else said on stderr). */
static bool node_ok(redis_cluster *c, int i, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = node_vcmd(c, i, fmt, ap);
    va_end(ap);
    bool ok = r && r->type == REDIS_REPLY_STATUS;
    if (!ok)
        fprintf(stderr, "redis_cluster: node %d: %s: %s\n", i, fmt,
                r && r->str ? r->str : "no reply");
    freeReplyObject(r);
    return ok;
}

int redis_cluster_node_at(const redis_cluster *c, int port)
{
    for (int i = 0; i < RCLUSTER_NODES; i++)
        if (c->node[i].port == port)
            return i;
    return -1;
}

static int owner_asking(redis_cluster *c, int asked, int slot)
{
    redisReply *r = node_cmd(c, asked, "CLUSTER SLOTS");
    int owner = -1;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply *e = r->element[i];
        if (e->elements >= 3 && slot >= e->element[0]->integer &&
            slot <= e->element[1]->integer)
            owner = redis_cluster_node_at(c, (int)e->element[2]->element[1]->integer);
    }
    freeReplyObject(r);
    return owner;
}

int redis_cluster_owner(redis_cluster *c, int slot)
{
    for (int i = 0; i < RCLUSTER_NODES; i++)
        if (c->node[i].pid > 0)
            return owner_asking(c, i, slot);
    return -1;
}

typedef struct ok_wait {
    redis_cluster *c;
    int slot;
} ok_wait;

static bool all_ok(void *arg)
{
    ok_wait *w = arg;
    int owner = -2;
    for (int i = 0; i < RCLUSTER_NODES; i++) {
        if (w->c->node[i].pid <= 0)
            continue;
        redisReply *r = node_cmd(w->c, i, "CLUSTER INFO");
        bool ok = r && r->type == REDIS_REPLY_STRING && strstr(r->str, "cluster_state:ok");
        freeReplyObject(r);
        if (!ok)
            return false;
        int o = w->slot >= 0 ? owner_asking(w->c, i, w->slot) : 0;
        if (o < 0 || (owner != -2 && o != owner))
            return false;
        owner = o;
    }
    return true;
}

bool redis_cluster_wait_ok(redis_cluster *c, int slot, int deadline_ms)
{
    ok_wait w = {c, slot};
    return wait_until_every(all_ok, &w, deadline_ms, 50);
}

int redis_cluster_replica_of(redis_cluster *c, int m)
{
    for (int i = 0; i < RCLUSTER_NODES; i++) {
        redisReply *r = i == m ? NULL : node_cmd(c, i, "ROLE");
        bool of_m = r && r->type == REDIS_REPLY_ARRAY && r->elements >= 3 &&
                    strcmp(r->element[0]->str, "slave") == 0 &&
                    r->element[2]->integer == c->node[m].port;
        freeReplyObject(r);
        if (of_m)
            return i;
    }
    return -1;
}

/* A field of node i's INFO replication (master_repl_offset, slave_repl_offset), or -1. */
static long long repl_info(redis_cluster *c, int i, const char *field)
{
    redisReply *r = node_cmd(c, i, "INFO replication");
    const char *at = r && r->str ? strstr(r->str, field) : NULL;
    size_t n = strlen(field);
    long long v = at && at[n] == ':' ? strtoll(at + n + 1, NULL, 10) : -1;
    freeReplyObject(r);
    return v;
}

typedef struct catch_up {
    redis_cluster *c;
    int replica;
    long long target;   /* the master's replication offset when the wait began */
} catch_up;

static bool caught_up(void *arg)
{
    catch_up *w = arg;
    return repl_info(w->c, w->replica, "slave_repl_offset") >= w->target;
}

bool redis_cluster_wait_replicated(redis_cluster *c, int m, int deadline_ms)
{
    catch_up w = {c, redis_cluster_replica_of(c, m), repl_info(c, m, "master_repl_offset")};
    if (w.replica >= 0 && w.target > 0 && wait_until(caught_up, &w, deadline_ms))
        return true;
    fprintf(stderr, "redis_cluster: replica %d of master %d at offset %lld, want %lld\n",
            w.replica, m, w.replica >= 0 ? repl_info(c, w.replica, "slave_repl_offset") : -1,
            w.target);
    return false;
}

long long redis_cluster_numsub(redis_cluster *c, int i, const char *channel, bool shard)
{
    redisReply *r = node_cmd(c, i, shard ? "PUBSUB SHARDNUMSUB %s" : "PUBSUB NUMSUB %s",
                             channel);
    long long n = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
                          r->element[1]->type == REDIS_REPLY_INTEGER
                      ? r->element[1]->integer
                      : -1;
    freeReplyObject(r);
    return n;
}

long long redis_cluster_info_stat(redis_cluster *c, int i, const char *field)
{
    redisReply *r = node_cmd(c, i, "CLUSTER INFO");
    const char *at = r && r->type == REDIS_REPLY_STRING ? r->str : NULL;
    size_t flen = strlen(field);
    /* the field starts a line: "x_<field>:" must not match */
    while (at && (at = strstr(at, field)) && (at != r->str && at[-1] != '\n'))
        at += flen;
    long long n = !r ? -1 : at && at[flen] == ':' ? strtoll(at + flen + 1, NULL, 10) : 0;
    freeReplyObject(r);
    return n;
}

int redis_cluster_masters(redis_cluster *c, int out[3])
{
    int n = 0;
    for (int slot = 0; slot < 16384 && n < 3; slot += 5461) {
        int o = redis_cluster_owner(c, slot);
        bool seen = false;
        for (int j = 0; j < n; j++)
            seen = seen || out[j] == o;
        if (o >= 0 && !seen)
            out[n++] = o;
    }
    return n;
}

bool redis_cluster_ns_on(redis_cluster *c, int m, const char *base, char *ns, size_t len)
{
    for (int i = 0; i < 10000; i++) {
        char key[128];
        snprintf(ns, len, "%s%d", base, i);
        snprintf(key, sizeof key, "{%s}:", ns);
        if (redis_cluster_owner(c, redis_cluster_keyslot(c, key)) == m)
            return true;
    }
    return false;
}

int redis_cluster_keyslot(redis_cluster *c, const char *key)
{
    for (int i = 0; i < RCLUSTER_NODES; i++)
        if (c->node[i].pid > 0)
            return (int)redis_fixture_int(&c->node[i], "CLUSTER KEYSLOT %s", key);
    return -1;
}

static bool read_ids(redis_cluster *c)
{
    for (int i = 0; i < RCLUSTER_NODES; i++) {
        redisReply *r = node_cmd(c, i, "CLUSTER MYID");
        bool ok = r && r->type == REDIS_REPLY_STRING && r->len == 40;
        if (ok)
            memcpy(c->id[i], r->str, 41);
        freeReplyObject(r);
        if (!ok)
            return false;
    }
    return true;
}

int redis_cluster_start(redis_cluster *c)
{
    memset(c, 0, sizeof *c);
    char cmd[512], out[4096];
    int n = snprintf(cmd, sizeof cmd, "redis-cli --cluster create");
    for (int i = 0; i < RCLUSTER_NODES; i++) {
        if (redis_fixture_start(&c->node[i], node_args) != 0)
            goto fail;
        n += snprintf(cmd + n, sizeof cmd - (size_t)n, " 127.0.0.1:%d", c->node[i].port);
    }
    snprintf(cmd + n, sizeof cmd - (size_t)n, " --cluster-replicas 1 --cluster-yes");
    if (sh_run(out, sizeof out, "%s", cmd) != 0) {
        fprintf(stderr, "redis_cluster: %s failed:\n%s\n", cmd, out);
        goto fail;
    }
    /* A replica counts once it has synced: ROLE says "connected". */
    if (!read_ids(c) || !redis_cluster_wait_ok(c, 0, 20000)) {
        fprintf(stderr, "redis_cluster: the cluster did not reach cluster_state:ok\n");
        goto fail;
    }
    return 0;
fail:
    redis_cluster_stop(c);
    return -1;
}

void redis_cluster_stop(redis_cluster *c)
{
    for (int i = 0; i < RCLUSTER_NODES; i++)
        redis_fixture_stop(&c->node[i]);
}

/* MIGRATE every key of slot from src to dst, 100 at a time. */
static bool migrate_keys(redis_cluster *c, int slot, int src, int dst)
{
    for (;;) {
        redisReply *k = node_cmd(c, src, "CLUSTER GETKEYSINSLOT %d 100", slot);
        if (!k || k->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(k);
            return false;
        }
        size_t nk = k->elements;
        bool ok = true;
        if (nk > 0) {
            const char **argv = calloc(nk + 8, sizeof *argv);
            char port[16];
            snprintf(port, sizeof port, "%d", c->node[dst].port);
            const char *head[] = {"MIGRATE", "127.0.0.1", port, "", "0", "5000", "KEYS"};
            for (int i = 0; i < 7; i++)
                argv[i] = head[i];
            for (size_t i = 0; i < nk; i++)
                argv[7 + i] = k->element[i]->str;
            redisContext *ctx = redisConnectUnix(c->node[src].sock);
            redisReply *m = ctx && !ctx->err
                                ? redisCommandArgv(ctx, (int)nk + 7, argv, NULL) : NULL;
            ok = m && m->type == REDIS_REPLY_STATUS;
            if (!ok)
                fprintf(stderr, "redis_cluster: MIGRATE: %s\n", m && m->str ? m->str : "?");
            freeReplyObject(m);
            if (ctx)
                redisFree(ctx);
            free(argv);
        }
        freeReplyObject(k);
        if (!ok || nk == 0)
            return ok;
    }
}

int redis_cluster_move_slot(redis_cluster *c, int slot, int dst, bool stop_half)
{
    int src = redis_cluster_owner(c, slot);
    if (src < 0 || src == dst)
        return -1;
    bool ok = node_ok(c, dst, "CLUSTER SETSLOT %d IMPORTING %s", slot, c->id[src]) &&
              node_ok(c, src, "CLUSTER SETSLOT %d MIGRATING %s", slot, c->id[dst]);
    if (!ok || stop_half)
        return ok ? 0 : -1;
    ok = migrate_keys(c, slot, src, dst) &&
         node_ok(c, dst, "CLUSTER SETSLOT %d NODE %s", slot, c->id[dst]) &&
         node_ok(c, src, "CLUSTER SETSLOT %d NODE %s", slot, c->id[dst]);
    for (int i = 0; ok && i < RCLUSTER_NODES; i++) {
        redisReply *r = i == src || i == dst ? NULL : node_cmd(c, i, "ROLE");
        if (r && r->type == REDIS_REPLY_ARRAY && strcmp(r->element[0]->str, "master") == 0)
            ok = node_ok(c, i, "CLUSTER SETSLOT %d NODE %s", slot, c->id[dst]);
        freeReplyObject(r);
    }
    return ok ? 0 : -1;
}
