/* The launcher (include/berth/launcher.h, src/engine/launcher.c) against a real
 * redis-server, driven from a poll loop of the test's own as berthd's HTTP loop drives it:
 * its answers are berth_engine_launch's, the launches of one turn go in one script call
 * (counted with INFO commandstats), up to 256 per call, on the launcher's own thread; and
 * what cannot be sent without waiting goes the shared way (no idle connection, a Redis
 * Cluster, NOSCRIPT). Failures: Redis killed with a batch in flight (BERTH_EREDIS, then
 * launches work again), frozen by SIGSTOP (nothing blocks; answered after SIGCONT or
 * BERTH_EREDIS at the socket timeout), a call the socket takes in parts (finished on
 * POLLOUT), and at the store level a reply that arrives byte by byte and a partial write
 * (against a server of the test's own); a connection Redis closed between batches, watched
 * or not, over TCP and the unix socket; a small batch held for the launches of the one
 * just answered. Also: the memory reading
 * refreshed by an INFO behind a batch, berth_engine_stop with launches in flight, and
 * launchers on several threads with berth_engine_launch_async callers at once (TSan). */
#include "test.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "berth/launcher.h"
#include "berth/memguard.h"
#include "engine/internal.h"
#include "engine_fixture.h"
#include "redis_fixture.h"
#include "store/nbio.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "wait.h"

static redis_fixture rf;

/* The host: one launcher and the socket it asked to watch. */
typedef struct host {
    berth_launcher *lr;
    int fd;
    unsigned events;
    int watch_calls;
} host;

static void on_watch(int old_fd, int fd, unsigned events, void *ud)
{
    host *h = ud;
    assert_int_equal(old_fd, h->fd);
    h->fd = fd;
    h->events = events;
    h->watch_calls++;
}

/* One launch's answer as done gave it. */
typedef struct answer {
    int calls;            /* done's calls: must end at 1 */
    int rc;
    char err[512];
    char id[25];
    char status[32], kind[32], params[128], name[32], ref_link[64], hook[64];
    int64_t enqueue_time, update_time;
    int64_t run_at;
    bool unique;
    pthread_t thread;     /* the thread done ran on */
} answer;

static void on_done(int rc, berth_stats *s, const char *err, void *ud)
{
    answer *a = ud;
    a->rc = rc;
    a->thread = pthread_self();
    snprintf(a->err, sizeof a->err, "%s", err ? err : "");
    if (s) {
        snprintf(a->id, sizeof a->id, "%s", s->id);
        snprintf(a->status, sizeof a->status, "%s", s->status);
        snprintf(a->kind, sizeof a->kind, "%s", s->kind);
        snprintf(a->params, sizeof a->params, "%s", s->parameters ? s->parameters : "");
        snprintf(a->name, sizeof a->name, "%s", s->name);
        snprintf(a->ref_link, sizeof a->ref_link, "%s", s->ref_link);
        snprintf(a->hook, sizeof a->hook, "%s", s->web_hook_url ? s->web_hook_url : "");
        a->enqueue_time = s->enqueue_time;
        a->update_time = s->update_time;
        a->run_at = s->run_at;
        a->unique = s->unique;
    }
    assert_true(rc == 0 || s == NULL);
    berth_stats_free(s);
    /* last, released: a waiter on another thread (answered) then sees the fields */
    __atomic_add_fetch(&a->calls, 1, __ATOMIC_RELEASE);
}

static host *host_new(berth_engine *e)
{
    host *h = calloc(1, sizeof *h);
    assert_non_null(h);
    h->fd = -1;
    assert_int_equal(berth_launcher_new(e, on_watch, h, &h->lr), 0);
    return h;
}

static void host_free(host *h)
{
    berth_launcher_free(h->lr);
    assert_int_equal(h->fd, -1);   /* the socket was unwatched when the connection went */
    free(h);
}

/* One turn of the host's loop: wait for the socket (or the launcher's timeout, at most
 * wait_ms), then io and flush. */
static void turn(host *h, int wait_ms)
{
    int t = berth_launcher_timeout_ms(h->lr);
    t = t < 0 || t > wait_ms ? wait_ms : t;
    struct pollfd p = {.fd = h->fd, .events = (short)h->events};
    (void)poll(&p, h->fd >= 0 ? 1 : 0, t);
    berth_launcher_io(h->lr);
    berth_launcher_flush(h->lr);
}

/* Turns until every launch is answered, up to deadline_ms. */
static void run_until_answered(host *h, int deadline_ms)
{
    int64_t end = clock_mono_ms() + deadline_ms;
    while (berth_launcher_pending(h->lr) > 0 && clock_mono_ms() < end)
        turn(h, 10);
    assert_int_equal(berth_launcher_pending(h->lr), 0);
}

static long long evalsha_calls(void)
{
    redisReply *r = redis_fixture_cmd(&rf, "INFO commandstats");
    assert_non_null(r);
    const char *p = r->str ? strstr(r->str, "cmdstat_evalsha:calls=") : NULL;
    long long n = p ? atoll(p + strlen("cmdstat_evalsha:calls=")) : 0;
    freeReplyObject(r);
    return n;
}

static berth_engine *engine(void)
{
    redis_fixture_flush(&rf);
    return engine_fixture_noop_unstarted(&rf);
}

/* A connection with the enqueue script loaded, idle in the engine's pool (as any earlier
 * launch leaves one): what the launcher takes. */
static void warm_pool(berth_engine *e)
{
    char err[256];
    berth_launch l = {.name = "NOOP"};
    assert_int_equal(berth_engine_launch(e, &l, NULL, err, sizeof err), 0);
}

/* wait_until's predicate: the answer came (async done on another thread). */
static bool answered(void *arg)
{
    return __atomic_load_n(&((answer *)arg)->calls, __ATOMIC_ACQUIRE) > 0;
}

static void new_and_free_null(void **state)
{
    (void)state;
    berth_launcher *lr = (berth_launcher *)1;
    assert_int_equal(berth_launcher_new(NULL, NULL, NULL, &lr), BERTH_EINVAL);
    assert_null(lr);
    berth_launcher_free(NULL);
}

/* One launch: its answer is berth_engine_launch's (status, kind, parameters, a new id),
 * given on the launcher's thread inside io, and the job is in Redis, whole. */
static void one_launch_answered_on_own_thread(void **state)
{
    (void)state;
    berth_engine *e = engine();
    warm_pool(e);
    host *h = host_new(e);
    answer a = {0};
    berth_launch l = {.name = "NOOP", .params_json = "{\"k\":1}",
                      .status_hook = "http://127.0.0.1:9/hook"};
    berth_launcher_add(h->lr, &l, on_done, &a);
    assert_int_equal(a.calls, 0);
    assert_int_equal(berth_launcher_pending(h->lr), 1);
    assert_int_equal(berth_launcher_timeout_ms(h->lr), -1);   /* nothing in flight yet */
    long long calls0 = evalsha_calls();
    berth_launcher_flush(h->lr);
    assert_true(h->fd >= 0);
    assert_true(h->events & POLLIN);
    assert_true(berth_launcher_timeout_ms(h->lr) > 0);
    assert_int_equal(a.calls, 0);   /* never answered inside flush: it does not wait */
    run_until_answered(h, 5000);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.rc, 0);
    assert_true(pthread_equal(a.thread, pthread_self()));
    assert_int_equal(evalsha_calls() - calls0, 1);

    berth_stats *s = NULL;
    char err[256];
    assert_int_equal(berth_engine_launch(e, &l, &s, err, sizeof err), 0);
    assert_string_equal(a.status, s->status);
    assert_string_equal(a.kind, s->kind);
    assert_string_equal(a.params, s->parameters);
    assert_string_equal(a.name, s->name);
    assert_string_equal(a.hook, s->web_hook_url);
    assert_false(a.unique);
    assert_true(s->enqueue_time - a.enqueue_time <= 1 && a.update_time == a.enqueue_time);
    assert_int_equal(strlen(a.id), 24);
    assert_string_not_equal(a.id, s->id);
    char link[64];
    snprintf(link, sizeof link, "/api/v1/jobs/%s", a.id);
    assert_string_equal(a.ref_link, link);
    assert_int_equal(redis_fixture_int(&rf, "HEXISTS {t}:job_stats:%s web_hook_url", a.id), 1);
    berth_stats_free(s);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), 3);
    assert_int_equal(redis_fixture_int(&rf, "EXISTS {t}:job_stats:%s", a.id), 1);
    int watched = h->watch_calls;
    host_free(h);
    assert_int_equal(watched, 1);   /* one connection kept: watched once, not per batch */
    berth_engine_free(e);
}

/* Launches added in one turn go in one script call; more than 256 in several, one in
 * flight at a time; each gets its own id. */
static void one_call_per_turn(void **state)
{
    (void)state;
    berth_engine *e = engine();
    warm_pool(e);
    host *h = host_new(e);
    enum { N = 100, BIG = 600 };
    static answer as[BIG];
    memset(as, 0, sizeof as);
    berth_launch l = {.name = "NOOP"};
    long long calls0 = evalsha_calls();
    for (int i = 0; i < N; i++)
        berth_launcher_add(h->lr, &l, on_done, &as[i]);
    berth_launcher_flush(h->lr);
    run_until_answered(h, 5000);
    assert_int_equal(evalsha_calls() - calls0, 1);
    for (int i = 0; i < N; i++) {
        assert_int_equal(as[i].calls, 1);
        assert_int_equal(as[i].rc, 0);
    }
    memset(as, 0, sizeof as);
    calls0 = evalsha_calls();
    for (int i = 0; i < BIG; i++)
        berth_launcher_add(h->lr, &l, on_done, &as[i]);
    berth_launcher_flush(h->lr);
    assert_int_equal(berth_launcher_pending(h->lr), BIG);
    run_until_answered(h, 10000);
    assert_int_equal(evalsha_calls() - calls0, 3);   /* 256 + 256 + 88 */
    for (int i = 0; i < BIG; i++) {
        assert_int_equal(as[i].calls, 1);
        assert_int_equal(as[i].rc, 0);
        assert_true(pthread_equal(as[i].thread, pthread_self()));
    }
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), 1 + N + BIG);
    host_free(h);
    berth_engine_free(e);
}

/* Two identical unique launches in one turn: the first takes the lock, the second is
 * BERTH_EDUP naming it, with berth_engine_launch's text. */
static void unique_duplicate_names_holder(void **state)
{
    (void)state;
    berth_engine *e = engine();
    warm_pool(e);
    host *h = host_new(e);
    answer a[2] = {{0}};
    berth_launch l = {.name = "NOOP", .params_json = "{\"u\":1}", .unique = true};
    berth_launcher_add(h->lr, &l, on_done, &a[0]);
    berth_launcher_add(h->lr, &l, on_done, &a[1]);
    berth_launcher_flush(h->lr);
    run_until_answered(h, 5000);
    assert_int_equal(a[0].rc, 0);
    assert_true(a[0].unique);
    assert_int_equal(a[1].rc, BERTH_EDUP);
    assert_non_null(strstr(a[1].err, a[0].id));
    char err[512];
    assert_int_equal(berth_engine_launch(e, &l, NULL, err, sizeof err), BERTH_EDUP);
    assert_string_equal(a[1].err, err);
    host_free(h);
    berth_engine_free(e);
}

/* An unknown name, bad parameters, a Periodic launch on an engine without the periodic
 * part: answered inside add, as berth_engine_launch answers, and nothing is sent; no
 * launch at all (NULL): BERTH_EINVAL. */
static void refused_inside_add(void **state)
{
    (void)state;
    berth_engine *e = engine();
    warm_pool(e);
    host *h = host_new(e);
    berth_launch bad[] = {
        {.name = "NOPE"},
        {.name = "NOOP", .params_json = "{\"k\":"},
        {.name = "NOOP", .kind = BERTH_KIND_SCHEDULED},   /* no delay */
        {.name = "NOOP", .kind = BERTH_KIND_PERIODIC, .cron_spec = "0 * * * * *"},
    };
    long long calls0 = evalsha_calls();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        answer a = {0};
        berth_launcher_add(h->lr, &bad[i], on_done, &a);
        assert_int_equal(a.calls, 1);
        char err[512];
        int rc = berth_engine_launch(e, &bad[i], NULL, err, sizeof err);
        assert_int_not_equal(rc, 0);
        assert_int_equal(a.rc, rc);
        assert_string_equal(a.err, err);
        assert_true(pthread_equal(a.thread, pthread_self()));
    }
    answer none = {0};
    berth_launcher_add(h->lr, NULL, on_done, &none);
    assert_int_equal(none.calls, 1);
    assert_int_equal(none.rc, BERTH_EINVAL);
    assert_string_equal(none.err, "no launch given");
    assert_int_equal(berth_launcher_pending(h->lr), 0);
    berth_launcher_flush(h->lr);
    assert_int_equal(h->fd, -1);   /* nothing to send: no connection taken */
    assert_int_equal(evalsha_calls() - calls0, 0);
    host_free(h);
    berth_engine_free(e);
}

/* A Scheduled launch: Scheduled, its run_at, its entry in the scheduled zset. */
static void scheduled_launch(void **state)
{
    (void)state;
    berth_engine *e = engine();
    warm_pool(e);
    host *h = host_new(e);
    answer a = {0};
    berth_launch l = {.name = "NOOP", .kind = BERTH_KIND_SCHEDULED, .schedule_delay = 60};
    int64_t before = clock_wall_ms() / 1000;
    berth_launcher_add(h->lr, &l, on_done, &a);
    berth_launcher_flush(h->lr);
    run_until_answered(h, 5000);
    assert_int_equal(a.rc, 0);
    assert_string_equal(a.status, "Scheduled");
    assert_string_equal(a.kind, BERTH_KIND_SCHEDULED);
    assert_true(a.run_at >= before + 60 && a.run_at <= before + 61);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:scheduled"), 1);
    host_free(h);
    berth_engine_free(e);
}

/* No idle connection in the pool (a fresh engine): the launch goes the shared way, its
 * done on the engine's sender thread, with the same answer. */
static void no_idle_connection_goes_shared(void **state)
{
    (void)state;
    berth_engine *e = engine();
    host *h = host_new(e);
    answer a = {0};
    berth_launch l = {.name = "NOOP"};
    berth_launcher_add(h->lr, &l, on_done, &a);
    berth_launcher_flush(h->lr);
    assert_int_equal(berth_launcher_pending(h->lr), 0);   /* handed over */
    assert_int_equal(h->fd, -1);
    assert_true(wait_until(answered, &a, 5000));
    assert_int_equal(a.rc, 0);
    assert_false(pthread_equal(a.thread, pthread_self()));
    host_free(h);
    berth_engine_free(e);
}

/* berth_launcher_free answers what is still queued or in flight, blocking. */
static void free_answers_pending(void **state)
{
    (void)state;
    berth_engine *e = engine();
    warm_pool(e);
    host *h = host_new(e);
    answer a[20] = {{0}};
    berth_launch l = {.name = "NOOP"};
    for (int i = 0; i < 10; i++)
        berth_launcher_add(h->lr, &l, on_done, &a[i]);
    berth_launcher_flush(h->lr);           /* in flight */
    for (int i = 10; i < 20; i++)
        berth_launcher_add(h->lr, &l, on_done, &a[i]);   /* queued behind it */
    host_free(h);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(a[i].calls, 1);
        assert_int_equal(a[i].rc, 0);
    }
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), 21);
    berth_engine_free(e);
}


static long long info_calls(void)
{
    redisReply *r = redis_fixture_cmd(&rf, "INFO commandstats");
    assert_non_null(r);
    const char *p = r->str ? strstr(r->str, "cmdstat_info:calls=") : NULL;
    long long n = p ? atoll(p + strlen("cmdstat_info:calls=")) : 0;
    freeReplyObject(r);
    return n;
}

/* Adds n plain launches answered into as[0..n) and flushes. */
static void add_n(host *h, answer *as, int n)
{
    berth_launch l = {.name = "NOOP"};
    for (int i = 0; i < n; i++)
        berth_launcher_add(h->lr, &l, on_done, &as[i]);
    berth_launcher_flush(h->lr);
}

/* One more launch is accepted, by whichever way (the launcher's own or the shared). */
static void one_more_launch_works(host *h)
{
    answer a = {0};
    add_n(h, &a, 1);
    int64_t end = clock_mono_ms() + 5000;
    while (!answered(&a) && clock_mono_ms() < end)
        turn(h, 10);
    assert_int_equal(a.rc, 0);
}

/* Redis killed with a batch in flight (held by CLIENT PAUSE): BERTH_EREDIS for each of
 * its launches, the connection given up; once Redis is back, launches work again, first
 * the shared way (the pool had nothing idle that survived), then on the launcher's own. */
static void redis_killed_mid_batch(void **state)
{
    (void)state;
    berth_engine *e = engine();
    warm_pool(e);
    host *h = host_new(e);
    answer as[10] = {{0}};
    redis_fixture_ok(&rf, "CLIENT PAUSE 20000 WRITE");
    add_n(h, as, 10);
    turn(h, 50);
    assert_int_equal(berth_launcher_pending(h->lr), 10);   /* held in Redis */
    redis_fixture_kill(&rf);
    run_until_answered(h, 5000);
    char err[512];
    berth_launch l = {.name = "NOOP"};
    assert_int_equal(berth_engine_launch(e, &l, NULL, err, sizeof err), BERTH_EREDIS);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(as[i].calls, 1);
        assert_int_equal(as[i].rc, BERTH_EREDIS);
        assert_string_equal(as[i].err, err);
    }
    assert_int_equal(h->fd, -1);   /* given up */
    assert_int_equal(redis_fixture_restart(&rf, NULL), 0);
    answer a = {0};
    add_n(h, &a, 1);
    assert_true(wait_until(answered, &a, 5000));
    assert_int_equal(a.rc, 0);
    assert_false(pthread_equal(a.thread, pthread_self()));   /* the shared way: it dialled */
    answer b = {0};
    add_n(h, &b, 1);
    run_until_answered(h, 5000);
    assert_int_equal(b.rc, 0);
    assert_true(pthread_equal(b.thread, pthread_self()));
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), 2);
    host_free(h);
    berth_engine_free(e);
}

static bool all_answered(void *arg)
{
    answer *as = arg;
    for (int i = 0; i < 5; i++)
        if (!answered(&as[i]))
            return false;
    return true;
}

/* Five launches added and flushed; the host turns until they are answered. Each must be
 * ok, answered once, on this thread (the launcher's own connection) when own. */
static void five_answered(host *h, answer *as, bool own)
{
    add_n(h, as, 5);
    if (!own)
        assert_true(wait_until(all_answered, as, 5000));
    run_until_answered(h, 5000);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(as[i].calls, 1);
        assert_int_equal(as[i].rc, 0);
        assert_int_equal(pthread_equal(as[i].thread, pthread_self()) != 0, own);
    }
}

/* An engine on the fixture's Redis over TCP (tcp) or its unix socket. Over TCP a call
 * written on a connection Redis closed is taken by the socket and fails only at its reply
 * (whether it ran is then unknown); over a unix socket the write itself fails (EPIPE: it
 * did not run, and goes the shared way). Only TCP shows a batch sent on a closed
 * connection, so the tests below run over both. */
static berth_engine *engine_over(bool tcp)
{
    if (!tcp)
        return engine();
    redis_fixture_flush(&rf);
    berth_engine_config c = engine_fixture_config(&rf);
    c.redis_unix = NULL;
    c.redis_host = "127.0.0.1";
    c.redis_port = rf.port;
    c.hooks_disabled = true;
    return engine_fixture_new(&c, (berth_job_type[]){{.name = "NOOP",
                                                      .run = engine_fixture_noop}, {0}});
}

/* Whether fd is a socket connected to the fixture's Redis (its port or its unix socket). */
static bool to_redis(int fd)
{
    struct sockaddr_storage a;
    socklen_t len = sizeof a;
    if (getpeername(fd, (struct sockaddr *)&a, &len) != 0)
        return false;
    if (a.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&a)->sin_port) == rf.port;
    return a.ss_family == AF_UNIX && strcmp(((struct sockaddr_un *)&a)->sun_path, rf.sock) == 0;
}

/* The sockets of this process connected to the fixture's Redis. */
static int redis_sockets(struct pollfd *p, int max)
{
    int n = 0;
    for (int fd = 0; fd < 1024 && n < max; fd++)
        if (to_redis(fd))
            p[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
    return n;
}

/* Redis closes every connection but the fixture's (CLIENT KILL), and the host waits until
 * each of this process's sockets to Redis reads as closed: what Redis did has reached
 * this side before the next launch. */
static void redis_closes_connections(void)
{
    struct pollfd p[16];
    int n = redis_sockets(p, 16);
    assert_true(n >= 1);
    assert_true(redis_fixture_int(&rf, "CLIENT KILL TYPE normal SKIPME yes") >= n);
    int64_t end = clock_mono_ms() + 5000;
    int ready = 0;
    while (ready < n && clock_mono_ms() < end) {
        ready = poll(p, (nfds_t)n, 100);
        ready = ready < 0 ? 0 : ready;
    }
    assert_int_equal(ready, n);
}

/* A watched launcher's connection closed by Redis between batches (over TCP and the unix
 * socket): the watch reports it (POLLIN), io gives the connection up, and the next
 * launches are all delivered, once each (the first the shared way, which dials, the next
 * on the launcher's own connection again). A watched launcher does not check its
 * connection before a batch (no peek): without the watch's report the next batch would be
 * written on the closed connection and, over TCP, fail. */
static void watched_closed_over(bool tcp)
{
    berth_engine *e = engine_over(tcp);
    warm_pool(e);
    host *h = host_new(e);
    answer a[5] = {{0}}, b[5] = {{0}}, c[5] = {{0}};
    five_answered(h, a, true);
    assert_true(h->fd >= 0);
    redis_closes_connections();
    int64_t end = clock_mono_ms() + 5000;
    while (h->fd >= 0 && clock_mono_ms() < end)
        turn(h, 100);                /* the host's loop: POLLIN on the watched socket */
    assert_int_equal(h->fd, -1);     /* given up */
    five_answered(h, b, false);      /* the pool had nothing idle left: shared, dialled */
    five_answered(h, c, true);       /* on the launcher's own connection again */
    assert_true(h->fd >= 0);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), 1 + 15);
    host_free(h);
    berth_engine_free(e);
}

static void watched_connection_closed_by_redis(void **state)
{
    (void)state;
    watched_closed_over(true);
    watched_closed_over(false);
}

/* The same with no watch (a host that only adds, flushes and calls io): nothing reports
 * the close, so the launcher checks its connection before the next batch (a peek), finds
 * it closed and gives it up: every launch is delivered once (without the peek, over TCP,
 * the batch would be written on the closed connection and fail). */
static void unwatched_closed_over(bool tcp)
{
    berth_engine *e = engine_over(tcp);
    warm_pool(e);
    host h = {.fd = -1};
    assert_int_equal(berth_launcher_new(e, NULL, NULL, &h.lr), 0);
    answer a[5] = {{0}}, b[5] = {{0}}, c[5] = {{0}};
    five_answered(&h, a, true);
    redis_closes_connections();
    five_answered(&h, b, false);     /* the kept connection given up: shared, dialled */
    five_answered(&h, c, true);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), 1 + 15);
    berth_launcher_free(h.lr);
    berth_engine_free(e);
}

static void unwatched_connection_closed_by_redis(void **state)
{
    (void)state;
    unwatched_closed_over(true);
    unwatched_closed_over(false);
}

/* Whether the launcher holds what is queued: nothing in flight and its timeout is the
 * hold's (at most a millisecond), not a batch's reply deadline (the pool's 5 s). */
static bool holding(host *h)
{
    int t = berth_launcher_timeout_ms(h->lr);
    return berth_launcher_pending(h->lr) > 0 && t >= 0 && t <= 1;
}

/* In flight: the timeout is the batch's reply deadline. */
static bool in_flight(host *h)
{
    return berth_launcher_timeout_ms(h->lr) > 1000;
}

/* A small batch waits for the launches of the batch just answered: after 10 answered,
 * 2 queued are held (no call), 3 more make half of 10 and all 5 go at once in one call;
 * after those 5, a lone launch is held and goes at the hold's end (1 ms, no sooner) when
 * the host's loop honours the timeout. One launch at a time is never held, nor what is
 * left at berth_launcher_free. */
static void small_batch_held_for_the_answered(void **state)
{
    (void)state;
    berth_engine *e = engine();
    warm_pool(e);
    host *h = host_new(e);
    answer one[2] = {{0}}, ten[10] = {{0}}, five[5] = {{0}}, again[5] = {{0}}, late = {0},
           last = {0};
    for (int i = 0; i < 2; i++) {        /* one at a time: sent at once */
        add_n(h, &one[i], 1);
        assert_true(in_flight(h));
        run_until_answered(h, 5000);
        assert_int_equal(one[i].rc, 0);
    }
    add_n(h, ten, 10);
    run_until_answered(h, 5000);
    long long calls0 = evalsha_calls();
    add_n(h, five, 2);
    assert_true(holding(h));
    add_n(h, five + 2, 3);
    assert_true(in_flight(h));
    run_until_answered(h, 5000);
    assert_int_equal(evalsha_calls() - calls0, 1);
    for (int i = 0; i < 5; i++)
        assert_int_equal(five[i].rc, 0);
    int64_t t0 = clock_mono_us();
    add_n(h, &late, 1);
    assert_true(holding(h));
    run_until_answered(h, 5000);         /* the host's loop waits the timeout it is given */
    assert_true(clock_mono_us() - t0 >= 1000);
    assert_int_equal(late.rc, 0);
    assert_true(pthread_equal(late.thread, pthread_self()));
    add_n(h, again, 5);                  /* 5 after 1: at once */
    assert_true(in_flight(h));
    run_until_answered(h, 5000);
    add_n(h, &last, 1);
    assert_true(holding(h));
    host_free(h);                        /* answers it: nothing held at the end */
    assert_int_equal(last.calls, 1);
    assert_int_equal(last.rc, 0);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), 1 + 2 + 10 + 5 + 1 + 5 + 1);
    berth_engine_free(e);
}

/* The script cache flushed between two batches: the second is refused with NOSCRIPT (it
 * did not run) and goes the shared way, which loads the script again: each launch
 * answered once, each job queued once. */
static void noscript_resent_the_shared_way(void **state)
{
    (void)state;
    berth_engine *e = engine();
    warm_pool(e);
    host *h = host_new(e);
    answer first = {0};
    add_n(h, &first, 1);
    run_until_answered(h, 5000);
    assert_true(pthread_equal(first.thread, pthread_self()));
    redis_fixture_ok(&rf, "SCRIPT FLUSH");
    answer as[5] = {{0}};
    add_n(h, as, 5);
    int64_t end = clock_mono_ms() + 5000;
    while (!all_answered(as) && clock_mono_ms() < end)
        turn(h, 10);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(as[i].calls, 1);
        assert_int_equal(as[i].rc, 0);
    }
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), 1 + 1 + 5);
    one_more_launch_works(h);   /* and the launcher goes on */
    host_free(h);
    berth_engine_free(e);
}

/* Each of add, flush and io returns at once while Redis is frozen (SIGSTOP). */
static void timed(host *h, int64_t *worst_ms)
{
    int64_t t0 = clock_mono_ms();
    berth_launcher_io(h->lr);
    berth_launcher_flush(h->lr);
    int64_t took = clock_mono_ms() - t0;
    *worst_ms = took > *worst_ms ? took : *worst_ms;
}

/* A frozen Redis (SIGSTOP) blocks nothing: add, flush and io return at once; the batch is
 * answered once Redis runs again, or fails with BERTH_EREDIS at the socket timeout (the
 * pool's 5 s, as a blocking call), after which launches work again. */
static void frozen_redis_blocks_nothing(void **state)
{
    (void)state;
    berth_engine *e = engine();
    warm_pool(e);
    host *h = host_new(e);
    answer as[3] = {{0}};
    assert_int_equal(kill(rf.pid, SIGSTOP), 0);
    int64_t worst = 0, t0 = clock_mono_ms();
    add_n(h, as, 3);
    assert_true(clock_mono_ms() - t0 < 1000);
    for (int i = 0; i < 20; i++) {
        struct pollfd p = {.fd = h->fd, .events = (short)h->events};
        (void)poll(&p, 1, 10);
        timed(h, &worst);
    }
    assert_true(worst < 1000);   /* a blocking call would hold for the 5 s socket timeout */
    assert_int_equal(as[0].calls, 0);
    assert_int_equal(kill(rf.pid, SIGCONT), 0);
    run_until_answered(h, 5000);
    for (int i = 0; i < 3; i++)
        assert_int_equal(as[i].rc, 0);

    memset(as, 0, sizeof as);
    assert_int_equal(kill(rf.pid, SIGSTOP), 0);
    t0 = clock_mono_ms();
    add_n(h, as, 3);
    worst = 0;
    while (berth_launcher_pending(h->lr) > 0 && clock_mono_ms() - t0 < 15000) {
        int t = berth_launcher_timeout_ms(h->lr);
        assert_true(t >= 0 && t <= 5000);
        struct pollfd p = {.fd = h->fd, .events = (short)h->events};
        (void)poll(&p, 1, t > 50 ? 50 : t);
        timed(h, &worst);
    }
    int64_t waited = clock_mono_ms() - t0;
    assert_int_equal(kill(rf.pid, SIGCONT), 0);
    print_message("frozen redis: slowest io+flush %lld ms, batch failed after %lld ms\n",
                  (long long)worst, (long long)waited);
    assert_true(worst < 1000);
    assert_true(waited >= 4900 && waited < 12000);   /* the 5 s socket timeout, loaded */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(as[i].calls, 1);
        assert_int_equal(as[i].rc, BERTH_EREDIS);
        assert_string_equal(as[i].err, "redis is unavailable");
    }
    assert_int_equal(h->fd, -1);
    one_more_launch_works(h);
    host_free(h);
    berth_engine_free(e);
}

/* A server of the test's own on a unix socket, for rnb_read and rnb_write's partial
 * cases: an rconn connected to it, and the server's side of the connection. */
typedef struct fake {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 32];
    int lfd, sfd;
    rconn rc;
} fake;

static void fake_open(fake *f)
{
    snprintf(f->path, sizeof f->path, "%s/fake.sock", rf.dir);
    unlink(f->path);
    f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    assert_true(strlen(f->path) < sizeof a.sun_path);
    memcpy(a.sun_path, f->path, strlen(f->path) + 1);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(f->lfd, 1), 0);
    rtarget t = {.unix_path = f->path};
    rconn_init(&f->rc, &t, 5000);
    assert_int_equal(rconn_connect(&f->rc), 0);
    f->sfd = accept(f->lfd, NULL, NULL);
    assert_true(f->sfd >= 0);
}

static void fake_close(fake *f)
{
    rconn_close(&f->rc);
    close(f->sfd);
    close(f->lfd);
    unlink(f->path);
}

/* A reply that arrives one byte at a time is whole only with its last byte, and the next
 * reply behind it (in the same bytes) is read after it. */
static void reply_split_over_many_reads(void **state)
{
    (void)state;
    fake f;
    fake_open(&f);
    const char *wire = "*3\r\n$0\r\n\r\n$28\r\ndup:0123456789abcdef01234567\r\n:7\r\n+OK\r\n";
    size_t first = strlen(wire) - strlen("+OK\r\n");
    rreply *r = NULL;
    for (size_t i = 0; i < first; i++) {
        assert_int_equal(rnb_read(&f.rc, &r), 0);
        assert_null(r);
        assert_int_equal(write(f.sfd, wire + i, 1), 1);
    }
    assert_int_equal(write(f.sfd, wire + first, strlen(wire) - first), (ssize_t)(strlen(wire) - first));
    assert_int_equal(rnb_read(&f.rc, &r), 0);
    assert_non_null(r);
    assert_int_equal(rreply_len(r), 3);
    assert_string_equal(rreply_str(rreply_at(r, 1)), "dup:0123456789abcdef01234567");
    rreply_free(r);
    assert_int_equal(rnb_read(&f.rc, &r), 0);
    assert_string_equal(rreply_str(r), "OK");
    rreply_free(r);
    assert_int_equal(rnb_read(&f.rc, &r), 0);   /* nothing more */
    assert_null(r);
    close(f.sfd);                                /* the server goes: broken, given up */
    f.sfd = -1;
    assert_int_equal(rnb_read(&f.rc, &r), BERTH_EREDIS);
    assert_false(rconn_connected(&f.rc));
    fake_close(&f);
}

/* A call larger than the socket takes is written in parts: 1 (wait for POLLOUT) while
 * the server does not read, 0 once it has all of it, the same bytes. */
static void write_waits_for_pollout(void **state)
{
    (void)state;
    fake f;
    fake_open(&f);
    buf out;
    buf_init(&out, 0);
    for (int i = 0; i < 4 << 20; i += 64)
        buf_puts(&out, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    size_t off = 0;
    int64_t t0 = clock_mono_ms();
    assert_int_equal(rnb_write(&f.rc, &out, &off), 1);
    assert_true(clock_mono_ms() - t0 < 1000);
    assert_true(off > 0 && off < out.len);
    size_t got = 0;
    char chunk[65536];
    int rc = 1;
    while (got < out.len) {
        ssize_t n = read(f.sfd, chunk, sizeof chunk);
        assert_true(n > 0);
        assert_memory_equal(chunk, out.p + got, (size_t)n);
        got += (size_t)n;
        if (rc == 1)
            rc = rnb_write(&f.rc, &out, &off);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(off, out.len);
    buf_free(&out);
    fake_close(&f);
}

/* The memory reading is refreshed by an INFO memory sent behind a launcher's batch when it
 * is half stale, not by a round trip of its own; nothing is read while back-pressure is off
 * (no check ever took a reading). */
static void memory_reading_refreshed_behind_a_batch(void **state)
{
    (void)state;
    berth_engine *e = engine();
    warm_pool(e);
    host *h = host_new(e);
    long long info0 = info_calls();
    answer a[2] = {{0}};
    add_n(h, &a[0], 1);
    run_until_answered(h, 5000);
    /* back-pressure off: never read (INFO commandstats counts itself at the next call) */
    assert_int_equal(info_calls() - info0, 1);
    char err[256];
    assert_int_equal(berth_engine_memory_ok(e, 0.9, err, sizeof err), 0);   /* a reading */
    int64_t at0 = e->memguard.at_ms;
    info0 = info_calls();
    wait_sleep_ms(BERTH_MEMGUARD_REFRESH_MS / 2 + 10);   /* pace: the reading half stale */
    int64_t sent = clock_wall_ms();
    add_n(h, &a[1], 1);
    run_until_answered(h, 5000);
    /* the INFO reply may come after the batch's: read by the next io */
    int64_t end = clock_mono_ms() + 2000;
    while (e->memguard.at_ms == at0 && clock_mono_ms() < end)
        turn(h, 10);
    assert_int_equal(a[1].rc, 0);
    assert_true(e->memguard.at_ms >= sent);
    assert_int_equal(info_calls() - info0, 2);   /* the previous info_calls and the batch's */
    assert_int_equal(e->memguard.reused, 0);
    host_free(h);
    berth_engine_free(e);
}

/* berth_engine_stop with a batch in flight changes nothing for the launcher: the batch is
 * answered after the stop, and later launches still go to Redis. */
static void engine_stop_leaves_launches_alone(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine_config cfg = engine_fixture_config(&rf);
    cfg.hooks_disabled = true;
    berth_engine *e = engine_fixture_start(&cfg, (berth_job_type[]){
        {.name = "NOOP", .run = engine_fixture_noop}, {0}});
    warm_pool(e);
    host *h = host_new(e);
    answer a[4] = {{0}};
    add_n(h, a, 2);
    assert_int_equal(berth_launcher_pending(h->lr), 2);
    assert_int_equal(berth_engine_stop(e), 0);
    run_until_answered(h, 5000);
    add_n(h, a + 2, 2);
    run_until_answered(h, 5000);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(a[i].calls, 1);
        assert_int_equal(a[i].rc, 0);
    }
    host_free(h);
    berth_engine_free(e);
}

/* A Redis Cluster target: every batch goes the shared way (its done on the sender
 * thread), with berth_engine_launch's answer. The "cluster" here is the plain fixture,
 * which answers the slot query with an error: the answer is the failure either way. */
static void cluster_goes_shared(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine_config cfg = engine_fixture_config(&rf);
    cfg.hooks_disabled = true;
    cfg.redis_unix = NULL;
    berth_hostport node = {.host = "127.0.0.1", .port = rf.port};
    cfg.redis_cluster = &node;
    cfg.redis_ncluster = 1;
    berth_engine *e = engine_fixture_new(&cfg, (berth_job_type[]){
        {.name = "NOOP", .run = engine_fixture_noop}, {0}});
    host *h = host_new(e);
    answer a = {0};
    add_n(h, &a, 1);
    assert_int_equal(berth_launcher_pending(h->lr), 0);
    assert_int_equal(h->fd, -1);
    assert_true(wait_until(answered, &a, 10000));
    assert_false(pthread_equal(a.thread, pthread_self()));
    char err[512];
    berth_launch l = {.name = "NOOP"};
    int rc = berth_engine_launch(e, &l, NULL, err, sizeof err);
    assert_int_equal(a.rc, rc);
    assert_string_equal(a.err, err);
    host_free(h);
    berth_engine_free(e);
}

/* Launchers on several threads at once, each with its own loop, and
 * berth_engine_launch_async callers at the same time (TSan's case): every launch answered
 * once, every job queued once. */
#define NLOOPS 3
#define NASYNC 2
#define PER_TURN 8
#define TURNS 40

typedef struct loop_arg {
    berth_engine *e;
    atomic_int ok, failed, calls;
} loop_arg;

static void counted(int rc, berth_stats *s, const char *err, void *ud)
{
    loop_arg *la = ud;
    (void)err;
    atomic_fetch_add(&la->calls, 1);
    atomic_fetch_add(rc == 0 ? &la->ok : &la->failed, 1);
    berth_stats_free(s);
}

static void *loop_main(void *arg)
{
    loop_arg *la = arg;
    host *h = host_new(la->e);
    berth_launch l = {.name = "NOOP", .params_json = "{\"k\":1}"};
    for (int t = 0; t < TURNS; t++) {
        for (int i = 0; i < PER_TURN; i++)
            berth_launcher_add(h->lr, &l, counted, la);
        turn(h, 1);
    }
    while (berth_launcher_pending(h->lr) > 0)
        turn(h, 10);
    host_free(h);
    return NULL;
}

static void *async_main(void *arg)
{
    loop_arg *la = arg;
    berth_launch l = {.name = "NOOP"};
    for (int i = 0; i < TURNS * PER_TURN; i++)
        berth_engine_launch_async(la->e, &l, counted, la);
    return NULL;
}

static bool all_counted(void *arg)
{
    loop_arg *la = arg;
    return atomic_load(&la->calls) == (NLOOPS + NASYNC) * TURNS * PER_TURN;
}

static void launchers_on_threads_with_async_callers(void **state)
{
    (void)state;
    berth_engine *e = engine();
    warm_pool(e);
    static loop_arg la;
    la = (loop_arg){.e = e};
    pthread_t th[NLOOPS + NASYNC];
    for (int i = 0; i < NLOOPS + NASYNC; i++)
        assert_int_equal(pthread_create(&th[i], NULL, i < NLOOPS ? loop_main : async_main, &la), 0);
    for (int i = 0; i < NLOOPS + NASYNC; i++)
        pthread_join(th[i], NULL);
    assert_true(wait_until(all_counted, &la, 20000));
    int total = (NLOOPS + NASYNC) * TURNS * PER_TURN;
    assert_int_equal(atomic_load(&la.ok), total);
    assert_int_equal(atomic_load(&la.failed), 0);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), 1 + total);
    berth_engine_free(e);
}

/* A call larger than the socket takes (256 launches of 8 KiB parameters) into a frozen
 * Redis: flush returns at once with the rest waiting for POLLOUT; once Redis runs again
 * io writes the rest and every launch is answered, each job queued once. */
static void large_call_written_on_pollout(void **state)
{
    (void)state;
    berth_engine *e = engine();
    warm_pool(e);
    host *h = host_new(e);
    enum { N = 256, PLEN = 8192 };
    static char params[PLEN + 16];
    memset(params, 'x', sizeof params);
    memcpy(params, "{\"k\":\"", 6);
    memcpy(params + PLEN - 2, "\"}", 3);
    static answer as[N];
    memset(as, 0, sizeof as);
    berth_launch l = {.name = "NOOP", .params_json = params};
    assert_int_equal(kill(rf.pid, SIGSTOP), 0);
    for (int i = 0; i < N; i++)
        berth_launcher_add(h->lr, &l, on_done, &as[i]);
    int64_t t0 = clock_mono_ms();
    berth_launcher_flush(h->lr);
    int64_t took = clock_mono_ms() - t0;
    unsigned events = h->events;
    assert_int_equal(kill(rf.pid, SIGCONT), 0);
    print_message("a call of %d KiB: flush took %lld ms\n", N * PLEN / 1024, (long long)took);
    /* a blocking write would wait for the socket timeout, 5 s (the bound is for TSan,
     * loaded: building a 2 MiB call) */
    assert_true(took < 4000);
    assert_true(events & POLLOUT);
    run_until_answered(h, 10000);
    assert_false(h->events & POLLOUT);
    for (int i = 0; i < N; i++)
        assert_int_equal(as[i].rc, 0);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), 1 + N);
    host_free(h);
    berth_engine_free(e);
}

/* Out of memory at each allocation in turn (berth_alloc_set_hooks: the k-th one fails):
 * every launch is answered exactly once, 0 or BERTH_ENOMEM, nothing crashes or leaks
 * (ASan), and the launcher works again afterwards. */
static atomic_long oom_countdown = -1;   /* allocations left before the failing one */
static atomic_long oom_failed;

static void *oom_malloc(size_t n)
{
    bool ok = atomic_fetch_sub(&oom_countdown, 1) != 0;
    atomic_fetch_add(&oom_failed, !ok);
    return ok ? malloc(n) : NULL;
}

static void *oom_realloc(void *p, size_t n)
{
    bool ok = atomic_fetch_sub(&oom_countdown, 1) != 0;
    atomic_fetch_add(&oom_failed, !ok);
    return ok ? realloc(p, n) : NULL;
}

static bool three_answered(void *arg)
{
    answer *as = arg;
    return answered(&as[0]) && answered(&as[1]) && answered(&as[2]);
}

static void out_of_memory_at_each_allocation(void **state)
{
    (void)state;
    berth_engine *e = engine();
    warm_pool(e);
    berth_alloc_set_hooks(&(berth_alloc_hooks){oom_malloc, oom_realloc, free});
    long k = 0;
    for (;; k++) {
        answer as[3] = {{0}};
        atomic_store(&oom_failed, 0);
        atomic_store(&oom_countdown, k);
        host h = {.fd = -1};
        if (berth_launcher_new(e, on_watch, &h, &h.lr) != 0) {
            assert_null(h.lr);
            continue;
        }
        berth_launch l = {.name = "NOOP", .params_json = "{\"k\":1}", .unique = k % 2};
        berth_launch u = {.name = "NOOP", .params_json = "{\"n\":1}"};
        berth_launcher_add(h.lr, &l, on_done, &as[0]);
        berth_launcher_add(h.lr, &u, on_done, &as[1]);
        berth_launcher_flush(h.lr);
        berth_launcher_add(h.lr, &u, on_done, &as[2]);
        int64_t end = clock_mono_ms() + 5000;
        while (berth_launcher_pending(h.lr) > 0 && clock_mono_ms() < end)
            turn(&h, 10);
        berth_launcher_free(h.lr);
        assert_int_equal(h.fd, -1);
        assert_true(wait_until(three_answered, as, 5000));   /* some may go the shared way */
        for (int i = 0; i < 3; i++) {
            assert_int_equal(as[i].calls, 1);
            if (as[i].rc != 0 && as[i].rc != BERTH_ENOMEM && !(i == 0 && as[i].rc == BERTH_EDUP))
                fail_msg("k=%ld launch %d: rc %d (%s)", k, i, as[i].rc, as[i].err);
        }
        if (atomic_load(&oom_failed) == 0)
            break;   /* this k is past the last allocation: all were tried */
        redis_fixture_flush(&rf);
    }
    atomic_store(&oom_countdown, -1);
    print_message("out of memory tried at each of %ld allocations\n", k);
    assert_true(k > 10);
    host *h = host_new(e);   /* and it works again */
    one_more_launch_works(h);
    host_free(h);
    berth_engine_free(e);
    berth_alloc_set_hooks(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_and_free_null),
        cmocka_unit_test(one_launch_answered_on_own_thread),
        cmocka_unit_test(one_call_per_turn),
        cmocka_unit_test(unique_duplicate_names_holder),
        cmocka_unit_test(refused_inside_add),
        cmocka_unit_test(scheduled_launch),
        cmocka_unit_test(no_idle_connection_goes_shared),
        cmocka_unit_test(free_answers_pending),
        cmocka_unit_test(reply_split_over_many_reads),
        cmocka_unit_test(write_waits_for_pollout),
        cmocka_unit_test(noscript_resent_the_shared_way),
        cmocka_unit_test(memory_reading_refreshed_behind_a_batch),
        cmocka_unit_test(engine_stop_leaves_launches_alone),
        cmocka_unit_test(cluster_goes_shared),
        cmocka_unit_test(launchers_on_threads_with_async_callers),
        cmocka_unit_test(frozen_redis_blocks_nothing),
        cmocka_unit_test(large_call_written_on_pollout),
        cmocka_unit_test(out_of_memory_at_each_allocation),
        cmocka_unit_test(redis_killed_mid_batch),
        cmocka_unit_test(watched_connection_closed_by_redis),
        cmocka_unit_test(unwatched_connection_closed_by_redis),
        cmocka_unit_test(small_batch_held_for_the_answered),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
