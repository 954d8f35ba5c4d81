/* The Debian package as an operator uses it: scripts/deb.sh (make deb) builds it in a
 * temporary directory; its control file depends on the package of every library the
 * binaries need (objdump NEEDED, dpkg -S) and on redis-server, and marks the config as a
 * conffile. `dpkg -i` installs it: the user berth, a 0600 secret, a unit that
 * systemd-analyze verifies as installed; installed again (an upgrade), an edited conffile
 * and the secret stay. The installed berthd (started as the user berth
 * with a config of its own on a free port: systemd does not run in a container) runs a
 * DEMO job that the installed berth CLI follows to Success. `dpkg --purge` then leaves no
 * path of `dpkg -L` (but directories other packages own), no state, no logs, no user.
 *
 * It changes the machine, so it runs only as root (CI does) and only when no package,
 * user or directory named berth is there already; otherwise it says SKIPPED and exits 77.
 * Label package; skipped in the sanitizer presets too. */
#include "test.h"

#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth/version.h"
#include "engine_fixture.h"
#include "redis_fixture.h"
#include "shell.h"
#include "wait.h"

#define SECRET "deb-test-secret"

static char tmp[64];          /* work dir: build tree, .deb, the node's config and data */
static char deb[256];         /* the package built */
static char out[65536];
static bool installed;        /* by this test: teardown purges it if a test failed */
static pid_t node;            /* the installed berthd, while it runs */
static int port;

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v ? v : "";
}

/* Why this machine must not be touched, or NULL. */
static const char *why_skip(void)
{
    if (sh_packaging_skip())
        return sh_packaging_skip();
    if (geteuid() != 0)
        return "test_deb installs a package with dpkg -i and must run as root (CI does)";
    if (sh_run(NULL, 0, "dpkg-query -W -f='${Status}' berth 2>/dev/null | grep -q installed") == 0)
        return "a package named berth is installed here; the test will not replace or purge it";
    if (sh_run(NULL, 0, "getent passwd berth || getent group berth || ls -d /etc/berth "
                        "/var/lib/berth /var/log/berth") == 0)
        return "a user, group or directory named berth exists here; the purge would remove it";
    return NULL;
}

static void stop_node(void)
{
    if (node > 0) {
        kill(node, SIGKILL);
        waitpid(node, NULL, 0);
        node = 0;
    }
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/berth-deb-XXXXXX");
    if (!mkdtemp(tmp))
        return -1;
    chmod(tmp, 0755);   /* the user berth reaches its data dir below it */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    stop_node();
    if (installed)
        sh_run(NULL, 0, "dpkg --purge berth");
    sh_run(NULL, 0, "rm -rf %s", tmp);
    return 0;
}

/* Every library a packaged ELF file needs comes from a package in Depends. */
static void check_depends(const char *deps)
{
    sh_ok(out, sizeof out, "mkdir %s/x && dpkg-deb -x %s %s/x", tmp, deb, tmp);
    sh_ok(out, sizeof out,
          "for f in %s/x/usr/sbin/berthd %s/x/usr/bin/berth %s/x/usr/lib/*/libberth.so.*.*; do "
          "  objdump -p $f | awk '/NEEDED/{print $2}'; done | sort -u | while read l; do "
          "  p=$(dpkg -S \"*/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/$l\" | cut -d: -f1); "
          "  case ', %s,' in *\", $p \"*|*\", $p,\"*) ;; *) echo \"$l: $p not in Depends\";; esac; "
          "done", tmp, tmp, tmp, deps);
    assert_string_equal(out, "");
    for (const char *p = "libhiredis0.14 \0libjansson4 \0libyaml-0-2\0libmicrohttpd12 \0"
                         "libcurl4 \0redis-server\0adduser\0";
         *p; p += strlen(p) + 1)
        assert_non_null(strstr(deps, p));
}

static void test_build(void **state)
{
    (void)state;
    long long t0 = wait_now_ms();
    sh_ok(out, sizeof out, "%s/scripts/deb.sh %s/build %s >%s/deb.log 2>&1 || "
          "{ tail -40 %s/deb.log; exit 1; }; tail -1 %s/deb.log", env("BERTH_SOURCE_DIR"), tmp,
          tmp, tmp, tmp, tmp);
    snprintf(deb, sizeof deb, "%.*s", (int)strcspn(out, "\n"), out);
    fprintf(stderr, "built %s in %lld ms\n", deb, wait_now_ms() - t0);
    sh_ok(out, sizeof out, "dpkg-deb -f %s Package Version", deb);
    assert_string_equal(out, "Package: berth\nVersion: " BERTH_VERSION "\n");
    char deps[1024];
    sh_ok(deps, sizeof deps, "dpkg-deb -f %s Depends | tr -d '\\n'", deb);
    check_depends(deps);
    sh_ok(out, sizeof out, "dpkg-deb -I %s conffiles", deb);
    assert_string_equal(out, "/etc/berth/config.yml\n");
}

static void test_install(void **state)
{
    (void)state;
    sh_ok(out, sizeof out, "dpkg -i %s", deb);
    installed = true;
    sh_ok(out, sizeof out, "getent passwd berth | cut -d: -f6,7");
    assert_string_equal(out, "/var/lib/berth:/usr/sbin/nologin\n");
    sh_ok(out, sizeof out, "stat -c '%%a %%U' /etc/berth/berthd.env && "
                           "grep -Ec '^CORE_SECRET=[0-9a-f]{48}$' /etc/berth/berthd.env");
    assert_string_equal(out, "600 root\n1\n");
    sh_ok(out, sizeof out, "/usr/sbin/berthd --version && /usr/bin/berth --version");
    assert_string_equal(out, "berthd " BERTH_VERSION "\nberth " BERTH_VERSION "\n");
    /* The unit as installed; its man: links too, unless dpkg is set to drop man pages
     * (path-exclude in slim images) */
    bool man = sh_run(NULL, 0, "test -e /usr/share/man/man8/berthd.8.gz") == 0;
    if (!man)
        fprintf(stderr, "note: dpkg excludes man pages here; verify runs with --man=no\n");
    sh_ok(out, sizeof out, "systemd-analyze verify %s /usr/lib/systemd/system/berthd.service",
          man ? "" : "--man=no");
    assert_string_equal(out, "");
    /* an operator's enable, which prerm must undo */
    sh_ok(out, sizeof out, "systemctl enable berthd.service && "
                           "test -L /etc/systemd/system/multi-user.target.wants/berthd.service");
}

/* Installing over itself (what an upgrade does): an edited conffile and the secret stay. */
static void test_reinstall(void **state)
{
    (void)state;
    char before[256];
    sh_ok(before, sizeof before, "cat /etc/berth/berthd.env");
    sh_ok(out, sizeof out, "echo '# edited by the operator' >>/etc/berth/config.yml && "
                           "dpkg -i %s", deb);
    sh_ok(out, sizeof out, "cat /etc/berth/berthd.env");
    assert_string_equal(out, before);
    sh_ok(out, sizeof out, "tail -1 /etc/berth/config.yml; getent passwd berth | cut -d: -f1");
    assert_string_equal(out, "# edited by the operator\nberth\n");
}

static void write_config(const char *dir)
{
    char path[192];
    snprintf(path, sizeof path, "%s/config.yml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "protocol: http\nport: %d\nworker_pool:\n  workers: 2\n  backend: redis\n"
               "  redis_pool:\n    namespace: debtest\njob_loggers:\n  - name: FILE\n"
               "    level: INFO\n    settings:\n      base_dir: %s/jobs\nloggers:\n"
               "  - name: STD_OUTPUT\n    level: INFO\nberth:\n  data_dir: %s/data\n"
               "  listen_address: 127.0.0.1\n  embedded_redis:\n"
               "    server_path: /usr/bin/redis-server\n", port, dir, dir);
    fclose(f);
}

/* The installed berthd as the user berth, its output in <dir>/berthd.log. */
static void start_node(const char *dir)
{
    char conf[192], log[192];
    snprintf(conf, sizeof conf, "%s/config.yml", dir);
    snprintf(log, sizeof log, "%s/berthd.log", dir);
    node = fork();
    assert_true(node >= 0);
    if (node == 0) {
        if (!freopen(log, "w", stdout))
            _exit(126);
        dup2(1, 2);
        setenv("CORE_SECRET", SECRET, 1);
        setenv("BERTH_DEMO_HOLD_MS", "500", 1);
        execl("/usr/bin/setpriv", "setpriv", "--reuid=berth", "--regid=berth",
              "--init-groups", "/usr/sbin/berthd", "-c", conf, (char *)NULL);
        _exit(127);
    }
}

static void test_job(void **state)
{
    (void)state;
    char dir[96], berth[256];
    snprintf(dir, sizeof dir, "%s/node", tmp);
    port = redis_fixture_free_port();
    sh_ok(out, sizeof out, "mkdir %s && chown berth:berth %s", dir, dir);
    write_config(dir);
    long long t0 = wait_now_ms();
    start_node(dir);
    setenv("BERTH_SECRET", SECRET, 1);
    snprintf(berth, sizeof berth, "/usr/bin/berth --addr http://127.0.0.1:%d", port);
    /* up when `berth stats` answers (embedded Redis started, pool registered) */
    sh_ok(out, sizeof out, "for i in $(seq 150); do %s stats >/dev/null 2>&1 && exit 0; "
                           "sleep 0.2; done; cat %s/berthd.log; exit 1", berth, dir);
    fprintf(stderr, "installed berthd answered after %lld ms\n", wait_now_ms() - t0);
    sh_ok(out, sizeof out, "%s submit -q DEMO -p image=demo:latest", berth);
    char id[64];
    snprintf(id, sizeof id, "%.*s", (int)strcspn(out, "\n"), out);
    sh_ok(out, sizeof out, "timeout 60 %s get %s --watch --interval 100", berth, id);
    assert_non_null(strstr(out, "status Success"));
    fprintf(stderr, "DEMO job %s ran to Success, %lld ms after the start\n", id,
            wait_now_ms() - t0);
    sh_ok(out, sizeof out, "curl -sI http://127.0.0.1:%d/api/v1/stats | tr -d '\\r' | "
                           "grep -i '^server:'", port);
    assert_string_equal(out, "Server: berthd/" BERTH_VERSION "\n");
    /* redis-server ran as berth too, and the job's log is berth's */
    sh_ok(out, sizeof out, "stat -c %%U %s/data/redis %s/jobs/%s.log", dir, dir, id);
    assert_string_equal(out, "berth\nberth\n");
    kill(node, SIGTERM);
    int st = 0;
    assert_int_equal(waitpid(node, &st, 0), node);
    node = 0;
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_purge(void **state)
{
    (void)state;
    char list[128];
    snprintf(list, sizeof list, "%s/files", tmp);
    stop_node();   /* prerm stops the service through systemd, which is not running here */
    sh_ok(out, sizeof out, "dpkg -L berth >%s", list);
    /* what the service would have made: state and job logs, owned by berth */
    sh_ok(out, sizeof out, "install -d -o berth /var/lib/berth/redis /var/log/berth/jobs && "
                           "touch /var/lib/berth/redis/appendonly.aof /var/log/berth/jobs/a.log");
    sh_ok(out, sizeof out, "dpkg --purge berth");
    installed = false;
    /* a path of the package still there: a directory another package owns, or a leftover */
    sh_ok(out, sizeof out, "grep -vx /. %s | while read p; do [ -e \"$p\" ] || [ -L \"$p\" ] || continue; "
          "[ -d \"$p\" ] && dpkg -S \"$p\" >/dev/null 2>&1 && continue; echo \"left: $p\"; "
          "done", list);
    assert_string_equal(out, "");
    sh_ok(out, sizeof out, "for p in /etc/berth /var/lib/berth /var/log/berth "
          "/etc/systemd/system/multi-user.target.wants/berthd.service; do "
          "[ -e $p ] || [ -L $p ] && echo \"left: $p\"; done; "
          "getent passwd berth; getent group berth; dpkg-query -W berth 2>/dev/null; true");
    assert_string_equal(out, "");
}

int main(void)
{
    const char *why = why_skip();
    if (why) {
        printf("SKIPPED: %s\n", why);
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build), cmocka_unit_test(test_install),
        cmocka_unit_test(test_reinstall), cmocka_unit_test(test_job),
        cmocka_unit_test(test_purge),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
