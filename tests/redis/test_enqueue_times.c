/* A job queued now has no `e` (enqueue time) and no `update_time` in its stats hash: both
 * equal its revision until something changes that, and the readers take the revision for
 * them (src/model/stats_hash.c, sweep.lua). This checks both halves on a real redis-server:
 * an untouched job reads its launch time through every reader (get, the SCAN query, a
 * finished run), and every script that changes a revision — reset, the fetch of a crashed
 * run, the stop of a failed run waiting for its retry (job stop and queue stop), a given-up
 * lease — first writes the enqueue time the old revision stood for, so that the job still
 * reads the time it was launched, and leaves the hash compact. */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "berth/berth.h"
#include "berth/query.h"
#include "berth/queue.h"
#include "engine_fixture.h"
#include "store/redis.h"
#include "util/clock.h"
#include "wait.h"

static redis_fixture rf;

#define POOL "timespool000000000000000a"
#define T0 1700000000LL   /* the launch time the tests give their jobs */

static berth_engine *engine_unstarted(void)
{
    return engine_fixture_noop_unstarted(&rf);
}

static char *launch(berth_engine *e, const berth_launch *l, int64_t *enqueued)
{
    char err[256];
    berth_stats *st = NULL;
    assert_int_equal(berth_engine_launch(e, l, &st, err, sizeof err), 0);
    char *id = strdup(st->id);
    if (enqueued)
        *enqueued = st->enqueue_time;
    berth_stats_free(st);
    return id;
}


static bool has(const char *id, const char *field)
{
    return redis_fixture_int(&rf, "HEXISTS {t}:job_stats:%s %s", id, field) == 1;
}

/* A stats field as a number (-1 when absent). */
static long long hash_int(const char *id, const char *field)
{
    redisReply *r = redis_fixture_cmd(&rf, "HGET {t}:job_stats:%s %s", id, field);
    assert_non_null(r);
    long long v = r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;
    freeReplyObject(r);
    return v;
}

/* A string reply (caller frees). */
static char *str_reply(const char *fmt, const char *arg)
{
    redisReply *r = redis_fixture_cmd(&rf, fmt, arg);
    assert_true(r && r->type == REDIS_REPLY_STRING);
    char *s = strdup(r->str);
    freeReplyObject(r);
    return s;
}

static void assert_compact(const char *id)
{
    char *enc = str_reply("OBJECT ENCODING {t}:job_stats:%s", id);
    assert_string_equal(enc, "listpack");
    free(enc);
}

static void assert_status(berth_engine *e, const char *id, const char *want)
{
    char st[32];
    engine_fixture_status(e, id, st, sizeof st);
    assert_string_equal(st, want);
}

/* A Generic job launched "at T0": launched now, its revision then set to T0 (the hash
 * still has no e and no update_time, as for a job untouched since T0). */
static char *untouched_at_t0(berth_engine *e)
{
    char *id = launch(e, &(berth_launch){.name = "NOOP", .params_json = "{\"k\":1}"}, NULL);
    assert_false(has(id, "e"));
    assert_false(has(id, "update_time"));
    redis_fixture_ok(&rf, "HSET {t}:job_stats:%s revision %lld", id, T0);
    return id;
}

static void assert_times(berth_engine *e, const char *id, int64_t enqueued, int64_t updated,
                         int64_t revision)
{
    berth_stats *st = NULL;
    assert_int_equal(berth_engine_get_stats(e, id, &st), 0);
    assert_int_equal(st->enqueue_time, enqueued);
    assert_int_equal(st->update_time, updated);
    assert_int_equal(st->revision, revision);
    berth_stats_free(st);
}

/* After a script changed the revision of a job untouched since T0: the hash holds e = T0,
 * an update_time and the new revision, and reads T0 as its enqueue time. */
static void assert_kept(berth_engine *e, const char *id)
{
    assert_int_equal(hash_int(id, "e"), T0);
    assert_true(has(id, "update_time"));
    long long rev = hash_int(id, "revision"), upd = hash_int(id, "update_time");
    assert_true(rev > T0);
    assert_true(upd >= clock_wall_s() - 60);
    assert_times(e, id, T0, upd, rev);
    assert_compact(id);
}

static void untouched_job_reads_its_launch_time(void **state)
{
    (void)state;
    berth_engine *e = engine_unstarted();
    int64_t at = 0;
    char *id = launch(e, &(berth_launch){.name = "NOOP", .params_json = "{\"k\":1}"}, &at);
    assert_false(has(id, "e"));
    assert_false(has(id, "update_time"));
    assert_int_equal(hash_int(id, "revision"), at);
    assert_times(e, id, at, at, at);
    /* a Scheduled job keeps both (its in-progress entry is read by Harbor's reaper) */
    char *later = launch(e, &(berth_launch){.name = "NOOP", .kind = "Scheduled",
                                            .schedule_delay = 3600}, NULL);
    long long lat = hash_int(later, "revision");
    assert_int_equal(hash_int(later, "e"), lat);
    assert_int_equal(hash_int(later, "update_time"), lat);
    /* run: the status writes give update_time; the enqueue time stays the launch's */
    assert_int_equal(berth_engine_start(e), 0);
    assert_true(engine_fixture_wait_status(e, id, "Success", 10000));
    berth_engine_stop(e);
    assert_false(has(id, "e"));
    long long upd = hash_int(id, "update_time");
    assert_true(upd >= at);
    assert_times(e, id, at, upd, at);
    berth_stats_list l = {0};   /* the SCAN query (GET /api/v1/jobs) reads the same */
    assert_int_equal(berth_query_jobs(e, 0, 100, &l), 0);
    size_t found = 0;
    for (size_t i = 0; i < l.n; i++)
        if (!strcmp(l.items[i]->id, id)) {
            assert_int_equal(l.items[i]->enqueue_time, at);
            assert_int_equal(l.items[i]->update_time, upd);
            found++;
        }
    assert_int_equal(found, 1);
    berth_stats_list_clear(&l);
    /* the revision stands for the enqueue time: moved, it reads the new value */
    redis_fixture_ok(&rf, "HSET {t}:job_stats:%s revision %lld", id, T0);
    assert_times(e, id, T0, upd, T0);
    free(id), free(later);
    berth_engine_free(e);
}

/* A Harbor-layout hash (no `n`) is read exactly as Harbor reads it: nothing derived. */
static void harbor_layout_derives_nothing(void **state)
{
    (void)state;
    berth_engine *e = engine_unstarted();
    const char *id = "0123456789abcdef0123aaaa";
    redis_fixture_ok(&rf, "HSET {t}:job_stats:%s id %s name NOOP kind Generic status Pending "
                     "revision %lld", id, id, T0);
    assert_times(e, id, 0, 0, T0);
    berth_engine_free(e);
}

static void script(rconn *rc, script_id id, rargs *a)
{
    rreply *r = rconn_eval(rc, id, a);
    if (!r || rreply_is_error(r))
        fail_msg("script: %s", rc->err);
    rreply_free(r);
    rargs_free(a);
}

static void start_args(rargs *a, const char *first)
{
    rargs_init(a);
    rargs_adds(a, "{t}:");
    rargs_addi(a, clock_wall_s());
    if (first)
        rargs_adds(a, first);
}

/* fetch.lua as the fetcher calls it: POOL, one batch, lease until deadline_ms. */
static void fetch(rconn *rc, long long deadline_ms)
{
    rargs a;
    start_args(&a, POOL);
    rargs_addi(&a, deadline_ms);
    rargs_addi(&a, 10);
    rargs_addi(&a, 1);
    rargs_adds(&a, "NOOP");
    rargs_addi(&a, 0);
    rargs_addi(&a, 1);
    script(rc, SCRIPT_FETCH, &a);
}

static void every_revision_writer_keeps_the_enqueue_time(void **state)
{
    (void)state;
    rtarget t;
    rconn rc;
    berth_engine_config c = engine_fixture_config(&rf);
    assert_int_equal(rtarget_from_config(&t, &c, NULL), 0);
    rconn_init(&rc, &t, 5000);
    rargs a;

    /* reset.lua (a new run attempt) */
    berth_engine *e = engine_unstarted();
    char *id = untouched_at_t0(e);
    start_args(&a, id);
    script(&rc, SCRIPT_RESET, &a);
    assert_kept(e, id);
    free(id), berth_engine_free(e);

    /* fetch.lua: a run that crashed (still Running) is fetched again under a new revision */
    e = engine_unstarted();
    id = untouched_at_t0(e);
    redis_fixture_ok(&rf, "HSET {t}:job_stats:%s status Running update_time %lld", id, T0 + 1);
    fetch(&rc, clock_wall_ms() + 60000);
    assert_kept(e, id);
    assert_status(e, id, "Pending");
    free(id), berth_engine_free(e);

    /* requeue.lua: a given-up lease gives its waiting runs a new revision */
    e = engine_unstarted();
    id = untouched_at_t0(e);
    fetch(&rc, clock_wall_ms() - 1);
    start_args(&a, "expired");
    rargs_addi(&a, clock_wall_ms());
    rargs_addi(&a, 10);
    script(&rc, SCRIPT_REQUEUE, &a);
    assert_kept(e, id);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), 1);
    free(id), berth_engine_free(e);

    /* stop.lua: a failed run waiting for its retry is stopped under a new revision */
    e = engine_unstarted();
    id = untouched_at_t0(e);
    char *json = str_reply("RPOP {t}:jobs:%s", "NOOP");
    redis_fixture_ok(&rf, "ZADD {t}:retry %lld %s", T0 + 5, json);
    redis_fixture_ok(&rf, "HSET {t}:job_stats:%s status Error update_time %lld retry_at %lld",
                     id, T0 + 1, T0 + 5);
    assert_int_equal(berth_engine_stop_job(e, id), 0);
    assert_kept(e, id);
    assert_status(e, id, "Stopped");
    free(json), free(id), berth_engine_free(e);

    /* queue.lua: a queue stop takes a failed run requeued for its retry */
    e = engine_unstarted();
    id = untouched_at_t0(e);
    redis_fixture_ok(&rf, "HSET {t}:job_stats:%s status Error update_time %lld", id, T0 + 1);
    redis_fixture_ok(&rf, "SADD {t}:known_jobs NOOP");   /* an engine's start writes it */
    long long stopped = 0;
    assert_int_equal(berth_queue_stop_pending(e, "NOOP", &stopped), 0);
    assert_int_equal(stopped, 1);
    assert_kept(e, id);
    free(id), berth_engine_free(e);
    rconn_close(&rc);
    rtarget_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(untouched_job_reads_its_launch_time),
        cmocka_unit_test(harbor_layout_derives_nothing),
        cmocka_unit_test(every_revision_writer_keeps_the_enqueue_time),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
