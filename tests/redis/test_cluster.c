/* Redis Cluster: a real 3-master, 3-replica cluster (redis_cluster_fixture) and engines
 * that reach it through seed nodes. Each namespace lives in one hash slot; the tests check
 * that its jobs run on the master that serves that slot, that a MOVED after a resharding
 * and an ASK during one are followed, and that a master killed mid-drain loses nothing:
 * its replica takes over and every job finishes. */
#include "test.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "redis_cluster_fixture.h"
#include "store/cluster.h"
#include "store/redis.h"
#include "wait.h"

static redis_cluster rc;
static berth_hostport seeds[3];

static int setup(void **state)
{
    (void)state;
    if (redis_cluster_start(&rc) != 0)
        return -1;
    seeds[0] = (berth_hostport){"127.0.0.1", 1};   /* dead: the next seed is asked */
    seeds[1] = (berth_hostport){"127.0.0.1", rc.node[0].port}; /* two: one may be killed */
    seeds[2] = (berth_hostport){"127.0.0.1", rc.node[1].port};
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    redis_cluster_stop(&rc);
    return 0;
}

/* A namespace (written into ns) whose slot master m serves, found by asking the nodes. */
static void ns_on(int m, const char *base, char *ns, size_t len)
{
    if (!redis_cluster_ns_on(&rc, m, base, ns, len))
        fail_msg("no namespace on node %d", m);
}

static int ns_slot(const char *ns)
{
    char key[96];
    snprintf(key, sizeof key, "{%s}:", ns);
    return rcluster_slot(key, strlen(key));
}

/* The three masters (asserted), found from the owners of slots 0, 5461, 10922 and 16383
 * (redis-cli gives each master a third, but which third is which node is its choice). */
static void masters(int out[3])
{
    assert_int_equal(redis_cluster_masters(&rc, out), 3);
}

static berth_engine_config cluster_config(const char *ns)
{
    berth_engine_config c = {.ns = ns, .workers = 4, .lease_ms = 1500, .grace_ms = 500,
                             .backoff_scale = 0.001, .redis_cluster = seeds,
                             .redis_ncluster = 3};
    return c;
}

/* The slot computed here is the slot Redis computes, hash tags and all. */
static void test_slot_as_redis_computes_it(void **state)
{
    (void)state;
    const char *keys[] = {"berth", "{berth}:", "{t}:job_stats:abc", "a{b}c", "{}x", "{x",
                          "x}{y}", "{{z}}", "123456789", "", "{ü}:"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_int_equal(rcluster_slot(keys[i], strlen(keys[i])),
                         redis_cluster_keyslot(&rc, keys[i]));
    assert_int_equal(rcluster_slot("123456789", 9), 0x31C3 & 16383); /* the spec's check */
}

/* The redirection texts a node answers, and what is not one. */
static void test_redirect_parsing(void **state)
{
    (void)state;
    rredirect r;
    assert_true(rcluster_redirect("MOVED 3999 127.0.0.1:6381", &r));
    assert_false(r.ask);
    assert_string_equal(r.host, "127.0.0.1");
    assert_int_equal(r.port, 6381);
    assert_true(rcluster_redirect("ASK 1 ::1:7000", &r));
    assert_true(r.ask);
    assert_string_equal(r.host, "::1");
    assert_int_equal(r.port, 7000);
    const char *bad[] = {"MOVED", "MOVED 1", "MOVED 1 host", "MOVED 1 host:", "MOVED 1 :80",
                         "MOVED 1 h:0", "MOVED 1 h:70000", "MOVED 1 h:8x", "ERR MOVED 1 h:1",
                         "NOSCRIPT x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(rcluster_redirect(bad[i], &r));
    assert_true(rcluster_transient("CLUSTERDOWN The cluster is down"));
    assert_true(rcluster_transient("TRYAGAIN Multiple keys request during rehashing of slot"));
    assert_false(rcluster_transient("ERR unknown command"));
}

/* Seeds that know nothing (all dead) fail the start with a connection error. */
static void test_no_seed_answers(void **state)
{
    (void)state;
    berth_hostport dead[] = {{"127.0.0.1", 1}, {"127.0.0.1", 2}};
    berth_engine_config c = {.ns = "nowhere", .redis_cluster = dead, .redis_ncluster = 2};
    berth_engine *e = engine_fixture_new(&c, NULL);
    assert_int_equal(berth_engine_start(e), BERTH_EREDIS);
    berth_engine_free(e);
}

/* A seed that is a plain Redis, not a cluster node: the dial fails saying so, and the
 * engine refuses to start without writing anything there. */
static void test_seed_not_a_cluster(void **state)
{
    (void)state;
    redis_fixture plain;
    assert_int_equal(redis_fixture_start(&plain, NULL), 0);
    berth_hostport one[] = {{"127.0.0.1", plain.port}};
    berth_engine_config c = {.ns = "plain", .redis_cluster = one, .redis_ncluster = 1};
    rtarget t;
    assert_int_equal(rtarget_from_config(&t, &c, NULL), 0);
    rconn conn;
    rconn_init(&conn, &t, 2000);
    rtarget_free(&t);
    assert_int_equal(rconn_connect(&conn), BERTH_EREDIS);
    assert_non_null(strstr(conn.err, "cluster support disabled"));
    rconn_close(&conn);
    berth_engine *e = engine_fixture_new(&c, NULL);
    assert_int_equal(berth_engine_start(e), BERTH_EREDIS);
    berth_engine_free(e);
    assert_int_equal(redis_fixture_int(&plain, "DBSIZE"), 0);
    redis_fixture_stop(&plain);
}

#define PER_NS 200

/* Three namespaces on the three masters, one engine each, in one process: every job
 * finishes, and each namespace's keys are on its own master and nowhere else. */
static void test_three_namespaces_three_masters(void **state)
{
    (void)state;
    int m[3];
    masters(m);
    char ns[3][32];
    berth_engine *e[3];
    const berth_job_type noop[] = {{.name = "NOOP", .run = engine_fixture_noop}, {0}};
    for (int i = 0; i < 3; i++) {
        ns_on(m[i], "tenant", ns[i], sizeof ns[i]);
        berth_engine_config c = cluster_config(ns[i]);
        e[i] = engine_fixture_start(&c, noop);
    }
    char *ids[3][PER_NS];
    for (int j = 0; j < PER_NS; j++)
        for (int i = 0; i < 3; i++)
            ids[i][j] = engine_fixture_launch(e[i], "NOOP");
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < PER_NS; j++) {
            assert_true(engine_fixture_wait_status(e[i], ids[i][j], "Success", 20000));
            free(ids[i][j]);
        }
        int slot = ns_slot(ns[i]);
        for (int n = 0; n < RCLUSTER_NODES; n++) {
            long long keys = redis_cluster_int(&rc, n, "CLUSTER COUNTKEYSINSLOT %d", slot);
            if (n == m[i])
                assert_true(keys >= PER_NS);
            else if (redis_cluster_replica_of(&rc, m[i]) != n)
                assert_int_equal(keys, 0);
        }
    }
    for (int i = 0; i < 3; i++)
        berth_engine_free(e[i]);
}

/* A plain connection to the slot's owner: after the slot moves, a command answered MOVED
 * is sent again to the new owner (and the connection now points there); while it moves,
 * a key already on the importing node is read there through ASK, and a script is held
 * back (NULL: it would see half the namespace) until the move ends. */
static void test_moved_and_ask_on_a_connection(void **state)
{
    (void)state;
    int m[3];
    masters(m);
    char ns[32];
    ns_on(m[0], "move", ns, sizeof ns);
    int slot = ns_slot(ns);
    berth_engine_config c = cluster_config(ns);
    rtarget t;
    assert_int_equal(rtarget_from_config(&t, &c, NULL), 0);
    assert_int_equal(t.slot, slot);
    rconn conn;
    rconn_init(&conn, &t, 5000);
    rtarget_free(&t);
    char key_a[64], key_b[64];
    snprintf(key_a, sizeof key_a, "{%s}:a", ns);
    snprintf(key_b, sizeof key_b, "{%s}:b", ns);
    rreply *r = rconn_cmd(&conn, "SET %s 1", key_a);
    assert_true(rconn_ok(&conn, r));
    rreply_free(r);
    assert_int_equal(conn.target.port, rc.node[m[0]].port);
    r = rconn_cmd(&conn, "SET %s 2", key_b);
    rreply_free(r);

    /* Half a move, and key_b alone moved by hand: it is now on the importing node only. */
    assert_int_equal(redis_cluster_move_slot(&rc, slot, m[1], true), 0);
    assert_int_equal(redis_cluster_int(&rc, m[0], "MIGRATE 127.0.0.1 %d %s 0 5000",
                                       rc.node[m[1]].port, key_b), -1); /* +OK: not an int */
    /* -1: not an integer but ASK, the source no longer has the key */
    assert_int_equal(redis_cluster_int(&rc, m[0], "EXISTS %s", key_b), -1);
    r = rconn_cmd(&conn, "GET %s", key_b);
    const char *v = NULL;
    assert_int_equal(rreply_string(&conn, r, &v, NULL), 0);
    assert_string_equal(v, "2");
    rreply_free(r);
    assert_int_equal(conn.target.port, rc.node[m[0]].port); /* ASK: no map change */
    rargs a;
    rargs_init(&a);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "{%s}:", ns);
    rargs_adds(&a, prefix);
    rargs_adds(&a, "0");
    rargs_adds(&a, "list");
    r = rconn_eval(&conn, SCRIPT_QUEUE, &a);
    assert_null(r);
    assert_non_null(strstr(conn.err, "ASK"));

    /* The move ends: MOVED, and the same connection follows it. */
    assert_int_equal(redis_cluster_move_slot(&rc, slot, m[1], false), 0);
    assert_true(redis_cluster_wait_ok(&rc, slot, 10000));
    r = rconn_cmd(&conn, "GET %s", key_a);
    assert_int_equal(rreply_string(&conn, r, &v, NULL), 0);
    assert_string_equal(v, "1");
    rreply_free(r);
    assert_int_equal(conn.target.port, rc.node[m[1]].port);
    r = rconn_eval(&conn, SCRIPT_QUEUE, &a);
    assert_true(rconn_ok(&conn, r));
    rreply_free(r);
    rargs_free(&a);
    rconn_close(&conn);
}

static berth_engine *self_engine;

static int self_stop(berth_ctx *ctx, const char *params, void *ud)
{
    berth_engine_stop_job(self_engine, berth_ctx_job_id(ctx));
    berth_ctx_sleep(ctx, 10000);    /* returns when the stop message arrives */
    return berth_ctx_op_command(ctx) ? 0 : berth_ctx_fail(ctx, "stop never arrived");
}

typedef struct numsub_wait {
    int node;
    char chan[96];
} numsub_wait;

static bool subscribed(void *arg)
{
    numsub_wait *w = arg;
    return redis_cluster_numsub(&rc, w->node, w->chan, true) == 1;
}

/* The engine's control subscriber listens (a shard channel) on the master that serves its
 * namespace, and a stop published by a script there reaches the run: the job ends
 * Stopped. */
static void test_control_channel_on_the_owner(void **state)
{
    (void)state;
    int m[3];
    masters(m);
    char ns[32];
    ns_on(m[1], "control", ns, sizeof ns);
    const berth_job_type types[] = {{.name = "SELFSTOP", .run = self_stop}, {0}};
    berth_engine_config c = cluster_config(ns);
    self_engine = engine_fixture_start(&c, types);
    numsub_wait w = {.node = m[1]};
    snprintf(w.chan, sizeof w.chan, "{%s}:berth:control", ns);
    assert_true(wait_until(subscribed, &w, 10000));
    for (int n = 0; n < RCLUSTER_NODES; n++)
        if (n != m[1])
            assert_int_equal(redis_cluster_numsub(&rc, n, w.chan, true), 0);
    char *id = engine_fixture_launch(self_engine, "SELFSTOP");
    assert_true(engine_fixture_wait_status(self_engine, id, "Stopped", 15000));
    free(id);
    berth_engine_free(self_engine);
}

typedef struct idle_wait {
    int node;
    char key[96];
} idle_wait;

static bool idle(void *arg)
{
    idle_wait *w = arg;
    return redis_cluster_int(&rc, w->node, "SCARD %s", w->key) > 0;
}

#define BUS_PUB "cluster_stats_messages_publish_received"
#define BUS_SHARD "cluster_stats_messages_publishshard_received"

/* A wake-up stays in its shard: the launch into an idle namespace publishes on the wake
 * channel as a shard message, which only the slot's replica receives over the cluster bus
 * (a plain PUBLISH would reach all five other nodes), and it wakes the idle engine, which
 * runs the job. */
static void test_wakeup_stays_in_its_shard(void **state)
{
    (void)state;
    int m[3];
    masters(m);
    char ns[32];
    ns_on(m[2], "shard", ns, sizeof ns);
    int replica = redis_cluster_replica_of(&rc, m[2]);
    assert_true(replica >= 0);
    const berth_job_type noop[] = {{.name = "NOOP", .run = engine_fixture_noop}, {0}};
    berth_engine_config c = cluster_config(ns);
    berth_engine *e = engine_fixture_start(&c, noop);
    numsub_wait w = {.node = m[2]};
    snprintf(w.chan, sizeof w.chan, "{%s}:berth:wake", ns);
    assert_true(wait_until(subscribed, &w, 10000));
    idle_wait iw = {.node = m[2]};
    snprintf(iw.key, sizeof iw.key, "{%s}:berth:idle", ns);
    assert_true(wait_until(idle, &iw, 10000));
    long long pub[RCLUSTER_NODES], shard[RCLUSTER_NODES];
    for (int n = 0; n < RCLUSTER_NODES; n++) {
        pub[n] = redis_cluster_info_stat(&rc, n, BUS_PUB);
        shard[n] = redis_cluster_info_stat(&rc, n, BUS_SHARD);
        assert_true(pub[n] >= 0 && shard[n] >= 0);
        assert_int_equal(redis_cluster_numsub(&rc, n, w.chan, false), 0);
    }
    char *id = engine_fixture_launch(e, "NOOP");
    assert_true(engine_fixture_wait_status(e, id, "Success", 15000));
    free(id);
    for (int n = 0; n < RCLUSTER_NODES; n++) {
        long long dshard = redis_cluster_info_stat(&rc, n, BUS_SHARD) - shard[n];
        assert_int_equal(redis_cluster_info_stat(&rc, n, BUS_PUB), pub[n]);
        if (n == replica)
            assert_true(dshard >= 1);
        else
            assert_int_equal(dshard, 0);
    }
    berth_engine_free(e);
}

static atomic_int ran;

static int paced(berth_ctx *ctx, const char *params, void *ud)
{
    atomic_fetch_add(&ran, 1);
    wait_sleep_ms(2); /* paces the drain so that the fault lands in its middle */
    return engine_fixture_noop(ctx, params, ud);
}

typedef struct ran_at_least {
    int n;
} ran_at_least;

static bool ran_enough(void *arg)
{
    return atomic_load(&ran) >= ((ran_at_least *)arg)->n;
}

#define DRAIN 600

/* Launches DRAIN paced jobs into ns, lets the engine run a tenth of them, calls fault,
 * and checks every job finishes. */
static void drain_through(const char *ns, int owner, void (*fault)(int owner, int slot))
{
    const berth_job_type types[] = {{.name = "PACED", .run = paced}, {0}};
    berth_engine_config c = cluster_config(ns);
    berth_engine *e = engine_fixture_new(&c, types);
    char **ids = calloc(DRAIN, sizeof *ids);
    for (int j = 0; j < DRAIN; j++)
        ids[j] = engine_fixture_launch(e, "PACED");
    /* Replication is asynchronous: the launches must be on the replica before a kill. */
    assert_true(redis_cluster_wait_replicated(&rc, owner, 20000));
    atomic_store(&ran, 0);
    assert_int_equal(berth_engine_start(e), 0);
    ran_at_least tenth = {DRAIN / 10};
    assert_true(wait_until(ran_enough, &tenth, 20000));
    fault(owner, ns_slot(ns));
    for (int j = 0; j < DRAIN; j++) {
        assert_true(engine_fixture_wait_status(e, ids[j], "Success", 40000));
        free(ids[j]);
    }
    assert_true(atomic_load(&ran) >= DRAIN);
    free(ids);
    berth_engine_free(e);
}

static int moved_to;

static void reshard(int owner, int slot)
{
    assert_int_equal(redis_cluster_move_slot(&rc, slot, moved_to, false), 0);
}

/* The namespace's slot moves to another master mid-drain: its engine follows the MOVED
 * and the rest of the jobs run there; nothing of the namespace is left on the old one. */
static void test_reshard_mid_drain(void **state)
{
    (void)state;
    int m[3];
    masters(m);
    char ns[32];
    ns_on(m[2], "reshard", ns, sizeof ns);
    moved_to = m[1];
    drain_through(ns, m[2], reshard);
    int slot = ns_slot(ns);
    assert_int_equal(redis_cluster_owner(&rc, slot), m[1]);
    assert_int_equal(redis_cluster_int(&rc, m[2], "CLUSTER COUNTKEYSINSLOT %d", slot), 0);
    assert_true(redis_cluster_int(&rc, m[1], "CLUSTER COUNTKEYSINSLOT %d", slot) >= DRAIN);
}

static int killed;

static void kill_master(int owner, int slot)
{
    killed = owner;
    redis_fixture_kill(&rc.node[owner]);
}

/* The master of the namespace is killed mid-drain: its replica is promoted, the engine
 * reconnects to it, and every job finishes. Last: the cluster has one master fewer. */
static void test_master_killed_mid_drain(void **state)
{
    (void)state;
    int m[3];
    masters(m);
    char ns[32];
    ns_on(m[0], "failover", ns, sizeof ns);
    int replica = redis_cluster_replica_of(&rc, m[0]);
    assert_true(replica >= 0);
    drain_through(ns, m[0], kill_master);
    assert_int_equal(killed, m[0]);
    assert_int_equal(redis_cluster_owner(&rc, ns_slot(ns)), replica);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slot_as_redis_computes_it),
        cmocka_unit_test(test_redirect_parsing),
        cmocka_unit_test(test_no_seed_answers),
        cmocka_unit_test(test_seed_not_a_cluster),
        cmocka_unit_test(test_three_namespaces_three_masters),
        cmocka_unit_test(test_control_channel_on_the_owner),
        cmocka_unit_test(test_wakeup_stays_in_its_shard),
        cmocka_unit_test(test_moved_and_ask_on_a_connection),
        cmocka_unit_test(test_reshard_mid_drain),
        cmocka_unit_test(test_master_killed_mid_drain),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
