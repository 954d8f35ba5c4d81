/* Test fixture: a real Redis Cluster of 3 masters and 3 replicas on loopback, each node a
 * redis_fixture (own temp dir, port, unix socket) started with --cluster-enabled yes and
 * joined by `redis-cli --cluster create --cluster-replicas 1`. A short node timeout
 * (1 s) makes a killed master's replica take over in a few seconds. The helpers ask the
 * nodes themselves (CLUSTER SLOTS, KEYSLOT, ROLE) rather than assume a layout, since
 * redis-cli decides which node replicates which. */
#ifndef BERTH_TEST_REDIS_CLUSTER_FIXTURE_H
#define BERTH_TEST_REDIS_CLUSTER_FIXTURE_H

#include <stdbool.h>

#include "redis_fixture.h"

#define RCLUSTER_NODES 6

typedef struct redis_cluster {
    redis_fixture node[RCLUSTER_NODES];   /* pid 0 once killed */
    char id[RCLUSTER_NODES][41];          /* CLUSTER MYID */
} redis_cluster;

/* Starts the six nodes, creates the cluster and waits until every node says
 * cluster_state:ok. 0, or -1 with a message on stderr (everything started is stopped). */
int redis_cluster_start(redis_cluster *c);
void redis_cluster_stop(redis_cluster *c);

/* Waits until every live node says cluster_state:ok and names the same master for slot
 * (slot < 0: any), up to deadline_ms. */
bool redis_cluster_wait_ok(redis_cluster *c, int slot, int deadline_ms);
/* The node (index) that a live node names as the master of slot, or -1. */
int redis_cluster_owner(redis_cluster *c, int slot);
/* The node whose port is port, or -1. */
int redis_cluster_node_at(const redis_cluster *c, int port);
/* A live node that replicates master m, or -1. */
int redis_cluster_replica_of(redis_cluster *c, int m);
/* The three masters (into out; how many were found), from the owners of slots 0, 5461,
 * 10922 and 16383: redis-cli gives each master a third, but which is its choice. */
int redis_cluster_masters(redis_cluster *c, int out[3]);
/* A namespace "<base><n>" (into ns) whose slot ("{ns}:") master m serves; false if none
 * of the first 10000 is. */
bool redis_cluster_ns_on(redis_cluster *c, int m, const char *base, char *ns, size_t len);
/* The slot of key, as a node computes it (CLUSTER KEYSLOT), or -1. */
int redis_cluster_keyslot(redis_cluster *c, const char *key);
/* Moves slot, with its keys, from its owner to node dst, as `redis-cli --cluster
 * reshard` does (IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE everywhere). With stop_half
 * the move stops after IMPORTING/MIGRATING (keys not moved): finish it with
 * redis_cluster_move_slot again. 0 or -1. */
int redis_cluster_move_slot(redis_cluster *c, int slot, int dst, bool stop_half);
/* Waits until the replica of master m has every write m had taken when this was called
 * (its slave_repl_offset reaches m's master_repl_offset), up to deadline_ms; false with the
 * offsets on stderr. WAIT cannot say it from a test's connection: it waits for the writes
 * of its own connection, and a new connection has none, so it answers at once (measured:
 * a replica frozen by DEBUG SLEEP, and WAIT 1 1000 answered 1 in 30 ms). */
bool redis_cluster_wait_replicated(redis_cluster *c, int m, int deadline_ms);
/* Subscribers node i has on channel (PUBSUB NUMSUB, or SHARDNUMSUB for a shard channel:
 * in a cluster, that node's own), or -1. */
long long redis_cluster_numsub(redis_cluster *c, int i, const char *channel, bool shard);
/* A counter of node i's CLUSTER INFO (e.g. "cluster_stats_messages_publish_received"): its
 * value, 0 when the node does not list it (a counter Redis shows once it moved), -1 when
 * the node does not answer. */
long long redis_cluster_info_stat(redis_cluster *c, int i, const char *field);
/* Runs a command on node i and returns its integer reply, or -1 (redis_fixture_int). */
#define redis_cluster_int(c, i, ...) redis_fixture_int(&(c)->node[(i)], __VA_ARGS__)

#endif
