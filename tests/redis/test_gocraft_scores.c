/* {ns}:retry and {ns}:scheduled are read by gocraft and by Harbor core (job-service
 * dashboard, exporter) as zsets of int64 scores, so every score Berth writes there must be a
 * whole number of seconds, not Berth's millisecond retry time. On a real redis-server:
 * a failed job's retry entry, a Scheduled job and a periodic policy's executions, each
 * read back with ZRANGE ... WITHSCORES and checked to be a decimal integer; a stop still
 * finds the retry entry by the score it saved. */
#include "test.h"

#include <hiredis/hiredis.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "redis_fixture.h"
#include "wait.h"

static redis_fixture rf;

static int fail_job(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx, (void)params, (void)ud;
    return BERTH_EJOB;
}

static bool is_integer(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Every score of zset {t}:<set>; returns how many there were, failing on a fractional one. */
static size_t integer_scores(const char *set)
{
    redisContext *c = redisConnectUnix(rf.sock);
    redisReply *r = redisCommand(c, "ZRANGE {t}:%s 0 -1 WITHSCORES", set);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    for (size_t i = 1; i < r->elements; i += 2) {
        if (!is_integer(r->element[i]->str))
            fprintf(stderr, "{t}:%s score %s for %s\n", set, r->element[i]->str,
                    r->element[i - 1]->str);
        assert_true(is_integer(r->element[i]->str));
    }
    size_t n = r->elements / 2;
    freeReplyObject(r);
    redisFree(c);
    return n;
}

typedef struct score_wait {
    const char *set;
    size_t n;
} score_wait;

/* At least n entries in the set, every score an integer (checked at each poll). */
static bool scores_in(void *arg)
{
    score_wait *w = arg;
    return integer_scores(w->set) >= w->n;
}

static berth_engine *start(void)
{
    berth_engine_config cfg = engine_fixture_config(&rf);
    cfg.backoff_scale = 0.05;   /* the first retry ~1 s away: long enough to read the set */
    cfg.periodic.enabled = true;
    return engine_fixture_start(&cfg, (berth_job_type[]){
        {.name = "FAILS", .run = fail_job, .max_fails = 10},
        {.name = "NOOP", .run = engine_fixture_noop}, {0}});
}

static void test_retry_scores(void **state)
{
    (void)state;
    berth_engine *e = start();
    char *id = engine_fixture_launch(e, "FAILS");
    assert_true(wait_until(scores_in, &(score_wait){"retry", 1}, 10000));
    /* stop finds the entry by the retry_at it saved: the same whole-second score */
    assert_int_equal(berth_engine_stop_job(e, id), 0);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:retry"), 0);
    char status[32];
    engine_fixture_status(e, id, status, sizeof status);
    assert_string_equal(status, "Stopped");
    free(id);
    berth_engine_stop(e);
    berth_engine_free(e);
}

static void test_scheduled_scores(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine *e = start();
    char err[256];
    berth_stats *st = NULL;
    assert_int_equal(berth_engine_launch(e, &(berth_launch){.name = "NOOP", .kind = "Scheduled",
                                                           .schedule_delay = 600},
                                         &st, err, sizeof err), 0);
    berth_stats_free(st);
    assert_int_equal(berth_engine_launch(e, &(berth_launch){.name = "NOOP", .kind = "Periodic",
                                                           .cron_spec = "*/5 * * * * *"},
                                         &st, err, sizeof err), 0);
    berth_stats_free(st);
    /* the job and an execution */
    assert_true(wait_until(scores_in, &(score_wait){"scheduled", 2}, 10000));
    berth_engine_stop(e);
    berth_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_scores),
        cmocka_unit_test(test_scheduled_scores),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
