/* Coalesced launches (src/engine/coalesce.c, enqueue.c) against a real redis-server:
 * concurrent berth_engine_launch callers share one enqueue script, and each still gets
 * its own id, its own duplicate answer, or the batch's failure, with nothing half-written.
 *
 * To know that launches really went in one batch, the first launch is held in Redis by
 * CLIENT PAUSE WRITE (Redis delays the EVALSHA, as it would under a slow script) while the
 * others arrive; the test waits until the coalescer holds them (coalesce_pending), then
 * unpauses and counts the script calls Redis ran (INFO commandstats).
 * A lone asynchronous launch (berth_engine_launch_async) is written by the caller and its
 * reply read by the coalescer's sender: the caller does not wait for a paused Redis, and a
 * flushed script cache (NOSCRIPT) costs the launch nothing but a second call. */
#include "test.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>

#include "berth/berth.h"
#include "engine/internal.h"
#include "engine_fixture.h"
#include "redis_fixture.h"
#include "wait.h"

#define NT 16

static redis_fixture rf;

typedef struct caller {
    berth_engine *e;
    berth_launch l;
    int rounds;           /* launches to make */
    int rc;               /* the first failure, or 0 */
    char err[512];
    char ids[128][25];    /* ids of the launches that were accepted */
    int nok;
} caller;

static void *launcher(void *arg)
{
    caller *c = arg;
    for (int i = 0; i < c->rounds; i++) {
        berth_stats *s = NULL;
        char err[512] = "";
        int rc = berth_engine_launch(c->e, &c->l, &s, err, sizeof err);
        if (rc == 0 && c->nok < 128)
            snprintf(c->ids[c->nok++], 25, "%s", s->id);
        else if (rc != 0 && c->rc == 0)
            c->rc = rc, snprintf(c->err, sizeof c->err, "%s", err);
        berth_stats_free(s);
    }
    return NULL;
}

static redisReply *cmd(const char *fmt, const char *arg)
{
    redisReply *r = redis_fixture_cmd(&rf, fmt, arg);
    assert_non_null(r);
    return r;
}

#define ok_cmd(fmt, arg) redis_fixture_ok(&rf, fmt, arg)

static long long evalsha_calls(void)
{
    redisReply *r = cmd("INFO %s", "commandstats");
    const char *p = r->str ? strstr(r->str, "cmdstat_evalsha:calls=") : NULL;
    long long n = p ? atoll(p + strlen("cmdstat_evalsha:calls=")) : 0;
    freeReplyObject(r);
    return n;
}

static berth_engine *engine(void)
{
    berth_engine_config cfg = engine_fixture_config(&rf);
    berth_job_type types[] = {{.name = "NOOP", .run = engine_fixture_noop}, {0}};
    return engine_fixture_new(&cfg, types);
}

static bool leader_in_flight(void *e)
{
    return coalesce_in_flight(&((berth_engine *)e)->launches);
}

typedef struct pending_want {
    berth_engine *e;
    size_t n;
} pending_want;

static bool pending_is(void *arg)
{
    pending_want *w = arg;
    return coalesce_pending(&w->e->launches) == w->n;
}

/* Starts cs[0] and waits until its script is held by the pause, then cs[1..n) and waits
 * until all of them wait in the coalescer behind it. Redis is paused on return. */
static void start_behind_paused_leader(caller *cs, pthread_t *th, size_t n)
{
    ok_cmd("CLIENT PAUSE %s WRITE", "20000");
    assert_int_equal(pthread_create(&th[0], NULL, launcher, &cs[0]), 0);
    assert_true(wait_until(leader_in_flight, cs[0].e, 10000));
    for (size_t i = 1; i < n; i++)
        assert_int_equal(pthread_create(&th[i], NULL, launcher, &cs[i]), 0);
    pending_want w = {cs[0].e, n - 1};
    assert_true(wait_until(pending_is, &w, 10000));
}

static void join_all(pthread_t *th, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Every accepted launch is whole: its stats and its queue entry (a queued job has no
 * in-progress entry: fetch.lua writes it when the job is taken to run; and no status:
 * a revision without one is Pending, stats_status in _lib.lua). */
static void assert_whole(const char (*ids)[25], size_t n)
{
    redisReply *r = cmd("LLEN %s", "{t}:jobs:NOOP");
    assert_int_equal(r->integer, (long long)n);
    freeReplyObject(r);
    r = cmd("HLEN %s", "{t}:job_track:inprogress");
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    for (size_t i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "{t}:job_stats:%s", ids[i]);
        r = cmd("HMGET %s status revision", key);
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        assert_int_equal(r->element[0]->type, REDIS_REPLY_NIL);
        assert_int_equal(r->element[1]->type, REDIS_REPLY_STRING);
        freeReplyObject(r);
    }
}

static void concurrent_launches_each_get_their_own_id(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine *e = engine();
    static caller cs[NT];
    pthread_t th[NT];
    for (int i = 0; i < NT; i++)
        cs[i] = (caller){.e = e, .l = {.name = "NOOP", .params_json = "{\"k\":1}"}, .rounds = 1};
    long long calls0 = evalsha_calls();
    start_behind_paused_leader(cs, th, NT);
    ok_cmd("CLIENT UNPAUSE%s", "");
    join_all(th, NT);
    /* the held launch, then the fifteen that waited behind it in one script */
    assert_int_equal(evalsha_calls() - calls0, 2);
    /* then all at once, unpaused, many times each */
    for (int i = 0; i < NT; i++) {
        cs[i].rounds = 60;
        assert_int_equal(pthread_create(&th[i], NULL, launcher, &cs[i]), 0);
    }
    join_all(th, NT);
    static char ids[NT * 61][25];
    size_t n = 0;
    for (int i = 0; i < NT; i++) {
        assert_int_equal(cs[i].rc, 0);
        assert_int_equal(cs[i].nok, 61);
        for (int k = 0; k < cs[i].nok; k++)
            memcpy(ids[n++], cs[i].ids[k], 25);
    }
    qsort(ids, n, sizeof ids[0], cmp_id);
    for (size_t i = 1; i < n; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    assert_whole((const char (*)[25])ids, n);
    berth_engine_free(e);
}

/* Two identical unique launches in one script: the first takes the lock, the second is
 * told it is a duplicate and which job holds the lock. */
static void unique_pair_in_one_batch(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine *e = engine();
    static caller cs[3];
    pthread_t th[3];
    cs[0] = (caller){.e = e, .l = {.name = "NOOP", .params_json = "{\"k\":0}"}, .rounds = 1};
    for (int i = 1; i < 3; i++)
        cs[i] = (caller){.e = e, .l = {.name = "NOOP", .params_json = "{\"u\":1}", .unique = true},
                         .rounds = 1};
    long long calls0 = evalsha_calls();
    start_behind_paused_leader(cs, th, 3);
    ok_cmd("CLIENT UNPAUSE%s", "");
    join_all(th, 3);
    assert_int_equal(evalsha_calls() - calls0, 2);
    assert_int_equal(cs[0].rc, 0);
    caller *won = cs[1].rc == 0 ? &cs[1] : &cs[2], *lost = won == &cs[1] ? &cs[2] : &cs[1];
    assert_int_equal(won->rc, 0);
    assert_int_equal(won->nok, 1);
    assert_int_equal(lost->rc, BERTH_EDUP);
    assert_int_equal(lost->nok, 0);
    assert_non_null(strstr(lost->err, won->ids[0]));   /* names the holder */
    char both[2][25];
    memcpy(both[0], cs[0].ids[0], 25);
    memcpy(both[1], won->ids[0], 25);
    assert_whole((const char (*)[25])both, 2);
    berth_engine_free(e);
}

/* Redis refuses the script (out of memory at its first write): every caller of the batch
 * gets the refusal, and nothing of any of their jobs is in Redis. */
static void refused_batch_fails_every_caller(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine *e = engine();
    static caller cs[NT];
    pthread_t th[NT];
    for (int i = 0; i < NT; i++)
        cs[i] = (caller){.e = e, .l = {.name = "NOOP", .params_json = "{\"k\":1}"}, .rounds = 1};
    redisReply *r = cmd("DBSIZE%s", "");
    long long keys0 = r->integer;
    freeReplyObject(r);
    start_behind_paused_leader(cs, th, NT);
    ok_cmd("CONFIG SET maxmemory %s", "1");
    ok_cmd("CLIENT UNPAUSE%s", "");
    join_all(th, NT);
    ok_cmd("CONFIG SET maxmemory %s", "0");
    for (int i = 0; i < NT; i++) {
        assert_int_equal(cs[i].rc, BERTH_EREDIS);
        assert_non_null(strstr(cs[i].err, "OOM"));
        assert_int_equal(cs[i].nok, 0);
    }
    r = cmd("DBSIZE%s", "");
    assert_int_equal(r->integer, keys0);
    freeReplyObject(r);
    berth_engine_free(e);
}

/* Redis dies with a batch in flight and fifteen launches waiting behind it: each of the
 * sixteen callers gets an error (none waits forever, none is told its job is queued). */
static void redis_dying_fails_every_waiting_caller(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine *e = engine();
    static caller cs[NT];
    pthread_t th[NT];
    for (int i = 0; i < NT; i++)
        cs[i] = (caller){.e = e, .l = {.name = "NOOP", .params_json = "{\"k\":1}"}, .rounds = 1};
    start_behind_paused_leader(cs, th, NT);
    redis_fixture_kill(&rf);
    join_all(th, NT);
    for (int i = 0; i < NT; i++) {
        assert_int_equal(cs[i].rc, BERTH_EREDIS);
        assert_int_equal(cs[i].nok, 0);
    }
    berth_engine_free(e);
    assert_int_equal(redis_fixture_restart(&rf, NULL), 0);
}

/* A batch past Lua's unpack limit (a few thousand values) still goes in whole. */
static void big_batch_goes_in_whole(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine *e = engine();
    enum { N = 2600 };
    static berth_launch ls[N];
    static char ids[N][25];
    int results[N];
    for (int i = 0; i < N; i++)
        ls[i] = (berth_launch){.name = "NOOP", .params_json = "{\"k\":1}"};
    assert_int_equal(berth_engine_launch_batch(e, ls, N, ids, results), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(results[i], 0);
    assert_whole((const char (*)[25])ids, N);
    berth_engine_free(e);
}

typedef struct async_launch {
    atomic_int done;      /* 1 once answered */
    int rc;
    char id[25];
} async_launch;

static void on_launched(int rc, berth_stats *st, const char *err, void *ud)
{
    (void)err;
    async_launch *a = ud;
    a->rc = rc;
    snprintf(a->id, sizeof a->id, "%s", rc == 0 && st ? st->id : "");
    berth_stats_free(st);
    atomic_store(&a->done, 1);
}

static bool answered(void *arg)
{
    return atomic_load(&((async_launch *)arg)->done) == 1;
}

static void launch_async(berth_engine *e, async_launch *a)
{
    *a = (async_launch){.rc = -1};
    berth_launch l = {.name = "NOOP", .params_json = "{\"k\":1}"};
    berth_engine_launch_async(e, &l, on_launched, a);
}

/* Launches a[0] and waits for its answer (it loads the script on a connection that is
 * left idle after). */
static void first_launch(berth_engine *e, async_launch *a)
{
    launch_async(e, &a[0]);
    assert_true(wait_until(answered, &a[0], 10000));
    assert_int_equal(a[0].rc, 0);
}

/* a[1] is answered: both jobs are whole. */
static void both_whole(async_launch *a)
{
    assert_true(wait_until(answered, &a[1], 10000));
    assert_int_equal(a[1].rc, 0);
    char ids[2][25];
    memcpy(ids[0], a[0].id, 25);
    memcpy(ids[1], a[1].id, 25);
    assert_whole((const char (*)[25])ids, 2);
}

/* Redis paused: the lone launch's caller is back at once (it only wrote the call), the
 * answer comes once Redis runs the script, and the job is whole. */
static void lone_async_launch_does_not_wait_for_redis(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine *e = engine();
    static async_launch a[2];
    first_launch(e, a);
    ok_cmd("CLIENT PAUSE %s WRITE", "20000");
    long long t0 = wait_now_ms();
    launch_async(e, &a[1]);
    long long took = wait_now_ms() - t0;
    assert_false(answered(&a[1]));  /* Redis is paused: it cannot have run */
    assert_true(took < 5000);
    ok_cmd("CLIENT UNPAUSE%s", "");
    both_whole(a);
    berth_engine_free(e);
}

/* The script cache flushed after a lone launch's connection loaded it: the call written
 * with the cached digest is refused (NOSCRIPT, it did not run) and sent once more; the
 * launch succeeds and its job is queued once. */
static void lone_async_launch_after_script_flush(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine *e = engine();
    static async_launch a[2];
    first_launch(e, a);
    ok_cmd("SCRIPT FLUSH%s", "");
    launch_async(e, &a[1]);
    both_whole(a);
    berth_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concurrent_launches_each_get_their_own_id),
        cmocka_unit_test(unique_pair_in_one_batch),
        cmocka_unit_test(refused_batch_fails_every_caller),
        cmocka_unit_test(big_batch_goes_in_whole),
        cmocka_unit_test(redis_dying_fails_every_waiting_caller),
        cmocka_unit_test(lone_async_launch_does_not_wait_for_redis),
        cmocka_unit_test(lone_async_launch_after_script_flush),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
