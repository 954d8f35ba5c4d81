/* Command jobs and plugin jobs through the real binaries: berthd started with `berth.jobs`
 * and `berth.plugins` in its config (scripts written by the test, the example plugin
 * built from examples/plugins), driven by the real `berth` CLI and by HTTP:
 *   - submit with parameters, get --watch, log; --delay, --cron, --unique (refused while
 *     an equal job waits); stop;
 *   - the parameter check as the API's 400/10013 (and the CLI's exit 5) with its text;
 *   - a child that ignores SIGTERM, stopped with `berth stop`: Stopped, SIGKILL in its log,
 *     nothing of its process group left, berthd alive with the descriptors it had;
 *   - the example plugin's job from submit to log;
 *   - a plugin built for another ABI major version, or a command job named like a built-in:
 *     berthd refuses to start, one line;
 *   - shutdown (SIGTERM to berthd) while a stubborn child runs: its group is gone after. */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "http_client.h"
#include "redis_fixture.h"
#include "wait.h"

extern char **environ;

static cluster cl;
static char tmp[96];
static char addr_env[64];

static const char *bin(const char *name)
{
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", getenv("BERTH_BINARY_DIR"), name);
    return p[k];
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

/* ---- running programs ---- */

/* Runs argv with extra environment entries (NULL-terminated, may be NULL), stdout and
 * stderr together into out. Returns the exit code (-1 when killed). */
static int run(const char *const *argv, const char *const *extra, char *out, size_t outlen)
{
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    const char *envp[256];
    size_t n = 0;
    for (char **e = environ; *e && n < 200; e++)
        if (strncmp(*e, "BERTH_", 6) && strncmp(*e, "CORE_SECRET=", 12))
            envp[n++] = *e;
    for (size_t i = 0; extra && extra[i]; i++)
        envp[n++] = extra[i];
    envp[n] = NULL;
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv,
                                 (char *const *)envp), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    size_t used = 0;
    ssize_t r;
    while ((r = read(p[0], out + used, outlen - 1 - used)) > 0)
        used += (size_t)r;
    out[used] = '\0';
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The `berth` CLI against the node: up to 8 arguments, NULL-terminated. */
static int cli(char *out, size_t outlen, const char *a0, ...)
{
    const char *argv[12] = {bin("berth")};
    size_t n = 1;
    va_list ap;
    va_start(ap, a0);
    for (const char *a = a0; a && n < 11; a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    const char *extra[] = {addr_env, "BERTH_SECRET=" CLUSTER_SECRET, NULL};
    return run(argv, extra, out, outlen);
}

static void expect_has(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("no \"%s\" in:\n%s", needle, text);
}

/* `berth submit -q ...` → the id (static buffer). */
static const char *submit(const char *a0, ...)
{
    static char out[4096];
    const char *argv[14] = {bin("berth"), "submit", "-q"};
    size_t n = 3;
    va_list ap;
    va_start(ap, a0);
    for (const char *a = a0; a && n < 13; a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    const char *extra[] = {addr_env, "BERTH_SECRET=" CLUSTER_SECRET, NULL};
    int rc = run(argv, extra, out, sizeof out);
    if (rc != 0)
        fail_msg("berth submit %s: exit %d: %s", a0, rc, out);
    out[strcspn(out, "\n")] = '\0';
    assert_int_equal(strlen(out), 24);
    return out;
}

static bool status_is(const char *id, const char *want)
{
    char out[4096];
    cli(out, sizeof out, "get", id, "--json", NULL);
    char needle[64];
    snprintf(needle, sizeof needle, "\"status\":\"%s\"", want);
    return strstr(out, needle) != NULL;
}

typedef struct cli_wait {
    const char *id, *want;
    const char *cmd, *flag;   /* the CLI command polled, and its flag (may be NULL) */
    char out[8192];
} cli_wait;

static bool reached(void *arg)
{
    cli_wait *w = arg;
    return status_is(w->id, w->want);
}

static void wait_status(const char *id, const char *want, int ms)
{
    if (!wait_until_every(reached, &(cli_wait){.id = id, .want = want}, ms, 50))
        fail_msg("job %s never reached %s", id, want);
}

/* `berth <cmd> <id> [flag]` until its output holds want; w->out keeps the last output. */
static bool cli_says(void *arg)
{
    cli_wait *w = arg;
    cli(w->out, sizeof w->out, w->cmd, w->id, w->flag, NULL);
    return strstr(w->out, w->want) != NULL;
}

/* ---- the process table ---- */

static int count_fds(pid_t pid)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/fd", (int)pid);
    int n = 0;
    DIR *d = opendir(p);
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* Processes (zombies included) whose process group is pgrp. */
static int in_group(long pgrp)
{
    int n = 0;
    DIR *d = opendir("/proc");
    for (struct dirent *e; d && (e = readdir(d));) {
        char p[300], line[512];
        snprintf(p, sizeof p, "/proc/%s/stat", e->d_name);
        FILE *f = e->d_name[0] >= '1' && e->d_name[0] <= '9' ? fopen(p, "r") : NULL;
        if (!f)
            continue;
        long pg = 0;
        const char *q = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
        if (q && sscanf(q + 2, "%*c %*d %ld", &pg) == 1 && pg == pgrp)
            n++;
        fclose(f);
    }
    closedir(d);
    return n;
}

static long read_pid(const char *path)
{
    long pid = wait_pid_file(path, 5000);
    assert_true(pid > 0);
    return pid;
}

static bool group_gone(void *arg)
{
    return in_group(*(long *)arg) == 0;
}

static void wait_group_gone(long pgrp)
{
    wait_until(group_gone, &pgrp, 5000);
    assert_int_equal(in_group(pgrp), 0);
}

typedef struct fds_wait {
    pid_t pid;
    int want;
} fds_wait;

static bool fds_back(void *arg)
{
    fds_wait *w = arg;
    return count_fds(w->pid) == w->want;
}

/* ---- setup ---- */

static void write_node_config(const char *path, const cluster_node *nd, const char *plugin)
{
    char text[4096];
    snprintf(text, sizeof text,
             "protocol: http\nport: %d\nworker_pool:\n  workers: 4\n  backend: redis\n"
             "  redis_pool:\n    namespace: own\n"
             "job_loggers:\n  - name: FILE\n    level: DEBUG\n    settings:\n"
             "      base_dir: %s/jobs\n"
             "loggers:\n  - name: STD_OUTPUT\n    level: INFO\n"
             "berth:\n  data_dir: %s\n  listen_address: \"127.0.0.1\"\n  grace_seconds: 1\n"
             "  jobs:\n"
             "    - name: GREET\n      command: [%s/greet.py]\n      max_fails: 1\n"
             "      parameters: {required: [who], types: {who: string}}\n"
             "    - name: STUBBORN\n      command: [%s/stubborn.sh]\n      dir: %s\n"
             "      stop_grace_seconds: 0.5\n      max_fails: 1\n"
             "    - name: QUICK\n      command: [/bin/true]\n"
             "  plugins: [%s]\n",
             nd->port, nd->data, nd->data, tmp, tmp, tmp, plugin);
    write_file(path, text, 0600);
}

static int setup(void **state)
{
    (void)state;
    cluster_opts o = {.nodes = 1, .workers = 4, .lease_seconds = 5};
    if (cluster_init(&cl, &o) != 0)
        return -1;
    snprintf(tmp, sizeof tmp, "%s", cl.dir);
    char p[256];
    snprintf(p, sizeof p, "%s/greet.py", tmp);
    write_file(p, "#!/usr/bin/python3\nimport json, os, sys\nparams = json.load(sys.stdin)\n"
                  "print('hello, ' + params['who'])\n"
                  "ctl = os.fdopen(int(os.environ['BERTH_CONTROL_FD']), 'w')\n"
                  "ctl.write(json.dumps({'checkin': 'greeted'}) + '\\n')\n", 0755);
    snprintf(p, sizeof p, "%s/stubborn.sh", tmp);
    write_file(p, "#!/bin/sh\ntrap '' TERM\necho $$ > stubborn.pid\n"
                  "while :; do sleep 0.05; done\n", 0755);
    write_node_config(cl.nodes[0].config, &cl.nodes[0], bin("hello_plugin.so"));
    snprintf(addr_env, sizeof addr_env, "BERTH_ADDR=http://127.0.0.1:%d", cl.nodes[0].port);
    return cluster_start(&cl, 0);
}

static int teardown(void **state)
{
    (void)state;
    cluster_stop(&cl, 0);
    return 0;
}

/* ---- tests ---- */

static void test_submit_watch_log(void **state)
{
    (void)state;
    char id[32], out[8192];
    snprintf(id, sizeof id, "%s", submit("GREET", "-p", "who=world", NULL));
    assert_int_equal(cli(out, sizeof out, "get", id, "--watch", NULL), 0);
    expect_has(out, "Success");
    assert_int_equal(cli(out, sizeof out, "log", id, NULL), 0);
    expect_has(out, "[INFO] [stdout:1]: hello, world");
}

static void test_parameter_check(void **state)
{
    (void)state;
    hc c;
    hc_init(&c, cl.nodes[0].port);
    hc_resp r;
    hc_post(&c, "/api/v1/jobs", CLUSTER_AUTH,
            "{\"job\":{\"name\":\"GREET\",\"parameters\":{\"who\":7},"
            "\"metadata\":{\"kind\":\"Generic\"}}}", &r);
    assert_int_equal(r.status, 400);
    expect_has(r.body, "10013");
    expect_has(r.body, "parameter 'who' must be a string, got an integer");
    hc_resp_free(&r);
    hc_cleanup(&c);
    char out[4096];
    assert_int_equal(cli(out, sizeof out, "submit", "GREET", NULL), 5);
    expect_has(out, "parameter 'who' is required");
}

/* Each HTTP thread's launcher keeps a Redis connection from its thread's first launch that
 * finds one idle in the pool on (src/server/api_launchers.c; one before may go the shared
 * way), and the pool dials another in its place when a job next needs one. So, before the
 * descriptors are counted: three launches on every HTTP thread (at most 4; the submits
 * back to back, each a new connection, dealt to the threads in turn), then their runs. */
static void warm_launchers(void)
{
    char ids[12][32], out[8192];
    for (int i = 0; i < 12; i++)
        snprintf(ids[i], sizeof ids[i], "%s", submit("QUICK", NULL));
    for (int i = 0; i < 12; i++)
        assert_int_equal(cli(out, sizeof out, "get", ids[i], "--watch", NULL), 0);
}

static void test_stop_a_child_that_ignores_sigterm(void **state)
{
    (void)state;
    pid_t node = cl.nodes[0].pid;
    warm_launchers();
    int fds0 = count_fds(node);
    char pidfile[256], id[32], out[8192];
    snprintf(pidfile, sizeof pidfile, "%s/stubborn.pid", tmp);
    remove(pidfile);
    snprintf(id, sizeof id, "%s", submit("STUBBORN", NULL));
    wait_status(id, "Running", 10000);
    long pg = read_pid(pidfile);
    assert_int_equal(cli(out, sizeof out, "stop", id, NULL), 0);
    assert_int_equal(cli(out, sizeof out, "get", id, "--watch", NULL), 1);
    expect_has(out, "Stopped");
    wait_group_gone(pg);
    cli_wait w = {.id = id, .want = "stopped", .cmd = "log"};
    wait_until_every(cli_says, &w, 5000, 50);   /* one CLI process per poll */
    expect_has(w.out, "stop requested: sending SIGTERM");
    expect_has(w.out, "sending SIGKILL");
    assert_true(hc_wait_healthy(cl.nodes[0].port, 10000));
    wait_until(fds_back, &(fds_wait){node, fds0}, 3000);
    assert_int_equal(count_fds(node), fds0);
}

static void test_delay_and_cron(void **state)
{
    (void)state;
    char id[32], policy[32], out[8192];
    snprintf(id, sizeof id, "%s", submit("QUICK", "--delay", "1", NULL));
    assert_int_equal(cli(out, sizeof out, "get", id, "--watch", NULL), 0);
    snprintf(policy, sizeof policy, "%s", submit("QUICK", "--cron", "* * * * * *", NULL));
    cli_wait w = {.id = policy, .want = "\"status\":\"Success\"", .cmd = "executions",
                  .flag = "--json"};
    wait_until_every(cli_says, &w, 10000, 50);
    expect_has(w.out, "\"status\":\"Success\"");
    assert_int_equal(cli(out, sizeof out, "stop", policy, NULL), 0);
    /* unique: the lock is held until a worker picks the job up (as Harbor), so a delayed
     * job keeps it */
    snprintf(id, sizeof id, "%s", submit("QUICK", "--unique", "--delay", "60", NULL));
    int rc = cli(out, sizeof out, "submit", "QUICK", "--unique", "--delay", "60", NULL);
    if (rc != 6)      /* Harbor's answer: 500/10003, as for a built-in job */
        fail_msg("second unique submit: exit %d: %s", rc, out);
    expect_has(out, "a unique job with the same parameters is already queued");
    assert_int_equal(cli(out, sizeof out, "stop", id, NULL), 0);
    wait_status(id, "Stopped", 5000);
}

static void test_plugin_job(void **state)
{
    (void)state;
    char id[32], out[8192];
    snprintf(id, sizeof id, "%s", submit("HELLO_PLUGIN", "-p", "who=plugin", NULL));
    assert_int_equal(cli(out, sizeof out, "get", id, "--watch", NULL), 0);
    assert_int_equal(cli(out, sizeof out, "log", id, NULL), 0);
    expect_has(out, "hello from a plugin");
    assert_int_equal(cli(out, sizeof out, "submit", "HELLO_PLUGIN", "-p", "who:=1", NULL), 5);
    expect_has(out, "parameter 'who' must be a string");
}

static void test_plugin_of_another_abi_refused(void **state)
{
    (void)state;
    char path[256], out[4096];
    snprintf(path, sizeof path, "%s/bad.yml", tmp);
    cluster_node nd = cl.nodes[0];
    snprintf(nd.data, sizeof nd.data, "%s/bad-node", tmp);
    nd.port = redis_fixture_free_port();
    write_node_config(path, &nd, bin("bad_abi_plugin.so"));
    const char *argv[] = {bin("berthd"), "-c", path, NULL};
    assert_int_equal(run(argv, NULL, out, sizeof out), 2);
    expect_has(out, "bad_abi_plugin.so: built for Berth ABI 2.0, this berthd has ABI 1.0: "
                    "rebuild it against this version's headers");
}

/* A command job named like a built-in: berthd refuses to start, exit 2, one line. */
static void test_name_of_a_builtin_refused(void **state)
{
    (void)state;
    char path[256], text[1024], out[4096];
    snprintf(path, sizeof path, "%s/dup.yml", tmp);
    snprintf(text, sizeof text,
             "protocol: http\nport: %d\nworker_pool:\n  backend: redis\n  redis_pool:\n"
             "    namespace: own\nberth:\n  data_dir: %s/dup-node\n"
             "  listen_address: \"127.0.0.1\"\n"
             "  jobs:\n    - {name: DEMO, command: [/bin/true]}\n",
             redis_fixture_free_port(), tmp);
    write_file(path, text, 0600);
    const char *argv[] = {bin("berthd"), "-c", path, NULL};
    assert_int_equal(run(argv, NULL, out, sizeof out), 2);
    expect_has(out, "cannot register job DEMO: the name is taken");
}

static void test_shutdown_ends_the_group(void **state)
{
    (void)state;
    char pidfile[256], id[32];
    snprintf(pidfile, sizeof pidfile, "%s/stubborn.pid", tmp);
    remove(pidfile);
    snprintf(id, sizeof id, "%s", submit("STUBBORN", NULL));
    wait_status(id, "Running", 10000);
    long pg = read_pid(pidfile);
    assert_int_equal(cluster_signal(&cl, 0, SIGTERM), 0);
    wait_group_gone(pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_watch_log),
        cmocka_unit_test(test_parameter_check),
        cmocka_unit_test(test_stop_a_child_that_ignores_sigterm),
        cmocka_unit_test(test_delay_and_cron),
        cmocka_unit_test(test_plugin_job),
        cmocka_unit_test(test_plugin_of_another_abi_refused),
        cmocka_unit_test(test_name_of_a_builtin_refused),
        cmocka_unit_test(test_shutdown_ends_the_group),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
