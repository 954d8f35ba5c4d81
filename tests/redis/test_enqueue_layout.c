/* What a launch writes to Redis (src/engine/enqueue.c, src/store/lua/enqueue.lua), against a
 * real redis-server:
 *  - the stats hash in Berth's compact layout with values over 64 bytes in pieces, built
 *    by enqueue.c (the script HSETs the fields as they come): the boundaries 64/65 bytes and
 *    48/49 pieces are exact, and the engine reads every value back whole;
 *  - a job queued now has no {ns}:job_track:inprogress entry; its Running write (finish.lua)
 *    writes it and its final status removes it;
 *  - a queued job stopped with a hook URL gets an entry at 1, so the sweep can chase the
 *    Stopped hook's ack (finalize in _lib.lua);
 *  - the sweep does not fail a job waiting in its queue past max_update_hours (it has no
 *    entry), while it still fails a hung Running job it finds there. */
#include "test.h"

#include <hiredis/hiredis.h>
#include <stdatomic.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "redis_fixture.h"
#include "util/clock.h"
#include "wait.h"

static redis_fixture rf;
static atomic_int release_runs;   /* 0: a HOLD run waits for the test to set it */

static bool released(void *arg)
{
    (void)arg;
    return atomic_load(&release_runs) != 0;
}

static int hold_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx, (void)params, (void)ud;
    wait_until(released, NULL, 30000);
    return 0;
}

static const berth_job_type types[] = {{.name = "HOLD", .run = hold_run}, {0}};

static char *launch(berth_engine *e, const berth_launch *l)
{
    berth_stats *s = NULL;
    char err[256] = "";
    assert_int_equal(berth_engine_launch(e, l, &s, err, sizeof err), 0);
    char *id = strdup(s->id);
    berth_stats_free(s);
    return id;
}

/* The in-progress counter of id, or -2 when it has no entry. */
static long long inprogress(const char *id)
{
    return redis_fixture_int(&rf, "EVAL %s 1 {t}:job_track:inprogress %s",
                             "return tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or -2)", id);
}

/* The stats field f of job id as stored: "" when absent. */
static void field(const char *id, const char *f, char *out, size_t outlen)
{
    redisContext *c = redisConnectUnix(rf.sock);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "HGET {t}:job_stats:%s %s", id, f);
    assert_non_null(r);
    snprintf(out, outlen, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    redisFree(c);
}

/* Parameters {"k":"xxx..."} whose compact text is exactly len bytes (len >= 9). */
static char *params_of(size_t len)
{
    char *p = malloc(len + 1);
    assert_non_null(p);
    memcpy(p, "{\"k\":\"", 6);
    memset(p + 6, 'x', len - 8);
    memcpy(p + len - 2, "\"}", 3);
    return p;
}

/* The stored pieces of field f joined (f itself must be absent), and how many. */
static size_t joined(const char *id, const char *f, char *out, size_t outlen)
{
    char whole[8];
    field(id, f, whole, sizeof whole);
    assert_string_equal(whole, "");
    size_t k = 0, at = 0;
    for (;;) {
        char name[32], v[128];
        snprintf(name, sizeof name, "%s#%zu", f, k + 1);
        field(id, name, v, sizeof v);
        if (!v[0])
            break;
        assert_true(strlen(v) <= 64);
        assert_true(at + strlen(v) < outlen);
        memcpy(out + at, v, strlen(v) + 1);
        at += strlen(v);
        k++;
    }
    return k;
}

static void values_over_64_bytes_are_stored_in_pieces(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine_config cfg = engine_fixture_config(&rf);
    berth_engine *e = engine_fixture_new(&cfg, types);
    char *p64 = params_of(64), *p65 = params_of(65), *p3072 = params_of(3072),
         *p3073 = params_of(3073);
    char url[160];
    snprintf(url, sizeof url, "http://127.0.0.1:1/hook/%0100d", 1);   /* 124 bytes */
    char *a = launch(e, &(berth_launch){.name = "HOLD", .params_json = p64});
    char *b = launch(e, &(berth_launch){.name = "HOLD", .params_json = p65, .status_hook = url});
    char *c = launch(e, &(berth_launch){.name = "HOLD", .params_json = p3072});
    char *d = launch(e, &(berth_launch){.name = "HOLD", .params_json = p3073});
    static char v[4096];
    field(a, "p", v, sizeof v);
    assert_string_equal(v, p64);                          /* 64: whole */
    assert_int_equal(joined(b, "p", v, sizeof v), 2);     /* 65: 64 + 1 */
    assert_string_equal(v, p65);
    assert_int_equal(joined(b, "web_hook_url", v, sizeof v), 2);
    assert_string_equal(v, url);
    assert_int_equal(joined(c, "p", v, sizeof v), 48);    /* 48 pieces at most */
    assert_string_equal(v, p3072);
    field(d, "p", v, sizeof v);
    assert_string_equal(v, p3073);                        /* past 48 pieces: whole */
    /* the engine reads each one back whole, as the launch sent it */
    const char *ids[] = {a, b, c, d}, *want[] = {p64, p65, p3072, p3073};
    for (int i = 0; i < 4; i++) {
        berth_stats *s = NULL;
        assert_int_equal(berth_engine_get_stats(e, ids[i], &s), 0);
        assert_string_equal(s->parameters, want[i]);
        assert_string_equal(s->status, "Pending");
        if (i == 1)
            assert_string_equal(s->web_hook_url, url);
        berth_stats_free(s);
    }
    for (int i = 0; i < 4; i++)
        free((void *)ids[i]);
    free(p64), free(p65), free(p3072), free(p3073);
    berth_engine_free(e);
}

static void queued_job_gets_its_entry_when_taken_to_run(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    atomic_store(&release_runs, 0);
    berth_engine_config cfg = engine_fixture_config(&rf);
    berth_engine *e = engine_fixture_new(&cfg, types);
    char *id = launch(e, &(berth_launch){.name = "HOLD"});
    char *later = launch(e, &(berth_launch){.name = "HOLD", .kind = "Scheduled",
                                            .schedule_delay = 3600});
    assert_int_equal(inprogress(id), -2);          /* queued: no entry */
    assert_int_equal(inprogress(later), 2);        /* scheduled: as from Harbor */
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:HOLD"), 1);
    assert_int_equal(berth_engine_start(e), 0);
    assert_true(engine_fixture_wait_status(e, id, "Running", 10000));
    assert_int_equal(inprogress(id), 2);           /* Running: written with it */
    atomic_store(&release_runs, 1);
    assert_true(engine_fixture_wait_status(e, id, "Success", 10000));
    assert_true(redis_fixture_wait_int(&rf, 0, 10000, "HEXISTS {t}:job_track:inprogress %s", id));
    free(id), free(later);
    berth_engine_free(e);
}

static void queued_job_stopped_with_a_hook_keeps_an_entry_for_its_ack(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine_config cfg = engine_fixture_config(&rf);
    berth_engine *e = engine_fixture_new(&cfg, types);   /* not started: the job stays queued */
    char *hooked = launch(e, &(berth_launch){.name = "HOLD", .status_hook = "http://127.0.0.1:1/h"});
    char *plain = launch(e, &(berth_launch){.name = "HOLD"});
    assert_int_equal(berth_engine_stop_job(e, hooked), 0);
    assert_int_equal(berth_engine_stop_job(e, plain), 0);
    assert_true(engine_fixture_wait_status(e, hooked, "Stopped", 5000));
    assert_true(engine_fixture_wait_status(e, plain, "Stopped", 5000));
    assert_int_equal(inprogress(hooked), 1);   /* the Stopped hook still waits for its ack */
    assert_int_equal(inprogress(plain), -2);   /* no hook: nothing to wait for */
    free(hooked), free(plain);
    berth_engine_free(e);
}

static void sweep_leaves_a_long_queued_job_alone(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    atomic_store(&release_runs, 1);
    berth_engine_config cfg = engine_fixture_config(&rf);
    berth_engine *e = engine_fixture_new(&cfg, types);
    char *queued = launch(e, &(berth_launch){.name = "HOLD"});
    /* queued long ago, its queue paused so that it stays queued (a queued job has no
     * update_time: its revision stands for it) */
    assert_int_equal(redis_fixture_int(&rf, "HSET {t}:job_stats:%s revision 1", queued), 0);
    assert_int_equal(redis_fixture_int(&rf, "HEXISTS {t}:job_stats:%s update_time", queued), 0);
    redis_fixture_int(&rf, "SET {t}:jobs:HOLD:paused 1");
    assert_int_equal(redis_fixture_int(&rf, "EXISTS {t}:jobs:HOLD:paused"), 1);
    /* a hung Running job in the in-progress hash: once it is Error, the sweep has run */
    const char *hung = "0123456789abcdef01234567";
    redis_fixture_int(&rf, "HSET {t}:job_stats:%s n HOLD status Running revision 5 "
                      "update_time 1", hung);
    redis_fixture_int(&rf, "HSET {t}:job_track:inprogress %s 2", hung);
    /* running since now, with no update_time: the sweep takes its revision for it */
    const char *fresh = "0123456789abcdef0123fe5h";
    redis_fixture_int(&rf, "HSET {t}:job_stats:%s n HOLD status Running revision %lld", fresh,
                      (long long)clock_wall_s());
    redis_fixture_int(&rf, "HSET {t}:job_track:inprogress %s 2", fresh);
    assert_int_equal(berth_engine_start(e), 0);
    assert_true(engine_fixture_wait_status(e, hung, "Error", 10000));
    char st[32];
    engine_fixture_status(e, fresh, st, sizeof st);
    assert_string_equal(st, "Running");        /* not hung: its revision is recent */
    engine_fixture_status(e, queued, st, sizeof st);
    assert_string_equal(st, "Pending");        /* waiting is not hung */
    assert_int_equal(redis_fixture_int(&rf, "DEL {t}:jobs:HOLD:paused"), 1);
    assert_true(engine_fixture_wait_status(e, queued, "Success", 10000));
    free(queued);
    berth_engine_free(e);
}

/* HGETALL of job id's stats as "f=v;..." in stored order, its id replaced by ID and the
 * revision by REV (caller frees). */
static char *stats_text(const char *id)
{
    redisReply *r = redis_fixture_cmd(&rf, "HGETALL {t}:job_stats:%s", id);
    assert_true(r && r->type == REDIS_REPLY_ARRAY && r->elements > 0);
    char *out = calloc(1, 4096);
    assert_non_null(out);
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const char *f = r->element[i]->str, *v = r->element[i + 1]->str;
        size_t at = strlen(out);
        snprintf(out + at, 4096 - at, "%s=%s;", f,
                 !strcmp(f, "revision") ? "REV" : !strcmp(v, id) ? "ID" : v);
    }
    freeReplyObject(r);
    return out;
}

/* The queue entry of job id in {t}:jobs:HOLD with its id and "t" replaced (caller frees). */
static char *entry_text(const char *id)
{
    redisReply *r = redis_fixture_cmd(&rf, "LRANGE {t}:jobs:HOLD 0 -1");
    assert_true(r && r->type == REDIS_REPLY_ARRAY);
    char *out = NULL;
    for (size_t i = 0; i < r->elements && !out; i++) {
        const char *e = r->element[i]->str, *at = strstr(e, id), *t = strstr(e, "\"t\":");
        if (!at || !t || t < at)
            continue;
        assert_true(asprintf(&out, "%.*sID%.*sT%s", (int)(at - e), e,
                             (int)(t + 4 - (at + strlen(id))), at + strlen(id),
                             t + 4 + strspn(t + 4, "0123456789")) > 0);
    }
    freeReplyObject(r);
    assert_non_null(out);
    return out;
}

/* enqueue.lua writes a lone job queued now (the one-call launch) on a path of its own:
 * the same stats hash (fields, order, values) and the same queue entry as the batch loop
 * writes for the same job, for every shape of stats a launch can have. */
static void lone_launch_writes_what_a_batch_writes(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    berth_engine_config cfg = engine_fixture_config(&rf);
    berth_engine *e = engine_fixture_new(&cfg, types);   /* not started: the jobs stay queued */
    char *longp = params_of(200), *p64 = params_of(64), *p65 = params_of(65);
    /* enqueue.c sends a job short (no extra arguments) up to 64 bytes of parameters with
     * nothing else to store, and in full past that: both sides of the line */
    const berth_launch shapes[] = {
        {.name = "HOLD"},
        {.name = "HOLD", .params_json = "{\"k\":1}"},
        {.name = "HOLD", .params_json = longp, .status_hook = "http://127.0.0.1:1/hook"},
        {.name = "HOLD", .params_json = p64},
        {.name = "HOLD", .params_json = p65},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        char *alone = launch(e, &shapes[k]);
        berth_launch two[2] = {shapes[k], shapes[k]};
        char ids[2][25];
        int results[2] = {-1, -1};
        assert_int_equal(berth_engine_launch_batch(e, two, 2, ids, results), 0);
        assert_int_equal(results[0], 0);
        char *a = stats_text(alone), *b = stats_text(ids[0]);
        assert_string_equal(a, b);
        char *qa = entry_text(alone), *qb = entry_text(ids[0]);
        assert_string_equal(qa, qb);
        free(a), free(b), free(qa), free(qb), free(alone);
    }
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:HOLD"), 15);
    /* every shape in one batch, short and full jobs mixed: each written as alone, and the
     * queue in launch order (LPUSH: the last launched at the head) */
    enum { NS = sizeof shapes / sizeof shapes[0] };
    char ids[NS][25];
    int results[NS];
    assert_int_equal(berth_engine_launch_batch(e, shapes, NS, ids, results), 0);
    for (size_t k = 0; k < NS; k++) {
        assert_int_equal(results[k], 0);
        char *alone = launch(e, &shapes[k]);
        char *a = stats_text(alone), *b = stats_text(ids[k]);
        assert_string_equal(a, b);
        free(a), free(b), free(alone);
    }
    redisReply *r = redis_fixture_cmd(&rf, "LRANGE {t}:jobs:HOLD %d %d", NS, 2 * NS - 1);
    assert_true(r && r->type == REDIS_REPLY_ARRAY && r->elements == NS);
    for (size_t k = 0; k < NS; k++)
        assert_non_null(strstr(r->element[NS - 1 - k]->str, ids[k]));
    freeReplyObject(r);
    free(longp), free(p64), free(p65);
    berth_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_over_64_bytes_are_stored_in_pieces),
        cmocka_unit_test(queued_job_gets_its_entry_when_taken_to_run),
        cmocka_unit_test(queued_job_stopped_with_a_hook_keeps_an_entry_for_its_ack),
        cmocka_unit_test(sweep_leaves_a_long_queued_job_alone),
        cmocka_unit_test(lone_launch_writes_what_a_batch_writes),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
