/* Bulk launches in pipelined parts (src/engine/enqueue.c submit_pipelined, store/redis.c
 * rconn_eval_send/recv) against a real redis-server: a batch of several parts queues every
 * job in launch order with the duplicate answers of one script; a connection killed while
 * its parts wait in Redis fails every job of the batch and writes nothing; a script cache
 * flushed between parts (NOSCRIPT) is loaded again and every job still goes in; and,
 * through a relay that lets Redis run the first parts and then breaks the connection
 * before the next one reaches it (tests/support/redis_relay.h), the parts that ran are
 * whole and answered 0 and every job of the parts that did not is answered BERTH_EREDIS
 * and left no trace. */
#include "test.h"

#include <hiredis/hiredis.h>
#include <pthread.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "redis_fixture.h"
#include "redis_relay.h"
#include "wait.h"

#define N 300   /* three parts of at most 128 */

static redis_fixture rf;

static berth_engine *engine(void)
{
    berth_engine_config cfg = engine_fixture_config(&rf);
    berth_job_type types[] = {{.name = "NOOP", .run = engine_fixture_noop}, {0}};
    return engine_fixture_new(&cfg, types);
}

static redisReply *cmd(const char *fmt, const char *arg)
{
    redisReply *r = redis_fixture_cmd(&rf, fmt, arg);
    assert_non_null(r);
    return r;
}

typedef struct batch {
    berth_engine *e;
    berth_launch ls[N];
    char ids[N][25];
    int results[N];
    int rc;
} batch;

static void *run_batch(void *arg)
{
    batch *b = arg;
    b->rc = berth_engine_launch_batch(b->e, b->ls, N, b->ids, b->results);
    return NULL;
}

static void fill(batch *b, berth_engine *e)
{
    memset(b, 0, sizeof *b);
    b->e = e;
    for (int i = 0; i < N; i++)
        b->ls[i] = (berth_launch){.name = "NOOP", .params_json = "{}"};
}

static void parts_queue_in_launch_order(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine *e = engine();
    static batch b;
    fill(&b, e);
    /* a unique job in the first part and its twin in the last */
    b.ls[5] = (berth_launch){.name = "NOOP", .params_json = "{\"u\":1}", .unique = true};
    b.ls[290] = b.ls[5];
    run_batch(&b);
    assert_int_equal(b.rc, 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(b.results[i], i == 290 ? BERTH_EDUP : 0);
    redisReply *r = cmd("LRANGE %s 0 -1", "{t}:jobs:NOOP");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, N - 1);
    /* LPUSH: the oldest job is the list's tail; each entry names its job */
    size_t at = r->elements;
    for (int i = 0; i < N; i++) {
        if (i == 290)
            continue;
        assert_non_null(strstr(r->element[--at]->str, b.ids[i]));
        assert_int_equal(redis_fixture_int(&rf, "EXISTS {t}:job_stats:%s", b.ids[i]), 1);
    }
    freeReplyObject(r);
    assert_int_equal(redis_fixture_int(&rf, "EXISTS {t}:job_stats:%s", b.ids[290]), 0);
    berth_engine_free(e);
}

static bool launcher_paused(void *arg)
{
    (void)arg;
    redisReply *r = cmd("INFO %s", "clients");
    bool held = r->str && strstr(r->str, "blocked_clients:") &&
                atoi(strstr(r->str, "blocked_clients:") + 16) >= 1;
    freeReplyObject(r);
    return held;
}

static void killed_connection_fails_every_part(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine *e = engine();
    char err[256];
    berth_stats *s = NULL;   /* the script loaded and a connection pooled */
    assert_int_equal(berth_engine_launch(e, &(berth_launch){.name = "NOOP"}, &s, err, sizeof err), 0);
    berth_stats_free(s);
    redis_fixture_flush(&rf);
    static batch b;
    fill(&b, e);
    freeReplyObject(cmd("CLIENT PAUSE %s WRITE", "20000"));
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_batch, &b), 0);
    assert_true(wait_until(launcher_paused, NULL, 10000));   /* its first part is held */
    freeReplyObject(cmd("CLIENT KILL TYPE normal SKIPME %s", "yes"));
    pthread_join(th, NULL);
    freeReplyObject(cmd("CLIENT UNPAUSE%s", ""));
    assert_int_equal(b.rc, BERTH_EREDIS);
    for (int i = 0; i < N; i++)
        assert_int_equal(b.results[i], BERTH_EREDIS);
    assert_int_equal(redis_fixture_int(&rf, "DBSIZE"), 0);   /* no part half-written */
    /* and the next batch goes in whole on a new connection */
    fill(&b, e);
    run_batch(&b);
    assert_int_equal(b.rc, 0);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), N);
    berth_engine_free(e);
}

/* A job of the batch exists whole: its stats hash (a revision and no status: Pending,
 * stats_status in _lib.lua) and its one entry in the queue (q: the queue's entries). */
static void assert_whole(const char *id, const redisReply *q)
{
    redisReply *r = redis_fixture_cmd(&rf, "HMGET {t}:job_stats:%s status revision", id);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_NIL);
    assert_int_equal(r->element[1]->type, REDIS_REPLY_STRING);
    freeReplyObject(r);
    int in_queue = 0;
    for (size_t i = 0; i < q->elements; i++)
        in_queue += strstr(q->element[i]->str, id) != NULL;
    assert_int_equal(in_queue, 1);
}

/* A job of the batch left nothing: no key names it and no queue entry holds it. */
static void assert_absent(const char *id, const redisReply *q)
{
    redisReply *r = redis_fixture_cmd(&rf, "KEYS *%s*", id);
    assert_non_null(r);
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    for (size_t i = 0; i < q->elements; i++)
        assert_null(strstr(q->element[i]->str, id));
}

/* The batch's parts (128 jobs each: 0..127, 128..255, 256..299) are tagged in their
 * parameters, so that the relay knows each part's call; the relay refuses the call of
 * part `broken` (1-based) and cuts the connection once the parts before it were answered. */
static void later_part_fails(int broken)
{
    redis_fixture_flush(&rf);
    redis_relay *relay = rr_start(rf.port);
    assert_non_null(relay);
    berth_engine_config cfg = engine_fixture_config(&rf);
    cfg.redis_unix = NULL;
    cfg.redis_host = "127.0.0.1";
    cfg.redis_port = rr_port(relay);
    berth_job_type types[] = {{.name = "NOOP", .run = engine_fixture_noop}, {0}};
    berth_engine *e = engine_fixture_new(&cfg, types);
    static batch b;
    fill(&b, e);
    static const char *const tags[] = {"{\"part\":1}", "{\"part\":2}", "{\"part\":3}"};
    for (int i = 0; i < N; i++)
        b.ls[i].params_json = tags[i / 128];
    char needle[16];
    snprintf(needle, sizeof needle, "\"part\":%d", broken);
    rr_arm(relay, RR_REFUSE, 0, (const char *const[]){needle, NULL});
    run_batch(&b);
    assert_int_equal(rr_cuts(relay), 1);
    assert_int_equal(b.rc, BERTH_EREDIS);
    int ok = (broken - 1) * 128;
    redisReply *q = cmd("LRANGE %s 0 -1", "{t}:jobs:NOOP");
    assert_int_equal(q->elements, ok);
    for (int i = 0; i < N; i++) {
        assert_int_equal(b.results[i], i < ok ? 0 : BERTH_EREDIS);
        if (i < ok)
            assert_whole(b.ids[i], q);
        else
            assert_absent(b.ids[i], q);
    }
    freeReplyObject(q);
    /* the engine's next batch goes in whole on a new connection through the same relay */
    fill(&b, e);
    run_batch(&b);
    assert_int_equal(b.rc, 0);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), ok + N);
    berth_engine_free(e);
    rr_stop(relay);
}

static void second_part_fails_after_first_ran(void **state)
{
    (void)state;
    later_part_fails(2);
}

static void last_part_fails_after_two_ran(void **state)
{
    (void)state;
    later_part_fails(3);
}

static void flushed_scripts_are_loaded_again(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine *e = engine();
    static batch b;
    fill(&b, e);
    run_batch(&b);
    assert_int_equal(b.rc, 0);
    freeReplyObject(cmd("SCRIPT FLUSH%s", ""));
    fill(&b, e);
    run_batch(&b);
    assert_int_equal(b.rc, 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(b.results[i], 0);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), 2 * N);
    berth_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parts_queue_in_launch_order),
        cmocka_unit_test(killed_connection_fails_every_part),
        cmocka_unit_test(flushed_scripts_are_loaded_again),
        cmocka_unit_test(second_part_fails_after_first_ran),
        cmocka_unit_test(last_part_fails_after_two_ran),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
