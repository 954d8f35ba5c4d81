/* Launches over real HTTP that do not hold an HTTP thread (src/server/http.c deferred
 * answers, api_jobs.c; on berthd's own loop the loop thread's launcher, api_launchers.c, on
 * libmicrohttpd the coalescer's sender thread): many concurrent launches each get their own
 * id and share script calls, unique duplicates get Harbor's answer, a launch in flight
 * while the server stops is answered and durable, Redis lost under a waiting launch gives a
 * clear 5xx and writes nothing, a client gone while its launch waits changes nothing for
 * others, and slow clients do not hold the others.
 *
 * To know launches really wait together, Redis is paused (CLIENT PAUSE WRITE holds the
 * first EVALSHA) while the others arrive, and the test waits until the server holds them
 * all deferred (api_server_deferred): with 4 HTTP threads and a blocking launch, at most 4
 * could wait. Where a launch waits (the coalescer's queue, or a launcher's: one batch in
 * flight per launcher, the rest queued behind it) depends on the server; the first test
 * pins it down with one HTTP thread and an engine that is not started. */
#include "test.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api_fixture.h"
#include "berth/jobs.h"
#include "engine_fixture.h"
#include "engine/internal.h"
#include "wait.h"

#define NCLI 32
#define LAUNCH "{\"job\":{\"name\":\"SCHEDULER\",\"parameters\":{\"k\":%d},\"metadata\":" \
               "{\"kind\":\"Generic\"%s}}}"

typedef struct client {
    int port;
    int n;                 /* launches to make, one after the other */
    int key;               /* parameters k = key + i (unique launches use the same key) */
    bool unique;
    long status[64];       /* each launch's status (0: transport error) */
    char ids[64][25];      /* the id of each 202 */
    char body[64][512];    /* each answer's body (its head) */
} client;

static void *client_main(void *arg)
{
    client *c = arg;
    hc h;
    hc_init(&h, c->port);
    for (int i = 0; i < c->n; i++) {
        char body[256];
        snprintf(body, sizeof body, LAUNCH, c->key + (c->unique ? 0 : i),
                 c->unique ? ",\"unique\":true" : "");
        hc_resp r;
        hc_post(&h, "/api/v1/jobs", API_AUTH, body, &r);
        c->status[i] = r.status;
        snprintf(c->body[i], sizeof c->body[i], "%s", r.body);
        const char *id = strstr(r.body, "\"id\":\"");
        if (r.status == 202 && id)
            snprintf(c->ids[i], 25, "%.24s", id + 6);
        hc_resp_free(&r);
    }
    hc_cleanup(&h);
    return NULL;
}

static redisReply *rcmd(const char *fmt, const char *arg)
{
    redisReply *r = redis_fixture_cmd(&af.rf, fmt, arg);
    assert_non_null(r);
    return r;
}

#define ok_cmd(fmt, arg) redis_fixture_ok(&af.rf, fmt, arg)

/* Script calls Redis ran with a key of namespace ns since the slow log was reset (every
 * command is logged: slowlog-log-slower-than 0); the fixture's started engine runs its own
 * scripts in namespace t meanwhile. */
static long long scripts_of(const char *ns)
{
    redisReply *r = rcmd("SLOWLOG GET %s", "-1");
    long long n = 0;
    char key[32];
    snprintf(key, sizeof key, "{%s}", ns);
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *args = r->element[i]->elements > 3 ? r->element[i]->element[3] : NULL;
        if (!args || args->elements < 4 || strcasecmp(args->element[0]->str, "EVALSHA") != 0)
            continue;
        for (size_t k = 1; k < args->elements; k++)
            if (args->element[k]->str && strstr(args->element[k]->str, key)) {
                n++;
                break;
            }
    }
    freeReplyObject(r);
    return n;
}

static berth_engine *watched;   /* the engine whose coalescer the waits read: af.eng */
static api_server *serving;     /* the server whose deferred launches they count: af.api */

static coalescer *launches(void)
{
    return &(watched ? watched : af.eng)->launches;
}

static unsigned deferred(void)
{
    return api_server_deferred(serving ? serving : af.api);
}

static bool script_held(void *arg);

/* berthd's own loop serves (launches go through its threads' launchers), not
 * libmicrohttpd (the coalescer) */
static bool on_loop(void)
{
    const char *env = getenv("BERTH_HTTP_SERVER");
    return !env || strcmp(env, "libmicrohttpd") != 0;
}

static bool coalescer_idle(void)
{
    return !coalesce_in_flight(launches()) && coalesce_pending(launches()) == 0;
}

/* The first launch waits, sent: in flight in the coalescer, or sent by its thread's
 * launcher at the end of the turn that deferred it (not queued in the coalescer). On the
 * engine that is not started (watched) no other script runs, and where its launch goes is
 * known (launcher_connected): Redis holds its call, from the launcher or the coalescer. */
static bool leader_in_flight(void *arg)
{
    (void)arg;
    if (deferred() != 1)
        return false;
    if (!watched)
        return coalesce_in_flight(launches()) || coalesce_pending(launches()) == 0;
    return on_loop() ? coalescer_idle() && script_held(NULL) : coalesce_in_flight(launches());
}

/* All n launches wait, deferred. On watched, the n-1 behind the first wait whole in the
 * coalescer's queue (libmicrohttpd), or in the launcher of the one HTTP thread, behind its
 * batch in flight (the coalescer holds nothing). */
static bool all_waiting(void *arg)
{
    size_t n = *(size_t *)arg;
    if (deferred() != n)
        return false;
    if (!watched)
        return true;
    return on_loop() ? coalescer_idle() : coalesce_pending(launches()) == n - 1;
}

static bool leader_held(void *arg)
{
    (void)arg;
    return deferred() == 1 && script_held(NULL);
}

/* Redis holds a script call under the pause: a client whose EVALSHA is postponed (flag b
 * in CLIENT LIST), so killing the connections now loses a command already sent, not one
 * about to be. */
static bool script_held(void *arg)
{
    (void)arg;
    redisReply *r = rcmd("CLIENT LIST%s", "");
    bool held = false;
    char *save = NULL;
    for (char *l = strtok_r(r->str, "\n", &save); l && !held; l = strtok_r(NULL, "\n", &save)) {
        const char *f = strstr(l, " flags=");
        held = f && strstr(l, " cmd=evalsha") && memchr(f + 7, 'b', strcspn(f + 7, " "));
    }
    freeReplyObject(r);
    return held;
}

/* Pauses Redis, starts cs[0] and waits until its script is sent, then cs[1..n) and waits
 * until all their first launches wait behind it. */
static void start_behind_pause(client *cs, pthread_t *th, size_t n)
{
    ok_cmd("CLIENT PAUSE %s WRITE", "20000");
    assert_int_equal(pthread_create(&th[0], NULL, client_main, &cs[0]), 0);
    assert_true(wait_until(leader_in_flight, NULL, 10000));
    for (size_t i = 1; i < n; i++)
        assert_int_equal(pthread_create(&th[i], NULL, client_main, &cs[i]), 0);
    assert_true(wait_until(all_waiting, &n, 20000));
}

/* On berthd's own loop: launches one at a time until one is seen going through its thread's
 * launcher — while Redis holds its call (paused), the coalescer holds and queues nothing —
 * after which the launcher keeps its connection. A thread's first launches may go the
 * shared way: a fresh engine's pool has no idle connection until the coalescer gave one
 * back. True when seen within 5 launches. */
static bool launcher_connected(int port)
{
    for (int i = 0; i < 5; i++) {
        client c = {.port = port, .n = 1, .key = 900 + i};
        pthread_t th;
        ok_cmd("CLIENT PAUSE %s WRITE", "20000");
        assert_int_equal(pthread_create(&th, NULL, client_main, &c), 0);
        bool held = wait_until(leader_held, NULL, 10000);
        bool by_launcher = held && coalescer_idle();
        ok_cmd("CLIENT UNPAUSE%s", "");
        pthread_join(th, NULL);
        assert_true(held);
        assert_int_equal(c.status[0], 202);
        if (by_launcher)
            return true;
    }
    return false;
}

static void join_all(pthread_t *th, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

/* The fixture's started engine has nothing left to run: no job queued and no fetch batch
 * held (fetch.lua takes jobs and their batch's lease in one script, finish.lua writes a
 * run's final status and drops the lease with the batch's last run in another). */
static bool fixture_idle(void *arg)
{
    (void)arg;
    return redis_fixture_int(&af.rf, "EVAL %s 0", "return redis.call('LLEN', '{t}:jobs:SCHEDULER')"
                             " + redis.call('ZCARD', '{t}:berth:leases')") == 0;
}

/* Each test starts on an empty Redis, once the runs of the jobs earlier tests launched have
 * ended: a run that ends after the flush writes its final status into a stats hash of its
 * own again (finish.lua, as Harbor's status script does for a missing hash), which a later
 * count of stats hashes would see (588 of them in one loaded TSan run). 60 s: the 640
 * SCHEDULER jobs of test_concurrent_launches drain in a few seconds under TSan. */
static void fresh_redis(void)
{
    long long t0 = wait_now_ms();
    if (!wait_until(fixture_idle, NULL, 60000))
        fail_msg("the engine still had jobs queued or held 60 s after the last test");
    long long took = wait_now_ms() - t0;
    if (took > 1000)
        fprintf(stderr, "waited %lld ms for the last test's jobs to end\n", took);
    redis_fixture_flush(&af.rf);
}

static long long job_exists(const char *id)
{
    return redis_fixture_int(&af.rf, "EXISTS {t}:job_stats:%s", id);
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* 32 connections, each launch waiting at once: one script call for the 31 behind the
 * first, and every launch its own id, stats and queue entry. On berthd's own loop, one HTTP
 * thread and its launcher (seen taking the launches first); on libmicrohttpd the coalescer.
 * Then a burst without the pause: every launch answered, ids still unique. */
static void test_concurrent_launches(void **state)
{
    (void)state;
    fresh_redis();
    /* an engine that is not started (launches work before start) and its own server: no
     * fetch or finish script runs meanwhile, only the launches' */
    berth_engine_config cfg = engine_fixture_config(&af.rf);
    cfg.ns = "la";
    char err[256];
    assert_int_equal(berth_engine_new(&cfg, &watched, err, sizeof err), 0);
    assert_int_equal(berth_jobs_register_scheduler(watched), 0);
    api_ctx ctx = api_fixture_ctx(watched);
    ctx.threads = on_loop() ? 1 : 0;  /* one launcher; libmicrohttpd: the coalescer anyway */
    api_server *api = serving = api_fixture_server(&ctx);
    if (on_loop())
        assert_true(launcher_connected(api_server_port(api)));
    client *cs = calloc(NCLI, sizeof *cs);
    pthread_t th[NCLI];
    for (int i = 0; i < NCLI; i++)
        cs[i] = (client){.port = api_server_port(api), .n = 1, .key = i * 100};
    ok_cmd("CONFIG SET slowlog-max-len %s", "100000");
    ok_cmd("CONFIG SET slowlog-log-slower-than %s", "0");
    ok_cmd("SLOWLOG RESET%s", "");
    start_behind_pause(cs, th, NCLI);
    ok_cmd("CLIENT UNPAUSE%s", "");
    join_all(th, NCLI);
    long long ran = scripts_of("la");
    ok_cmd("CONFIG SET slowlog-log-slower-than %s", "10000");
    api_server_stop(api);
    berth_engine_free(watched);
    watched = NULL;
    serving = NULL;
    for (int i = 0; i < NCLI; i++) {
        if (cs[i].status[0] != 202)
            fail_msg("launch %d: %ld %s", i, cs[i].status[0], cs[i].body[0]);
        cs[i].port = api_server_port(af.api);
    }
    if (ran != 2)   /* the first alone, then the 31 behind it together */
        fail_msg("%lld script calls for %d launches", ran, NCLI);
    for (int i = 0; i < NCLI; i++)
        cs[i].n = 20;
    for (int i = 0; i < NCLI; i++)
        assert_int_equal(pthread_create(&th[i], NULL, client_main, &cs[i]), 0);
    join_all(th, NCLI);
    char(*ids)[25] = calloc(NCLI * 20, 25);
    for (int i = 0; i < NCLI; i++) {
        for (int k = 0; k < 20; k++) {
            if (cs[i].status[k] != 202)
                fail_msg("launch %d/%d: %ld %s", i, k, cs[i].status[k], cs[i].body[k]);
            assert_int_equal(strlen(cs[i].ids[k]), 24);
            assert_int_equal(job_exists(cs[i].ids[k]), 1);
            memcpy(ids[i * 20 + k], cs[i].ids[k], 25);
        }
    }
    qsort(ids, NCLI * 20, 25, cmp_id);
    for (int i = 1; i < NCLI * 20; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);
    free(cs);
}

/* The same unique job from 16 connections at once, all in one batch: one 202, fifteen of
 * Harbor's 500/10003 naming the holder, one stats hash. */
static void test_unique_duplicates(void **state)
{
    (void)state;
    fresh_redis();
    enum { N = 16 };
    client *cs = calloc(N, sizeof *cs);
    pthread_t th[N];
    for (int i = 0; i < N; i++)
        cs[i] = (client){.port = api_server_port(af.api), .n = 1, .key = 7, .unique = true};
    /* The queue paused: the accepted job must not run (and end, freeing its unique key)
     * before the batch behind it is sent. */
    ok_cmd("SET %s 1", "{t}:jobs:SCHEDULER:paused");   /* the API's pause, on a flushed Redis */
    start_behind_pause(cs, th, N);
    ok_cmd("CLIENT UNPAUSE%s", "");
    join_all(th, N);
    ok_cmd("DEL %s", "{t}:jobs:SCHEDULER:paused");
    int ok = 0;
    const char *holder = NULL;
    for (int i = 0; i < N; i++)
        if (cs[i].status[0] == 202)
            ok++, holder = cs[i].ids[0];
    assert_int_equal(ok, 1);
    const char *head = "{\"code\":10003,\"message\":\"launch job failed with error\",\"details\":"
                       "\"job 'SCHEDULER' can not be enqueued, please check the job metatdata";
    for (int i = 0; i < N; i++) {
        if (cs[i].status[0] == 202)
            continue;
        assert_int_equal(cs[i].status[0], 500);
        assert_memory_equal(cs[i].body[0], head, strlen(head));
        assert_non_null(strstr(cs[i].body[0], holder));
    }
    assert_int_equal(af_count_stats(), 1);
    free(cs);
}

typedef struct stopper {
    api_server *api;
} stopper;

static void *stop_main(void *arg)
{
    api_server_stop(((stopper *)arg)->api);
    return NULL;
}

/* A second server on the same engine stops while 8 launches wait for their batch: each
 * is answered 202 and its job is durable; the stop returns once they are. */
static void test_stop_with_launches_waiting(void **state)
{
    (void)state;
    fresh_redis();
    api_ctx ctx = api_fixture_ctx(af.eng);
    stopper st = {api_fixture_server(&ctx)};
    enum { N = 8 };
    client *cs = calloc(N, sizeof *cs);
    pthread_t th[N], stop_th;
    for (int i = 0; i < N; i++)
        cs[i] = (client){.port = api_server_port(st.api), .n = 1, .key = 1000 + i};
    serving = st.api;
    start_behind_pause(cs, th, N);
    serving = NULL;             /* st.api is freed by the stop */
    assert_int_equal(pthread_create(&stop_th, NULL, stop_main, &st), 0);
    ok_cmd("CLIENT UNPAUSE%s", "");
    pthread_join(stop_th, NULL);
    join_all(th, N);
    for (int i = 0; i < N; i++) {
        if (cs[i].status[0] != 202)
            fail_msg("launch %d: %ld %s", i, cs[i].status[0], cs[i].body[0]);
        assert_int_equal(job_exists(cs[i].ids[0]), 1);
    }
    free(cs);
}

/* A raw connection: sends text (not all of a request, or all of it) and keeps the socket. */
static int raw_send(int port, const char *text)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    return fd;
}

static void raw_launch(char *out, size_t outlen, int key, size_t body_sent)
{
    char body[256];
    snprintf(body, sizeof body, LAUNCH, key, "");
    snprintf(out, outlen, "POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%.*s", API_AUTH,
             strlen(body), (int)(body_sent < strlen(body) ? body_sent : strlen(body)), body);
}

static bool stats_are(void *arg)
{
    return af_count_stats() == *(long long *)arg;
}

/* A client whose launch waits for its batch closes its connection: the launch is still
 * made (accepted and durable: the client just never reads the answer), and the server
 * frees the request (ASan) and answers the next clients. Eight clients that send half a
 * body and stall, and eight that never read their answers, do not hold a launch made
 * meanwhile on a normal connection. */
static void test_gone_and_slow_clients(void **state)
{
    (void)state;
    fresh_redis();
    int port = api_server_port(af.api);
    char req[1024];
    client c = {.port = port, .n = 1, .key = 1};
    pthread_t th;
    ok_cmd("CLIENT PAUSE %s WRITE", "20000");
    assert_int_equal(pthread_create(&th, NULL, client_main, &c), 0);
    assert_true(wait_until(leader_in_flight, NULL, 10000));
    raw_launch(req, sizeof req, 2, SIZE_MAX);
    int gone = raw_send(port, req);
    size_t two_waiting = 2;
    assert_true(wait_until(all_waiting, &two_waiting, 10000));
    close(gone);
    ok_cmd("CLIENT UNPAUSE%s", "");
    pthread_join(th, NULL);
    assert_int_equal(c.status[0], 202);
    long long two = 2;
    assert_true(wait_until(stats_are, &two, 10000));   /* the gone client's job was made */

    int slow[16];
    for (int i = 0; i < 8; i++) {
        raw_launch(req, sizeof req, 10 + i, 10);          /* 10 bytes of the body */
        slow[i] = raw_send(port, req);
    }
    for (int i = 8; i < 16; i++) {                       /* whole, never read */
        raw_launch(req, sizeof req, 10 + i, SIZE_MAX);
        slow[i] = raw_send(port, req);
    }
    long long t0 = wait_now_ms();
    char *id = af_launch("{\"job\":{\"name\":\"SCHEDULER\",\"metadata\":{\"kind\":\"Generic\"}}}");
    long long took = wait_now_ms() - t0;
    assert_int_equal(job_exists(id), 1);
    assert_true(took < 5000);   /* far below the 15 s read timeout the stalled ones hold */
    free(id);
    long long made = 2 + 1 + 8;   /* and the 8 whole ones, before the next test flushes */
    assert_true(wait_until(stats_are, &made, 20000));
    for (int i = 0; i < 16; i++)
        close(slow[i]);
}

/* Redis goes away while a launch waits in the batch behind a held one: the berthd
 * connection is killed under the pause, so the script never runs. Both launches get a 5xx
 * with Harbor's error JSON (or, at most, are accepted and durable: a reconnect may resend),
 * and nothing of a refused one is written. */
static void test_redis_lost_while_waiting(void **state)
{
    (void)state;
    fresh_redis();
    enum { N = 2 };
    client *cs = calloc(N, sizeof *cs);
    pthread_t th[N];
    for (int i = 0; i < N; i++)
        cs[i] = (client){.port = api_server_port(af.api), .n = 1, .key = 500 + i};
    start_behind_pause(cs, th, N);
    assert_true(wait_until(script_held, NULL, 10000));
    ok_cmd("CLIENT KILL TYPE %s", "normal");
    ok_cmd("CLIENT UNPAUSE%s", "");
    join_all(th, N);
    int refused = 0;
    for (int i = 0; i < N; i++) {
        if (cs[i].status[0] == 202) {
            assert_int_equal(job_exists(cs[i].ids[0]), 1);
            continue;
        }
        refused++;
        if (cs[i].status[0] < 500)
            fail_msg("launch %d: %ld %s", i, cs[i].status[0], cs[i].body[0]);
        assert_non_null(strstr(cs[i].body[0], "{\"code\":10003,\"message\":\"launch job "
                                              "failed with error\",\"details\":\"redis"));
    }
    assert_true(refused >= 1);   /* the held one's connection was killed: it cannot pass */
    assert_int_equal(af_count_stats(), N - refused);   /* a job and its stats go together */
    free(cs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_launches),
        cmocka_unit_test(test_unique_duplicates),
        cmocka_unit_test(test_stop_with_launches_waiting),
        cmocka_unit_test(test_gone_and_slow_clients),
        cmocka_unit_test(test_redis_lost_while_waiting),
    };
    return cmocka_run_group_tests(tests, api_fixture_setup, api_fixture_teardown);
}
