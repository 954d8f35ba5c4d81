/* Security properties (issue 8, part 5; threat model in docs/security.md):
 *   - every route but exactly /api/v1/stats and /healthz answers 401 without the secret,
 *     whatever the method, path variant or id;
 *   - auth_equal (the constant-time comparison) is correct on every length and position;
 *   - a non-loopback listen address without CORE_SECRET is refused;
 *   - the real berthd, with a Redis password in redis_url and CORE_SECRET set, never writes
 *     either into its log or its stderr, whatever requests it gets (wrong secrets, the right
 *     one, /api/v1/config which returns the URL, 5xx answers);
 *   - the embedded Redis listens on no TCP port, only on a unix socket in a 0700 directory. */
#include "test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api_fixture.h"
#include "berthd_proc.h"
#include "engine_fixture.h"
#include "server/auth.h"
#include "server/daemon.h"
#include "wait.h"

#define SECRET "SeCrEt-never-logged-7731"
#define REDIS_PW "PaSsWoRd-never-logged-9917"

/* ---- routes without auth ---------------------------------------------------------------- */

/* api.c's route table (it is static there): every pattern, with a job id filled in. */
static const char *const routes[][2] = {
    {"POST", "/api/v1/jobs"}, {"GET", "/api/v1/jobs"},
    {"GET", "/api/v1/jobs/0123456789abcdef01234567"},
    {"POST", "/api/v1/jobs/0123456789abcdef01234567"},
    {"GET", "/api/v1/jobs/0123456789abcdef01234567/log"},
    {"GET", "/api/v1/jobs/0123456789abcdef01234567/executions"},
    {"GET", "/api/v1/config"},
};

static void expect_401(hc *c, const char *method, const char *path, const char *auth)
{
    hc_resp r;
    const char *body = strcmp(method, "POST") == 0 ? "{\"action\":\"stop\"}" : NULL;
    assert_int_equal(hc_do(c, method, path, auth, body, body ? strlen(body) : 0, 0, &r), 0);
    /* A control character in a header value: berthd's own server refuses the request as
     * Go's net/http does (400 and the connection closed); libmicrohttpd passed it on. */
    if (auth && strchr(auth, '\x01') && r.status == 400) {
        assert_string_equal(r.body, "400 Bad Request");
        hc_resp_free(&r);
        return;
    }
    if (r.status != 401)
        fprintf(stderr, "%s %s (auth %s) → %ld %s\n", method, path, auth ? auth : "none",
                r.status, r.body);
    assert_int_equal(r.status, 401);
    assert_non_null(strstr(r.body, "\"code\":10011"));
    hc_resp_free(&r);
}

static void test_every_route_needs_auth(void **state)
{
    (void)state;
    long long stats = af_count_stats();
    static const char *const auths[] = {NULL, "", "Harbor-Secret", "Harbor-Secret wrong",
                                        "Bearer " API_SECRET, "Harbor-Secret " API_SECRET "\x01",
                                        "Harbor-Secret " "s3cr3t-for-test"};
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH"};
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        for (size_t a = 0; a < sizeof auths / sizeof auths[0]; a++) {
            expect_401(&af.cli, routes[i][0], routes[i][1], auths[a]);
            for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++)
                expect_401(&af.cli, methods[m], routes[i][1], auths[a]);
        }
    /* exempt targets only exactly as written */
    static const char *const near[] = {"/api/v1/stats?x=1", "/api/v1/stats/", "/api/v1//stats",
                                       "/API/v1/stats", "/api/v1/stats%00", "/healthz?",
                                       "/healthz/", "//healthz", "/healthz/../api/v1/config",
                                       "/api/v1/stats/../config", "/nope", "/"};
    for (size_t i = 0; i < sizeof near / sizeof near[0]; i++)
        expect_401(&af.cli, "GET", near[i], NULL);
    hc_resp r;
    assert_int_equal(hc_get(&af.cli, "/api/v1/stats", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    hc_resp_free(&r);
    assert_int_equal(hc_get(&af.cli, "/healthz", NULL, &r), 0);
    af_expect(&r, 200, "ok\n");
    assert_int_equal(af_count_stats(), stats);
}

static void test_auth_equal(void **state)
{
    (void)state;
    const char *s = "0123456789abcdef";
    for (size_t n = 0; n <= 16; n++) {
        assert_true(auth_equal(s, n, s, n));
        if (n)
            assert_false(auth_equal(s, n, s, n - 1));
        char t[17];
        for (size_t i = 0; i < n; i++) {
            memcpy(t, s, n);
            t[i] ^= 0x01;
            assert_false(auth_equal(s, n, t, n));
            t[i] ^= 0x81;   /* high bit */
            assert_false(auth_equal(s, n, t, n));
        }
    }
    assert_null(auth_check("Harbor-Secret " API_SECRET, API_SECRET));
    assert_string_equal(auth_check("Harbor-Secret " API_SECRET, ""), "unauthorized");
    assert_string_equal(auth_check("Harbor-Secret " API_SECRET, NULL), "unauthorized");
}

static void test_listen_refusal(void **state)
{
    (void)state;
    static const struct { const char *addr; bool secret; const char *want; } cases[] = {
        {"", false, "127.0.0.1"}, {"", true, "0.0.0.0"}, {"::1", false, "::1"},
        {"127.0.0.2", false, "127.0.0.2"}, {"10.1.2.3", true, "10.1.2.3"},
        {"0.0.0.0", false, NULL}, {"::", false, NULL}, {"10.1.2.3", false, NULL},
        {"::ffff:10.0.0.1", false, NULL}, {"192.168.1.1", false, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64] = "", err[256] = "";
        int rc = daemon_listen_address(cases[i].addr, cases[i].secret, out, sizeof out, err,
                                       sizeof err);
        if (cases[i].want) {
            assert_int_equal(rc, 0);
            assert_string_equal(out, cases[i].want);
        } else {
            assert_int_equal(rc, BERTH_ECONFIG);
            assert_non_null(strstr(err, "without CORE_SECRET"));
        }
    }
}

/* ---- the real daemon ------------------------------------------------------------------- */

static char tmp[64];

static void write_config(const char *path, int port, const char *redis_url, const char *data)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "protocol: http\nport: %d\nworker_pool:\n  workers: 1\n  backend: redis\n"
               "  redis_pool:\n    namespace: sec\n%s%s%s"
               "job_loggers:\n  - name: FILE\n    level: DEBUG\n    settings:\n      base_dir: %s/jobs\n"
               "loggers:\n  - name: FILE\n    level: DEBUG\n    settings:\n      base_dir: %s\n"
               "berth:\n  data_dir: %s\n  listen_address: \"127.0.0.1\"\n  grace_seconds: 1\n",
            port, redis_url ? "    redis_url: \"" : "", redis_url ? redis_url : "",
            redis_url ? "\"\n" : "", data, data, data);
    fclose(f);
}

/* berthd -c config as a child with CORE_SECRET set; its stderr goes to <data>/stderr. */
static pid_t spawn(const char *config, const char *data)
{
    char errpath[256];
    snprintf(errpath, sizeof errpath, "%s/stderr", data);
    mkdir(data, 0700);
    int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    const char *argv[] = {"-c", config, NULL};
    berthd_proc_opts o = {.argv = argv, .secret = SECRET, .hold_ms = "100",
                          .out = fd, .err = fd};
    pid_t pid = berthd_spawn(&o, NULL);
    close(fd);
    return pid;
}

static void stop(pid_t pid)
{
    kill(pid, SIGTERM);
    berthd_reap(pid, 10000);
}

/* Is needle anywhere under dir? Matches are printed. */
static bool dir_contains(const char *dir, const char *needle)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "grep -r -a -n -F -e '%s' '%s' >&2", needle, dir);
    return system(cmd) == 0;
}

static void requests(int port)
{
    hc c;
    hc_init(&c, port);
    static const char *const auths[] = {"Harbor-Secret " SECRET, "Harbor-Secret " SECRET "x",
                                        "Harbor-Secret wrong", "Bearer " SECRET, NULL};
    for (size_t i = 0; i < sizeof auths / sizeof auths[0]; i++) {
        hc_resp r;
        assert_int_equal(hc_get(&c, "/api/v1/config", auths[i], &r), 0);
        if (i == 0) {
            assert_int_equal(r.status, 200);
            assert_non_null(strstr(r.body, REDIS_PW));   /* Harbor returns the URL as is */
        }
        hc_resp_free(&r);
        assert_int_equal(hc_post(&c, "/api/v1/jobs", auths[i], "{\"job\":{\"name\":\"DEMO\","
                                 "\"parameters\":{\"image\":\"demo:1\"},\"metadata\":"
                                 "{\"kind\":\"Generic\"}}}", &r), 0);
        hc_resp_free(&r);
        assert_int_equal(hc_get(&c, "/api/v1/jobs/not-an-id/log", auths[i], &r), 0);
        hc_resp_free(&r);   /* a 500 (bad log id) is logged with its URI, never its headers */
    }
    hc_cleanup(&c);
}

/* The fixture waits for an unauthenticated PING, so the password is set once it is up. */
static void require_password(redis_fixture *rf)
{
    redisContext *c = redisConnectUnix(rf->sock);
    assert_true(c && !c->err);
    redisReply *r = redisCommand(c, "CONFIG SET requirepass %s", REDIS_PW);
    assert_true(r && r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    redisFree(c);
}

static void test_daemon_never_logs_secrets(void **state)
{
    (void)state;
    redis_fixture rf;
    assert_int_equal(redis_fixture_start(&rf, NULL), 0);
    require_password(&rf);
    char url[160], path[128], data[96];
    snprintf(url, sizeof url, "redis://:%s@127.0.0.1:%d/0", REDIS_PW, rf.port);
    snprintf(path, sizeof path, "%s/sec.yml", tmp);
    snprintf(data, sizeof data, "%s/sec", tmp);
    int port = redis_fixture_free_port();
    write_config(path, port, url, data);
    pid_t pid = spawn(path, data);
    assert_true(hc_wait_healthy(port, 15000));
    requests(port);
    /* Redis goes away and comes back: reconnect errors are logged, the password is not */
    redis_fixture_kill(&rf);
    wait_sleep_ms(1500);   /* an outage long enough for reconnect attempts to be logged */
    assert_int_equal(redis_fixture_restart(&rf, NULL), 0);
    require_password(&rf);
    wait_sleep_ms(1500);   /* and reconnects: the log is then checked for what it lacks */
    requests(port);
    stop(pid);
    char log[160];
    snprintf(log, sizeof log, "%s/berthd.log", data);
    assert_int_equal(access(log, R_OK), 0);
    assert_true(dir_contains(data, "berthd listening")); /* the grep itself works */
    assert_false(dir_contains(data, SECRET));
    assert_false(dir_contains(data, REDIS_PW));
    redis_fixture_stop(&rf);
}

static void test_embedded_redis_unix_only(void **state)
{
    (void)state;
    char path[128], data[96], dir[160], sock[192];
    snprintf(path, sizeof path, "%s/emb.yml", tmp);
    snprintf(data, sizeof data, "%s/emb", tmp);
    snprintf(dir, sizeof dir, "%s/redis", data);
    snprintf(sock, sizeof sock, "%s/redis.sock", dir);
    int port = redis_fixture_free_port();
    write_config(path, port, NULL, data);
    pid_t pid = spawn(path, data);
    assert_true(hc_wait_healthy(port, 15000));
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(data, &st), 0);
    assert_int_equal(st.st_mode & 0077, 0);               /* data_dir: owner only */
    redisContext *c = redisConnectUnix(sock);
    assert_true(c && !c->err);
    redisReply *r = redisCommand(c, "CONFIG GET port");
    assert_true(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    assert_string_equal(r->element[1]->str, "0");         /* no TCP listener */
    freeReplyObject(r);
    r = redisCommand(c, "CONFIG GET unixsocketperm");
    assert_string_equal(r->element[1]->str, "700");
    freeReplyObject(r);
    redisFree(c);
    stop(pid);
}

static int mk(void **state)
{
    snprintf(tmp, sizeof tmp, "/tmp/berth-sec-XXXXXX");
    if (!mkdtemp(tmp))
        return -1;
    return api_fixture_setup(state);
}

static int rm(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    api_fixture_teardown(state);
    return system(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route_needs_auth),
        cmocka_unit_test(test_auth_equal),
        cmocka_unit_test(test_listen_refusal),
        cmocka_unit_test(test_daemon_never_logs_secrets),
        cmocka_unit_test(test_embedded_redis_unix_only),
    };
    return cmocka_run_group_tests(tests, mk, rm);
}
