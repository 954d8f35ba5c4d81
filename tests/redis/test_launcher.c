/* The launcher (include/berth/launcher.h, src/engine/launcher.c) against a real
 * redis-server, driven from a poll loop of the test's own as berthd's HTTP loop drives it:
 * its answers are berth_engine_launch's, the launches of one turn go in one script call
 * (counted with INFO commandstats), up to 256 per call, on the launcher's own thread; and
 * what cannot be sent without waiting goes the shared way. */
#include "test.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include "berth/launcher.h"
#include "engine/internal.h"
#include "engine_fixture.h"
#include "redis_fixture.h"
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
    char status[32], kind[32], params[128];
    int64_t run_at;
    bool unique;
    pthread_t thread;     /* the thread done ran on */
} answer;

static void on_done(int rc, berth_stats *s, const char *err, void *ud)
{
    answer *a = ud;
    a->calls++;
    a->rc = rc;
    a->thread = pthread_self();
    snprintf(a->err, sizeof a->err, "%s", err ? err : "");
    if (s) {
        snprintf(a->id, sizeof a->id, "%s", s->id);
        snprintf(a->status, sizeof a->status, "%s", s->status);
        snprintf(a->kind, sizeof a->kind, "%s", s->kind);
        snprintf(a->params, sizeof a->params, "%s", s->parameters ? s->parameters : "");
        a->run_at = s->run_at;
        a->unique = s->unique;
    }
    assert_true(rc == 0 || s == NULL);
    berth_stats_free(s);
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
    berth_launch l = {.name = "NOOP", .params_json = "{\"k\":1}"};
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
    assert_int_equal(strlen(a.id), 24);
    assert_string_not_equal(a.id, s->id);
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
 * part: answered inside add, as berth_engine_launch answers, and nothing is sent. */
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
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
