/* The Redis version Berth needs, and the check that refuses an older server. Berth's Lua
 * scripts pop a batch with RPOP <key> <count> (fetch.lua, queue.lua) and the hook dispatcher
 * takes over unsettled stream entries with XAUTOCLAIM: both arrived in Redis 6.2, and on an
 * older server they fail at the first fetch or hook, long after start. So the engine asks
 * INFO server once when it starts and refuses an older Redis with a message naming both
 * versions (docs/config.md "Redis"); a Redis Cluster needs 7.0 (shard channels).
 * Stateless; the rconn is the caller's. */
#ifndef BERTH_STORE_SERVER_VERSION_H
#define BERTH_STORE_SERVER_VERSION_H

#include <stddef.h>

#include "store/redis.h"

#define RSERVER_MIN_MAJOR 6
#define RSERVER_MIN_MINOR 2
#define RSERVER_MIN_TEXT "6.2"
#define RSERVER_NEEDS "RPOP with a count, XAUTOCLAIM"
/* In a Redis Cluster the wake-ups and stops are shard channels (SSUBSCRIBE, SPUBLISH),
 * which arrived in Redis 7.0. */
#define RSERVER_CLUSTER_MIN_MAJOR 7
#define RSERVER_CLUSTER_NEEDS "SSUBSCRIBE, SPUBLISH"

/* Reads redis_version from the text of INFO server into v (major, minor, patch; a missing
 * patch is 0). 0, or BERTH_EINVAL when the field is absent or not a dotted number. */
int rserver_version_parse(const char *info, int v[3]);

/* Asks the server behind rc (INFO server). 0 when it is RSERVER_MIN_TEXT or newer;
 * BERTH_EVERSION when older, or when it does not say its version, with why in msg;
 * BERTH_EREDIS when the call failed (rc->err says why). */
int rserver_version_check(rconn *rc, char *msg, size_t msglen);

#endif
