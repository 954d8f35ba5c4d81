/* Private redis-server per test process; see redis_fixture.h. */
#include "test.h"

#include "redis_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/random.h>
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

/* Ports for the servers tests start are picked below the kernel's ephemeral range
 * (net.ipv4.ip_local_port_range, 32768-60999 by default) and checked free by a bind. A port
 * from that range (what bind to port 0 gives) goes back to the kernel's pool between the
 * pick and the server's own bind, and a parallel test's client connection or its server on
 * port 0 may take it meanwhile: the server then exits with "address in use" while the
 * other test's server answers on its port (a loaded TSan CI run of test_two_nodes_failover
 * saw one node of two). Below the range only another test's explicit pick can collide: a
 * random one of about 22,000 ports, checked free. */
#define PICK_LOW 10000

/* The first port of the kernel's ephemeral range. */
static int ephemeral_low(void)
{
    int low = 32768, high = 0;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%d %d", &low, &high) != 2)
            low = 32768;
        fclose(f);
    }
    return low;
}

/* Port is free on loopback now (a bind succeeds); 0 asks the kernel for one: its number,
 * or -1. */
static int bind_check(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int got = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        got = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return got;
}

/* A random free port in [PICK_LOW, high) whose + bus is free too (bus 0: no second
 * port); -1 after 200 tries. */
static int pick_port(int high, int bus)
{
    for (int tries = 0; high > PICK_LOW && tries < 200; tries++) {
        unsigned r = 0;
        if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
            r = (unsigned)rand();
        int port = PICK_LOW + (int)(r % (unsigned)(high - PICK_LOW));
        if (bind_check(port) == port && (!bus || bind_check(port + bus) == port + bus))
            return port;
    }
    return -1;
}

int redis_fixture_free_port(void)
{
    int port = pick_port(ephemeral_low(), 0);
    return port > 0 ? port : bind_check(0);   /* no room below the range: the kernel's */
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
 * once; the kernel's own picks (up to 60999) were such a port a fifth of the time, and five
 * in a row failed a loaded run of test_cluster_tenants's set-up. Both the port and its bus
 * are picked below the ephemeral range (redis_fixture_free_port). -1 when none was found. */
int redis_fixture_port_for(const char *const *extra)
{
    for (int i = 0; extra && extra[i]; i++)
        if (strcmp(extra[i], "--cluster-enabled") == 0) {
            int low = ephemeral_low();
            int port = pick_port(low - 10000 < 55536 ? low - 10000 : 55536, 10000);
            for (int tries = 0; port < 0 && tries < 100; tries++) {   /* no room below */
                int p = bind_check(0);
                port = p > 0 && p <= 55535 ? p : -1;
            }
            return port;
        }
    return redis_fixture_free_port();
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

/* See redis_fixture.h. */
double redis_fixture_cpu_s(redis_fixture *rf)
{
    if (rf->pid <= 0)
        return 0;
    redisContext *c = redisConnectUnix(rf->sock);
    redisReply *r = c && !c->err ? redisCommand(c, "INFO cpu") : NULL;
    double v = 0;
    const char *p;
    if (r && r->str && (p = strstr(r->str, "used_cpu_sys:")))
        v += atof(p + strlen("used_cpu_sys:"));
    if (r && r->str && (p = strstr(r->str, "used_cpu_user:")))
        v += atof(p + strlen("used_cpu_user:"));
    freeReplyObject(r);
    if (c)
        redisFree(c);
    return v;
}
