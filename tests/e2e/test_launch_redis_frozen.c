/* A lone launch waiting on a frozen Redis stalls no other connection (docs/design-notes.md
 * "HTTP launches": no HTTP thread waits for Redis), over real HTTP against the real berthd
 * binary, whichever HTTP server it runs (BERTH_HTTP_SERVER in the test's environment
 * reaches berthd, so the same test runs against each).
 *
 * berthd runs with one HTTP thread on a redis-server of the test's own. Redis is frozen
 * with SIGSTOP (the real process, not a fake: it neither reads nor answers), then one
 * launch is sent on a raw socket. Once berthd has read that request (its socket's receive
 * queue in /proc/net/tcp is empty) and a call sits unread in front of the frozen Redis,
 * other connections — one opened before the freeze and kept alive, and fresh ones — ask
 * routes that need no Redis (GET /healthz, GET /api/v1/config): each must be answered
 * within BOUND_MS while Redis is still frozen. Then SIGCONT: the launch is answered 202
 * only now (it did wait for Redis), and its job exists exactly once.
 *
 * With an HTTP thread that waited in Redis for the launch (a synchronous launch), the other
 * requests of its one thread would wait for the SIGCONT, which comes only after BOUND_MS:
 * the test fails. */
#include "test.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "berthd_proc.h"
#include "http_client.h"
#include "redis_fixture.h"
#include "wait.h"

#define SECRET "frozen-secret"
#define BOUND_MS 1500     /* an answer that needs no Redis, on a loaded 2-core machine */
#define NFRESH 4          /* fresh connections asking while Redis is frozen */
#define LAUNCH "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo frozen\"}," \
               "\"metadata\":{\"kind\":\"Generic\"}}}"

static char tmp[64];
static redis_fixture rf;
static int port;
static pid_t berthd;

/* The largest receive queue of the TCP sockets bound to local_port (and connected to
 * rem_port, when > 0), from /proc/net/tcp; -1 when there is no such socket. */
static long rx_queue(int local_port, int rem_port)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    char line[512];
    long best = -1;
    while (f && fgets(line, sizeof line, f)) {
        unsigned lp, rp, st;
        unsigned long tx, rx;
        if (sscanf(line, " %*d: %*x:%x %*x:%x %x %lx:%lx", &lp, &rp, &st, &tx, &rx) != 5)
            continue;
        if ((int)lp == local_port && (rem_port <= 0 || (int)rp == rem_port) && (long)rx > best)
            best = (long)rx;
    }
    if (f)
        fclose(f);
    return best;
}

typedef struct sock_at {
    int local, remote;
} sock_at;

static bool read_by_berthd(void *arg)   /* berthd's end of the launch has nothing unread */
{
    const sock_at *s = arg;
    return rx_queue(s->local, s->remote) == 0;
}

static bool redis_has_unread(void *arg)  /* a call waits unread in front of frozen Redis */
{
    (void)arg;
    return rx_queue(rf.port, 0) > 0;
}

/* The launch on a raw socket, so that its port is known before any answer. */
static int send_launch(int *client_port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *client_port = ntohs(a.sin_port);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
                     "Harbor-Secret " SECRET "\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s", strlen(LAUNCH), LAUNCH);
    assert_int_equal(write(fd, req, (size_t)n), n);
    return fd;
}

/* Reads the launch's whole answer (head and Content-Length body) within ms into out;
 * returns its length, or -1 when it did not come in time. */
static int read_answer(int fd, char *out, size_t outlen, int ms)
{
    size_t n = 0;
    long long until = wait_now_ms() + ms;
    for (;;) {
        out[n] = '\0';
        const char *end = strstr(out, "\r\n\r\n");
        const char *cl = strstr(out, "Content-Length: ");
        if (!cl)
            cl = strstr(out, "content-length: ");
        if (end && cl && n >= (size_t)(end + 4 - out) + strtoul(cl + 16, NULL, 10))
            return (int)n;
        int left = (int)(until - wait_now_ms());
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, left) <= 0 || n + 1 >= outlen)
            return -1;
        ssize_t r = read(fd, out + n, outlen - 1 - n);
        if (r <= 0)
            return -1;
        n += (size_t)r;
    }
}

/* The requests that need no Redis, while it is frozen: on the kept-alive client, then
 * on fresh connections. The thread records; the test's thread asserts. */
typedef struct askers {
    hc *kept;
    long status[2 + 2 * NFRESH];
    long long took_ms[2 + 2 * NFRESH];
    long long done_at;      /* wait_now_ms() when all were answered */
} askers;

static void ask(hc *c, askers *a, int i, const char *path)
{
    long long t0 = wait_now_ms();
    hc_resp r = {0};
    hc_get(c, path, "Harbor-Secret " SECRET, &r);
    a->status[i] = r.status;
    a->took_ms[i] = wait_now_ms() - t0;
    hc_resp_free(&r);
}

static void *run_askers(void *arg)
{
    askers *a = arg;
    ask(a->kept, a, 0, "/healthz");
    ask(a->kept, a, 1, "/api/v1/config");
    for (int i = 0; i < NFRESH; i++) {
        hc c;
        hc_init(&c, port);
        ask(&c, a, 2 + 2 * i, "/api/v1/config");
        ask(&c, a, 3 + 2 * i, "/healthz");
        hc_cleanup(&c);
    }
    __atomic_store_n(&a->done_at, wait_now_ms(), __ATOMIC_RELEASE);
    return NULL;
}

static bool askers_done(void *arg)
{
    return __atomic_load_n(&((askers *)arg)->done_at, __ATOMIC_ACQUIRE) != 0;
}

static long long count_jobs(void)
{
    redisReply *r = redis_fixture_cmd(&rf, "KEYS {frozen}:job_stats:*");
    long long n = r && r->type == REDIS_REPLY_ARRAY ? (long long)r->elements : -1;
    freeReplyObject(r);
    return n;
}

/* berthd with one HTTP thread (its stderr is the test's: what it says shows on a failure). */
static pid_t start_berthd(void)
{
    char cfg[128], url[64];
    snprintf(cfg, sizeof cfg, "%s/berthd.yml", tmp);
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", rf.port);
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fprintf(f, "protocol: http\nport: %d\nworker_pool:\n  workers: 2\n"
               "  backend: redis\n  redis_pool:\n    namespace: frozen\n    redis_url: %s\n"
               "loggers:\n  - name: FILE\n    level: DEBUG\n    settings:\n      base_dir: %s\n"
               "berth:\n  data_dir: %s\n  listen_address: \"127.0.0.1\"\n  http_threads: 1\n",
            port, url, tmp, tmp);
    fclose(f);
    const char *argv[] = {"-c", cfg, NULL};
    berthd_proc_opts o = {.argv = argv, .secret = SECRET, .hold_ms = "10",
                          .out = BERTHD_NULL, .err = BERTHD_INHERIT};
    return berthd_spawn(&o, NULL);
}

static void test_lone_launch_stalls_no_other_connection(void **state)
{
    (void)state;
    port = redis_fixture_free_port();
    berthd = start_berthd();
    assert_true(hc_wait_healthy(port, 20000));
    hc kept;
    hc_init(&kept, port);
    hc_resp r = {0};
    hc_post(&kept, "/api/v1/jobs", "Harbor-Secret " SECRET, LAUNCH, &r);   /* warm: 202 */
    if (r.status != 202)
        fprintf(stderr, "the first launch: %ld %s\n", r.status, r.body);
    assert_int_equal(r.status, 202);
    hc_resp_free(&r);
    long long before = count_jobs();

    assert_int_equal(kill(rf.pid, SIGSTOP), 0);
    int cport, fd = send_launch(&cport);
    bool read_it = wait_until(read_by_berthd, &(sock_at){port, cport}, 10000);
    bool waiting = read_it && wait_until(redis_has_unread, NULL, 10000);
    askers a = {.kept = &kept};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_askers, &a), 0);
    bool in_time = waiting && wait_until(askers_done, &a, BOUND_MS);
    char early[64] = "";
    int early_n = read_answer(fd, early, sizeof early, 0);   /* nothing before the SIGCONT */
    long long cont_at = wait_now_ms();
    kill(rf.pid, SIGCONT);
    pthread_join(th, NULL);

    char ans[4096];
    int n = read_answer(fd, ans, sizeof ans, 10000);
    close(fd);
    for (int i = 0; i < 2 + 2 * NFRESH; i++)
        if (!in_time || a.status[i] != 200 || a.took_ms[i] > BOUND_MS)
            fprintf(stderr, "request %d: %ld after %lld ms\n", i, a.status[i], a.took_ms[i]);
    if (n < 0 || !strstr(ans, " 202 "))
        fprintf(stderr, "the launch's answer: %s\n", n < 0 ? "(none in 10 s)" : ans);
    assert_true(read_it);
    assert_true(waiting);
    assert_int_equal(early_n, -1);            /* the launch did wait for Redis */
    assert_true(in_time);                     /* answered while Redis was still frozen */
    assert_true(a.done_at <= cont_at);
    for (int i = 0; i < 2 + 2 * NFRESH; i++) {
        assert_int_equal(a.status[i], 200);
        assert_true(a.took_ms[i] <= BOUND_MS);
    }
    assert_true(n > 0);
    assert_non_null(strstr(ans, "HTTP/1.1 202 "));
    const char *id = strstr(ans, "\"id\":\"");
    assert_non_null(id);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/jobs/%.24s", id + 6);
    hc_get(&kept, path, "Harbor-Secret " SECRET, &r);
    assert_int_equal(r.status, 200);
    hc_resp_free(&r);
    assert_int_equal(count_jobs(), before + 1);   /* exactly once */
    hc_cleanup(&kept);
    kill(berthd, SIGTERM);
    assert_int_equal(berthd_reap(berthd, 15000), 0);
    berthd = 0;
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/berth-frozen-XXXXXX");
    return mkdtemp(tmp) && redis_fixture_start(&rf, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (rf.pid > 0)
        kill(rf.pid, SIGCONT);   /* a failed assertion may have left it frozen */
    if (berthd > 0)
        berthd_reap(berthd, 0);  /* killed and reaped */
    redis_fixture_stop(&rf);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lone_launch_stalls_no_other_connection),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
