/* The Redis version check at engine start (store/server_version.h): Berth's scripts use RPOP
 * with a count and its hook dispatcher XAUTOCLAIM, both Redis 6.2, so an older server is
 * refused at start with a message naming its version and the minimum, and nothing is
 * written to it. A real redis-server (7.0 here) starts.
 *
 * The old servers are a FAKE: Debian 12 packages only redis-server 7.0 and no older one can
 * be installed here, so a small server on a unix socket speaks RESP (reads hiredis's command
 * arrays, answers INFO server with a bulk string like a real 6.0 or 5.0 does, and any other
 * command with an error) and records every command it was sent. */
#include "test.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "redis_fixture.h"
#include "store/server_version.h"

typedef struct fake_redis {
    char sock[108];
    const char *info;           /* INFO server's text */
    int lfd;
    atomic_bool stop;
    pthread_t thread;
    char seen[1024];            /* the command names received, space-separated */
    pthread_mutex_t mu;
} fake_redis;

/* Reads one RESP array of bulk strings (what hiredis sends); the first element into name. */
static int read_command(FILE *in, char *name, size_t len)
{
    char line[512];
    if (!fgets(line, sizeof line, in) || line[0] != '*')
        return -1;
    long n = strtol(line + 1, NULL, 10);
    name[0] = '\0';
    for (long i = 0; i < n; i++) {
        if (!fgets(line, sizeof line, in) || line[0] != '$')
            return -1;
        long blen = strtol(line + 1, NULL, 10);
        char *arg = calloc(1, (size_t)blen + 3);
        if (fread(arg, 1, (size_t)blen + 2, in) != (size_t)blen + 2) {
            free(arg);
            return -1;
        }
        arg[blen] = '\0';
        if (i == 0)
            snprintf(name, len, "%s", arg);
        free(arg);
    }
    return 0;
}

static void serve(fake_redis *f, int fd)
{
    FILE *in = fdopen(fd, "r");
    char name[64];
    while (read_command(in, name, sizeof name) == 0) {
        pthread_mutex_lock(&f->mu);
        size_t used = strlen(f->seen);
        snprintf(f->seen + used, sizeof f->seen - used, "%s ", name);
        pthread_mutex_unlock(&f->mu);
        char out[2048];
        if (strcasecmp(name, "INFO") == 0)
            snprintf(out, sizeof out, "$%zu\r\n%s\r\n", strlen(f->info), f->info);
        else
            snprintf(out, sizeof out, "-ERR unknown command '%s'\r\n", name);
        if (write(fd, out, strlen(out)) < 0)
            break;
    }
    fclose(in);
}

static void *fake_main(void *arg)
{
    fake_redis *f = arg;
    while (!atomic_load(&f->stop)) {
        struct pollfd p = {.fd = f->lfd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept(f->lfd, NULL, NULL);
        if (fd >= 0)
            serve(f, fd);     /* one client at a time is all the engine's start needs */
    }
    return NULL;
}

static void fake_start(fake_redis *f, const char *info)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    f->info = info;
    snprintf(f->sock, sizeof f->sock, "/tmp/berth-fake-redis-%d.sock", (int)getpid());
    unlink(f->sock);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", f->sock);
    f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(f->lfd, 8), 0);
    pthread_create(&f->thread, NULL, fake_main, f);
}

static void fake_stop(fake_redis *f)
{
    atomic_store(&f->stop, true);
    pthread_join(f->thread, NULL);
    close(f->lfd);
    unlink(f->sock);
    pthread_mutex_destroy(&f->mu);
}

static char logged[1024];

static void capture(berth_log_level lvl, const char *file, int line, const char *msg, void *ud)
{
    (void)file, (void)line, (void)ud;
    if (lvl >= BERTH_LOG_ERROR)
        snprintf(logged, sizeof logged, "%s", msg);
}

static int start_on(const char *unix_path)
{
    berth_engine_config cfg = {.redis_unix = unix_path, .ns = "t", .workers = 1,
                               .log = capture, .log_level = BERTH_LOG_DEBUG};
    berth_engine *e = engine_fixture_new(
        &cfg, (berth_job_type[]){{.name = "NOOP", .run = engine_fixture_noop}, {0}});
    logged[0] = '\0';
    int rc = berth_engine_start(e);
    if (rc == 0)
        berth_engine_stop(e);
    berth_engine_free(e);
    return rc;
}

#define INFO_OF(v) "# Server\r\nredis_version:" v "\r\nredis_git_sha1:00000000\r\nredis_mode:standalone\r\n"

static void refused(const char *info, const char *needle)
{
    fake_redis f;
    fake_start(&f, info);
    assert_int_equal(start_on(f.sock), BERTH_EVERSION);
    fake_stop(&f);
    if (!strstr(logged, needle))
        fprintf(stderr, "logged: %s\n", logged);
    assert_non_null(strstr(logged, needle));
    assert_non_null(strstr(logged, "Berth needs Redis 6.2 or newer"));
    assert_string_equal(f.seen, "INFO ");      /* asked, then nothing written */
}

static void test_old_servers_refused(void **state)
{
    (void)state;
    refused(INFO_OF("6.0.16"), "Redis 6.0.16 is too old");
    refused(INFO_OF("5.0.14"), "Redis 5.0.14 is too old");
    refused(INFO_OF("6.1.99"), "Redis 6.1.99 is too old");
    refused("# Server\r\nredis_mode:standalone\r\n", "does not report redis_version");
    assert_non_null(strstr(berth_strerror(BERTH_EVERSION), "6.2"));
}

/* 6.2.0 passes the check: the engine goes on to its next command (which the fake refuses,
 * so the start fails as a Redis error, not as a version refusal). */
static void test_minimum_passes(void **state)
{
    (void)state;
    fake_redis f;
    fake_start(&f, INFO_OF("6.2.0"));
    assert_int_equal(start_on(f.sock), BERTH_EREDIS);
    fake_stop(&f);
    assert_non_null(strstr(f.seen, "INFO SET "));
}

static void test_real_redis_starts(void **state)
{
    (void)state;
    redis_fixture rf;
    assert_int_equal(redis_fixture_start(&rf, NULL), 0);
    assert_int_equal(start_on(rf.sock), 0);
    redis_fixture_stop(&rf);
}

static void test_parse(void **state)
{
    (void)state;
    int v[3];
    assert_int_equal(rserver_version_parse("redis_version:7.0.15\r\n", v), 0);
    assert_int_equal(v[0], 7), assert_int_equal(v[1], 0), assert_int_equal(v[2], 15);
    assert_int_equal(rserver_version_parse(INFO_OF("6.2"), v), 0);
    assert_int_equal(v[0], 6), assert_int_equal(v[1], 2), assert_int_equal(v[2], 0);
    assert_int_equal(rserver_version_parse(INFO_OF("255.255.255"), v), 0);
    assert_int_equal(v[0], 255);
    /* a field that only ends in redis_version is not it */
    assert_int_equal(rserver_version_parse("x_redis_version:9.9.9\r\nredis_version:6.0.1\r\n", v), 0);
    assert_int_equal(v[0], 6), assert_int_equal(v[1], 0);
    assert_int_equal(rserver_version_parse("", v), BERTH_EINVAL);
    assert_int_equal(rserver_version_parse(INFO_OF(""), v), BERTH_EINVAL);
    assert_int_equal(rserver_version_parse(INFO_OF("seven"), v), BERTH_EINVAL);
    assert_int_equal(rserver_version_parse(INFO_OF("7.x"), v), BERTH_EINVAL);
    assert_int_equal(rserver_version_parse(INFO_OF("1234567.0.0"), v), BERTH_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_old_servers_refused),
        cmocka_unit_test(test_minimum_passes),
        cmocka_unit_test(test_real_redis_starts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
