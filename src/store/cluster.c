/* Redis Cluster: the slot of a namespace, its owner, and redirections; see cluster.h. */
#include "store/cluster.h"

#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "util/alloc.h"

/* CRC16-CCITT (XModem: polynomial 0x1021, initial 0), the one the cluster spec names. */
static uint16_t crc16(const char *s, size_t n)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)((unsigned char)s[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return crc;
}

int rcluster_slot(const char *key, size_t len)
{
    const char *open = memchr(key, '{', len);
    if (open) {
        const char *from = open + 1;
        const char *close = memchr(from, '}', len - (size_t)(from - key));
        if (close && close > from)
            return crc16(from, (size_t)(close - from)) & (RCLUSTER_SLOTS - 1);
    }
    return crc16(key, len) & (RCLUSTER_SLOTS - 1);
}

bool rcluster_redirect(const char *err, rredirect *out)
{
    bool ask = strncmp(err, "ASK ", 4) == 0;
    if (!ask && strncmp(err, "MOVED ", 6) != 0)
        return false;
    const char *addr = strchr(err + (ask ? 4 : 6), ' ');
    const char *colon = addr ? strrchr(addr, ':') : NULL;
    if (!colon || colon == addr + 1 || (size_t)(colon - addr - 1) >= sizeof out->host)
        return false;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port <= 0 || port > 65535)
        return false;
    out->ask = ask;
    memcpy(out->host, addr + 1, (size_t)(colon - addr - 1));
    out->host[colon - addr - 1] = '\0';
    out->port = (int)port;
    return true;
}

bool rcluster_transient(const char *err)
{
    return strncmp(err, "CLUSTERDOWN", 11) == 0 || strncmp(err, "TRYAGAIN", 8) == 0;
}

/* The master of slot in a CLUSTER SLOTS reply: its address into host/port (an empty ip
 * means "the node you asked", asked_host). True when found. */
static bool owner_in(const redisReply *r, int slot, const char *asked_host, char *host,
                     size_t hlen, int *port)
{
    if (r->type != REDIS_REPLY_ARRAY)
        return false;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
            e->element[0]->type != REDIS_REPLY_INTEGER ||
            e->element[1]->type != REDIS_REPLY_INTEGER || slot < e->element[0]->integer ||
            slot > e->element[1]->integer)
            continue;
        const redisReply *m = e->element[2];
        if (m->type != REDIS_REPLY_ARRAY || m->elements < 2 ||
            m->element[0]->type != REDIS_REPLY_STRING ||
            m->element[1]->type != REDIS_REPLY_INTEGER)
            return false;
        const char *ip = m->element[0]->str;
        snprintf(host, hlen, "%s", *ip && strcmp(ip, "?") != 0 ? ip : asked_host);
        *port = (int)m->element[1]->integer;
        return true;
    }
    return false;
}

/* Asks one node which master serves the slot. 0 or BERTH_EREDIS (why in rc->err). */
static int ask_node(rconn *rc, const char *node, int node_port, char *host, size_t hlen,
                    int *port)
{
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout(node, node_port, tv);
    redisReply *r = NULL;
    const char *why = "cannot allocate a redis context";
    if (c && !c->err) {
        redisSetTimeout(c, tv);
        bool authed = true;
        if (rc->target.password && *rc->target.password) {
            r = redisCommand(c, "AUTH %s", rc->target.password);
            authed = r && r->type != REDIS_REPLY_ERROR;
            freeReplyObject(r);
        }
        r = authed ? redisCommand(c, "CLUSTER SLOTS") : NULL;
        why = !authed ? "AUTH refused"
              : !r    ? c->errstr
              : r->type == REDIS_REPLY_ERROR ? r->str
                                             : "no master serves the namespace's slot";
    } else if (c) {
        why = c->errstr;
    }
    bool found = r && owner_in(r, rc->target.slot, node, host, hlen, port);
    if (!found)
        snprintf(rc->err, sizeof rc->err, "cluster node %s:%d: %s", node, node_port, why);
    freeReplyObject(r);
    if (c)
        redisFree(c);
    return found ? 0 : BERTH_EREDIS;
}

int rcluster_find_owner(rconn *rc)
{
    char host[256];
    int port = 0;
    rtarget *t = &rc->target;
    /* The last owner first, unless it is still the first seed (asked next anyway): a dead
     * first seed is then tried once per dial, not twice. */
    bool again = t->nnodes && t->port == t->nodes[0].port && strcmp(t->host, t->nodes[0].host) == 0;
    bool found = !again && ask_node(rc, t->host, t->port, host, sizeof host, &port) == 0;
    for (size_t i = 0; !found && i < t->nnodes; i++)
        found = ask_node(rc, t->nodes[i].host, t->nodes[i].port, host, sizeof host, &port) == 0;
    if (!found) {
        char last[sizeof rc->err];
        snprintf(last, sizeof last, "%s", rc->err);
        snprintf(rc->err, sizeof rc->err, "no cluster node (of %zu seeds) names the owner of "
                 "slot %d; last: %.150s", t->nnodes, t->slot, last);
        return BERTH_EREDIS;
    }
    if (berth_strdup_to(&t->host, host) != 0) {
        snprintf(rc->err, sizeof rc->err, "out of memory setting up the connection");
        return BERTH_ENOMEM;
    }
    t->port = port;
    return 0;
}
