/* The drain path's scripts on a real redis-server, called as the fetcher and the completer
 * call them (issue 18): a run that ends before its start was written goes as one op
 * (finish.lua 'RS' / 'RE') and must still leave exactly what two ops leave — the Running
 * hook event, then the final one, in that order, each with the stats as they were then;
 * a stop that crossed the run keeps Stopped and queues no further hook; the lease and the
 * concurrency count are released either way. And end to end: an engine draining jobs with
 * status hooks (recorded in the outbox, not delivered) queues Running before Success for
 * every job, whichever way the completer batched them. */
#include "test.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/berth.h"
#include "engine/internal.h"
#include "engine_fixture.h"
#include "store/redis.h"
#include "util/clock.h"
#include "wait.h"

static redis_fixture rf;

#define POOL "testpool00000000000000aa"

static berth_engine *engine_unstarted(void)
{
    return engine_fixture_noop_unstarted(&rf);
}

static char *launch(berth_engine *e, const char *hook)
{
    char err[256];
    berth_stats *st = NULL;
    assert_int_equal(berth_engine_launch(e, &(berth_launch){.name = "NOOP", .status_hook = hook},
                                         &st, err, sizeof err), 0);
    char *id = strdup(st->id);
    berth_stats_free(st);
    return id;
}

static void conn(rconn *rc, rtarget *t)
{
    berth_engine_config c = engine_fixture_config(&rf);
    assert_int_equal(rtarget_from_config(t, &c, NULL), 0);
    rconn_init(rc, t, 5000);
}

/* fetch.lua for POOL as the fetcher calls it (fetch batch 1, lease until deadline_ms):
 * up to max jobs, their ids and revisions into ids/revs (NULL: not kept). Returns how many
 * it took to run. */
static size_t fetch(rconn *rc, size_t max, long long deadline_ms, char ids[][25], long long *revs)
{
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, "{t}:");
    rargs_addi(&a, clock_wall_s());
    rargs_adds(&a, POOL);
    rargs_addi(&a, deadline_ms);
    rargs_addi(&a, (long long)max);
    rargs_addi(&a, 1);
    rargs_adds(&a, "NOOP");
    rargs_addi(&a, 0);
    rargs_addi(&a, 1);   /* fetch batch number */
    rreply *r = rconn_eval(rc, SCRIPT_FETCH, &a);
    if (rreply_array(rc, r, RREPLY_ANY) != 0)
        fail_msg("fetch.lua: %s", rc->err);
    size_t n = 0;
    for (size_t i = 0; i + 3 <= rreply_len(r); i += 3, n++) {
        assert_true(rreply_str_is(rreply_at(r, i), "R"));   /* Berth's head: no id, name */
        const char *id = strstr(rreply_str(rreply_at(r, i + 2)), "\"id\":\"");
        assert_non_null(id);
        if (ids)
            snprintf(ids[n], 25, "%s", id + 6);
        assert_int_equal(rreply_integer(rc, rreply_at(r, i + 1), &revs[n]), 0);
    }
    rreply_free(r);
    rargs_free(&a);
    return n;
}

static long long fetch_one(rconn *rc, const char *id)
{
    char got[1][25];
    long long rev = 0;
    assert_int_equal(fetch(rc, 1, clock_wall_ms() + 60000, got, &rev), 1);
    assert_string_equal(got[0], id);
    return rev;
}

static long long flushes;   /* the completer's batch numbers */

/* finish.lua's answers to a call of want answers into out: the count when every answer is
 * "ok" (then each reads "ok"), else the list. */
static void answers(rconn *rc, rreply *r, size_t want, char out[][16])
{
    long long oks = -1;
    if (!rreply_is_error(r) && rreply_len(r) == 0 && rreply_integer(rc, r, &oks) == 0) {
        assert_int_equal(oks, (long long)want);
        for (size_t i = 0; i < want; i++)
            snprintf(out[i], 16, "ok");
        return;
    }
    assert_int_equal(rreply_array(rc, r, want), 0);
    bool refused = false;   /* a list only when some answer is not ok */
    for (size_t i = 0; i < want; i++) {
        const char *v = rreply_str(rreply_at(r, i));
        assert_non_null(v);
        refused = refused || strcmp(v, "ok") != 0;
        snprintf(out[i], 16, "%s", v);
    }
    assert_true(refused);
}

/* finish.lua with one op; the answers go to out (two for a merged op). */
static void finish_op(rconn *rc, const char *op, const char *id, long long rev, char out[2][16])
{
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, "{t}:");
    rargs_addi(&a, clock_wall_s());
    rargs_adds(&a, POOL);
    rargs_addi(&a, ++flushes);   /* completer batch number */
    rargs_addi(&a, 1);
    rargs_adds(&a, op), rargs_adds(&a, id), rargs_adds(&a, "NOOP"), rargs_addi(&a, rev);
    rargs_adds(&a, ""), rargs_adds(&a, ""), rargs_addi(&a, 1);
    rreply *r = rconn_eval(rc, SCRIPT_FINISH, &a);
    answers(rc, r, strlen(op) == 2 ? 2 : 1, out);
    rreply_free(r);
    rargs_free(&a);
}

/* The outbox's events of job id, oldest first: "status/h.status" each, comma-joined. */
static void events_of(rconn *rc, const char *id, char *out, size_t len)
{
    out[0] = 0;
    rreply *r = rconn_cmd(rc, "XRANGE {t}:berth:hooks - +");
    assert_int_equal(rreply_array(rc, r, RREPLY_ANY), 0);
    for (size_t i = 0; i < rreply_len(r); i++) {
        const rreply *f = rreply_at(rreply_at(r, i), 1);
        const char *j = NULL, *s = NULL, *hs = NULL;
        for (size_t k = 0; k + 1 < rreply_len(f); k += 2) {
            const char *name = rreply_str(rreply_at(f, k)), *v = rreply_str(rreply_at(f, k + 1));
            if (strcmp(name, "j") == 0)
                j = v;
            else if (strcmp(name, "s") == 0)
                s = v;
            else if (strcmp(name, "h.status") == 0)
                hs = v;
        }
        if (j && strcmp(j, id) == 0)
            snprintf(out + strlen(out), len - strlen(out), "%s%s/%s", out[0] ? "," : "",
                     s ? s : "?", hs ? hs : "?");
    }
    rreply_free(r);
}

static long long rint_(const char *fmt, const char *id)
{
    return redis_fixture_int(&rf, fmt, id);
}

/* Nothing of the run is held any more: no lease, no concurrency count. */
static void assert_released(void)
{
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:berth:leases"), 0);
    assert_int_equal(redis_fixture_int(&rf, "INCRBY {t}:jobs:NOOP:lock 0"), 0);
    assert_int_equal(redis_fixture_int(&rf, "HINCRBY {t}:jobs:NOOP:lock_info " POOL " 0"), 0);
}

/* One job launched (with a hook when hook is not NULL) and fetched by POOL, and the
 * connection the test calls the scripts on. */
typedef struct one {
    berth_engine *e;
    char *id;
    rconn rc;
    rtarget t;
    long long rev;
    char out[2][16];     /* finish.lua's answers */
} one;

static void one_fetched(one *o, const char *hook)
{
    o->e = engine_unstarted();
    o->id = launch(o->e, hook);
    conn(&o->rc, &o->t);
    o->rev = fetch_one(&o->rc, o->id);
}

/* The job's status is want, its events are events, and nothing of it is held. */
static void one_check_free(one *o, const char *want, const char *events)
{
    char st[32], ev[256];
    engine_fixture_status(o->e, o->id, st, sizeof st);
    assert_string_equal(st, want);
    events_of(&o->rc, o->id, ev, sizeof ev);
    assert_string_equal(ev, events);
    assert_released();
    rconn_close(&o->rc);
    rtarget_free(&o->t);
    free(o->id);
    berth_engine_free(o->e);
}

static void test_start_and_end_in_one_op(void **state)
{
    (void)state;
    one o;
    one_fetched(&o, "http://127.0.0.1:9/hook");
    finish_op(&o.rc, "RS", o.id, o.rev, o.out);
    assert_string_equal(o.out[0], "ok");
    assert_string_equal(o.out[1], "ok");
    assert_true(rint_("TTL {t}:job_stats:%s", o.id) > 0);
    one_check_free(&o, "Success", "Running/Running,Success/Success");
}

static void test_one_op_without_hook(void **state)
{
    (void)state;
    one o;
    one_fetched(&o, NULL);
    finish_op(&o.rc, "RE", o.id, o.rev, o.out);
    assert_string_equal(o.out[0], "ok");
    assert_string_equal(o.out[1], "ok");
    assert_int_equal(rint_("HEXISTS {t}:job_track:inprogress %s", o.id), 0);
    assert_int_equal(redis_fixture_int(&rf, "XLEN {t}:berth:hooks"), 0);
    one_check_free(&o, "Error", "");
}

/* finish.lua with one group of merged successes ('G', as the completer sends the common
 * op) of k runs of fetch batch 1; their 2k answers go to out. */
/* finish.lua's group op for k runs of fetch batch 1, with the caller's clock at now. */
static void finish_group_at(rconn *rc, long long now, size_t k, char ids[][25],
                            const long long *revs, char out[][16])
{
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, "{t}:");
    rargs_addi(&a, now);
    rargs_adds(&a, POOL);
    rargs_addi(&a, ++flushes);
    rargs_addi(&a, 1);
    rargs_adds(&a, "G"), rargs_addi(&a, 1), rargs_adds(&a, "NOOP"), rargs_addi(&a, (long long)k);
    for (size_t i = 0; i < k; i++)
        rargs_adds(&a, ids[i]), rargs_addi(&a, revs[i]);
    rreply *r = rconn_eval(rc, SCRIPT_FINISH, &a);
    answers(rc, r, 2 * k, out);
    rreply_free(r);
    rargs_free(&a);
}

static void finish_group(rconn *rc, size_t k, char ids[][25], const long long *revs,
                         char out[][16])
{
    finish_group_at(rc, clock_wall_s(), k, ids, revs, out);
}

/* The in-progress entry comes with a run's first Running write (Harbor's reaper and the
 * sweep watch a run from there), not with the fetch: a start written alone ('R') writes
 * it (2), its end takes it away (no hook) or leaves 1 for the final hook's ack; a run
 * merged with its start and without a hook was never seen Running and never has one. */
static void test_inprogress_entry_from_running(void **state)
{
    (void)state;
    const char *hooks[2] = {NULL, "http://127.0.0.1:9/hook"};
    for (int h = 0; h < 2; h++) {
        one o;
        one_fetched(&o, hooks[h]);
        assert_int_equal(rint_("HEXISTS {t}:job_track:inprogress %s", o.id), 0);
        finish_op(&o.rc, "R", o.id, o.rev, o.out);
        assert_string_equal(o.out[0], "ok");
        assert_int_equal(rint_("HINCRBY {t}:job_track:inprogress %s 0", o.id), 2);
        finish_op(&o.rc, "S", o.id, o.rev, o.out);
        assert_string_equal(o.out[0], "ok");
        if (h)   /* the Success hook still waits for its ack */
            assert_int_equal(rint_("HINCRBY {t}:job_track:inprogress %s 0", o.id), 1);
        else
            assert_int_equal(rint_("HEXISTS {t}:job_track:inprogress %s", o.id), 0);
        one_check_free(&o, "Success", h ? "Running/Running,Success/Success" : "");
    }
    one o;   /* merged, with a hook: Running is written, and the entry with it */
    one_fetched(&o, hooks[1]);
    finish_op(&o.rc, "RS", o.id, o.rev, o.out);
    assert_int_equal(rint_("HINCRBY {t}:job_track:inprogress %s 0", o.id), 1);
    one_check_free(&o, "Success", "Running/Running,Success/Success");

    /* a crashed run (Running, its entry 2) fetched again is Reset to Pending without its
     * entry; run again without a hook and merged, it ends with none */
    o.e = engine_unstarted();
    o.id = launch(o.e, NULL);
    conn(&o.rc, &o.t);
    redis_fixture_int(&rf, "HSET {t}:job_stats:%s status Running", o.id);
    redis_fixture_int(&rf, "HSET {t}:job_track:inprogress %s 2", o.id);
    char ids[1][25], out[2][16];
    long long revs[1];
    assert_int_equal(fetch(&o.rc, 1, clock_wall_ms() + 60000, ids, revs), 1);
    assert_int_equal(rint_("HEXISTS {t}:job_track:inprogress %s", o.id), 0);
    finish_group(&o.rc, 1, ids, revs, out);
    assert_string_equal(out[1], "ok");
    assert_int_equal(rint_("HEXISTS {t}:job_track:inprogress %s", o.id), 0);
    one_check_free(&o, "Success", "");
}

/* A stop that reached Redis between the fetch and the op: Stopped stays, and no event
 * follows the stop's own. */
static void test_one_op_after_stop(void **state)
{
    (void)state;
    one o;
    one_fetched(&o, "http://127.0.0.1:9/hook");
    assert_int_equal(berth_engine_stop_job(o.e, o.id), 0);
    finish_op(&o.rc, "RS", o.id, o.rev, o.out);
    assert_string_equal(o.out[0], "Stopped");
    assert_string_equal(o.out[1], "Stopped");
    one_check_free(&o, "Stopped", "Stopped/Stopped");
}


/* The common op (a run without a hook that started and succeeded) is written inline by
 * finish.lua, three runs in one group: it must leave what the general path leaves —
 * Success with its TTL, no in-progress entry, the per-minute count, no event, nothing
 * held. */
static void test_success_inline_without_hook(void **state)
{
    (void)state;
    berth_engine *e = engine_unstarted();
    char *launched[3];
    for (int k = 0; k < 3; k++)
        launched[k] = launch(e, NULL);
    rconn rc;
    rtarget t;
    conn(&rc, &t);
    char ids[3][25], out[6][16];
    long long revs[3];
    assert_int_equal(fetch(&rc, 3, clock_wall_ms() + 60000, ids, revs), 3);
    for (int k = 0; k < 3; k++)   /* taken, not yet seen Running: no in-progress entry */
        assert_int_equal(rint_("HEXISTS {t}:job_track:inprogress %s", ids[k]), 0);
    long long minute = clock_wall_s() - clock_wall_s() % 60;
    finish_group(&rc, 3, ids, revs, out);
    for (int i = 0; i < 6; i++)
        assert_string_equal(out[i], "ok");
    for (int k = 0; k < 3; k++) {
        char st[32];
        engine_fixture_status(e, ids[k], st, sizeof st);
        assert_string_equal(st, "Success");
        long long ttl = rint_("TTL {t}:job_stats:%s", ids[k]);
        assert_true(ttl > 86000 && ttl <= 86400);
        assert_int_equal(rint_("HEXISTS {t}:job_track:inprogress %s", ids[k]), 0);
        free(launched[k]);
    }
    /* the minute may have turned between the read and the call: one of the two counts 3 */
    long long c0 = redis_fixture_int(&rf, "HINCRBY {t}:berth:throughput:%lld Success 0", minute);
    long long c1 = redis_fixture_int(&rf, "HINCRBY {t}:berth:throughput:%lld Success 0",
                                     minute + 60);
    assert_int_equal(c0 + c1, 3);
    assert_int_equal(redis_fixture_int(&rf, "XLEN {t}:berth:hooks"), 0);
    assert_released();
    rconn_close(&rc);
    rtarget_free(&t);
    berth_engine_free(e);
}

/* The inline success gives each stats hash the namespace's configured TTL as an absolute
 * deadline (PEXPIREAT) from Redis's own clock: a node whose clock is a day behind still
 * sets the TTL the setting says, not one a day short. */
static void test_inline_success_ttl_setting(void **state)
{
    (void)state;
    berth_engine *e = engine_unstarted();
    char *launched[2];
    for (int k = 0; k < 2; k++)
        launched[k] = launch(e, NULL);
    redis_fixture_int(&rf, "EVAL %s 0", "redis.call('SET', '{t}:berth:stats_ttl', '3600 7200')"
                                         " return 0");
    rconn rc;
    rtarget t;
    conn(&rc, &t);
    char ids[2][25], out[4][16];
    long long revs[2];
    assert_int_equal(fetch(&rc, 2, clock_wall_ms() + 60000, ids, revs), 2);
    finish_group_at(&rc, clock_wall_s() - 86400, 2, ids, revs, out);
    for (int i = 0; i < 4; i++)
        assert_string_equal(out[i], "ok");
    for (int k = 0; k < 2; k++) {
        char st[32];
        engine_fixture_status(e, ids[k], st, sizeof st);
        assert_string_equal(st, "Success");
        long long pttl = rint_("PTTL {t}:job_stats:%s", ids[k]);
        assert_true(pttl > 3600000 - 60000 && pttl <= 3600000);
        free(launched[k]);
    }
    redis_fixture_int(&rf, "DEL {t}:berth:stats_ttl");
    assert_released();
    rconn_close(&rc);
    rtarget_free(&t);
    berth_engine_free(e);
}

/* A Scheduled job has its in-progress entry from its launch (enqueue.lua, as Harbor's):
 * the inline success, which writes no Running, must still drop it (finalize did). */
static void test_inline_success_of_scheduled(void **state)
{
    (void)state;
    berth_engine *e = engine_unstarted();
    char *launched = launch(e, NULL);
    /* what a delayed launch leaves once the promoter moved it to its queue */
    redis_fixture_ok(&rf, "HSET {t}:job_stats:%s status Scheduled", launched);
    redis_fixture_ok(&rf, "HSET {t}:job_track:inprogress %s 2", launched);
    rconn rc;
    rtarget t;
    conn(&rc, &t);
    char ids[1][25], out[2][16];
    long long revs[1];
    assert_int_equal(fetch(&rc, 1, clock_wall_ms() + 60000, ids, revs), 1);
    finish_group(&rc, 1, ids, revs, out);
    assert_string_equal(out[0], "ok");
    assert_string_equal(out[1], "ok");
    char st[32];
    engine_fixture_status(e, ids[0], st, sizeof st);
    assert_string_equal(st, "Success");
    assert_int_equal(rint_("HEXISTS {t}:job_track:inprogress %s", ids[0]), 0);
    assert_released();
    free(launched);
    rconn_close(&rc);
    rtarget_free(&t);
    berth_engine_free(e);
}

/* The inline path takes nothing but a waiting job at the fetched revision: a stop that
 * crossed the run (no hook) keeps Stopped, and a revision that moved on is refused. */
static void test_inline_refuses_stopped_or_other_revision(void **state)
{
    (void)state;
    one o;
    one_fetched(&o, NULL);
    assert_int_equal(berth_engine_stop_job(o.e, o.id), 0);
    finish_op(&o.rc, "RS", o.id, o.rev, o.out);
    assert_string_equal(o.out[0], "Stopped");
    assert_string_equal(o.out[1], "Stopped");
    one_check_free(&o, "Stopped", "");

    one_fetched(&o, NULL);
    redis_fixture_int(&rf, "HSET {t}:job_stats:%s revision %lld", o.id, o.rev + 1);
    finish_op(&o.rc, "RS", o.id, o.rev, o.out);
    assert_string_equal(o.out[0], "Pending");   /* the start is refused: not this run */
    char st[32];
    engine_fixture_status(o.e, o.id, st, sizeof st);
    assert_string_equal(st, "Pending");
    rconn_close(&o.rc);
    rtarget_free(&o.t);
    free(o.id);
    berth_engine_free(o.e);
}

/* The largest completer batch (COMPLETER_BATCH_MAX outcomes: half as many runs, each a
 * start and an end) goes as one finish.lua call of one group: every run Success with its
 * TTL but one stopped meanwhile, whose answers (Stopped, Stopped) come in its place of the
 * list of answers; the whole fetch batch released by that one call. */
static void test_largest_completer_batch(void **state)
{
    (void)state;
    enum { K = COMPLETER_BATCH_MAX / 2, STOPPED = K / 3 };
    berth_engine *e = engine_unstarted();
    static berth_launch ls[K];
    static char launched[K][25], ids[K][25], out[2 * K][16];
    static long long revs[K];
    for (size_t k = 0; k < K; k++)
        ls[k] = (berth_launch){.name = "NOOP"};
    assert_int_equal(berth_engine_launch_batch(e, ls, K, launched, NULL), 0);
    rconn rc;
    rtarget t;
    conn(&rc, &t);
    assert_int_equal(fetch(&rc, K, clock_wall_ms() + 60000, ids, revs), K);
    assert_int_equal(berth_engine_stop_job(e, ids[STOPPED]), 0);
    finish_group(&rc, K, ids, revs, out);
    for (size_t k = 0; k < K; k++) {
        const char *want = k == STOPPED ? "Stopped" : "ok";
        assert_string_equal(out[2 * k], want);
        assert_string_equal(out[2 * k + 1], want);
        if (k % 97 == 0 || k == STOPPED) {   /* a sample: each status read is a round trip */
            char st[32];
            engine_fixture_status(e, ids[k], st, sizeof st);
            assert_string_equal(st, k == STOPPED ? "Stopped" : "Success");
        }
    }
    assert_int_equal(redis_fixture_int(&rf, "EXISTS {t}:berth:batch:" POOL ":1"), 0);
    assert_released();
    rconn_close(&rc);
    rtarget_free(&t);
    berth_engine_free(e);
}

/* A group whose runs are not all the common case: each run that is not (stopped meanwhile,
 * a hook URL, another revision) takes the general path with its own answers, in order, and
 * the others are still written inline; every run's hold is released. */
static void test_group_mixed(void **state)
{
    (void)state;
    berth_engine *e = engine_unstarted();
    char *launched[4] = {launch(e, NULL), launch(e, NULL), launch(e, "http://127.0.0.1:9/hook"),
                         launch(e, NULL)};
    rconn rc;
    rtarget t;
    conn(&rc, &t);
    char ids[4][25], out[8][16], st[32], ev[256];
    long long revs[4];
    assert_int_equal(fetch(&rc, 4, clock_wall_ms() + 60000, ids, revs), 4);
    assert_int_equal(berth_engine_stop_job(e, ids[1]), 0);
    redis_fixture_int(&rf, "HSET {t}:job_stats:%s revision %lld", ids[3], revs[3] + 1);
    finish_group(&rc, 4, ids, revs, out);
    const char *want[8] = {"ok", "ok", "Stopped", "Stopped", "ok", "ok", "Pending", "Pending"};
    const char *status[4] = {"Success", "Stopped", "Success", "Pending"};
    const char *events[4] = {"", "", "Running/Running,Success/Success", ""};
    for (int k = 0; k < 4; k++) {
        assert_string_equal(out[2 * k], want[2 * k]);
        assert_string_equal(out[2 * k + 1], want[2 * k + 1]);
        engine_fixture_status(e, ids[k], st, sizeof st);
        assert_string_equal(st, status[k]);
        events_of(&rc, ids[k], ev, sizeof ev);
        assert_string_equal(ev, events[k]);
        free(launched[k]);
    }
    assert_int_equal(rint_("HINCRBY {t}:job_track:inprogress %s 0", ids[2]), 1);   /* the ack */
    assert_released();
    rconn_close(&rc);
    rtarget_free(&t);
    berth_engine_free(e);
}

/* Revisions are compared as text first and as numbers when the texts differ: a revision
 * stored in another spelling of the same number ("<rev>.0", "0<rev>": another writer's
 * formatting) is the same revision, through the fetcher's reading of it and finish.lua. */
static void test_revision_other_spelling(void **state)
{
    (void)state;
    one o;
    one_fetched(&o, NULL);
    redis_fixture_int(&rf, "HSET {t}:job_stats:%s revision 0%lld", o.id, o.rev);
    finish_op(&o.rc, "RS", o.id, o.rev, o.out);
    assert_string_equal(o.out[0], "ok");
    assert_string_equal(o.out[1], "ok");
    one_check_free(&o, "Success", "");

    /* end to end: the engine reads "<rev>.0" from fetch.lua's reply and finishes the run */
    berth_engine *e = engine_unstarted();
    char *id = launch(e, NULL);
    long long rev = rint_("HGET {t}:job_stats:%s revision", id);
    redis_fixture_int(&rf, "HSET {t}:job_stats:%s revision %lld.0", id, rev);
    assert_int_equal(berth_engine_start(e), 0);
    assert_true(engine_fixture_wait_status(e, id, "Success", 10000));
    assert_true(redis_fixture_wait_int(&rf, 0, 10000, "ZCARD {t}:berth:leases"));
    berth_engine_stop(e);
    free(id);
    berth_engine_free(e);
}

/* fetch.lua's whole reply for up to two NOOP jobs (fetch batch 1, a lease of a minute). */
static rreply *fetch_two(rconn *rc)
{
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, "{t}:"), rargs_addi(&a, clock_wall_s()), rargs_adds(&a, POOL);
    rargs_addi(&a, clock_wall_ms() + 60000), rargs_addi(&a, 2), rargs_addi(&a, 1);
    rargs_adds(&a, "NOOP"), rargs_addi(&a, 0), rargs_addi(&a, 1);
    rreply *r = rconn_eval(rc, SCRIPT_FETCH, &a);
    rargs_free(&a);
    return r;
}

/* fetch.lua tells a job launched unique by its code in lower case ("r": run it, and release
 * its lock), a plain one in upper case; three entries per job. */
static void test_fetch_code_tells_unique(void **state)
{
    (void)state;
    berth_engine *e = engine_unstarted();
    char err[256];
    berth_stats *st = NULL;
    assert_int_equal(berth_engine_launch(e, &(berth_launch){.name = "NOOP", .unique = true,
                                                           .params_json = "{\"u\":1}"},
                                         &st, err, sizeof err), 0);
    berth_stats_free(st);
    free(launch(e, NULL));
    rconn rc;
    rtarget t;
    conn(&rc, &t);
    rreply *r = fetch_two(&rc);
    assert_int_equal(rreply_array(&rc, r, 6), 0);
    assert_true(rreply_str_is(rreply_at(r, 0), "r"));   /* the first launched pops first */
    assert_true(rreply_str_is(rreply_at(r, 3), "R"));
    rreply_free(r);
    rconn_close(&rc);
    rtarget_free(&t);
    berth_engine_free(e);
}

/* A node dies holding a fetch batch of six runs (the scripts called as its fetcher and
 * completer would): two it finished, one it started, one was stopped meanwhile, two still
 * waited for a worker. Its lease is over; a live engine's reaper gives the batch up: the
 * started and the waiting runs run again (once each), the finished and the stopped do not,
 * and the concurrency counts, the batch record and its lease are gone. */
static atomic_int runs_of[6];

static int count_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx, (void)ud;
    const char *p = params ? strstr(params, "\"i\":") : NULL;
    int i = p ? atoi(p + 4) : -1;
    if (i >= 0 && i < 6)
        atomic_fetch_add(&runs_of[i], 1);
    return 0;
}

/* fetch.lua sends a job's effective id and name after its code ("R\0<id>\0<name>") only
 * when its JSON does not start with Berth's head for the queue's name (here: a job written
 * by another tool, its members in another order); the engine runs both forms. */
static void test_fetch_reply_forms(void **state)
{
    (void)state;
    berth_engine *e = engine_unstarted();
    char *plain = launch(e, NULL), *other = launch(e, NULL);
    char json[128];
    snprintf(json, sizeof json, "{\"id\":\"%s\",\"t\":1,\"name\":\"NOOP\",\"args\":null}", other);
    redis_fixture_int(&rf, "LPOP {t}:jobs:NOOP");   /* other's JSON (launched last) */
    redis_fixture_int(&rf, "LPUSH {t}:jobs:NOOP %s", json);
    rconn rc;
    rtarget t;
    conn(&rc, &t);
    rreply *r = fetch_two(&rc);
    assert_int_equal(rreply_array(&rc, r, 6), 0);
    assert_true(rreply_str_is(rreply_at(r, 0), "R"));
    const char *code = NULL;
    size_t len = 0;
    assert_int_equal(rreply_string(&rc, rreply_at(r, 3), &code, &len), 0);
    char want[64];
    int wlen = snprintf(want, sizeof want, "R%c%s%cNOOP", 0, other, 0);
    assert_int_equal(len, (size_t)wlen);
    assert_memory_equal(code, want, len);
    assert_true(rreply_str_is(rreply_at(r, 5), json));
    rreply_free(r);
    /* the engine reads both: give the batch up (its lease over) and let it run them */
    redis_fixture_int(&rf, "ZADD {t}:berth:leases 1 " POOL ":1");
    assert_int_equal(berth_engine_start(e), 0);
    assert_true(engine_fixture_wait_status(e, plain, "Success", 10000));
    assert_true(engine_fixture_wait_status(e, other, "Success", 10000));
    assert_true(redis_fixture_wait_int(&rf, 0, 10000, "ZCARD {t}:berth:leases"));
    berth_engine_stop(e);
    assert_released();
    rconn_close(&rc);
    rtarget_free(&t);
    free(plain), free(other);
    berth_engine_free(e);
}

static void test_dead_node_batch_given_up(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine_config c = engine_fixture_config(&rf);
    berth_engine *e = engine_fixture_new(&c, (berth_job_type[]){{.name = "NOOP",
                                                                  .run = count_run}, {0}});
    char err[256], ids[6][25];
    for (int i = 0; i < 6; i++) {
        atomic_store(&runs_of[i], 0);
        char params[16];
        snprintf(params, sizeof params, "{\"i\":%d}", i);
        berth_stats *st = NULL;
        assert_int_equal(berth_engine_launch(e, &(berth_launch){.name = "NOOP",
                                                               .params_json = params},
                                             &st, err, sizeof err), 0);
        berth_stats_free(st);
    }
    rconn rc;
    rtarget t;
    conn(&rc, &t);
    long long revs[6];
    assert_int_equal(fetch(&rc, 6, clock_wall_ms() - 1, ids, revs), 6);   /* lease over */
    int of[6];   /* ids[k] is job of[k] (launch order: the list pops the first launched) */
    for (int k = 0; k < 6; k++) {
        char *p = NULL;
        berth_stats *st = NULL;
        assert_int_equal(berth_engine_get_stats(e, ids[k], &st), 0);
        p = strstr(st->parameters ? st->parameters : "", "\"i\":");
        assert_non_null(p);
        of[k] = atoi(p + 4);
        berth_stats_free(st);
    }
    char out[2][16];
    finish_op(&rc, "S", ids[0], revs[0], out);
    assert_string_equal(out[0], "ok");
    finish_op(&rc, "S", ids[1], revs[1], out);
    finish_op(&rc, "R", ids[2], revs[2], out);
    assert_string_equal(out[0], "ok");
    assert_int_equal(berth_engine_stop_job(e, ids[3]), 0);
    assert_int_equal(redis_fixture_int(&rf, "INCRBY {t}:jobs:NOOP:lock 0"), 4);
    assert_int_equal(berth_engine_start(e), 0);   /* its heartbeat reaps at once */
    for (int k = 2; k < 6; k++)
        if (k != 3)
            assert_true(engine_fixture_wait_status(e, ids[k], "Success", 10000));
    assert_true(redis_fixture_wait_int(&rf, 0, 10000, "ZCARD {t}:berth:leases"));
    berth_engine_stop(e);
    int want[6] = {0, 0, 1, 0, 1, 1};
    for (int k = 0; k < 6; k++)
        assert_int_equal(atomic_load(&runs_of[of[k]]), want[k]);
    char st[32];
    engine_fixture_status(e, ids[3], st, sizeof st);
    assert_string_equal(st, "Stopped");
    engine_fixture_status(e, ids[0], st, sizeof st);
    assert_string_equal(st, "Success");
    assert_released();
    assert_int_equal(redis_fixture_int(&rf, "EVAL %s 0 {t}:berth:batch:*",
                                       "return #redis.call('KEYS', ARGV[1])"), 0);
    rconn_close(&rc);
    rtarget_free(&t);
    berth_engine_free(e);
}

/* requeue.lua with the mode and arguments given (a node's hand-back, 'own', or the
 * reaper's 'expired'); returns the number of jobs it requeued. */
static size_t requeue(rconn *rc, const char *mode, const char *const *args, size_t n)
{
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, "{t}:");
    rargs_addi(&a, clock_wall_s());
    rargs_adds(&a, mode);
    for (size_t i = 0; i < n; i++)
        rargs_adds(&a, args[i]);
    rreply *r = rconn_eval(rc, SCRIPT_REQUEUE, &a);
    if (rreply_array(rc, r, RREPLY_ANY) != 0)
        fail_msg("requeue.lua: %s", rc->err);
    size_t got = rreply_len(r);
    rreply_free(r);
    rargs_free(&a);
    return got;
}

/* The batch record keeps the jobs' JSON and their revisions apart ('json', 'revs': no
 * string built per job at fetch); requeue.lua reads the id from the JSON. A run handed
 * back ('own') leaves the record holding the others, which the reaper still requeues; a
 * record in the older layout ('jobs': '<rev>|<id>|<JSON>' per run, written by a Berth
 * before this one) is requeued as well. */
static void test_batch_record_requeued(void **state)
{
    (void)state;
    berth_engine *e = engine_unstarted();
    char *launched[3];
    for (int k = 0; k < 3; k++)
        launched[k] = launch(e, NULL);
    rconn rc;
    rtarget t;
    conn(&rc, &t);
    char ids[3][25];
    long long revs[3];
    assert_int_equal(fetch(&rc, 3, clock_wall_ms() - 1, ids, revs), 3);   /* lease over */
    const char *bkey = "{t}:berth:batch:" POOL ":1";
    assert_int_equal(redis_fixture_int(&rf, "HEXISTS %s jobs", bkey), 0);
    char want[64];
    snprintf(want, sizeof want, "%lld %lld %lld", revs[0], revs[1], revs[2]);
    rreply *r = rconn_cmd(&rc, "HGET %s revs", bkey);
    assert_true(rreply_str_is(r, want));
    rreply_free(r);
    /* hand back the second run: requeued, and the record keeps the first and the third */
    assert_int_equal(requeue(&rc, "own", (const char *[]){POOL, "1", ids[1]}, 3), 1);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), 1);
    assert_int_equal(redis_fixture_int(&rf, "HINCRBY %s left 0", bkey), 2);
    snprintf(want, sizeof want, "%lld %lld", revs[0], revs[2]);
    r = rconn_cmd(&rc, "HGET %s revs", bkey);
    assert_true(rreply_str_is(r, want));
    rreply_free(r);
    /* the same record as an older Berth wrote it: the reaper requeues both runs left */
    assert_int_equal(redis_fixture_int(&rf, "EVAL %s 1 %s", "local k = KEYS[1] "
        "local j = {} local n = 0 "
        "for raw in string.gmatch(redis.call('HGET', k, 'json'), '[^%z]+') do "
        "  local r = string.match(raw, '\"id\":\"([^\"]+)') "
        "  n = n + 1 j[n] = r end "
        "local revs = {} for v in string.gmatch(redis.call('HGET', k, 'revs'), '%S+') do "
        "  revs[#revs + 1] = v end "
        "local raws = {} for raw in string.gmatch(redis.call('HGET', k, 'json'), '[^%z]+') do "
        "  raws[#raws + 1] = raw end "
        "local old = {} for i = 1, n do old[i] = revs[i] .. '|' .. j[i] .. '|' .. raws[i] end "
        "redis.call('HDEL', k, 'json', 'revs') "
        "redis.call('HSET', k, 'jobs', table.concat(old, '\\0')) return n", bkey), 2);
    char deadline[32];
    snprintf(deadline, sizeof deadline, "%lld", (long long)clock_wall_ms());
    assert_int_equal(requeue(&rc, "expired", (const char *[]){deadline, "10"}, 2), 2);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), 3);
    assert_int_equal(redis_fixture_int(&rf, "EXISTS %s", bkey), 0);
    assert_released();
    for (int k = 0; k < 3; k++)
        free(launched[k]);
    rconn_close(&rc);
    rtarget_free(&t);
    berth_engine_free(e);
}

/* An engine draining jobs without hooks (the completer sends most of them as groups, which
 * of them depends on timing: test_finish_ops checks the grouping) leaves every job Success,
 * no in-progress entry and nothing held. */
static void test_drain_without_hooks(void **state)
{
    (void)state;
    enum { N = 200 };
    berth_engine *e = engine_unstarted();
    char *ids[N];
    for (int i = 0; i < N; i++)
        ids[i] = launch(e, NULL);
    assert_int_equal(berth_engine_start(e), 0);
    for (int i = 0; i < N; i++) {
        assert_true(engine_fixture_wait_status(e, ids[i], "Success", 10000));
        free(ids[i]);
    }
    assert_true(redis_fixture_wait_int(&rf, 0, 10000, "ZCARD {t}:berth:leases"));
    assert_int_equal(redis_fixture_int(&rf, "HLEN {t}:job_track:inprogress"), 0);
    assert_released();
    berth_engine_stop(e);
    berth_engine_free(e);
}

/* End to end: every job's events are Running then Success, whatever the batching. */
static void test_drain_hooks_in_order(void **state)
{
    (void)state;
    enum { N = 300 };
    berth_engine *e = engine_unstarted();
    char *ids[N];
    for (int i = 0; i < N; i++)
        ids[i] = launch(e, "http://127.0.0.1:9/hook");
    assert_int_equal(berth_engine_start(e), 0);
    assert_true(redis_fixture_wait_int(&rf, 2 * N, 30000, "XLEN {t}:berth:hooks"));
    rconn rc;
    rtarget t;
    conn(&rc, &t);
    for (int i = 0; i < N; i++) {
        char ev[256];
        events_of(&rc, ids[i], ev, sizeof ev);
        assert_string_equal(ev, "Running/Running,Success/Success");
        free(ids[i]);
    }
    assert_true(redis_fixture_wait_int(&rf, 0, 10000, "ZCARD {t}:berth:leases"));
    rconn_close(&rc);
    rtarget_free(&t);
    berth_engine_stop(e);
    berth_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_and_end_in_one_op),
        cmocka_unit_test(test_one_op_without_hook),
        cmocka_unit_test(test_one_op_after_stop),
        cmocka_unit_test(test_success_inline_without_hook),
        cmocka_unit_test(test_inprogress_entry_from_running),
        cmocka_unit_test(test_inline_success_of_scheduled),
        cmocka_unit_test(test_inline_success_ttl_setting),
        cmocka_unit_test(test_group_mixed),
        cmocka_unit_test(test_largest_completer_batch),
        cmocka_unit_test(test_inline_refuses_stopped_or_other_revision),
        cmocka_unit_test(test_revision_other_spelling),
        cmocka_unit_test(test_fetch_code_tells_unique),
        cmocka_unit_test(test_fetch_reply_forms),
        cmocka_unit_test(test_dead_node_batch_given_up),
        cmocka_unit_test(test_batch_record_requeued),
        cmocka_unit_test(test_drain_without_hooks),
        cmocka_unit_test(test_drain_hooks_in_order),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
