/* One real berthd serving three namespaces (tenants) over a real 3-master, 3-replica Redis
 * Cluster (redis_cluster_fixture), each namespace on its own master: worker_pool's
 * namespace answers Harbor's API unchanged, the others answer under /ns/<name>; each
 * tenant's jobs run in its own namespace on the master that serves its slot and are not
 * visible through another tenant; a master killed mid-drain (its replica promoted) loses
 * no job of any tenant; a bad list refuses the start with one line. */
#include "test.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berthd_proc.h"
#include "cli_run.h"
#include "http_client.h"
#include "redis_cluster_fixture.h"
#include "store/cluster.h"
#include "wait.h"

#define SECRET "tenants-secret"
#define AUTH "Harbor-Secret " SECRET
#define PER_NS 120
/* A command job (berth.jobs) of 20 ms without a concurrency limit (Harbor's DEMO has 1) */
#define JOB_BODY "{\"job\":{\"name\":\"NAP\",\"parameters\":{}," \
                 "\"metadata\":{\"kind\":\"Generic\"}}}"

static redis_cluster rc;
static char tmp[64];
static pid_t berthd;     /* running; killed by teardown when a test failed */

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/berth-tenants-XXXXXX");
    if (!mkdtemp(tmp) || redis_cluster_start(&rc) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (berthd > 0)
        berthd_reap(berthd, 0);
    redis_cluster_stop(&rc);
    if (getenv("BERTH_TENANTS_KEEP"))   /* berthd.log there, for a failure */
        return 0;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static int ns_slot(const char *ns)
{
    char key[96];
    int n = snprintf(key, sizeof key, "{%s}:", ns);
    return rcluster_slot(key, (size_t)n);
}

/* A namespace (into ns) whose slot master m serves. */
static void ns_on(int m, const char *base, char *ns, size_t len)
{
    if (!redis_cluster_ns_on(&rc, m, base, ns, len))
        fail_msg("no namespace on node %d", m);
}

/* The three masters, each with a live replica (asserted). */
static void masters(int out[3])
{
    assert_int_equal(redis_cluster_masters(&rc, out), 3);
    for (int i = 0; i < 3; i++)
        assert_true(redis_cluster_replica_of(&rc, out[i]) >= 0);
}

static int metrics_port;

/* berthd's config: worker_pool's namespace ns[0], berth.namespaces ns[1] (2 workers) and
 * ns[2] (worker_pool's 3), seeds on two masters, metrics on. Returns the API port. */
static int write_config(const char *path, char ns[3][32], int seed_a, int seed_b)
{
    int port = redis_fixture_free_port();
    metrics_port = redis_fixture_free_port();
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "protocol: http\nport: %d\nworker_pool:\n  workers: 3\n  backend: redis\n"
               "  redis_pool:\n    namespace: %s\n"
               "    redis_url: redis+cluster://127.0.0.1:%d,127.0.0.1:%d\n"
               "job_loggers:\n  - name: STD_OUTPUT\n    level: ERROR\n"
               "loggers:\n  - name: STD_OUTPUT\n    level: INFO\n"
               "metric:\n  enabled: true\n  path: /metrics\n  port: %d\n"
               "berth:\n  data_dir: %s/data\n  lease_seconds: 2\n  grace_seconds: 1\n"
               "  namespaces:\n    - name: %s\n      workers: 2\n    - name: %s\n"
               "  jobs:\n    - name: NAP\n      command: [\"/bin/sleep\", \"0.02\"]\n",
            port, ns[0], rc.node[seed_a].port, rc.node[seed_b].port, metrics_port, tmp, ns[1],
            ns[2]);
    fclose(f);
    return port;
}

static pid_t spawn(const char *config, const char *log)
{
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    assert_true(fd >= 0);
    const char *argv[] = {"-c", config, NULL};
    berthd_proc_opts o = {.argv = argv, .secret = SECRET, .out = fd,
                          .err = fd};
    pid_t pid = berthd_spawn(&o, NULL);
    close(fd);
    return pid;
}

/* The API prefix of tenant i: "" for worker_pool's namespace, else /ns/<name>. */
static void prefix_of(char ns[3][32], int i, char *out, size_t len)
{
    snprintf(out, len, i ? "/ns/%s" : "", ns[i]);
}

/* POST <prefix>/api/v1/jobs of a NAP job: 202 and Harbor's stats object; the id. */
static void launch(hc *c, const char *prefix, char id[40])
{
    char path[128];
    snprintf(path, sizeof path, "%s/api/v1/jobs", prefix);
    hc_resp r;
    assert_int_equal(hc_post(c, path, AUTH, JOB_BODY, &r), 0);
    if (r.status != 202)
        fprintf(stderr, "POST %s: %ld %s\n", path, r.status, r.body);
    assert_int_equal(r.status, 202);
    assert_memory_equal(r.body, "{\"job\":{", 8);
    const char *at = strstr(r.body, "\"id\":\"");
    assert_non_null(at);
    snprintf(id, 40, "%.*s", (int)strcspn(at + 6, "\""), at + 6);
    hc_resp_free(&r);
}

typedef struct status_wait {
    hc *c;
    char path[160];
} status_wait;

static bool succeeded(void *arg)
{
    status_wait *w = arg;
    hc_resp r;
    bool ok = hc_get(w->c, w->path, AUTH, &r) == 0 && r.status == 200 &&
              strstr(r.body, "\"status\":\"Success\"");
    hc_resp_free(&r);
    return ok;
}

/* What a failed wait saw: the job's stats hash on every node still up, and berthd's log
 * lines that name the job or warn (a rare failure under load must say why). */
static void dump_job(const char *id)
{
    char cmd[512];
    for (int i = 0; i < RCLUSTER_NODES; i++) {
        if (rc.node[i].pid == 0)
            continue;
        snprintf(cmd, sizeof cmd, "redis-cli -p %d --scan --pattern '*job_stats:%s' | "
                 "xargs -r -n1 redis-cli -p %d HGETALL | tr '\\n' ' ' >&2; echo >&2",
                 rc.node[i].port, id, rc.node[i].port);
        fprintf(stderr, "node %d: ", i);
        if (system(cmd) != 0)
            fprintf(stderr, "(no answer)\n");
    }
    snprintf(cmd, sizeof cmd, "grep -E '%s|WARN|ERROR' %s/berthd.log | tail -40 >&2", id, tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "(no log lines)\n");
}

static void expect_success(hc *c, const char *prefix, const char *id, int ms)
{
    status_wait w = {c, ""};
    snprintf(w.path, sizeof w.path, "%s/api/v1/jobs/%s", prefix, id);
    if (!wait_until(succeeded, &w, ms)) {
        dump_job(id);
        fail_msg("%s never answered Success", w.path);
    }
}

static long get_status(hc *c, const char *path)
{
    hc_resp r;
    assert_int_equal(hc_get(c, path, AUTH, &r), 0);
    long s = r.status;
    hc_resp_free(&r);
    return s;
}

/* PUT <prefix>/api/v1/queues/NAP {"action": action}: 200. */
static void queue_action(hc *c, const char *prefix, const char *action)
{
    char path[128], body[64];
    snprintf(path, sizeof path, "%s/api/v1/queues/NAP", prefix);
    snprintf(body, sizeof body, "{\"action\":\"%s\"}", action);
    hc_resp r;
    assert_int_equal(hc_do(c, "PUT", path, AUTH, body, strlen(body), 0, &r), 0);
    assert_int_equal(r.status, 200);
    hc_resp_free(&r);
}

static void wait_replicated(int m)
{
    if (!redis_cluster_wait_replicated(&rc, m, 20000))
        fail_msg("master %d's writes not on its replica after 20 s", m);
}

static bool is_success(hc *c, const char *prefix, const char *id)
{
    status_wait w = {c, ""};
    snprintf(w.path, sizeof w.path, "%s/api/v1/jobs/%s", prefix, id);
    return succeeded(&w);
}

/* Launches PER_NS jobs into each tenant (tenant 1's queue paused meanwhile, so that its
 * whole drain comes after), kills the master of tenant 1 once a quarter of its jobs ran,
 * and checks every job of every tenant succeeds, each stats hash on its tenant's master
 * (for tenant 1 the replica that took over). */
static void drain_through_failover(hc *c, char ns[3][32], const int m[3])
{
    static char ids[3][PER_NS][40];
    char prefix[3][64];
    for (int i = 0; i < 3; i++)
        prefix_of(ns, i, prefix[i], sizeof prefix[i]);
    queue_action(c, prefix[1], "pause");
    for (int j = 0; j < PER_NS; j++)
        for (int i = 0; i < 3; i++)
            launch(c, prefix[i], ids[i][j]);
    int victim = m[1], replica = redis_cluster_replica_of(&rc, victim);
    wait_replicated(victim);   /* every launch (each was answered 202) */
    queue_action(c, prefix[1], "resume");
    /* The resume is the test's input, not the drain's: replicated before the kill, or the
     * promoted replica would hold the queue paused (an acknowledged write a failover may
     * lose: Redis replicates asynchronously) and tenant 1's last jobs would never run. */
    wait_replicated(victim);
    expect_success(c, prefix[1], ids[1][PER_NS / 4], 20000);
    assert_false(is_success(c, prefix[1], ids[1][PER_NS - 1]));   /* mid-drain */
    redis_fixture_kill(&rc.node[victim]);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < PER_NS; j++)
            expect_success(c, prefix[i], ids[i][j], 60000);
    assert_int_equal(redis_cluster_owner(&rc, ns_slot(ns[1])), replica);
    const int owner[3] = {m[0], replica, m[2]};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < PER_NS; j += PER_NS / 4)
            assert_int_equal(redis_cluster_int(&rc, owner[i], "EXISTS {%s}:job_stats:%s",
                                               ns[i], ids[i][j]), 1);
}

/* Harbor's routes on worker_pool's namespace, the same under /ns/<name> for the others,
 * each tenant's jobs only through its own prefix, unknown names 404. */
static char tenant1_job[40];

static void check_routes(hc *c, char ns[3][32], const int m[3])
{
    char id[3][40], path[192];
    for (int i = 0; i < 3; i++) {
        char prefix[64];
        prefix_of(ns, i, prefix, sizeof prefix);
        launch(c, prefix, id[i]);
        expect_success(c, prefix, id[i], 20000);
        /* the job is in its namespace, on the master of its slot */
        assert_int_equal(redis_cluster_int(&rc, m[i], "EXISTS {%s}:job_stats:%s", ns[i],
                                           id[i]), 1);
        snprintf(path, sizeof path, "%s/api/v1/stats", prefix);
        assert_int_equal(get_status(c, path), 200);
    }
    snprintf(tenant1_job, sizeof tenant1_job, "%s", id[1]);
    snprintf(path, sizeof path, "/api/v1/jobs/%s", id[1]);   /* tenant 1's, asked of 0 */
    assert_int_equal(get_status(c, path), 404);
    snprintf(path, sizeof path, "/ns/%s/api/v1/jobs/%s", ns[2], id[0]);
    assert_int_equal(get_status(c, path), 404);
    assert_int_equal(get_status(c, "/ns/nobody/api/v1/stats"), 404);
    snprintf(path, sizeof path, "/ns/%s", ns[1]);
    assert_int_equal(get_status(c, path), 404);
    snprintf(path, sizeof path, "/ns/%s/api/v1/config", ns[2]);   /* its own namespace */
    hc_resp r;
    assert_int_equal(hc_get(c, path, AUTH, &r), 0);
    char want[64];
    snprintf(want, sizeof want, "\"Namespace\":\"%s\"", ns[2]);
    assert_non_null(strstr(r.body, want));
    hc_resp_free(&r);
    assert_int_equal(hc_get(c, "/ns/x/api/v1/stats", NULL, &r), 0);
    assert_int_equal(r.status, 401);                          /* authenticated first */
    hc_resp_free(&r);
}

/* Every namespace's series carry its name; Harbor's series names stay. */
static void check_metrics(char ns[3][32])
{
    hc m;
    hc_init(&m, metrics_port);
    hc_resp r;
    assert_int_equal(hc_get(&m, "/metrics", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    for (int i = 0; i < 3; i++) {
        char want[256];
        snprintf(want, sizeof want, "\nharbor_jobservice_task_total{namespace=\"%s\","
                 "status=\"success\",type=\"NAP\"} ", ns[i]);
        assert_non_null(strstr(r.body, want));
        snprintf(want, sizeof want, "\nharbor_jobservice_info{namespace=\"%s\",node=", ns[i]);
        assert_non_null(strstr(r.body, want));
    }
    hc_resp_free(&r);
    hc_cleanup(&m);
}

/* The berth CLI reaches a tenant with the prefix in its address: tenant 1's job is there,
 * and not in worker_pool's namespace. */
static void check_cli(int port, char ns[3][32], const char *id)
{
    char addr[128];
    snprintf(addr, sizeof addr, "http://127.0.0.1:%d/ns/%s", port, ns[1]);
    cli_run_out r = cli_run_env(NULL, NULL, ARGS("--addr", addr, "--secret", SECRET, "get", id));
    if (r.code != 0)
        fprintf(stderr, "berth get: %d %s %s\n", r.code, r.out.p ? r.out.p : "",
                r.err.p ? r.err.p : "");
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out.p, "Success"));
    cli_run_free(&r);
    snprintf(addr, sizeof addr, "http://127.0.0.1:%d", port);
    r = cli_run_env(NULL, NULL, ARGS("--addr", addr, "--secret", SECRET, "get", id));
    assert_int_not_equal(r.code, 0);
    cli_run_free(&r);
}

static void test_one_berthd_three_namespaces(void **state)
{
    (void)state;
    int m[3];
    masters(m);
    char ns[3][32];
    ns_on(m[0], "harbor", ns[0], sizeof ns[0]);
    ns_on(m[1], "tenantb", ns[1], sizeof ns[1]);
    ns_on(m[2], "tenantc", ns[2], sizeof ns[2]);
    char config[128], log[128];
    snprintf(config, sizeof config, "%s/berthd.yml", tmp);
    snprintf(log, sizeof log, "%s/berthd.log", tmp);
    int port = write_config(config, ns, m[0], m[2]);
    berthd = spawn(config, log);
    assert_true(hc_wait_healthy(port, 20000));
    hc c;
    hc_init(&c, port);
    check_routes(&c, ns, m);
    check_cli(port, ns, tenant1_job);
    drain_through_failover(&c, ns, m);
    check_metrics(ns);
    hc_cleanup(&c);
    kill(berthd, SIGTERM);
    pid_t pid = berthd;
    berthd = 0;
    assert_int_equal(berthd_reap(pid, 15000), 0);
}

/* A bad list refuses the start: exit code 2 (a config error, as every other) and one line
 * naming the entry, before anything is written to the cluster. */
static void test_duplicate_namespace_refused(void **state)
{
    (void)state;
    char config[128];
    snprintf(config, sizeof config, "%s/dup.yml", tmp);
    FILE *f = fopen(config, "w");
    assert_non_null(f);
    fprintf(f, "protocol: http\nport: %d\nworker_pool:\n  backend: redis\n  redis_pool:\n"
               "    namespace: dupa\n    redis_url: redis+cluster://127.0.0.1:%d\n"
               "berth:\n  namespaces:\n    - name: dupb\n    - name: dupb\n",
            redis_fixture_free_port(), rc.node[0].port);
    fclose(f);
    int errfd;
    pid_t pid = berthd_spawn_config(config, SECRET, NULL, &errfd);
    int code = berthd_reap(pid, 15000);
    char out[2048] = "";
    ssize_t n = read(errfd, out, sizeof out - 1);
    out[n > 0 ? n : 0] = '\0';
    close(errfd);
    assert_int_not_equal(code, 0);
    assert_non_null(strstr(out, "berth.namespaces[1].name: \"dupb\" is listed twice "
                                "(also berth.namespaces[0])"));
    for (int i = 0; i < RCLUSTER_NODES; i++)
        if (rc.node[i].pid > 0 && redis_cluster_owner(&rc, ns_slot("dupb")) == i)
            assert_int_equal(redis_cluster_int(&rc, i, "CLUSTER COUNTKEYSINSLOT %d",
                                               ns_slot("dupb")), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duplicate_namespace_refused),
        cmocka_unit_test(test_one_berthd_three_namespaces),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
