/* Private redis-server per test process; see redis_fixture.h. */
#include "test.h"

#include "redis_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wait.h"

int redis_fixture_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* The server answers PING, or it exited (then rf->pid is 0). */
static bool up_or_gone(void *arg)
{
    redis_fixture *rf = arg;
    redisContext *c = redisConnectUnix(rf->sock);
    bool ok = false;
    if (c && !c->err) {
        redisReply *r = redisCommand(c, "PING");
        ok = r && r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
    }
    if (c)
        redisFree(c);
    if (!ok && waitpid(rf->pid, NULL, WNOHANG) == rf->pid)
        rf->pid = 0;
    return ok || rf->pid == 0;
}

static int spawn(redis_fixture *rf, const char *const *extra)
{
    char port[16];
    snprintf(port, sizeof port, "%d", rf->port);
    const char *argv[64] = {"redis-server", "--port", port, "--bind", "127.0.0.1",
                            "--unixsocket", rf->sock, "--dir", rf->dir, "--save", "",
                            "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
                            "--logfile", "redis.log"};
    int n = 19;
    for (int i = 0; extra && extra[i] && n < 62; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* Die with the test process, and keep ctest's output pipe free: a crashed test
         * must not leave a server holding the pipe open (ctest would wait for it). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0), dup2(devnull, 1), dup2(devnull, 2);
            close(devnull);
        }
        if (chdir(rf->dir) != 0)
            _exit(126);
        execvp("redis-server", (char *const *)argv);
        _exit(127);
    }
    rf->pid = pid;
    return wait_until(up_or_gone, rf, 5000) && rf->pid ? 0 : -1;
}

/* A free port the server can take (redis_fixture.h): a cluster node (--cluster-enabled) also listens on its
 * port + 10000 (the cluster bus), so redis-server refuses a port above 55535 and exits at
 * once — a fifth of the kernel's ephemeral range (32768–60999); five such picks in a row
 * failed a loaded run of test_cluster_tenants's set-up. -1 when none was found. */
int redis_fixture_port_for(const char *const *extra)
{
    int max = 65535;
    for (int i = 0; extra && extra[i]; i++)
        if (strcmp(extra[i], "--cluster-enabled") == 0)
            max = 65535 - 10000;
    for (int tries = 0; tries < 100; tries++) {
        int port = redis_fixture_free_port();
        if (port > 0 && port <= max)
            return port;
    }
    return -1;
}

/* The end of the server's own log, after a failed start (why it exited). */
static void print_log_tail(const redis_fixture *rf)
{
    char path[160], text[1024];
    snprintf(path, sizeof path, "%s/redis.log", rf->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fseek(f, -(long)(sizeof text - 1), SEEK_END) != 0)
        rewind(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    fprintf(stderr, "redis_fixture: the end of %s:\n%s\n", path, text);
}

int redis_fixture_start(redis_fixture *rf, const char *const *extra_args)
{
    memset(rf, 0, sizeof *rf);
    snprintf(rf->dir, sizeof rf->dir, "/tmp/berth-redis-XXXXXX");
    if (!mkdtemp(rf->dir)) {
        perror("mkdtemp");
        return -1;
    }
    snprintf(rf->sock, sizeof rf->sock, "%s/redis.sock", rf->dir);
    for (int attempt = 0; attempt < 5; attempt++) {
        rf->port = redis_fixture_port_for(extra_args);
        if (rf->port > 0 && spawn(rf, extra_args) == 0)
            return 0;
    }
    fprintf(stderr, "redis_fixture: could not start redis-server in %s\n", rf->dir);
    print_log_tail(rf);
    return -1;
}

static void terminate(redis_fixture *rf, int sig)
{
    if (rf->pid <= 0)
        return;
    kill(rf->pid, sig);
    if (wait_exit(rf->pid, 2000) < 0) {
        kill(rf->pid, SIGKILL);
        waitpid(rf->pid, NULL, 0);
    }
    rf->pid = 0;
}

void redis_fixture_kill(redis_fixture *rf)
{
    terminate(rf, SIGKILL);
}

int redis_fixture_restart(redis_fixture *rf, const char *const *extra_args)
{
    terminate(rf, SIGKILL);
    unlink(rf->sock);
    return spawn(rf, extra_args);
}

void redis_fixture_stop(redis_fixture *rf)
{
    terminate(rf, SIGTERM);
    if (rf->dir[0]) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", rf->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "redis_fixture: could not remove %s\n", rf->dir);
        rf->dir[0] = '\0';
    }
}

static long long vint(redis_fixture *rf, const char *fmt, va_list ap)
{
    redisContext *c = redisConnectUnix(rf->sock);
    long long v = -1;
    if (c && !c->err) {
        redisReply *r = redisvCommand(c, fmt, ap);
        if (r && r->type == REDIS_REPLY_INTEGER)
            v = r->integer;
        freeReplyObject(r);
    }
    if (c)
        redisFree(c);
    return v;
}

redisReply *redis_fixture_cmd(redis_fixture *rf, const char *fmt, ...)
{
    redisContext *c = redisConnectUnix(rf->sock);
    redisReply *r = NULL;
    if (c && !c->err) {
        va_list ap;
        va_start(ap, fmt);
        r = redisvCommand(c, fmt, ap);
        va_end(ap);
    }
    if (c)
        redisFree(c);
    return r;
}

void redis_fixture_ok(redis_fixture *rf, const char *fmt, ...)
{
    redisContext *c = redisConnectUnix(rf->sock);
    assert_true(c && !c->err);
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    redisFree(c);
    assert_non_null(r);
    assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
}

long long redis_fixture_int(redis_fixture *rf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    long long v = vint(rf, fmt, ap);
    va_end(ap);
    return v;
}

typedef struct int_wait {
    redis_fixture *rf;
    const char *fmt;
    va_list ap;
    long long want, got;
} int_wait;

static bool int_is(void *arg)
{
    int_wait *w = arg;
    va_list ap;
    va_copy(ap, w->ap);
    w->got = vint(w->rf, w->fmt, ap);
    va_end(ap);
    return w->got == w->want;
}

bool redis_fixture_wait_int(redis_fixture *rf, long long want, int deadline_ms,
                            const char *fmt, ...)
{
    int_wait w = {.rf = rf, .fmt = fmt, .want = want};
    va_start(w.ap, fmt);
    bool ok = wait_until(int_is, &w, deadline_ms);
    va_end(w.ap);
    if (!ok)
        fprintf(stderr, "redis_fixture: waited %d ms for %lld from \"%s\", last %lld\n",
                deadline_ms, want, fmt, w.got);
    return ok;
}

void redis_fixture_flush(redis_fixture *rf)
{
    redis_fixture_int(rf, "FLUSHALL");
}

int redis_fixture_run(redis_fixture *rf, const char *name, const struct CMUnitTest *tests,
                      size_t n)
{
    if (redis_fixture_start(rf, NULL) != 0)
        return 1;
    int rc = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
    redis_fixture_stop(rf);
    return rc;
}
