/* `make install` as an operator runs it: the release build installed into a temporary
 * DESTDIR (cmake --install, with the prefix this tree was configured with) holds berthd,
 * berth, libberth.a and libberth.so with its soname links, every public header (each one
 * compiles on its own), a berth.pc that works, man pages groff reads without a warning, a
 * config.yml berthd loads without a warning, and a systemd unit that systemd-analyze
 * verifies and rates OK; and examples/ built against the installed copy through
 * pkg-config (shared and static libberth) runs its jobs on a real redis-server, and
 * berth_version() of the installed libberth.so is the headers' BERTH_VERSION.
 * Label package; skipped (exit 77) in the sanitizer presets. */
#include "test.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth/version.h"
#include "redis_fixture.h"
#include "server/config.h"
#include "shell.h"

static char dest[64];      /* the DESTDIR */
static char out[65536];    /* the last command's output */

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v ? v : "";
}

/* The staged path of an installed one: DESTDIR + $dir_var [+ "/" rel]. */
static const char *staged(char *p, size_t len, const char *dir_var, const char *rel)
{
    snprintf(p, len, "%s%s%s%s", dest, env(dir_var), *rel ? "/" : "", rel);
    return p;
}

static void expect_installed(const char *dir_var, const char *rel, mode_t type)
{
    char p[512];
    struct stat st;
    int rc = lstat(staged(p, sizeof p, dir_var, rel), &st);
    if (rc != 0 || (st.st_mode & S_IFMT) != type)
        fprintf(stderr, "not installed (or not a %s): %s\n",
                type == S_IFLNK ? "symlink" : "file", p);
    assert_int_equal(rc, 0);
    assert_int_equal(st.st_mode & S_IFMT, type);
}

/* PKG_CONFIG_* for the staged tree, as a prefix for a shell command. */
static const char *pc_env(void)
{
    static char e[512];
    snprintf(e, sizeof e, "PKG_CONFIG_PATH=%s%s/pkgconfig PKG_CONFIG_SYSROOT_DIR=%s", dest,
             env("BERTH_LIBDIR"), dest);
    return e;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dest, sizeof dest, "/tmp/berth-install-XXXXXX");
    if (!mkdtemp(dest))
        return -1;
    int rc = sh_run(out, sizeof out, "DESTDIR=%s cmake --install %s", dest,
                    env("BERTH_BINARY_DIR"));
    if (rc != 0)
        fprintf(stderr, "cmake --install failed (%d):\n%s\n", rc, out);
    return rc ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    sh_run(NULL, 0, "rm -rf %s", dest);
    return 0;
}

static void test_tree(void **state)
{
    (void)state;
    char p[512];
    expect_installed("BERTH_SBINDIR", "berthd", S_IFREG);
    expect_installed("BERTH_BINDIR", "berth", S_IFREG);
    expect_installed("BERTH_LIBDIR", "libberth.a", S_IFREG);
    expect_installed("BERTH_LIBDIR", "libberth.so", S_IFLNK);
    expect_installed("BERTH_LIBDIR", "libberth.so.0", S_IFLNK);
    expect_installed("BERTH_LIBDIR", "libberth.so." BERTH_VERSION, S_IFREG);
    expect_installed("BERTH_LIBDIR", "pkgconfig/berth.pc", S_IFREG);
    expect_installed("BERTH_MANDIR", "man8/berthd.8", S_IFREG);
    expect_installed("BERTH_MANDIR", "man1/berth.1", S_IFREG);
    expect_installed("BERTH_CONFIG", "", S_IFREG);
    expect_installed("BERTH_UNITDIR", "berthd.service", S_IFREG);
    expect_installed("BERTH_SYSUSERSDIR", "berth.conf", S_IFREG);
    sh_ok(out, sizeof out, "objdump -p %s | awk '/SONAME/{print $2}'",
          staged(p, sizeof p, "BERTH_LIBDIR", "libberth.so." BERTH_VERSION));
    assert_string_equal(out, "libberth.so.0\n");
    sh_ok(out, sizeof out, "%s --version", staged(p, sizeof p, "BERTH_SBINDIR", "berthd"));
    assert_string_equal(out, "berthd " BERTH_VERSION "\n");
    sh_ok(out, sizeof out, "%s --version", staged(p, sizeof p, "BERTH_BINDIR", "berth"));
    assert_string_equal(out, "berth " BERTH_VERSION "\n");
}

/* Every header of include/berth is installed, and compiles alone with pkg-config's flags. */
static void test_headers(void **state)
{
    (void)state;
    char dir[512], rel[300];
    snprintf(dir, sizeof dir, "%s/include/berth", env("BERTH_SOURCE_DIR"));
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strstr(e->d_name, ".h"))
            continue;
        snprintf(rel, sizeof rel, "berth/%s", e->d_name);
        expect_installed("BERTH_INCLUDEDIR", rel, S_IFREG);
        sh_ok(out, sizeof out,
              /* the typedef: a header of macros only (berth/api.h) leaves the unit
               * empty, which -pedantic refuses */
              "printf '#include <%s>\\ntypedef int header_check;\\n' | %s -std=c11 -Wall "
              "-Wextra -Werror -pedantic "
              "-x c -c -o /dev/null $(%s pkg-config --cflags berth) -", rel,
              env("BERTH_CC"), pc_env());
        n++;
    }
    closedir(d);
    assert_true(n >= 5);
    expect_installed("BERTH_INCLUDEDIR", "berth/version.h", S_IFREG);
    sh_ok(out, sizeof out, "%s pkg-config --modversion berth", pc_env());
    assert_string_equal(out, BERTH_VERSION "\n");
    sh_ok(out, sizeof out, "%s pkg-config --libs berth", pc_env());
    char want[512];
    snprintf(want, sizeof want, "-L%s%s -lberth \n", dest, env("BERTH_LIBDIR"));
    assert_string_equal(out, want);
}

/* The installed config is what the unit starts berthd with: it must load cleanly and
 * keep its state where the unit's StateDirectory/LogsDirectory are. */
static void test_config(void **state)
{
    (void)state;
    char p[512], err[1024];
    berth_config cfg;
    int rc = config_load(staged(p, sizeof p, "BERTH_CONFIG", ""), &cfg, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    for (size_t i = 0; i < cfg.nwarnings; i++)
        fprintf(stderr, "warning: %s\n", cfg.warnings[i]);
    assert_int_equal(cfg.nwarnings, 0);
    assert_string_equal(cfg.data_dir, "/var/lib/berth");
    assert_string_equal(cfg.pool.redis_url, "");          /* embedded Redis */
    assert_string_equal(cfg.listen_address, "127.0.0.1");
    assert_string_equal(cfg.job_loggers[0].name, "FILE");
    config_free(&cfg);
}

/* systemd-analyze verify on the unit with its two paths moved under DESTDIR (verify
 * checks that ExecStart exists; the .deb test verifies the unit as installed), and the
 * offline security review rates it at most 2.0 ("OK"). */
static void test_unit_and_man(void **state)
{
    (void)state;
    char unit[512], bin[512];
    staged(unit, sizeof unit, "BERTH_UNITDIR", "berthd.service");
    snprintf(bin, sizeof bin, "%s/berthd", env("BERTH_SBINDIR"));
    sh_ok(out, sizeof out, "grep -Fx 'ExecStart=%s -c %s' %s", bin, env("BERTH_CONFIG"), unit);
    for (const char *k = "User=berth\0StateDirectory=berth\0LogsDirectory=berth\0"
                         "NoNewPrivileges=yes\0ProtectSystem=strict\0KillMode=mixed\0";
         *k; k += strlen(k) + 1)
        sh_ok(out, sizeof out, "grep -Fx '%s' %s", k, unit);
    sh_ok(out, sizeof out, "mkdir -p %s/verify && sed 's|%s|%s%s|' %s >%s/verify/berthd.service",
          dest, bin, dest, bin, unit, dest);
    sh_ok(out, sizeof out, "systemd-analyze verify --man=no %s/verify/berthd.service", dest);
    assert_string_equal(out, "");
    sh_ok(out, sizeof out, "systemd-analyze security --offline=true --threshold=20 "
          "%s/verify/berthd.service | tail -1", dest);
    assert_non_null(strstr(out, "OK"));
    char page[512];
    for (const char *m = "man8/berthd.8\0man1/berth.1\0"; *m; m += strlen(m) + 1) {
        sh_ok(out, sizeof out, "groff -man -ww -z %s", staged(page, sizeof page, "BERTH_MANDIR", m));
        assert_string_equal(out, "");
    }
    /* berth(1) has an entry for every command `berth --help` lists */
    char bin_cli[512];
    sh_ok(out, sizeof out, "%s --help | sed -n '/^Commands:/,/^$/p' | awk '/^  [a-z]/{print $1}' "
          "| while read c; do grep -Eq \"^\\.B[IR]? $c( |$)\" %s || echo \"no entry: $c\"; done",
          staged(bin_cli, sizeof bin_cli, "BERTH_BINDIR", "berth"),
          staged(page, sizeof page, "BERTH_MANDIR", "man1/berth.1"));
    assert_string_equal(out, "");
    sh_ok(out, sizeof out, "cat %s", staged(page, sizeof page, "BERTH_SYSUSERSDIR", "berth.conf"));
    assert_non_null(strstr(out, "\nu berth - "));
}

/* examples/berth_demo.c, built against the installed copy, on a real redis-server: the
 * first DEMO job succeeds, the second is stopped. */
static void run_demo(const char *exe, const redis_fixture *rf)
{
    sh_ok(out, sizeof out, "BERTH_REDIS_SOCK=%s LD_LIBRARY_PATH=%s%s timeout 60 %s", rf->sock,
          dest, env("BERTH_LIBDIR"), exe);
    if (!strstr(out, " is Success, ") || !strstr(out, " is Stopped\n"))
        fprintf(stderr, "%s\n", out);
    assert_non_null(strstr(out, " is Success, "));
    assert_non_null(strstr(out, " is Stopped\n"));
}

static void test_examples(void **state)
{
    (void)state;
    const char *cc = env("BERTH_CC"), *src = env("BERTH_SOURCE_DIR");
    char shared[128], stat_exe[128], lib[512];
    snprintf(shared, sizeof shared, "%s/berth_demo", dest);
    snprintf(stat_exe, sizeof stat_exe, "%s/berth_demo_static", dest);
    /* every example builds with the plain pkg-config line */
    sh_ok(out, sizeof out, "for x in %s/examples/*.c; do %s -Wall -Wextra -Werror -o %s/$(basename "
          "$x .c) $x $(%s pkg-config --cflags --libs berth) || exit 1; done", src, cc, dest,
          pc_env());
    sh_ok(out, sizeof out, "LD_LIBRARY_PATH=%s%s ldd %s | grep libberth", dest,
          env("BERTH_LIBDIR"), shared);
    assert_non_null(strstr(out, staged(lib, sizeof lib, "BERTH_LIBDIR", "libberth.so.0")));
    /* the version the shared library says is the version of the headers */
    sh_ok(out, sizeof out, "printf '#include <stdio.h>\\n#include <berth/version.h>\\n"
          "int main(void){puts(berth_version());return 0;}\\n' | %s -x c -o %s/version - "
          "$(%s pkg-config --cflags --libs berth) && LD_LIBRARY_PATH=%s%s %s/version", cc, dest,
          pc_env(), dest, env("BERTH_LIBDIR"), dest);
    assert_string_equal(out, BERTH_VERSION "\n");
    /* libberth.a linked in, its own dependencies from Libs.private */
    sh_ok(out, sizeof out, "%s -Wall -Werror -o %s %s/examples/berth_demo.c $(%s pkg-config "
          "--cflags berth) $(%s pkg-config --static --libs berth | sed 's/-lberth/-l:libberth.a/')",
          cc, stat_exe, src, pc_env(), pc_env());
    assert_int_equal(sh_run(out, sizeof out, "ldd %s | grep libberth", stat_exe), 1);
    redis_fixture rf;
    assert_int_equal(redis_fixture_start(&rf, NULL), 0);
    run_demo(shared, &rf);
    redis_fixture_flush(&rf);
    run_demo(stat_exe, &rf);
    redis_fixture_stop(&rf);
}

int main(void)
{
    const char *why = sh_packaging_skip();
    if (why) {
        printf("SKIPPED: %s\n", why);
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree),   cmocka_unit_test(test_headers),
        cmocka_unit_test(test_config), cmocka_unit_test(test_unit_and_man),
        cmocka_unit_test(test_examples),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
