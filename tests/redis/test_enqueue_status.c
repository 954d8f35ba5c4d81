/* A Generic job queued now stores no `status`: it is Pending until something changes it,
 * and a stats hash with a revision but no status reads Pending everywhere
 * (stats_status in src/store/lua/_lib.lua, derive() in src/model/stats_hash.c,
 * berth_tracker_status). Its listpack falls from the allocator's 64-byte class to the
 * 48-byte one (docs/design-notes.md, "Enqueue cost per job"). This checks, on a real
 * redis-server, both halves: every reader and every script that can meet such a job does
 * what it does for a stored Pending — GET, the job list, the tracker, stop, queue stop,
 * fetch, the inline success, a given-up lease, reset, the sweep's hung-job rule — and
 * every writer that changes the status writes it. A hash with no revision is still no job
 * (fetch parks its queue entry for the load-retry). While a Harbor node's pool beats in the
 * namespace, launches write the status again (a Harbor node fails a job without one:
 * src/engine/harbor_nodes.c). Empty parameters (`{}`) are not stored either, but a unique
 * job's are (its lock's key is made from them). */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "berth/berth.h"
#include "berth/query.h"
#include "berth/queue.h"
#include "berth/tracker.h"
#include "engine_fixture.h"
#include "store/redis.h"
#include "util/clock.h"
#include "wait.h"

static redis_fixture rf;

#define POOL "statuspool00000000000000a"
#define T0 1700000000LL

static berth_engine *engine_unstarted(void)
{
    return engine_fixture_noop_unstarted(&rf);
}

static char *launch_params(berth_engine *e, const char *params, bool unique)
{
    char err[256];
    berth_stats *st = NULL;
    berth_launch l = {.name = "NOOP", .params_json = params, .unique = unique};
    assert_int_equal(berth_engine_launch(e, &l, &st, err, sizeof err), 0);
    assert_string_equal(st->status, "Pending");   /* the launch's answer says it */
    char *id = strdup(st->id);
    berth_stats_free(st);
    return id;
}

/* The benchmark's job: a four-letter name, parameters {"k":1}. */
static char *launch(berth_engine *e)
{
    return launch_params(e, "{\"k\":1}", false);
}

static bool has(const char *id, const char *field)
{
    return redis_fixture_int(&rf, "HEXISTS {t}:job_stats:%s %s", id, field) == 1;
}

/* The stored revision. */
static long long revision_of(const char *id)
{
    redisReply *r = redis_fixture_cmd(&rf, "HGET {t}:job_stats:%s revision", id);
    assert_true(r && r->type == REDIS_REPLY_STRING);
    long long v = atoll(r->str);
    freeReplyObject(r);
    return v;
}

static void assert_status(berth_engine *e, const char *id, const char *want)
{
    char st[32];
    engine_fixture_status(e, id, st, sizeof st);
    assert_string_equal(st, want);
}

/* The stored status, "" when there is none. */
static void stored_status(const char *id, char *out, size_t len)
{
    redisReply *r = redis_fixture_cmd(&rf, "HGET {t}:job_stats:%s status", id);
    assert_non_null(r);
    snprintf(out, len, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
}

static void assert_stored(const char *id, const char *want)
{
    char st[32];
    stored_status(id, st, sizeof st);
    assert_string_equal(st, want);
}

static void assert_compact(const char *id)
{
    redisReply *r = redis_fixture_cmd(&rf, "OBJECT ENCODING {t}:job_stats:%s", id);
    assert_true(r && r->type == REDIS_REPLY_STRING);
    assert_string_equal(r->str, "listpack");
    freeReplyObject(r);
}

static void conn(rconn *rc, rtarget *t)
{
    berth_engine_config c = engine_fixture_config(&rf);
    assert_int_equal(rtarget_from_config(t, &c, NULL), 0);
    rconn_init(rc, t, 5000);
}

/* What most tests start from: an unstarted engine, one benchmark job launched, and a
 * connection for calling the scripts as the engine does. */
typedef struct world {
    berth_engine *e;
    char *id;
    rconn rc;
    rtarget t;
} world;

static char *launch(berth_engine *e);

static void world_open(world *w)
{
    w->e = engine_unstarted();
    w->id = launch(w->e);
    conn(&w->rc, &w->t);
}

static void world_close(world *w)
{
    rconn_close(&w->rc);
    rtarget_free(&w->t);
    free(w->id);
    berth_engine_free(w->e);
}

static void args_start(rargs *a)
{
    rargs_init(a);
    rargs_adds(a, "{t}:");
    rargs_addi(a, clock_wall_s());
}

/* fetch.lua for POOL (batch 1, lease until deadline_ms): the first job's code and its
 * revision (-1 when nothing came). */
static long long fetch(rconn *rc, long long deadline_ms, char *code, size_t codelen)
{
    rargs a;
    args_start(&a);
    rargs_adds(&a, POOL);
    rargs_addi(&a, deadline_ms);
    rargs_addi(&a, 10);
    rargs_addi(&a, 1);
    rargs_adds(&a, "NOOP");
    rargs_addi(&a, 0);
    rargs_addi(&a, 1);
    rreply *r = rconn_eval(rc, SCRIPT_FETCH, &a);
    rargs_free(&a);
    if (rreply_array(rc, r, RREPLY_ANY) != 0)
        fail_msg("fetch.lua: %s", rc->err);
    long long rev = -1;
    snprintf(code, codelen, "%s", "");
    if (rreply_len(r) >= 3) {
        snprintf(code, codelen, "%s", rreply_str(rreply_at(r, 0)));
        assert_int_equal(rreply_integer(rc, rreply_at(r, 1), &rev), 0);
    }
    rreply_free(r);
    return rev;
}

/* An untouched job stores n, revision and p only, reads Pending through every C reader
 * (GET, the job list, the tracker), and its hash is 16 bytes smaller than with the status
 * stored: the listpack is in the 48-byte class instead of the 64-byte one (jemalloc, as
 * Debian's redis-server is built). */
static void untouched_job_stores_no_status(void **state)
{
    (void)state;
    berth_engine *e = engine_unstarted();
    char *id = launch(e);
    assert_int_equal(redis_fixture_int(&rf, "HLEN {t}:job_stats:%s", id), 3);
    assert_true(has(id, "n") && has(id, "revision") && has(id, "p"));
    assert_status(e, id, "Pending");
    berth_stats_list l = {0};
    assert_int_equal(berth_query_jobs(e, 0, 100, &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0]->status, "Pending");
    berth_stats_list_clear(&l);
    berth_tracker *t = NULL;
    assert_int_equal(berth_tracker_new(e, id, &t), 0);
    assert_int_equal(berth_tracker_load(t), 0);
    assert_string_equal(berth_tracker_job(t)->status, "Pending");
    berth_status s = BERTH_STATUS_INVALID;
    assert_int_equal(berth_tracker_status(t, &s), 0);
    assert_int_equal(s, BERTH_STATUS_PENDING);
    berth_tracker_free(t);
    long long without = redis_fixture_int(&rf, "MEMORY USAGE {t}:job_stats:%s", id);
    redis_fixture_ok(&rf, "HSET {t}:job_stats:%s status Pending", id);
    long long with = redis_fixture_int(&rf, "MEMORY USAGE {t}:job_stats:%s", id);
    assert_int_equal(with - without, 16);
    /* a hash with no revision is no job, whatever else it holds */
    redis_fixture_ok(&rf, "HSET {t}:job_stats:orphan ack x");
    assert_int_equal(berth_tracker_new(e, "orphan", &t), 0);
    assert_int_equal(berth_tracker_status(t, &s), BERTH_ENOTFOUND);
    berth_tracker_free(t);
    free(id);
    berth_engine_free(e);
}

/* A Scheduled job keeps its stored status (Harbor's reaper reads it). */
static void scheduled_job_keeps_its_status(void **state)
{
    (void)state;
    berth_engine *e = engine_unstarted();
    char err[256];
    berth_stats *st = NULL;
    berth_launch l = {.name = "NOOP", .kind = "Scheduled", .schedule_delay = 3600};
    assert_int_equal(berth_engine_launch(e, &l, &st, err, sizeof err), 0);
    assert_stored(st->id, "Scheduled");
    berth_stats_free(st);
    berth_engine_free(e);
}

/* `{}` parameters are not stored and GET reads the same (no parameters, as Go's omitempty);
 * a unique job's are kept, and its stop finds and frees its lock through them. */
static void empty_parameters_not_stored_unless_unique(void **state)
{
    (void)state;
    berth_engine *e = engine_unstarted();
    char *id = launch_params(e, "{}", false);
    assert_false(has(id, "p"));
    assert_int_equal(redis_fixture_int(&rf, "HLEN {t}:job_stats:%s", id), 2);
    berth_stats *st = NULL;
    assert_int_equal(berth_engine_get_stats(e, id, &st), 0);
    assert_null(st->parameters);
    berth_stats_free(st);
    char *u = launch_params(e, "{}", true);
    assert_true(has(u, "p"));
    assert_int_equal(redis_fixture_int(&rf, "EXISTS {t}:unique:NOOP:{}\n"), 1);
    assert_int_equal(berth_engine_stop_job(e, u), 0);
    assert_int_equal(redis_fixture_int(&rf, "EXISTS {t}:unique:NOOP:{}\n"), 0);
    free(id), free(u);
    berth_engine_free(e);
}

/* The API's stop of a queued job: Stopped (written), and its queue entry is skipped when
 * fetched ('S'). Then a queue stop takes another one. */
static void stops_of_queued_job(void **state)
{
    (void)state;
    world w;
    world_open(&w);
    assert_int_equal(berth_engine_stop_job(w.e, w.id), 0);
    assert_stored(w.id, "Stopped");
    char code[64];
    fetch(&w.rc, clock_wall_ms() + 60000, code, sizeof code);
    assert_string_equal(code, "S");
    char *id = launch(w.e);
    redis_fixture_ok(&rf, "SADD {t}:known_jobs NOOP");   /* an engine's start writes it */
    long long stopped = 0;
    assert_int_equal(berth_queue_stop_pending(w.e, "NOOP", &stopped), 0);
    assert_int_equal(stopped, 1);
    assert_stored(id, "Stopped");
    assert_compact(id);
    free(id);
    world_close(&w);
}

/* finish.lua: one group op of one run (fetch batch 1). Returns its two answers' count (2
 * when both are ok). */
static long long finish_one(rconn *rc, const char *id, long long rev)
{
    rargs a;
    args_start(&a);
    rargs_adds(&a, POOL);
    rargs_addi(&a, 1);   /* the completer's batch number */
    rargs_addi(&a, 1);
    rargs_adds(&a, "G"), rargs_addi(&a, 1), rargs_adds(&a, "NOOP"), rargs_addi(&a, 1);
    rargs_adds(&a, id), rargs_addi(&a, rev);
    rreply *r = rconn_eval(rc, SCRIPT_FINISH, &a);
    rargs_free(&a);
    long long n = -1;
    if (rreply_integer(rc, r, &n) != 0)
        fail_msg("finish.lua: %s", rc->err);
    rreply_free(r);
    return n;
}

/* fetch takes the job to run at its launch revision, and finish.lua's group writes its
 * success inline (the general path would take the run's in-progress entry away with an
 * HDEL; the inline one has nothing to take). A started engine runs another to Success. */
static void fetch_and_inline_success(void **state)
{
    (void)state;
    world w;
    world_open(&w);
    long long rev = revision_of(w.id);
    char code[64];
    assert_int_equal(fetch(&w.rc, clock_wall_ms() + 60000, code, sizeof code), rev);
    assert_string_equal(code, "R");
    redis_fixture_ok(&rf, "CONFIG RESETSTAT");
    assert_int_equal(finish_one(&w.rc, w.id, rev), 2);
    assert_stored(w.id, "Success");
    redisReply *r = redis_fixture_cmd(&rf, "INFO commandstats");
    assert_true(r && r->type == REDIS_REPLY_STRING);
    assert_null(strstr(r->str, "cmdstat_hdel:"));
    freeReplyObject(r);
    long long ttl = redis_fixture_int(&rf, "TTL {t}:job_stats:%s", w.id);
    assert_true(ttl > 86000 && ttl <= 86400);
    char *id = launch(w.e);
    assert_int_equal(berth_engine_start(w.e), 0);
    assert_true(engine_fixture_wait_status(w.e, id, "Success", 10000));
    berth_engine_stop(w.e);
    free(id);
    world_close(&w);
}

/* A lease given up while its job waited: requeued (with a new revision) rather than taken
 * for ended; reset: Pending written with a new revision. */
static void requeue_and_reset(void **state)
{
    (void)state;
    world w;
    world_open(&w);
    long long rev = revision_of(w.id);
    char code[64];
    assert_int_equal(fetch(&w.rc, clock_wall_ms() - 1, code, sizeof code), rev);
    rargs a;
    args_start(&a);
    rargs_adds(&a, "expired");
    rargs_addi(&a, clock_wall_ms());
    rargs_addi(&a, 10);
    rreply *r = rconn_eval(&w.rc, SCRIPT_REQUEUE, &a);
    rargs_free(&a);
    assert_int_equal(rreply_array(&w.rc, r, 1), 0);
    assert_string_equal(rreply_str(rreply_at(r, 0)), w.id);
    rreply_free(r);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:NOOP"), 1);
    assert_true(revision_of(w.id) > rev);
    assert_status(w.e, w.id, "Pending");

    char *id = launch(w.e);
    args_start(&a);
    rargs_adds(&a, id);
    r = rconn_eval(&w.rc, SCRIPT_RESET, &a);
    rargs_free(&a);
    long long nrev = 0;
    assert_int_equal(rreply_integer(&w.rc, r, &nrev), 0);
    rreply_free(r);
    assert_stored(id, "Pending");
    assert_int_equal(revision_of(id), nrev);
    assert_compact(id);
    free(id);
    world_close(&w);
}

/* status.lua (the tracker's compare-and-set): Running at the launch revision is allowed
 * from the unstored Pending, and Pending set again is too (a same-status write), as for a
 * stored Pending. */
static void tracker_writes_from_unstored_pending(void **state)
{
    (void)state;
    berth_engine *e = engine_unstarted();
    char *id = launch(e);
    berth_tracker *t = NULL;
    assert_int_equal(berth_tracker_new(e, id, &t), 0);
    assert_int_equal(berth_tracker_load(t), 0);
    assert_int_equal(berth_tracker_update_status_with_retry(t, BERTH_STATUS_PENDING), 0);
    assert_stored(id, "Pending");
    redis_fixture_ok(&rf, "HDEL {t}:job_stats:%s status update_time", id);
    assert_int_equal(berth_tracker_run(t), 0);
    assert_stored(id, "Running");
    assert_true(has(id, "update_time"));
    berth_tracker_free(t);
    free(id);
    berth_engine_free(e);
}

/* The sweep meets such a job only if something gave it an in-progress entry (a tracker's
 * Save, a job Harbor queued): it is Pending there, so the hung-job rule applies (Error,
 * written), not the rule for stats that are gone (the entry dropped, the job left as is). */
static void sweep_takes_it_for_pending(void **state)
{
    (void)state;
    world w;
    world_open(&w);
    redis_fixture_ok(&rf, "HSET {t}:job_stats:%s revision %lld", w.id, T0);
    redis_fixture_ok(&rf, "HSET {t}:job_track:inprogress %s 2", w.id);
    rargs a;
    args_start(&a);
    rargs_adds(&a, "0");
    rargs_addi(&a, 100);
    rargs_addi(&a, 3600);   /* max_update_seconds: T0 is long before */
    rargs_addi(&a, 300);
    rreply *r = rconn_eval(&w.rc, SCRIPT_SWEEP, &a);
    rargs_free(&a);
    long long hung = 0;
    assert_int_equal(rreply_array(&w.rc, r, 6), 0);
    assert_int_equal(rreply_integer(&w.rc, rreply_at(r, 1), &hung), 0);
    rreply_free(r);
    assert_int_equal(hung, 1);
    assert_stored(w.id, "Error");
    world_close(&w);
}

/* A queue entry whose stats have no revision (not saved yet by another writer) is still
 * parked for the load-retry ('W'), not run as Pending. */
static void no_revision_is_no_job(void **state)
{
    (void)state;
    world w;
    world_open(&w);
    redis_fixture_ok(&rf, "DEL {t}:job_stats:%s", w.id);
    redis_fixture_ok(&rf, "HSET {t}:job_stats:%s n NOOP", w.id);
    char code[64];
    fetch(&w.rc, clock_wall_ms() + 60000, code, sizeof code);
    assert_string_equal(code, "W");
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:retry"), 1);
    world_close(&w);
}

/* A launch stores its status when the engine's last heartbeat found a live Harbor pool. */
static bool launch_stores_status(void *arg)
{
    char *id = launch(arg);
    bool stored = has(id, "status");
    free(id);
    return stored;
}

static bool launch_stores_none(void *arg)
{
    return !launch_stores_status(arg);
}

/* What the heartbeat's check saw, for a failure: every pool of the namespace, its hash and
 * Redis's clock. */
static void dump_pools(void)
{
    redisReply *m = redis_fixture_cmd(&rf, "SMEMBERS {t}:worker_pools");
    redisReply *t = redis_fixture_cmd(&rf, "TIME");
    fprintf(stderr, "redis time %s, now %lld; pools:\n",
            t && t->type == REDIS_REPLY_ARRAY ? t->element[0]->str : "?",
            (long long)clock_wall_s());
    for (size_t i = 0; m && m->type == REDIS_REPLY_ARRAY && i < m->elements; i++) {
        redisReply *h = redis_fixture_cmd(&rf, "HGETALL {t}:worker_pools:%s", m->element[i]->str);
        fprintf(stderr, "  %s:", m->element[i]->str);
        for (size_t j = 0; h && h->type == REDIS_REPLY_ARRAY && j < h->elements; j++)
            fprintf(stderr, " %s", h->element[j]->str);
        fprintf(stderr, "\n");
        freeReplyObject(h);
    }
    freeReplyObject(t);
    freeReplyObject(m);
}

/* While a Harbor pool (no `berth` mark in its heartbeat hash) beats in the namespace,
 * launches write status Pending again (a Harbor node fails a job without one); another
 * Berth pool, or a Harbor pool whose heartbeat is old, does not count. */
static void harbor_pool_brings_the_status_back(void **state)
{
    (void)state;
    berth_engine *e = engine_unstarted();
    long long now = clock_wall_s();
    /* each hash before its set entry, as a pool beats: a sweep between the two would take
     * a set entry without its hash for a dead pool and remove it (a CI failure did) */
    redis_fixture_ok(&rf, "HSET {t}:worker_pools:otherberthpool000000000 heartbeat_at %lld "
                     "job_names NOOP berth 1", now);
    redis_fixture_ok(&rf, "SADD {t}:worker_pools otherberthpool000000000");
    assert_int_equal(berth_engine_start(e), 0);
    assert_int_equal(berth_queue_pause(e, "NOOP", true), 0);   /* launched jobs stay queued */
    /* Berth's own heartbeat carries the mark: two marked pools, the other one and ours */
    assert_true(redis_fixture_wait_int(&rf, 2, 10000, "EVAL %s 0",
                                       "local n = 0 for _, p in ipairs(redis.call('SMEMBERS', "
                                       "'{t}:worker_pools')) do if redis.call('HGET', "
                                       "'{t}:worker_pools:' .. p, 'berth') then n = n + 1 end "
                                       "end return n"));
    assert_true(launch_stores_none(e));
    redis_fixture_ok(&rf, "HSET {t}:worker_pools:harborpool00000000000000 heartbeat_at %lld "
                     "started_at %lld job_names NOOP concurrency 10", now, now);
    redis_fixture_ok(&rf, "SADD {t}:worker_pools harborpool00000000000000");
    if (!wait_until(launch_stores_status, e, 10000)) {
        dump_pools();
        fail_msg("launches store no status while a Harbor pool beats");
    }
    char *id = launch(e);
    char st[32];
    stored_status(id, st, sizeof st);
    assert_string_equal(st, "Pending");
    free(id);
    redis_fixture_ok(&rf, "HSET {t}:worker_pools:harborpool00000000000000 heartbeat_at %lld",
                     now - 120);
    assert_true(wait_until(launch_stores_none, e, 10000));
    berth_engine_stop(e);
    berth_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(untouched_job_stores_no_status),
        cmocka_unit_test(scheduled_job_keeps_its_status),
        cmocka_unit_test(empty_parameters_not_stored_unless_unique),
        cmocka_unit_test(stops_of_queued_job),
        cmocka_unit_test(fetch_and_inline_success),
        cmocka_unit_test(requeue_and_reset),
        cmocka_unit_test(tracker_writes_from_unstored_pending),
        cmocka_unit_test(sweep_takes_it_for_pending),
        cmocka_unit_test(no_revision_is_no_job),
        cmocka_unit_test(harbor_pool_brings_the_status_back),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
