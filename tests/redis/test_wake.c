/* The fetcher's wake-up path on a real redis-server: an idle engine starts a job launched
 * by another process's engine (the wake travels over Redis pub/sub) without waiting for its
 * 2 s safety poll; the fetcher holds its own subscription to the wake channel (the control
 * subscriber does not) and takes it up again after Redis drops it; and a burst launched
 * into an idle engine costs one fetch, not a second empty one to learn that the queue is
 * empty (counted in Redis's SLOWLOG, which logs every command at a threshold of 0); jobs
 * launched into a paused queue wake no fetcher, and the queue's resume does.
 * Latency targets are not asserted here (a shared machine): make bench measures them. */
#include "test.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/berth.h"
#include "berth/queue.h"
#include "engine_fixture.h"
#include "redis_fixture.h"
#include "wait.h"

#define ROUNDS 20
#define POLL_MS 2000   /* the fetcher's safety poll while idle (fetcher.c IDLE_WAIT_MS) */
#define BURST 50

static redis_fixture rf;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long long started_ms[ROUNDS];   /* wait_now_ms() at the start of job i; 0: not yet */
static int burst_runs;                 /* runs of jobs with i -1 */

static int record(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx, (void)ud;
    long long now = wait_now_ms();
    const char *p = params ? strstr(params, "\"i\":") : NULL;
    int i = p ? atoi(p + 4) : -1;
    pthread_mutex_lock(&mu);
    if (i >= 0 && i < ROUNDS)
        started_ms[i] = now;
    else if (i == -1)
        burst_runs++;
    pthread_mutex_unlock(&mu);
    return 0;
}

static const berth_job_type types[] = {{.name = "REC", .run = record}, {0}};

/* The worker engine (started) and the producer engine (never started: its launches reach
 * the worker only through Redis, as another process's would). */
static berth_engine *worker_engine(void)
{
    berth_engine_config cfg = engine_fixture_config(&rf);
    return engine_fixture_start(&cfg, types);
}

static berth_engine *producer_engine(void)
{
    berth_engine_config cfg = engine_fixture_config(&rf);
    return engine_fixture_new(&cfg, types);
}

static bool started(void *arg)
{
    int i = *(int *)arg;
    pthread_mutex_lock(&mu);
    bool yes = started_ms[i] != 0;
    pthread_mutex_unlock(&mu);
    return yes;
}

/* Launches job i from p once the worker is idle; returns its start - launch in ms. */
static long long launch_and_time(berth_engine *p, int i)
{
    assert_true(redis_fixture_wait_int(&rf, 1, 10000, "SCARD {t}:berth:idle"));
    char params[32], err[256];
    snprintf(params, sizeof params, "{\"i\":%d}", i);
    long long t0 = wait_now_ms();
    assert_int_equal(berth_engine_launch(p, &(berth_launch){.name = "REC", .params_json = params},
                                         NULL, err, sizeof err), 0);
    assert_true(wait_until(started, &i, 3 * POLL_MS));
    pthread_mutex_lock(&mu);
    long long ms = started_ms[i] - t0;
    pthread_mutex_unlock(&mu);
    return ms;
}

/* Subscribers of a channel (PUBSUB NUMSUB answers [channel, n]). */
static long long subscribers(const char *chan)
{
    redisContext *c = redisConnectUnix(rf.sock);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "PUBSUB NUMSUB %s", chan);
    long long n = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 ? r->element[1]->integer
                                                                         : -1;
    freeReplyObject(r);
    redisFree(c);
    return n;
}

static bool one_wake_subscriber(void *arg)
{
    (void)arg;
    return subscribers("{t}:berth:wake") == 1;
}

/* The started engine's two subscriptions are up: the fetcher's to the wake channel (the
 * only one there) and the control subscriber's (subscriber.c) to the control channel. */
static bool both_subscribed(void *arg)
{
    (void)arg;
    return one_wake_subscriber(NULL) && subscribers("{t}:berth:control") == 1;
}

/* With only the safety poll, a start would come a uniform 0–2 s after the launch: twenty
 * starts all within half of it would be chance once in a million. */
static void test_idle_start_is_prompt(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    memset(started_ms, 0, sizeof started_ms);
    berth_engine *w = worker_engine(), *p = producer_engine();
    long long sum = 0, max = 0;
    for (int i = 0; i < ROUNDS; i++) {
        long long ms = launch_and_time(p, i);
        assert_true(ms < POLL_MS / 2);
        sum += ms;
        max = ms > max ? ms : max;
    }
    printf("idle start after a launch from another engine: mean %.1f ms, max %lld ms\n",
           (double)sum / ROUNDS, max);
    berth_engine_free(p);
    berth_engine_stop(w);
    berth_engine_free(w);
}

/* The fetcher is the wake channel's only subscriber, and subscribes again (then fetches,
 * so nothing published meanwhile is missed) when Redis drops the connection. */
static void test_wake_subscription_survives_a_kill(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    memset(started_ms, 0, sizeof started_ms);
    berth_engine *w = worker_engine(), *p = producer_engine();
    /* Both before the kill: the control subscriber dials on a thread of its own, and a
     * kill before it had subscribed found one pubsub client (twice in 15 release runs
     * beside a busy loop). */
    assert_true(wait_until(both_subscribed, NULL, 10000));
    assert_true(redis_fixture_int(&rf, "CLIENT KILL TYPE pubsub") >= 2);   /* control too */
    assert_true(wait_until(one_wake_subscriber, NULL, 10000));
    for (int i = 0; i < 3; i++)
        assert_true(launch_and_time(p, i) < POLL_MS / 2);
    berth_engine_free(p);
    berth_engine_stop(w);
    berth_engine_free(w);
}

/* Commands in the SLOWLOG since its reset for which is(args) holds. */
static long long slowlog_count(redisContext *c, bool (*is)(const redisReply *args))
{
    redisReply *r = redisCommand(c, "SLOWLOG GET -1");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    long long n = 0;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *args = r->element[i]->elements > 3 ? r->element[i]->element[3] : NULL;
        if (args && args->type == REDIS_REPLY_ARRAY && is(args))
            n++;
    }
    freeReplyObject(r);
    return n;
}

/* A fetch call: EVALSHA <sha> 1 <prefix> <now> <pool> <deadline> <max> <ntypes> <name> ...
 * — the only script with the job type at argument 9. */
static bool is_fetch(const redisReply *args)
{
    return args->elements > 9 && strcasecmp(args->element[0]->str, "EVALSHA") == 0 &&
           strcmp(args->element[9]->str, "REC") == 0;
}

static bool is_wake(const redisReply *args)
{
    return args->elements == 3 && strcasecmp(args->element[0]->str, "PUBLISH") == 0 &&
           strcmp(args->element[1]->str, "{t}:berth:wake") == 0;
}

/* Every command from now on goes to the SLOWLOG (threshold 0), which starts empty. */
static redisContext *slowlog_start(void)
{
    redisContext *c = redisConnectUnix(rf.sock);
    assert_non_null(c);
    freeReplyObject(redisCommand(c, "CONFIG SET slowlog-max-len 100000"));
    freeReplyObject(redisCommand(c, "CONFIG SET slowlog-log-slower-than 0"));
    freeReplyObject(redisCommand(c, "SLOWLOG RESET"));
    return c;
}

static bool fetched(void *arg)
{
    return slowlog_count(arg, is_fetch) > 0;
}

/* Returns just after the idle worker's safety poll (a fetch every 2 s, fetcher.c
 * IDLE_WAIT_MS), with the SLOWLOG reset: the next poll is then about 2 s away, so the
 * fetches counted over the next moments are the ones the test caused. Without it, a poll
 * due between the reset and the launch's wake found the queue empty and counted as a
 * second fetch (a window of a few ms in 2 s, wider on a loaded machine). */
static void after_safety_poll(redisContext *c)
{
    assert_true(wait_until(fetched, c, 5000));
    freeReplyObject(redisCommand(c, "SLOWLOG RESET"));
}

static void slowlog_stop(redisContext *c)
{
    freeReplyObject(redisCommand(c, "CONFIG SET slowlog-log-slower-than 10000"));
    redisFree(c);
}

static bool burst_ran(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    bool all = burst_runs == BURST;
    pthread_mutex_unlock(&mu);
    return all;
}

static void test_burst_after_idle_is_one_fetch(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    burst_runs = 0;
    berth_engine *w = worker_engine(), *p = producer_engine();
    assert_true(redis_fixture_wait_int(&rf, 1, 10000, "SCARD {t}:berth:idle"));
    redisContext *c = slowlog_start();
    after_safety_poll(c);
    berth_launch burst[BURST];
    for (int i = 0; i < BURST; i++)
        burst[i] = (berth_launch){.name = "REC", .params_json = "{\"i\":-1}"};
    assert_int_equal(berth_engine_launch_batch(p, burst, BURST, NULL, NULL), 0);
    assert_true(wait_until(burst_ran, NULL, 10000));
    /* one fetch took all 50 (the fetch batch is 64) and, having come back short, marked
     * the node idle itself: no second fetch to find the queue empty */
    assert_int_equal(slowlog_count(c, is_fetch), 1);
    assert_int_equal(redis_fixture_int(&rf, "SCARD {t}:berth:idle"), 1);
    slowlog_stop(c);
    berth_engine_free(p);
    berth_engine_stop(w);
    berth_engine_free(w);
}

/* An idle node is not woken for jobs it cannot take: launches into a paused queue publish
 * nothing (a fetch would find nothing and mark the node idle again); the resume wakes it
 * and every job runs. */
static void test_paused_queue_wakes_no_fetcher(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    burst_runs = 0;
    berth_engine *w = worker_engine(), *p = producer_engine();
    assert_true(redis_fixture_wait_int(&rf, 1, 10000, "SCARD {t}:berth:idle"));
    assert_int_equal(berth_queue_pause(p, "REC", true), 0);
    redisContext *c = slowlog_start();
    char err[256];
    for (int i = 0; i < BURST; i++)
        assert_int_equal(berth_engine_launch(p, &(berth_launch){.name = "REC",
                                             .params_json = "{\"i\":-1}"}, NULL, err,
                                             sizeof err), 0);
    assert_int_equal(slowlog_count(c, is_wake), 0);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:REC"), BURST);
    assert_int_equal(berth_queue_pause(p, "REC", false), 0);
    assert_true(wait_until(burst_ran, NULL, 10000));
    assert_int_equal(slowlog_count(c, is_wake), 1);   /* the resume's */
    slowlog_stop(c);
    berth_engine_free(p);
    berth_engine_stop(w);
    berth_engine_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_start_is_prompt),
        cmocka_unit_test(test_wake_subscription_survives_a_kill),
        cmocka_unit_test(test_burst_after_idle_is_one_fetch),
        cmocka_unit_test(test_paused_queue_wakes_no_fetcher),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
