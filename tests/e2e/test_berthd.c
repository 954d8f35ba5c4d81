/* The real berthd binary as a child process: --version and --help; bad configs and an unsafe listen address
 * refused with one line and exit 2; the embedded Redis from start to a clean SIGTERM (with
 * the metric server on, counting the DEMO run); and
 * two berthd nodes on one shared Redis: a node killed with SIGKILL mid-job, its job
 * finished by the other within one lease. */
#include "test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "berth/version.h"
#include "berthd_proc.h"
#include "engine_fixture.h"
#include "http_client.h"
#include "redis_fixture.h"
#include "util/buf.h"
#include "wait.h"

#define SECRET "Harbor-Secret e2e-secret"

static char tmp[64];
static int grace_s = 1;                  /* grace_seconds of the next config written */
static const char *hold_ms = "4000";     /* DEMO's hold in the next berthd spawned */

static int mk(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/berthd-e2e-XXXXXX");
    return mkdtemp(tmp) ? 0 : -1;
}

static int rm(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    return system(cmd);
}

/* Writes <tmp>/<name>.yml and returns its path (static buffer per call site is enough). */
static void write_config(const char *path, int port, const char *redis_url, const char *listen,
                         const char *data, int lease)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "protocol: http\nport: %d\nworker_pool:\n  workers: 2\n  backend: redis\n"
               "  redis_pool:\n    namespace: e2e\n%s%s%s"
               "job_loggers:\n  - name: FILE\n    level: INFO\n    settings:\n      base_dir: %s/jobs\n"
               "loggers:\n  - name: FILE\n    level: DEBUG\n    settings:\n      base_dir: %s\n"
               "berth:\n  data_dir: %s\n  listen_address: \"%s\"\n  lease_seconds: %d\n"
               "  grace_seconds: %d\n",
            port, redis_url ? "    redis_url: " : "", redis_url ? redis_url : "",
            redis_url ? "\n" : "", data, data, data, listen, lease, grace_s);
    fclose(f);
}

static bool own_group;   /* spawn berthd as the leader of a new process group (a terminal's) */

static pid_t spawn(const char *config, int *errfd)
{
    const char *argv[] = {"-c", config, NULL};
    berthd_proc_opts o = {.argv = argv, .secret = "e2e-secret", .hold_ms = hold_ms,
                          .out = BERTHD_INHERIT, .err = BERTHD_PIPE, .own_group = own_group};
    return berthd_spawn(&o, errfd);
}

static void read_all(int fd, char *out, size_t len)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < len && (r = read(fd, out + n, len - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(fd);
}

static void expect_refusal(const char *yaml_extra, const char *needle)
{
    char path[128], err[2048];
    snprintf(path, sizeof path, "%s/bad.yml", tmp);
    FILE *f = fopen(path, "w");
    fputs(yaml_extra, f);
    fclose(f);
    int fd;
    pid_t pid = spawn(path, &fd);
    assert_int_equal(berthd_reap(pid, 5000), 2);
    read_all(fd, err, sizeof err);
    if (!strstr(err, needle))
        fprintf(stderr, "stderr was: %s\n", err);
    assert_non_null(strstr(err, needle));
    assert_non_null(strchr(err, '\n'));
    assert_null(strchr(strchr(err, '\n') + 1, '\n')); /* one line */
}

/* berthd with one argument (or none: NULL), stdout in out; returns the exit code. */
static int run_arg(const char *arg, char *out, size_t len)
{
    const char *argv[] = {arg, NULL};
    berthd_proc_opts o = {.argv = argv, .out = BERTHD_PIPE, .err = BERTHD_NULL};
    int fd;
    pid_t pid = berthd_spawn(&o, &fd);
    read_all(fd, out, len);
    return berthd_reap(pid, 5000);
}

/* --version prints the project version (berth/version.h is generated from CMake's
 * project(VERSION)); --help goes to stdout with exit 0, no config is a usage error. */
static void test_version_and_usage(void **state)
{
    (void)state;
    char out[512];
    assert_int_equal(run_arg("--version", out, sizeof out), 0);
    assert_string_equal(out, "berthd " BERTH_VERSION "\n");
    assert_int_equal(run_arg("--help", out, sizeof out), 0);
    assert_non_null(strstr(out, "usage: berthd -c <config.yml>"));
    assert_int_equal(run_arg(NULL, out, sizeof out), 2);
    assert_string_equal(out, "");
}

static void test_refusals(void **state)
{
    (void)state;
    expect_refusal("protocol: http\nport: 0\nworker_pool:\n  backend: redis\n  redis_pool:\n"
                   "    namespace: x\n", "port");
    expect_refusal("protocol: [http\n", "line");
    char path[128], data[96];
    snprintf(path, sizeof path, "%s/open.yml", tmp);
    snprintf(data, sizeof data, "%s/open", tmp);
    write_config(path, redis_fixture_free_port(), NULL, "0.0.0.0", data, 30);
    int fd;
    char err[2048];
    unsetenv("CORE_SECRET");
    const char *argv[] = {"-c", path, NULL};   /* no secret, all interfaces */
    berthd_proc_opts o = {.argv = argv, .out = BERTHD_NULL, .err = BERTHD_PIPE};
    assert_int_equal(berthd_reap(berthd_spawn(&o, &fd), 5000), 2);
    read_all(fd, err, sizeof err);
    close(fd);
    assert_non_null(strstr(err, "refusing to listen on 0.0.0.0 without CORE_SECRET"));
}

static char *launch_demo(int port)
{
    hc c;
    hc_init(&c, port);
    hc_resp r;
    assert_int_equal(hc_post(&c, "/api/v1/jobs", SECRET, "{\"job\":{\"name\":\"DEMO\",\"parameters\":"
                             "{\"image\":\"demo:1\"},\"metadata\":{\"kind\":\"Generic\"}}}", &r), 0);
    assert_int_equal(r.status, 202);
    char *id = strndup(strstr(r.body, "\"id\":\"") + 6, 24);
    hc_resp_free(&r);
    hc_cleanup(&c);
    return id;
}

/* GET path until it answers 200 (with needle in the body, unless NULL); r: the last answer. */
typedef struct get_wait {
    hc *c;
    const char *path, *auth, *needle;
    hc_resp r;
} get_wait;

static bool get_ok(void *arg)
{
    get_wait *g = arg;
    hc_resp_free(&g->r);
    return hc_get(g->c, g->path, g->auth, &g->r) == 0 && g->r.status == 200 &&
           (!g->needle || (g->r.body && strstr(g->r.body, g->needle)));
}

/* berthd registers Harbor's job names (spec harbor-jobs §1.3): /api/v1/stats lists them. */
static void expect_harbor_jobs(int port)
{
    static const char *const names[] = {"DEMO", "SCHEDULER", "IMAGE_REPLICATE", "IMAGE_GC",
                                        "IMAGE_SCAN_ALL", "REPLICATION", "WEBHOOK", "SLACK",
                                        "P2P_PREHEAT", "PURGE_AUDIT_LOG",
                                        "AUDIT_LOGS_GDPR_COMPLIANT", "EXECUTION_SWEEP",
                                        "SYSTEM_ARTIFACT_CLEANUP"};
    hc c;
    hc_init(&c, port);
    /* stats need the node's first heartbeat in Redis: poll for it (slow under sanitizers) */
    get_wait g = {&c, "/api/v1/stats", NULL, NULL, {0}};
    wait_until(get_ok, &g, 15000);
    hc_resp r = g.r;
    assert_int_equal(r.status, 200);
    const char *list = strstr(r.body, "\"job_names\":[");
    assert_non_null(list);
    const char *end = strchr(list, ']');
    assert_non_null(end);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\"", names[i]);
        const char *at = strstr(list, quoted);
        if (!at || at > end)
            fprintf(stderr, "%s not in %s\n", names[i], r.body);
        assert_true(at && at < end);
    }
    hc_resp_free(&r);
    hc_cleanup(&c);
}

/* The job reaches status within ms (GET polled). A DEMO launched into a node just started
 * is Running within 10 s: its fetcher is woken at once, or (a wake missed while it
 * subscribes) fetches within its 2 s idle poll, plus a loaded sanitizer run's delays; a
 * 3 s bound left under 1 s for those. The poll sees the 4 s Running window of a DEMO. */
static bool wait_status(int port, const char *id, const char *status, int ms)
{
    hc c;
    hc_init(&c, port);
    char path[96], want[64];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", id);
    snprintf(want, sizeof want, "\"status\":\"%s\"", status);
    get_wait g = {&c, path, SECRET, want, {0}};
    bool ok = wait_until(get_ok, &g, ms);
    hc_resp_free(&g.r);
    hc_cleanup(&c);
    return ok;
}

/* Writes <tmp>/<name>.yml for a node with its embedded Redis under data (<tmp>/<name>);
 * returns its API port. */
static int embedded_node(const char *name, char path[128], char data[96])
{
    snprintf(path, 128, "%s/%s.yml", tmp, name);
    snprintf(data, 96, "%s/%s", tmp, name);
    int port = redis_fixture_free_port();
    write_config(path, port, NULL, "127.0.0.1", data, 30);
    return port;
}

/* GET /api/v1/config in embedded mode: Harbor's shape (Go field names), the socket as a
 * unix:// URL, not a 500 (issue 13 item 4). */
static void expect_embedded_config(int port, const char *sock)
{
    hc c;
    hc_init(&c, port);
    hc_resp r;
    assert_int_equal(hc_get(&c, "/api/v1/config", SECRET, &r), 0);
    char want[256];
    snprintf(want, sizeof want, "{\"redis_pool_config\":{\"RedisURL\":\"unix://%s\","
             "\"Namespace\":\"", sock);
    if (r.status != 200 || strncmp(r.body, want, strlen(want)) != 0)
        fprintf(stderr, "GET /api/v1/config: %ld %s\n", (long)r.status, r.body);
    assert_int_equal(r.status, 200);
    assert_memory_equal(r.body, want, strlen(want));
    assert_non_null(strstr(r.body, "\",\"IdleTimeoutSecond\":"));
    hc_resp_free(&r);
    hc_cleanup(&c);
}

static void test_embedded_lifecycle(void **state)
{
    (void)state;
    char path[128], data[96], sock[160];
    int port = embedded_node("emb", path, data), mport = redis_fixture_free_port();
    snprintf(sock, sizeof sock, "%s/redis/redis.sock", data);
    FILE *f = fopen(path, "a");   /* Harbor's metric server, on its own port */
    fprintf(f, "metric:\n  enabled: true\n  path: /m\n  port: %d\n", mport);
    fclose(f);
    int fd;
    long long t0 = wait_now_ms();
    pid_t pid = spawn(path, &fd);
    assert_true(hc_wait_healthy(port, 15000));
    fprintf(stderr, "berthd (embedded redis) answered after %lld ms\n", wait_now_ms() - t0);
    expect_embedded_config(port, sock);
    expect_harbor_jobs(port);
    char *id = launch_demo(port);
    assert_true(wait_status(port, id, "Running", 10000));
    kill(pid, SIGHUP);                          /* reopen logs: keeps running */
    assert_true(wait_status(port, id, "Success", 10000));
    hc mc;
    hc_init(&mc, mport);
    hc_resp r;
    hc_get(&mc, "/m", NULL, &r);
    assert_int_equal(r.status, 200);    /* no auth, as Harbor's; the DEMO run is counted */
    assert_non_null(strstr(r.body, "\nharbor_jobservice_task_total{status=\"success\","
                                   "type=\"DEMO\"} 1\n"));
    hc_resp_free(&r);
    hc_cleanup(&mc);
    redisContext *c = redisConnectUnix(sock);
    assert_true(c && !c->err);
    redisFree(c);
    kill(pid, SIGTERM);
    assert_int_equal(berthd_reap(pid, 10000), 0);
    c = redisConnectUnix(sock);
    assert_true(!c || c->err);                  /* the embedded redis stopped with berthd */
    if (c)
        redisFree(c);
    char log[256];
    snprintf(log, sizeof log, "%s/berthd.log", data);
    assert_int_equal(access(log, R_OK), 0);
    close(fd);
    free(id);
}

static bool file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[2048];
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return found;
}

/* Ctrl-C at berthd's terminal: SIGINT reaches its whole process group. The embedded Redis
 * lives in a group of its own, so it outlives the graceful shutdown: the running job is
 * handed back, Redis is never found missing nor restarted, and berthd stops it last. */
static void test_ctrl_c_at_terminal(void **state)
{
    (void)state;
    char path[128], data[96], log[160];
    int port = embedded_node("tty", path, data);
    snprintf(log, sizeof log, "%s/berthd.log", data);
    int fd;
    own_group = true;
    pid_t pid = spawn(path, &fd);
    own_group = false;
    assert_true(hc_wait_healthy(port, 15000));
    char *id = launch_demo(port);
    assert_true(wait_status(port, id, "Running", 10000));
    assert_int_equal(kill(-pid, SIGINT), 0);     /* what the terminal does */
    assert_int_equal(berthd_reap(pid, 10000), 0);
    assert_true(file_has(log, "handed 1 unfinished job(s) back"));
    assert_false(file_has(log, "lost the connection to redis"));
    assert_false(file_has(log, "restarting"));
    close(fd);
    free(id);
}

typedef struct file_wait {
    const char *path, *needle;
} file_wait;

static bool has(void *arg)
{
    file_wait *w = arg;
    return file_has(w->path, w->needle);
}

static bool wait_file_has(const char *path, const char *needle, int ms)
{
    return wait_until(has, &(file_wait){path, needle}, ms);
}

/* Ctrl-C says what shutdown waits for; a second one hands the running job back at once
 * instead of after the grace period (60 s here, DEMO holding 60 s); the job's own log says
 * it was handed back, not "Exit for receiving stop signal" as after a user's stop. */
static void test_second_ctrl_c(void **state)
{
    (void)state;
    char path[128], data[96], log[160], jlog[200];
    grace_s = 60;
    int port = embedded_node("twice", path, data);
    grace_s = 1;
    snprintf(log, sizeof log, "%s/berthd.log", data);
    int fd;
    own_group = true;
    hold_ms = "60000";
    pid_t pid = spawn(path, &fd);
    own_group = false;
    hold_ms = "4000";
    assert_true(hc_wait_healthy(port, 15000));
    char *id = launch_demo(port);
    snprintf(jlog, sizeof jlog, "%s/jobs/%s.log", data, id);
    assert_true(wait_status(port, id, "Running", 10000));
    assert_true(wait_file_has(jlog, "Holding for 60 seconds", 5000));
    assert_int_equal(kill(-pid, SIGINT), 0);
    assert_true(wait_file_has(log, "press Ctrl-C again to hand them back", 5000));
    assert_true(file_has(log, "waiting up to 60 s (grace_seconds) for 1 running job(s)"));
    long long t0 = wait_now_ms();
    assert_int_equal(kill(-pid, SIGINT), 0);
    assert_int_equal(berthd_reap(pid, 10000), 0);
    fprintf(stderr, "second Ctrl-C: berthd exited %lld ms later (grace 60 s)\n",
            wait_now_ms() - t0);
    assert_true(file_has(log, "handed 1 unfinished job(s) back"));
    assert_true(file_has(jlog, "Service shutting down: handed back to run again"));
    assert_false(file_has(jlog, "Exit for receiving stop signal"));
    /* log lines name the source file from the source tree, not the builder's path */
    assert_true(file_has(jlog, "[src/jobs/demo.c:"));
    assert_false(file_has(jlog, getenv("BERTH_SOURCE_DIR")));
    assert_false(file_has(log, getenv("BERTH_SOURCE_DIR")));
    close(fd);
    free(id);
}

static bool answers(const char *sock)
{
    redisContext *c = redisConnectUnix(sock);
    redisReply *r = c && !c->err ? redisCommand(c, "PING") : NULL;
    bool ok = r && r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    if (c)
        redisFree(c);
    return ok;
}

/* A second berthd on a running one's data directory refuses at once, naming the first
 * one's pid, and the first keeps serving with its Redis socket in place. */
static void test_two_on_one_data_dir(void **state)
{
    (void)state;
    char path[128], data[96], path2[128], sock[160], err[2048];
    int port = embedded_node("one", path, data);
    snprintf(sock, sizeof sock, "%s/redis/redis.sock", data);
    int fd, fd2;
    pid_t first = spawn(path, &fd);
    assert_true(hc_wait_healthy(port, 15000));
    snprintf(path2, sizeof path2, "%s/one2.yml", tmp);
    int port2 = redis_fixture_free_port();
    write_config(path2, port2, NULL, "127.0.0.1", data, 30);   /* same data dir */
    pid_t second = spawn(path2, &fd2);
    assert_int_equal(berthd_reap(second, 5000), 1);
    read_all(fd2, err, sizeof err);
    char want[160];
    snprintf(want, sizeof want, "berth.data_dir %s is in use by another berthd (pid %d",
             data, (int)first);
    if (!strstr(err, want))
        fprintf(stderr, "stderr was: %s\n", err);
    assert_non_null(strstr(err, want));
    assert_true(answers(sock));                  /* its socket was not deleted */
    assert_true(hc_wait_healthy(port, 10000));
    char *id = launch_demo(port);                 /* and it still runs jobs */
    assert_true(wait_status(port, id, "Running", 10000));
    kill(first, SIGTERM);
    assert_int_equal(berthd_reap(first, 10000), 0);
    close(fd);
    free(id);
}

/* A second berthd on a taken port refuses before it starts Redis or the engine (its data
 * directory gets no Redis), naming the process that holds the port. */
static void test_two_on_one_port(void **state)
{
    (void)state;
    char path[128], data[96], path2[128], data2[96], err[2048], redis_dir[128];
    int port = embedded_node("p1", path, data);
    int fd, fd2;
    pid_t first = spawn(path, &fd);
    assert_true(hc_wait_healthy(port, 15000));
    snprintf(path2, sizeof path2, "%s/p2.yml", tmp);
    snprintf(data2, sizeof data2, "%s/p2", tmp);
    write_config(path2, port, NULL, "127.0.0.1", data2, 30);   /* same port */
    pid_t second = spawn(path2, &fd2);
    assert_int_equal(berthd_reap(second, 5000), 1);
    read_all(fd2, err, sizeof err);
    char want[160];
    snprintf(want, sizeof want, "cannot listen on 127.0.0.1:%d: address in use by pid %d "
             "(berthd)", port, (int)first);
    if (!strstr(err, want))
        fprintf(stderr, "stderr was: %s\n", err);
    assert_non_null(strstr(err, want));
    snprintf(redis_dir, sizeof redis_dir, "%s/redis", data2);
    assert_int_not_equal(access(redis_dir, F_OK), 0);   /* no Redis was started */
    assert_true(hc_wait_healthy(port, 10000));
    kill(first, SIGTERM);
    assert_int_equal(berthd_reap(first, 10000), 0);
    close(fd);
}

/* Two nodes on a shared Redis (no embedded Redis, so the data directory is not theirs to
 * lock) but one FILE job-log directory: the second refuses, naming the first; and a berthd
 * on a namespace whose layout version is newer than its own refuses without writing. */
static void test_shared_redis_refusals(void **state)
{
    (void)state;
    redis_fixture rf;
    assert_int_equal(redis_fixture_start(&rf, NULL), 0);
    char url[64], pa[128], pb[128], data[96], err[2048], want[200];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", rf.port);
    snprintf(pa, sizeof pa, "%s/la.yml", tmp), snprintf(pb, sizeof pb, "%s/lb.yml", tmp);
    snprintf(data, sizeof data, "%s/logs", tmp);
    int porta = redis_fixture_free_port(), portb = redis_fixture_free_port();
    write_config(pa, porta, url, "127.0.0.1", data, 30);
    write_config(pb, portb, url, "127.0.0.1", data, 30);   /* same job-log base_dir */
    int fa, fb;
    pid_t a = spawn(pa, &fa);
    assert_true(hc_wait_healthy(porta, 15000));
    pid_t b = spawn(pb, &fb);
    assert_int_equal(berthd_reap(b, 5000), 1);
    read_all(fb, err, sizeof err);
    snprintf(want, sizeof want, "job log directory %s/jobs is in use by another berthd (pid %d",
             data, (int)a);
    if (!strstr(err, want))
        fprintf(stderr, "stderr was: %s\n", err);
    assert_non_null(strstr(err, want));
    kill(a, SIGTERM);
    assert_int_equal(berthd_reap(a, 10000), 0);
    close(fa);

    redis_fixture_flush(&rf);
    redis_fixture_int(&rf, "SET {e2e}:berth:schema 99");
    pid_t c = spawn(pa, &fa);
    assert_int_equal(berthd_reap(c, 10000), 1);
    read_all(fa, err, sizeof err);
    if (!strstr(err, "written by a newer Berth"))
        fprintf(stderr, "stderr was: %s\n", err);
    assert_non_null(strstr(err, "berthd: cannot start the engine: the Redis namespace was "
                                "written by a newer Berth (upgrade this node"));
    assert_int_equal(redis_fixture_int(&rf, "EXISTS {e2e}:known_jobs"), 0);
    assert_int_equal(redis_fixture_int(&rf, "INCRBY {e2e}:berth:schema 0"), 99);
    redis_fixture_stop(&rf);
}

/* What each node of the failover test is doing, for a failure's message: alive or how it
 * ended, what it wrote to stderr (a sanitizer's report, a refusal), and the pools Redis
 * holds with their pids. */
static void report_nodes(redis_fixture *rf, const pid_t *pids, const int *fds, int n)
{
    for (int i = 0; i < n; i++) {
        int st = 0;
        pid_t w = waitpid(pids[i], &st, WNOHANG);
        fprintf(stderr, "node %c (pid %d): %s", 'a' + i, (int)pids[i], w == 0 ? "running" : "");
        if (w == pids[i])
            fprintf(stderr, WIFEXITED(st) ? "exited with %d" : "killed by signal %d",
                    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        char err[4096];
        fcntl(fds[i], F_SETFL, O_NONBLOCK);
        ssize_t k = read(fds[i], err, sizeof err - 1);
        err[k > 0 ? k : 0] = '\0';
        fprintf(stderr, "; stderr: %s\n", k > 0 ? err : "(nothing)");
    }
    redisReply *m = redis_fixture_cmd(rf, "SMEMBERS {e2e}:worker_pools");
    for (size_t i = 0; m && i < m->elements; i++) {
        redisReply *p = redis_fixture_cmd(rf, "HGET {e2e}:worker_pools:%s pid", m->element[i]->str);
        fprintf(stderr, "pool %s: pid %s\n", m->element[i]->str, p && p->str ? p->str : "?");
        freeReplyObject(p);
    }
    freeReplyObject(m);
}

#define FAILOVER_CHECK(ok, ...)                                                            \
    do {                                                                                   \
        if (!(ok)) {                                                                       \
            report_nodes(&rf, pids, fds, 2);                                               \
            fail_msg(__VA_ARGS__);                                                         \
        }                                                                                  \
    } while (0)

/* Two nodes on one Redis, the one running a DEMO job killed -9: the other finishes it.
 * Each wait is bounded by what the engine promises, and a failure names the node at fault
 * (report_nodes); both nodes die with the test (berthd_proc.c), so a failure ends the test
 * at once instead of leaving ctest waiting on them. */
static void test_two_nodes_failover(void **state)
{
    (void)state;
    redis_fixture rf;
    assert_int_equal(redis_fixture_start(&rf, NULL), 0);
    char url[64], pa[128], pb[128], da[96], db[96];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", rf.port);
    snprintf(pa, sizeof pa, "%s/a.yml", tmp), snprintf(pb, sizeof pb, "%s/b.yml", tmp);
    snprintf(da, sizeof da, "%s/a", tmp), snprintf(db, sizeof db, "%s/b", tmp);
    int porta = redis_fixture_free_port(), portb = redis_fixture_free_port();
    write_config(pa, porta, url, "127.0.0.1", da, 2);
    write_config(pb, portb, url, "127.0.0.1", db, 2);
    int fds[2];
    pid_t pids[2] = {spawn(pa, &fds[0]), spawn(pb, &fds[1])}, a = pids[0], b = pids[1];
    /* 15 s: a TSan berthd answers in about 0.1 s on an idle machine */
    FAILOVER_CHECK(hc_wait_healthy(porta, 15000) && hc_wait_healthy(portb, 15000),
                   "a node did not answer /healthz within 15 s");
    /* No wait: berth_engine_start registers the pool before it returns, and berthd serves
     * /healthz only after that, so two healthy nodes are two pools. Fewer means a node
     * that answered is not the one started (its port taken) or Redis lost a write. */
    long long pools = redis_fixture_int(&rf, "SCARD {e2e}:worker_pools");
    FAILOVER_CHECK(pools == 2, "%lld pools in {e2e}:worker_pools after both nodes answered, "
                   "want 2", pools);
    char *id = launch_demo(porta);
    /* any node answers for any job; 5 s: a launch wakes an idle fetcher at once (pub/sub),
     * and one that missed the wake fetches again within 2 s (IDLE_WAIT_MS, fetcher.c) */
    FAILOVER_CHECK(wait_status(portb, id, "Running", 5000), "job %s not Running within 5 s", id);
    /* find the node running it: its fetch batch's lease (the only one) → pool → its
     * heartbeat's pid */
    redisReply *r = redis_fixture_cmd(&rf, "ZRANGE {e2e}:berth:leases 0 0");
    FAILOVER_CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1,
                   "want one lease while job %s runs", id);
    char pool[32];
    snprintf(pool, sizeof pool, "%.24s", r->element[0]->str);
    freeReplyObject(r);
    r = redis_fixture_cmd(&rf, "HGET {e2e}:worker_pools:%s pid", pool);
    pid_t runner = r && r->str ? (pid_t)atoi(r->str) : 0;
    freeReplyObject(r);
    FAILOVER_CHECK(runner == a || runner == b, "the lease's pool %s is neither node's", pool);
    kill(runner, SIGKILL);
    long long killed = wait_now_ms();
    int survivor = runner == a ? portb : porta;
    /* The reaper requeues within 4/5 of the 2 s lease, the survivor's fetcher takes it
     * (woken, or within its 2 s idle wait) and DEMO holds 4 s: at most about 8 s; 6.6 s
     * measured under TSan at load 12. 15 s leaves room for a stalled node without hiding
     * a lost job. */
    FAILOVER_CHECK(wait_status(survivor, id, "Success", 15000),
                   "job %s of the killed node not finished by the other within 15 s", id);
    fprintf(stderr, "job of the killed node finished on the other %lld ms after the kill "
                    "(lease 2 s, DEMO hold 4 s)\n", wait_now_ms() - killed);
    berthd_reap(runner, 1000);
    pid_t other = runner == a ? b : a;
    kill(other, SIGTERM);
    assert_int_equal(berthd_reap(other, 10000), 0);
    close(fds[0]), close(fds[1]);
    free(id);
    redis_fixture_stop(&rf);
}

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    buf *b = ud;
    buf_append(b, p, size * n);
    return size * n;
}

typedef struct tls_get {
    const char *url, *cert;
    long status;     /* 0 until an answer */
    buf body;
} tls_get;

/* One GET over TLS, trusting cert; true once the server answered. */
static bool tls_answers(void *arg)
{
    tls_get *t = arg;
    buf_reset(&t->body);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Authorization: " SECRET);
    curl_easy_setopt(c, CURLOPT_URL, t->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_CAINFO, t->cert);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);   /* CN is localhost, we dial 127.0.0.1 */
    curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t->body);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return t->status != 0;
}

/* protocol https with https_config: the API answers over TLS (≥ 1.2) and not in clear. */
static void test_https(void **state)
{
    (void)state;
    char cmd[512], cert[128], key[128], path[128], data[96];
    snprintf(cert, sizeof cert, "%s/c.pem", tmp);
    snprintf(key, sizeof key, "%s/k.pem", tmp);
    snprintf(cmd, sizeof cmd, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
             "-nodes -keyout %s -out %s -days 1 -subj /CN=localhost 2>/dev/null", key, cert);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/tls.yml", tmp);
    snprintf(data, sizeof data, "%s/tls", tmp);
    int port = redis_fixture_free_port();
    write_config(path, port, NULL, "127.0.0.1", data, 30);
    FILE *f = fopen(path, "a");
    fprintf(f, "https_config:\n  cert: %s\n  key: %s\n", cert, key);
    fclose(f);
    int fd;
    pid_t pid = spawn(path, &fd);
    char url[96];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/api/v1/jobs/0123456789abcdef01234567", port);
    tls_get t = {url, cert, 0, {0}};
    buf_init(&t.body, 0);  /* no cap: the reply of a test's own server */
    wait_until(tls_answers, &t, 10000);   /* berthd is up when it answers */
    long status = t.status;
    buf body = t.body;
    assert_int_equal(status, 404);   /* authenticated, routed, answered: over TLS */
    assert_non_null(strstr(body.p, "\"code\":10010"));
    buf_free(&body);
    hc plain;
    hc_init(&plain, port);
    hc_resp r;
    hc_get(&plain, "/healthz", NULL, &r);
    assert_true(r.status != 200);    /* no clear-text HTTP on the TLS port */
    hc_resp_free(&r);
    hc_cleanup(&plain);
    kill(pid, SIGTERM);
    assert_int_equal(berthd_reap(pid, 10000), 0);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_and_usage),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_embedded_lifecycle),
        cmocka_unit_test(test_ctrl_c_at_terminal),
        cmocka_unit_test(test_second_ctrl_c),
        cmocka_unit_test(test_two_on_one_data_dir),
        cmocka_unit_test(test_two_on_one_port),
        cmocka_unit_test(test_shared_redis_refusals),
        cmocka_unit_test(test_https),
        cmocka_unit_test(test_two_nodes_failover),
    };
    return cmocka_run_group_tests(tests, mk, rm);
}
