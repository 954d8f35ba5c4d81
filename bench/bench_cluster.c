/* make bench-cluster (bench/cluster.sh): the aggregate drain of 3 namespaces on the 3
 * masters of a Redis Cluster (3 masters, 3 replicas, tests/support/redis_cluster_fixture)
 * against 1 namespace on 1 Redis, with the same number of jobs in all. One engine per
 * namespace, all in this process, over TCP on loopback in both cases (a cluster has no
 * unix socket routing), no persistence. Reports jobs/s and redis-server CPU per job
 * (INFO cpu before and after: robust on a loaded machine, unlike rates); in the cluster the
 * replicas' CPU is reported apart (replication is the price of failover).
 * Usage: bench_cluster [jobs per namespace] [workers per engine] [fetch batch]
 *        (defaults 30000, 4, 0 → the engine's default) */
#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth/berth.h"
#include "redis_cluster_fixture.h"
#include "redis_fixture.h"

#define NS_MAX 3

static atomic_long finished;

static int noop(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx, (void)params, (void)ud;
    return 0;
}

static void on_event(const berth_status_event *ev, void *ud)
{
    (void)ud;
    if (ev->status && strcmp(ev->status, "Success") == 0)
        atomic_fetch_add(&finished, 1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static berth_engine *engine_for(berth_engine_config c, long jobs)
{
    c.on_event = on_event;
    berth_engine *e = NULL;
    char err[256];
    if (berth_engine_new(&c, &e, err, sizeof err) != 0) {
        fprintf(stderr, "engine: %s\n", err);
        exit(1);
    }
    berth_job_type t = {.name = "NOOP", .run = noop};
    berth_engine_register(e, &t);
    berth_launch batch[256];
    for (int i = 0; i < 256; i++)
        batch[i] = (berth_launch){.name = "NOOP", .params_json = "{\"k\":1}"};
    for (long done = 0; done < jobs; done += 256) {
        long k = jobs - done < 256 ? jobs - done : 256;
        if (berth_engine_launch_batch(e, batch, (size_t)k, NULL, NULL) != 0) {
            fprintf(stderr, "launch failed\n");
            exit(1);
        }
    }
    return e;
}

/* Starts the engines, waits for total Success events, returns the seconds it took. */
static double drain(berth_engine **e, int n, long total)
{
    atomic_store(&finished, 0);
    double t0 = now_s();
    for (int i = 0; i < n; i++)
        berth_engine_start(e[i]);
    while (atomic_load(&finished) < total && now_s() - t0 < 600) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    double s = now_s() - t0;
    for (int i = 0; i < n; i++)
        berth_engine_free(e[i]);
    return s;
}

static void single(long jobs, berth_engine_config base)
{
    redis_fixture rf;
    const char *args[] = {"--appendonly", "no", NULL};
    if (redis_fixture_start(&rf, args) != 0)
        exit(1);
    base.redis_host = "127.0.0.1";
    base.redis_port = rf.port;
    base.ns = "bench";
    berth_engine *e = engine_for(base, jobs);
    double cpu0 = redis_fixture_cpu_s(&rf);
    double s = drain(&e, 1, jobs);
    double cpu = redis_fixture_cpu_s(&rf) - cpu0;
    printf("1 namespace, 1 Redis:        %8ld jobs in %6.2f s = %7.0f jobs/s; Redis CPU "
           "%.1f µs/job\n", jobs, s, (double)jobs / s, cpu * 1e6 / (double)jobs);
    redis_fixture_stop(&rf);
}

/* A namespace whose slot master m serves (asking the cluster), into ns. */
static void ns_on(redis_cluster *c, int m, char *ns, size_t len)
{
    if (redis_cluster_ns_on(c, m, "bench", ns, len))
        return;
    fprintf(stderr, "no namespace on node %d\n", m);
    exit(1);
}

/* Pub/sub messages the nodes received over the cluster bus (plain and shard). */
static void bus_messages(redis_cluster *c, long long out[2])
{
    out[0] = out[1] = 0;
    for (int i = 0; i < RCLUSTER_NODES; i++) {
        out[0] += redis_cluster_info_stat(c, i, "cluster_stats_messages_publish_received");
        out[1] += redis_cluster_info_stat(c, i, "cluster_stats_messages_publishshard_received");
    }
}

static void cluster(long per_ns, berth_engine_config base)
{
    redis_cluster c;
    if (redis_cluster_start(&c) != 0)
        exit(1);
    int m[NS_MAX], nm = 0;
    const int probe[NS_MAX] = {0, 8192, 16383}; /* one in each third redis-cli gives */
    for (int i = 0; i < NS_MAX; i++)
        m[nm++] = redis_cluster_owner(&c, probe[i]);
    berth_hostport seeds[RCLUSTER_NODES];
    for (int i = 0; i < RCLUSTER_NODES; i++)
        seeds[i] = (berth_hostport){"127.0.0.1", c.node[i].port};
    base.redis_cluster = seeds;
    base.redis_ncluster = RCLUSTER_NODES;
    char ns[NS_MAX][32];
    berth_engine *e[NS_MAX];
    for (int i = 0; i < nm; i++) {
        ns_on(&c, m[i], ns[i], sizeof ns[i]);
        base.ns = ns[i];
        e[i] = engine_for(base, per_ns);
    }
    double cpu0[RCLUSTER_NODES], cpu[RCLUSTER_NODES];
    long long bus0[2], bus[2];
    bus_messages(&c, bus0);
    for (int i = 0; i < RCLUSTER_NODES; i++)
        cpu0[i] = redis_fixture_cpu_s(&c.node[i]);
    long total = per_ns * nm;
    double s = drain(e, nm, total);
    double masters = 0, replicas = 0;
    for (int i = 0; i < RCLUSTER_NODES; i++) {
        cpu[i] = redis_fixture_cpu_s(&c.node[i]) - cpu0[i];
        bool master = false;
        for (int j = 0; j < nm; j++)
            master = master || m[j] == i;
        *(master ? &masters : &replicas) += cpu[i];
    }
    printf("%d namespaces, 3 masters:     %8ld jobs in %6.2f s = %7.0f jobs/s; Redis CPU "
           "%.1f µs/job on the masters (each:", nm, total, s, (double)total / s,
           masters * 1e6 / (double)total);
    for (int j = 0; j < nm; j++)
        printf(" %.1f", cpu[m[j]] * 1e6 / (double)per_ns);
    bus_messages(&c, bus);
    printf("), %.1f µs/job on the replicas; pub/sub messages over the cluster bus: %lld "
           "plain, %lld shard\n", replicas * 1e6 / (double)total, bus[0] - bus0[0],
           bus[1] - bus0[1]);
    redis_cluster_stop(&c);
}

int main(int argc, char **argv)
{
    long per_ns = argc > 1 ? atol(argv[1]) : 30000;
    berth_engine_config base = {.workers = argc > 2 ? (unsigned)atoi(argv[2]) : 4,
                                .fetch_batch = argc > 3 ? (unsigned)atoi(argv[3]) : 0,
                                .lease_ms = 30000};
    single(per_ns * NS_MAX, base);
    cluster(per_ns, base);
    return 0;
}
