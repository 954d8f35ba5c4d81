/* The embedded redis-server: private unix socket only, 0700 data dir, AOF persistence,
 * restarted after a crash, stopped on exit, and clear errors for bad settings. */
#include "test.h"
#include "wait.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "berth/error.h"
#include "server/embedded_redis.h"

static char dir[64];

static int mkdir_tmp(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/berth-emb-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int rm_tmp(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static redisReply *cmd(const char *sock, const char *c)
{
    redisContext *ctx = redisConnectUnix(sock);
    redisReply *r = ctx && !ctx->err ? redisCommand(ctx, c) : NULL;
    if (ctx)
        redisFree(ctx);
    return r;
}

typedef struct restart_wait {
    embedded_redis *r;
    pid_t first;
} restart_wait;

/* The supervisor runs a new redis-server in place of the killed one. */
static bool restarted(void *arg)
{
    restart_wait *w = arg;
    pid_t now = embedded_redis_pid(w->r);
    return now != 0 && now != w->first;
}

static void test_start_restart_stop(void **state)
{
    (void)state;
    char data[96];
    snprintf(data, sizeof data, "%s/data", dir);
    embedded_redis_opts o = {.data_dir = data, .appendfsync = "always"};
    embedded_redis *r = NULL;
    char err[256];
    assert_int_equal(embedded_redis_start(&o, &r, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(data, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char sock[128];
    snprintf(sock, sizeof sock, "%s", embedded_redis_socket(r));
    redisReply *rep = cmd(sock, "CONFIG GET port");
    assert_non_null(rep);
    assert_string_equal(rep->element[1]->str, "0");   /* no TCP listener */
    freeReplyObject(rep);
    freeReplyObject(cmd(sock, "SET survivor 1"));

    pid_t first = embedded_redis_pid(r);
    assert_true(first > 0);
    kill(first, SIGKILL);
    /* restarted after a 100 ms back-off and a start (a loaded sanitizer run: seconds) */
    assert_true(wait_until(restarted, &(restart_wait){r, first}, 10000));
    pid_t second = embedded_redis_pid(r);
    assert_true(second > 0 && second != first);
    assert_int_equal(embedded_redis_restarts(r), 1);
    rep = cmd(sock, "GET survivor");                   /* AOF brought the data back */
    assert_non_null(rep);
    assert_string_equal(rep->str, "1");
    freeReplyObject(rep);

    embedded_redis_stop(r);
    assert_int_equal(kill(second, 0), -1);             /* the server is gone */
    assert_null(cmd(sock, "PING"));
    embedded_redis_stop(NULL);
}

/* A second embedded Redis on a directory whose socket a live server answers on refuses
 * and leaves the socket alone (redis-server itself would unlink it and take the path). */
static void test_live_socket_kept(void **state)
{
    (void)state;
    char data[96], err[256];
    snprintf(data, sizeof data, "%s/data", dir);
    embedded_redis_opts o = {.data_dir = data};
    embedded_redis *a = NULL, *b = NULL;
    assert_int_equal(embedded_redis_start(&o, &a, err, sizeof err), 0);
    redisReply *rep = cmd(embedded_redis_socket(a), "SET owner a");
    freeReplyObject(rep);
    assert_int_equal(embedded_redis_start(&o, &b, err, sizeof err), BERTH_EIO);
    assert_null(b);
    assert_non_null(strstr(err, "a redis-server already serves"));
    assert_non_null(strstr(err, "refusing to replace it"));
    rep = cmd(embedded_redis_socket(a), "GET owner");   /* the first one still answers */
    assert_non_null(rep);
    assert_string_equal(rep->str, "a");
    freeReplyObject(rep);
    embedded_redis_stop(a);
}

static void test_bad_settings(void **state)
{
    (void)state;
    char err[256];
    embedded_redis *r = NULL;
    embedded_redis_opts bad_fsync = {.data_dir = dir, .appendfsync = "sometimes"};
    assert_int_equal(embedded_redis_start(&bad_fsync, &r, err, sizeof err), BERTH_ECONFIG);
    assert_non_null(strstr(err, "appendfsync"));
    embedded_redis_opts no_dir = {.data_dir = ""};
    assert_int_equal(embedded_redis_start(&no_dir, &r, err, sizeof err), BERTH_ECONFIG);
    embedded_redis_opts bad_bin = {.data_dir = dir, .server_path = "/nonexistent/redis-server"};
    assert_int_equal(embedded_redis_start(&bad_bin, &r, err, sizeof err), BERTH_EIO);
    assert_non_null(strstr(err, "cannot start"));
    embedded_redis_opts unwritable = {.data_dir = "/proc/berth-cannot-exist"};
    assert_int_equal(embedded_redis_start(&unwritable, &r, err, sizeof err), BERTH_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_start_restart_stop, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_live_socket_kept, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_bad_settings, mkdir_tmp, rm_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
