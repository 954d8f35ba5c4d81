/* Command jobs (src/exec) on a real engine and Redis, with real child processes written
 * by the test into a temp dir: the contract (parameters on stdin, the environment
 * allowlist, the working directory, stdout/stderr to the job log, the control channel,
 * exit codes and signals, retries, the parameter check) and every hostile child of issue
 * 16: one that ignores SIGTERM, one that leaves a grandchild (which ignores SIGTERM too),
 * one that leaves its process group and ignores SIGTERM,
 * one that floods 1 GiB to stdout, one that closes stdin and stdout at once, one that never
 * reads a large stdin, one killed by SIGSEGV, one that sleeps past its timeout, a missing,
 * a non-executable program and a bad working directory. After each: the engine still runs
 * jobs, no process of the job is left (not even a zombie: the process table is read),
 * this process has exactly the descriptors it had before (/proc/self/fd), and the job
 * is in the right final state with the reason in its log. */
#include "test.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "exec/command.h"
#include "wait.h"

static redis_fixture rf;
static berth_engine *eng;
static char tmp[64];
static char logdir[128];
static exec_job *jobs[32];
static size_t njobs;

/* ---- the process table and descriptors ---- */

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;   /* the DIR's own */
}

/* Fields 4 (ppid) and 5 (pgrp) of /proc/<pid>/stat; false when pid is gone. */
static bool proc_stat(const char *pid, long *ppid, long *pgrp)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    const char *p = ok ? strrchr(line, ')') : NULL;   /* comm may hold spaces */
    return p && sscanf(p + 2, "%*c %ld %ld", ppid, pgrp) == 2;
}

/* Processes (zombies too) that are our children other than redis-server, or in pgrp;
 * printed when loud. */
static int leftovers_of(long pgrp, bool loud)
{
    int n = 0;
    DIR *d = opendir("/proc");
    for (struct dirent *e; d && (e = readdir(d));) {
        long ppid, pg;
        if (e->d_name[0] < '1' || e->d_name[0] > '9' || !proc_stat(e->d_name, &ppid, &pg))
            continue;
        long pid = atol(e->d_name);
        if ((ppid == getpid() && pid != rf.pid) || (pgrp > 0 && pg == pgrp)) {
            if (loud)
                fprintf(stderr, "left over: pid %ld ppid %ld pgrp %ld\n", pid, ppid, pg);
            n++;
        }
    }
    closedir(d);
    return n;
}

static int leftovers(long pgrp)
{
    return leftovers_of(pgrp, true);
}

/* ---- jobs ---- */

static char *path_of(const char *name)
{
    static char p[4][192];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", tmp, name);
    return p[k];
}

/* Writes <tmp>/<file> with mode and returns its path. */
static const char *script(const char *file, const char *text, mode_t mode)
{
    const char *p = path_of(file);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(p, mode);
    return p;
}

static void add_job(exec_command c)
{
    char err[256];
    assert_true(njobs < sizeof jobs / sizeof jobs[0]);
    int rc = exec_job_new(eng, &c, &jobs[njobs], err, sizeof err);
    if (rc != 0)
        fail_msg("exec_job_new %s: %s", c.name, err);
    njobs++;
}

/* A job running `prog` (argv of one) with a one-run default and a short stop grace. */
static exec_command cmd(const char *name, const char *prog)
{
    static char *argv[8][2];
    static int k;
    k = (k + 1) % 8;
    argv[k][0] = (char *)prog;
    argv[k][1] = NULL;
    return (exec_command){.name = (char *)name, .argv = argv[k], .max_fails = 1,
                          .stop_grace_ms = 300};
}

static char *launch(const char *name, const char *params)
{
    berth_stats *st = NULL;
    char err[256];
    if (berth_engine_launch(eng, &(berth_launch){.name = name, .params_json = params}, &st,
                            err, sizeof err) != 0)
        fail_msg("launch %s: %s", name, err);
    char *id = strdup(st->id);
    berth_stats_free(st);
    return id;
}

static char *read_log(const char *id)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s.log", logdir, id);
    FILE *f = fopen(p, "r");
    if (!f)
        return strdup("");
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return strdup(text);
}

static void expect_log(const char *id, const char *needle)
{
    char *log = read_log(id);
    if (!strstr(log, needle))
        fail_msg("job %s: log has no \"%s\":\n%s", id, needle, log);
    free(log);
}

static long read_pid(const char *file)
{
    long pid = wait_pid_file(path_of(file), 5000);
    assert_true(pid > 0);
    return pid;
}

static bool fds_back(void *arg)
{
    return count_fds() == *(int *)arg;
}

static bool group_gone(void *arg)
{
    return leftovers_of(*(long *)arg, false) == 0;
}

static bool path_gone(void *arg)
{
    return access(arg, F_OK) != 0;
}

/* The checks after every hostile child: the engine runs a job, nothing of the job is left
 * in the process table, and the descriptor count is back to fds0. */
static void after(int fds0, long pgrp)
{
    char *id = launch("OK", "{\"who\":\"after\"}");
    assert_true(engine_fixture_wait_status(eng, id, "Success", 10000));
    free(id);
    assert_int_equal(leftovers(pgrp), 0);
    wait_until(fds_back, &fds0, 2000);
    assert_int_equal(count_fds(), fds0);
}

static char *run_to(const char *name, const char *params, const char *status, int ms)
{
    char *id = launch(name, params);
    assert_true(engine_fixture_wait_status(eng, id, status, ms));
    return id;
}

/* ---- setup ---- */

static void register_jobs(void)
{
    static char *ok_env[] = {"ALLOWED", "FIXED=fixed-value", "PATH", NULL};
    exec_command c = cmd("OK", script("ok.sh", "#!/bin/sh\np=$(cat)\necho \"params=$p\"\n"
        "echo \"id=$BERTH_JOB_ID name=$BERTH_JOB_NAME rev=$BERTH_JOB_REVISION fd=$BERTH_CONTROL_FD\"\n"
        "echo \"secret=${CORE_SECRET:-none} redis=${REDIS_PASSWORD:-none} allowed=$ALLOWED "
        "fixed=$FIXED other=${OTHER:-none}\"\necho \"cwd=$(pwd)\"\necho a-warning >&2\n", 0755));
    c.env = ok_env;
    c.dir = path_of("work");
    add_job(c);
    add_job(cmd("EXIT3", script("exit3.sh", "#!/bin/sh\necho first >&2\n"
                                "echo 'the last words' >&2\nexit 3\n", 0755)));
    add_job(cmd("CONTROL", script("control.py", "#!/usr/bin/python3\nimport os, time\n"
        "ctl = os.fdopen(3, 'w', buffering=1)\nctl.write('not json\\n')\n"
        "ctl.write('{\"checkin\":\"half way\"}\\n')\ntime.sleep(0.3)\n"
        "ctl.write('{\"fail\":\"disk full\"}\\n')\n", 0755)));
    add_job(cmd("SEGV", script("segv.sh", "#!/bin/sh\nkill -SEGV $$\n", 0755)));
    add_job(cmd("MISSING", path_of("no-such-program")));
    add_job(cmd("NOEXEC", script("noexec.sh", "#!/bin/sh\nexit 0\n", 0644)));
    exec_command bd = cmd("BADDIR", "/bin/true");
    bd.dir = path_of("no-such-dir");
    add_job(bd);
    exec_command ig = cmd("IGNORE_TERM", script("ignore.sh", "#!/bin/sh\ntrap '' TERM\n"
        "echo $$ > ignore.pid\nwhile :; do sleep 0.05; done\n", 0755));
    ig.dir = tmp;
    add_job(ig);
    exec_command gc = cmd("GRANDCHILD", script("grandchild.sh", "#!/bin/sh\necho $$ > gc.pgid\n"
        "sh -c 'trap \"\" TERM; echo $$ > gc.pid; exec sleep 30' &\n"
        "while [ ! -s gc.pid ]; do sleep 0.01; done\nexit 0\n", 0755));
    gc.dir = tmp;
    add_job(gc);
    exec_command ls = cmd("LEAVER", script("leaver.py", "#!/usr/bin/python3\n"
        "import os, signal, time\nos.setpgid(0, os.getpgid(os.getppid()))\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "open('leaver.pid', 'w').write(str(os.getpid()))\ntime.sleep(30)\n", 0755));
    ls.dir = tmp;
    add_job(ls);
    exec_command fl = cmd("FLOOD", script("flood.py", "#!/usr/bin/python3\nimport sys\n"
        "block = (b'x' * 99 + b'\\n') * 10486\nfor _ in range(1024):\n"
        "    sys.stdout.buffer.write(block)\nprint('the end', file=sys.stderr)\n", 0755));
    fl.max_output_bytes = 65536;
    add_job(fl);
    add_job(cmd("CLOSE_STD", script("close.sh", "#!/bin/sh\nexec 0<&- 1>&-\nsleep 0.3\n"
                                    "echo still-here >&2\n", 0755)));
    add_job(cmd("NO_READ", script("noread.sh", "#!/bin/sh\nsleep 0.3\necho done\n", 0755)));
    exec_command to = cmd("SLOW", script("slow.sh", "#!/bin/sh\necho $$ > slow.pid\nsleep 30\n",
                                         0755));
    to.dir = tmp;
    to.timeout_ms = 300;
    add_job(to);
    exec_command rt = cmd("RETRY", script("retry.sh", "#!/bin/sh\nn=$(cat count 2>/dev/null)\n"
        "n=$((n+1))\necho $n > count\necho \"run $n\"\n[ $n -ge 2 ]\n", 0755));
    rt.dir = tmp;
    rt.max_fails = 3;
    rt.should_retry = true;
    add_job(rt);
    exec_command one = cmd("ONE_AT_A_TIME", script("one.sh", "#!/bin/sh\nsleep 0.4\n", 0755));
    one.max_concurrency = 1;
    add_job(one);
    exec_command nr = cmd("NO_RETRY", script("noretry.sh", "#!/bin/sh\necho run >> noretry.runs\n"
                                             "exit 1\n", 0755));
    nr.dir = tmp;
    nr.max_fails = 3;
    nr.should_retry = false;
    add_job(nr);
}

static int setup(void **state)
{
    (void)state;
    if (redis_fixture_start(&rf, NULL) != 0)
        return -1;
    snprintf(tmp, sizeof tmp, "/tmp/berth-cmd-XXXXXX");
    if (!mkdtemp(tmp))
        return -1;
    snprintf(logdir, sizeof logdir, "%s/logs", tmp);
    mkdir(logdir, 0700);
    mkdir(path_of("work"), 0700);
    setenv("ALLOWED", "yes-allowed", 1);
    setenv("OTHER", "not-listed", 1);
    setenv("CORE_SECRET", "must-not-leak", 1);
    setenv("REDIS_PASSWORD", "must-not-leak", 1);
    berth_engine_config c = engine_fixture_config(&rf);
    c.job_log_dir = logdir;
    c.grace_ms = 300;
    char err[256];
    if (berth_engine_new(&c, &eng, err, sizeof err) != 0)
        return -1;
    register_jobs();
    if (berth_engine_start(eng) != 0)
        return -1;
    /* Warm up: the connections a launch and a status read open stay open, so the
     * descriptor counts of the tests start from here. */
    free(run_to("OK", NULL, "Success", 10000));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    berth_engine_free(eng);
    for (size_t i = 0; i < njobs; i++)
        exec_job_free(jobs[i]);
    redis_fixture_stop(&rf);
    char cmdline[128];
    snprintf(cmdline, sizeof cmdline, "rm -rf %s", tmp);
    return system(cmdline) == 0 ? 0 : -1;
}

/* ---- the contract ---- */

static void test_success_sees_only_what_it_should(void **state)
{
    (void)state;
    int fds0 = count_fds();
    char *id = run_to("OK", "{\"who\":\"world\"}", "Success", 10000);
    expect_log(id, "[INFO] [stdout:1]: params={\"who\":\"world\"}");
    char line[160];
    snprintf(line, sizeof line, "id=%s name=OK rev=", id);
    expect_log(id, line);
    expect_log(id, "fd=3");
    expect_log(id, "secret=none redis=none allowed=yes-allowed fixed=fixed-value other=none");
    snprintf(line, sizeof line, "cwd=%s/work", tmp);
    expect_log(id, line);
    expect_log(id, "[WARNING] [stderr:1]: a-warning");
    free(id);
    id = run_to("OK", NULL, "Success", 10000);
    expect_log(id, "params={}");
    free(id);
    after(fds0, 0);
}

static void test_exit_code_and_last_stderr_line(void **state)
{
    (void)state;
    int fds0 = count_fds();
    char *id = run_to("EXIT3", NULL, "Error", 10000);
    expect_log(id, "[ERROR]");
    expect_log(id, "exit code 3: the last words");
    free(id);
    after(fds0, 0);
}

static void test_control_channel(void **state)
{
    (void)state;
    int fds0 = count_fds();
    char *id = run_to("CONTROL", NULL, "Error", 10000);
    berth_stats *s = NULL;
    assert_int_equal(berth_engine_get_stats(eng, id, &s), 0);
    assert_true(s->check_in_at > 0);   /* the message travels in the hook event */
    berth_stats_free(s);
    expect_log(id, "control channel: not a JSON object: not json");
    expect_log(id, "the job reports failure: disk full");
    free(id);
    after(fds0, 0);
}

static void test_killed_by_signal(void **state)
{
    (void)state;
    int fds0 = count_fds();
    char *id = run_to("SEGV", NULL, "Error", 10000);
    expect_log(id, "killed by SIGSEGV");
    free(id);
    after(fds0, 0);
}

static void test_cannot_start(void **state)
{
    (void)state;
    int fds0 = count_fds();
    char *id = run_to("MISSING", NULL, "Error", 10000);
    expect_log(id, "no-such-program: No such file or directory");
    free(id);
    id = run_to("NOEXEC", NULL, "Error", 10000);
    expect_log(id, "noexec.sh: not executable");
    free(id);
    id = run_to("BADDIR", NULL, "Error", 10000);
    expect_log(id, "working directory");
    expect_log(id, "no-such-dir: No such file or directory");
    free(id);
    after(fds0, 0);
}

static void test_retry_and_no_retry(void **state)
{
    (void)state;
    int fds0 = count_fds();
    char *id = run_to("RETRY", NULL, "Success", 10000);
    expect_log(id, "run 2");
    free(id);
    id = run_to("NO_RETRY", NULL, "Error", 10000);
    free(id);
    FILE *f = fopen(path_of("noretry.runs"), "r");
    assert_non_null(f);
    char buf[64];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_int_equal(n, 4);   /* "run\n" once */
    after(fds0, 0);
}

/* Two jobs' statuses at each poll, noting whether both were ever Running at once. */
typedef struct pair_watch {
    const char *a, *b;
    char sa[32], sb[32];
    bool both_running;
} pair_watch;

static bool both_succeeded(void *arg)
{
    pair_watch *w = arg;
    engine_fixture_status(eng, w->a, w->sa, sizeof w->sa);
    engine_fixture_status(eng, w->b, w->sb, sizeof w->sb);
    w->both_running |= strcmp(w->sa, "Running") == 0 && strcmp(w->sb, "Running") == 0;
    return strcmp(w->sa, "Success") == 0 && strcmp(w->sb, "Success") == 0;
}

/* max_concurrency 1 with 4 idle workers: never two Running at once, both end Success. */
static void test_max_concurrency(void **state)
{
    (void)state;
    char *a = launch("ONE_AT_A_TIME", "{\"n\":1}"), *b = launch("ONE_AT_A_TIME", "{\"n\":2}");
    pair_watch w = {a, b, "", "", false};
    wait_until(both_succeeded, &w, 15000);
    assert_string_equal(w.sa, "Success");
    assert_string_equal(w.sb, "Success");
    assert_false(w.both_running);
    free(a);
    free(b);
}

static void test_parameter_check(void **state)
{
    (void)state;
    exec_param_rule rules[] = {{.key = "url", .required = true, .types = EXEC_JSON_STRING},
                               {.key = "count", .types = EXEC_JSON_INTEGER},
                               {.key = "tags", .types = EXEC_JSON_ARRAY | EXEC_JSON_NULL}};
    exec_command c = cmd("CHECKED", "/bin/true");
    c.params = rules;
    c.nparams = 3;
    /* a second engine: types register only before start */
    berth_engine_config ec = engine_fixture_config(&rf);
    berth_engine *e2 = NULL;
    exec_job *j = NULL;
    char err[256];
    assert_int_equal(berth_engine_new(&ec, &e2, err, sizeof err), 0);
    assert_int_equal(exec_job_new(e2, &c, &j, err, sizeof err), 0);
    struct { const char *params, *want; } cases[] = {
        {"{\"url\":\"http://x\",\"count\":3}", NULL},
        {"{\"url\":\"http://x\",\"count\":3.0,\"tags\":null}", NULL},
        {NULL, "parameter 'url' is required"},
        {"{}", "parameter 'url' is required"},
        {"{\"url\":7}", "parameter 'url' must be a string, got an integer"},
        {"{\"url\":\"u\",\"count\":1.5}", "parameter 'count' must be an integer, got a number "
                                          "with a fraction"},
        {"{\"url\":\"u\",\"tags\":{}}", "parameter 'tags' must be an array or null, got an "
                                         "object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        int rc = berth_engine_validate(e2, "CHECKED", cases[i].params, err, sizeof err);
        if (!cases[i].want) {
            assert_int_equal(rc, 0);
            continue;
        }
        assert_int_equal(rc, BERTH_EINVAL);
        assert_string_equal(err, cases[i].want);
    }
    berth_engine_free(e2);
    exec_job_free(j);
}

static int noop_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx, (void)params, (void)ud;
    return 0;
}

static void test_bad_definitions_refused(void **state)
{
    (void)state;
    berth_engine_config ec = engine_fixture_config(&rf);
    berth_engine *e2 = NULL;
    exec_job *j = NULL;
    char err[256];
    assert_int_equal(berth_engine_new(&ec, &e2, err, sizeof err), 0);
    static char *secret_env[] = {"CORE_SECRET", NULL}, *bad_env[] = {"1BAD", NULL};
    exec_command c = cmd("E1", "/bin/true");
    c.env = secret_env;
    assert_int_equal(exec_job_new(e2, &c, &j, err, sizeof err), BERTH_ECONFIG);
    assert_non_null(strstr(err, "CORE_SECRET' is never passed"));
    c.env = bad_env;
    assert_int_equal(exec_job_new(e2, &c, &j, err, sizeof err), BERTH_ECONFIG);
    assert_non_null(strstr(err, "not a valid variable name"));
    c = cmd("", "/bin/true");
    assert_int_equal(exec_job_new(e2, &c, &j, err, sizeof err), BERTH_EINVAL);
    c = cmd("BAD NAME", "/bin/true");
    assert_int_equal(exec_job_new(e2, &c, &j, err, sizeof err), BERTH_ECONFIG);
    assert_non_null(strstr(err, "cannot register job BAD NAME"));
    assert_int_equal(berth_engine_register(e2, &(berth_job_type){.name = "TAKEN",
                                                                  .run = noop_run}), 0);
    c = cmd("TAKEN", "/bin/true");
    assert_int_equal(exec_job_new(e2, &c, &j, err, sizeof err), BERTH_ECONFIG);
    assert_string_equal(err, "cannot register job TAKEN: the name is taken (by a built-in, a "
                             "plugin or another job) or not allowed");
    assert_null(j);
    assert_false(berth_engine_knows(e2, "E1"));
    assert_false(berth_engine_knows(e2, "BAD NAME"));
    exec_job_free(NULL);
    berth_engine_free(e2);
}

/* ---- hostile children ---- */

static void test_ignores_sigterm(void **state)
{
    (void)state;
    int fds0 = count_fds();
    remove(path_of("ignore.pid"));
    char *id = run_to("IGNORE_TERM", NULL, "Running", 10000);
    long pg = read_pid("ignore.pid");
    assert_int_equal(berth_engine_stop_job(eng, id), 0);
    assert_true(engine_fixture_wait_status(eng, id, "Stopped", 5000));
    assert_true(wait_until(group_gone, &pg, 5000));
    expect_log(id, "stop requested: sending SIGTERM");
    expect_log(id, "sending SIGKILL");
    free(id);
    after(fds0, pg);
}

static void test_grandchild_left_behind(void **state)
{
    (void)state;
    int fds0 = count_fds();
    remove(path_of("gc.pid"));
    char *id = run_to("GRANDCHILD", NULL, "Success", 10000);
    long pg = read_pid("gc.pgid"), gc = read_pid("gc.pid");
    expect_log(id, "left processes in its group");
    expect_log(id, "sending SIGKILL");    /* the grandchild ignores SIGTERM */
    char p[64];
    snprintf(p, sizeof p, "/proc/%ld", gc);
    assert_int_equal(access(p, F_OK), -1);     /* gone, not even a zombie */
    free(id);
    after(fds0, pg);
}

/* A child that leaves its process group (a leader cannot setsid(); it can join another
 * group of its session, here this process's) and ignores SIGTERM: the stop still reaches
 * it, as the child itself, and SIGKILL ends it. */
static void test_leaves_its_group(void **state)
{
    (void)state;
    int fds0 = count_fds();
    remove(path_of("leaver.pid"));
    char *id = run_to("LEAVER", NULL, "Running", 10000);
    long pid = read_pid("leaver.pid");
    assert_int_equal(berth_engine_stop_job(eng, id), 0);
    assert_true(engine_fixture_wait_status(eng, id, "Stopped", 5000));
    char p[64];
    snprintf(p, sizeof p, "/proc/%ld", pid);
    assert_true(wait_until(path_gone, p, 5000));
    expect_log(id, "sending SIGKILL");
    free(id);
    after(fds0, pid);
}

static void test_flood_is_capped(void **state)
{
    (void)state;
    int fds0 = count_fds();
    long long t0 = wait_now_ms();
    char *id = run_to("FLOOD", NULL, "Success", 60000);
    fprintf(stderr, "1 GiB of stdout drained in %lld ms\n", wait_now_ms() - t0);
    expect_log(id, "output over 65536 bytes: the rest is read and discarded");
    expect_log(id, "bytes of output were not logged");
    char *log = read_log(id);
    assert_true(strlen(log) < 65536 * 3);
    free(log);
    free(id);
    after(fds0, 0);
}

static void test_closes_stdin_and_stdout(void **state)
{
    (void)state;
    int fds0 = count_fds();
    char *id = run_to("CLOSE_STD", "{\"a\":1}", "Success", 10000);
    expect_log(id, "still-here");
    free(id);
    after(fds0, 0);
}

static void test_never_reads_a_large_stdin(void **state)
{
    (void)state;
    int fds0 = count_fds();
    size_t n = 300000;
    char *params = malloc(n + 16);
    memcpy(params, "{\"big\":\"", 8);
    memset(params + 8, 'b', n);
    memcpy(params + 8 + n, "\"}", 3);
    char *id = run_to("NO_READ", params, "Success", 10000);
    expect_log(id, "done");
    free(params);
    free(id);
    after(fds0, 0);
}

static void test_timeout(void **state)
{
    (void)state;
    int fds0 = count_fds();
    remove(path_of("slow.pid"));
    long long t0 = wait_now_ms();
    char *id = run_to("SLOW", NULL, "Error", 10000);
    assert_true(wait_now_ms() - t0 < 5000);
    long pg = read_pid("slow.pid");
    expect_log(id, "timeout: sending SIGTERM");
    expect_log(id, "timed out after 0.3 s");
    free(id);
    after(fds0, pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success_sees_only_what_it_should),
        cmocka_unit_test(test_exit_code_and_last_stderr_line),
        cmocka_unit_test(test_control_channel),
        cmocka_unit_test(test_killed_by_signal),
        cmocka_unit_test(test_cannot_start),
        cmocka_unit_test(test_retry_and_no_retry),
        cmocka_unit_test(test_max_concurrency),
        cmocka_unit_test(test_parameter_check),
        cmocka_unit_test(test_bad_definitions_refused),
        cmocka_unit_test(test_ignores_sigterm),
        cmocka_unit_test(test_grandchild_left_behind),
        cmocka_unit_test(test_leaves_its_group),
        cmocka_unit_test(test_flood_is_capped),
        cmocka_unit_test(test_closes_stdin_and_stdout),
        cmocka_unit_test(test_never_reads_a_large_stdin),
        cmocka_unit_test(test_timeout),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
