/* Redis Cluster routing for one namespace. Every key of a namespace starts with "{ns}:",
 * so the whole namespace lives in one hash slot, owned by one master at a time: a
 * connection never needs a slot map, only the address of that one owner. hiredis 0.14 has
 * no cluster support, so this module does the little that is needed:
 *   - the slot of a key (CRC16 of the hash tag, mod 16384), as Redis computes it;
 *   - at every dial, asking the cluster (the last known owner first, then each seed node)
 *     with CLUSTER SLOTS which master serves the slot (redis.c dials that one);
 *   - parsing the MOVED and ASK redirections a node answers when the slot moved (redis.c
 *     follows them: MOVED redials, ASK sends ASKING then the command to the other node).
 * Nothing here keeps state between calls: the owner found is stored in the caller's
 * rconn target (one thread owns an rconn, redis.h), so there is no lock. */
#ifndef BERTH_STORE_CLUSTER_H
#define BERTH_STORE_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "store/redis.h"

#define RCLUSTER_SLOTS 16384

/* The hash slot of key[0..len): of the part between the first '{' and the next '}' when
 * that part is not empty, else of the whole key. */
int rcluster_slot(const char *key, size_t len);

/* A "MOVED <slot> <host>:<port>" or "ASK <slot> <host>:<port>" error text. */
typedef struct rredirect {
    bool ask;             /* ASK (one command, no map change); else MOVED */
    char host[256];
    int port;
} rredirect;

/* True when err is a redirection, parsed into *out. */
bool rcluster_redirect(const char *err, rredirect *out);

/* True for the error replies a cluster answers while it cannot serve the slot for a moment
 * (CLUSTERDOWN while a failover is under way, TRYAGAIN during a resharding): the command
 * did not run, and the caller treats it as Redis being away for a moment. */
bool rcluster_transient(const char *err);

/* Finds the master that serves rc->target.slot and sets rc->target.host/port to it.
 * Asks the current rc->target.host/port first, then every seed node in order, with
 * CLUSTER SLOTS. 0, BERTH_EREDIS (rc->err says why) or BERTH_ENOMEM. */
int rcluster_find_owner(rconn *rc);

#endif
