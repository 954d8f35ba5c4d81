/* The stats hash {ns}:job_stats:<id> in Berth's compact layout (docs/redis-schema.md,
 * "Stats hash"), on a real redis-server with its default hash-max-listpack-value (64):
 *  - after everything that can happen to a job (long parameters, a long hook URL, check-ins
 *    with a long message, the ack with check_in_at, a retry, a stop, a failure with a long
 *    reason, a unique or scheduled launch) the hash is still a listpack;
 *  - GET of the job returns exactly the JSON it returns for the same stats written in
 *    Harbor's layout (what Berth wrote before, and what Harbor's job service writes);
 *  - the finished-stats TTLs follow the engine's config (Harbor's day and week by default);
 *  - a finished job with a hook and a check-in takes at most 300 bytes (MEMORY USAGE). */
#include "test.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <string.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "hook_receiver.h"
#include "model/stats_json.h"
#include "util/buf.h"
#include "wait.h"

static redis_fixture rf;

/* params: {"checkin":N} checks in N times with a 300-byte message; {"fail":1} fails with a
 * long reason; {"wait":1} runs until stopped. */
static int shape_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ud;
    char msg[301];
    memset(msg, 'm', 300);
    msg[300] = '\0';
    if (params && strstr(params, "\"checkin\"")) {
        berth_ctx_checkin(ctx, "short");
        berth_ctx_checkin(ctx, msg);
    }
    if (params && strstr(params, "\"wait\""))
        while (!berth_ctx_sleep(ctx, 20))
            ;
    if (params && strstr(params, "\"fail\""))
        return berth_ctx_fail(ctx, "failed because %s", msg);
    return 0;
}

static berth_engine *engine(unsigned ttl, unsigned error_ttl)
{
    berth_engine_config c = engine_fixture_config(&rf);
    c.stats_ttl_s = ttl;
    c.stats_error_ttl_s = error_ttl;
    return engine_fixture_start(&c, (berth_job_type[]){
        {.name = "SHAPE", .run = shape_run, .max_fails = 2}, {0}});
}

static redisContext *conn(void)
{
    redisContext *c = redisConnectUnix(rf.sock);
    assert_true(c && !c->err);
    return c;
}

static void encoding_is_listpack(const char *id)
{
    redisContext *c = conn();
    redisReply *r = redisCommand(c, "OBJECT ENCODING {t}:job_stats:%s", id);
    assert_true(r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS));
    if (strcmp(r->str, "listpack") != 0)
        fail_msg("job %s: stats hash encoded as %s", id, r->str);
    freeReplyObject(r);
    redisFree(c);
}

/* GET's JSON of the job (berth_stats_to_json, as the API writes it). Caller frees. */
static char *get_json(berth_engine *e, const char *id)
{
    berth_stats *s = NULL;
    assert_int_equal(berth_engine_get_stats(e, id, &s), 0);
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_stats_to_json(s, true, false, &b), 0);
    berth_stats_free(s);
    assert_int_equal(buf_append(&b, "", 1), 0);
    return buf_release(&b);
}

static const char *const SHORT[][2] = {{"n", "name"}, {"e", "enqueue_time"}, {"p", "parameters"}};

/* Rewrites the job's hash in Harbor's layout, converted here independently of the
 * library: pieces joined, short names long, id/kind/unique written, the ack as JSON, and
 * enqueue_time and update_time, which Berth leaves out while they equal the revision
 * (a job untouched since its launch), written as that revision. */
static void rewrite_as_harbor(const char *id)
{
    redisContext *c = conn();
    redisReply *h = redisCommand(c, "HGETALL {t}:job_stats:%s", id);
    assert_true(h && h->type == REDIS_REPLY_ARRAY && h->elements > 0);
    json_t *m = json_object();
    for (size_t i = 0; i + 1 < h->elements; i += 2) {
        char f[64];
        snprintf(f, sizeof f, "%s", h->element[i]->str);
        char *hash = strchr(f, '#');
        if (hash)
            *hash = '\0';   /* pieces come in order 1, 2, ... (HSET order) */
        for (size_t k = 0; k < 3; k++)
            if (!strcmp(f, SHORT[k][0]))
                snprintf(f, sizeof f, "%s", SHORT[k][1]);
        const char *old = json_string_value(json_object_get(m, f));
        char *v = NULL;
        assert_true(asprintf(&v, "%s%s", old ? old : "", h->element[i + 1]->str) > 0);
        json_object_set_new(m, f, json_string(v));
        free(v);
    }
    freeReplyObject(h);
    json_object_set_new(m, "id", json_string(id));
    if (!json_object_get(m, "kind"))
        json_object_set_new(m, "kind", json_string("Generic"));
    if (!json_object_get(m, "unique"))
        json_object_set_new(m, "unique", json_string("0"));
    json_t *revision = json_object_get(m, "revision");
    assert_non_null(revision);
    if (!json_object_get(m, "enqueue_time"))
        json_object_set(m, "enqueue_time", revision);
    if (!json_object_get(m, "update_time"))
        json_object_set(m, "update_time", revision);
    const char *ack = json_string_value(json_object_get(m, "ack"));
    if (ack) {
        char st[16];
        long long rev, cat = 0;   /* "<status> <revision> [<check_in_at - revision>]" */
        int got = sscanf(ack, "%15s %lld %lld", st, &rev, &cat);
        assert_true(got >= 2);
        cat = got == 3 ? rev + cat : 0;
        char *j = NULL;
        assert_true(asprintf(&j, "{\"status\":\"%s\",\"revision\":%lld,\"check_in_at\":%lld}",
                             st, rev, cat) > 0);
        json_object_set_new(m, "ack", json_string(j));
        free(j);
    }
    redisReply *r = redisCommand(c, "DEL {t}:job_stats:%s", id);
    freeReplyObject(r);
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v) {
        r = redisCommand(c, "HSET {t}:job_stats:%s %s %s", id, k, json_string_value(v));
        assert_true(r && r->type == REDIS_REPLY_INTEGER);
        freeReplyObject(r);
    }
    json_decref(m);
    redisFree(c);
}

/* Compact, then the same GET as from Harbor's layout. Returns the GET JSON (caller frees). */
static char *check_job(berth_engine *e, const char *id)
{
    encoding_is_listpack(id);
    char *compact = get_json(e, id);
    rewrite_as_harbor(id);
    char *harbor = get_json(e, id);
    assert_string_equal(compact, harbor);
    free(harbor);
    return compact;
}

static char *launch(berth_engine *e, const berth_launch *l)
{
    berth_stats *s = NULL;
    char err[256];
    assert_int_equal(berth_engine_launch(e, l, &s, err, sizeof err), 0);
    char *id = strdup(s->id);
    berth_stats_free(s);
    return id;
}

/* A JSON object of about n bytes. Caller frees. */
static char *long_params(size_t n, const char *extra)
{
    char *p = malloc(n + 64);
    int at = snprintf(p, n + 64, "{%s\"blob\":\"", extra);
    memset(p + at, 'x', n);
    strcpy(p + at + n, "\"}");
    return p;
}

/* GET's parameters equal the launched ones (the API writes them with sorted keys). */
static void same_params(const char *get, const char *params)
{
    json_t *g = json_loads(get, 0, NULL), *p = json_loads(params, 0, NULL);
    assert_non_null(g);
    assert_non_null(p);
    assert_true(json_equal(json_object_get(json_object_get(g, "job"), "parameters"), p));
    json_decref(g);
    json_decref(p);
}

static bool no_hooks_pending(void *arg)
{
    berth_hook_counts c;
    return berth_engine_hook_counts(arg, &c) == 0 && c.pending == 0;
}

static void test_every_shape_stays_compact(void **state)
{
    (void)state;
    hook_receiver *hr = hr_start();
    berth_engine *e = engine(0, 0);
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/service/notifications/tasks/"
             "0123456789/with/a/path/well/past/sixty/four/bytes/%0100d", hr_port(hr), 7);
    char *big = long_params(2000, "\"checkin\":1,");
    char *huge = long_params(20000, "");
    char *failing = long_params(100, "\"fail\":1,");
    struct {
        berth_launch l;
        const char *final;
    } shapes[] = {
        {{.name = "SHAPE"}, "Success"},
        {{.name = "SHAPE", .params_json = "{\"k\":1}"}, "Success"},
        {{.name = "SHAPE", .params_json = big, .status_hook = url}, "Success"},
        {{.name = "SHAPE", .params_json = "{\"checkin\":1}", .status_hook = url}, "Success"},
        {{.name = "SHAPE", .params_json = failing, .status_hook = url}, "Error"},
        {{.name = "SHAPE", .params_json = "{\"u\":1}", .unique = true}, "Success"},
        {{.name = "SHAPE", .kind = "Scheduled", .schedule_delay = 1, .status_hook = url},
         "Success"},
        {{.name = "SHAPE", .params_json = "{\"wait\":1}", .status_hook = url}, "Stopped"},
    };
    size_t n = sizeof shapes / sizeof shapes[0];
    char *ids[sizeof shapes / sizeof shapes[0]];
    for (size_t i = 0; i < n; i++) {
        ids[i] = launch(e, &shapes[i].l);
        encoding_is_listpack(ids[i]);   /* queued */
    }
    assert_true(engine_fixture_wait_status(e, ids[n - 1], "Running", 10000));
    assert_int_equal(berth_engine_stop_job(e, ids[n - 1]), 0);
    for (size_t i = 0; i < n; i++)
        assert_true(engine_fixture_wait_status(e, ids[i], shapes[i].final, 15000));
    assert_true(wait_until(no_hooks_pending, e, 15000));   /* every ack written */
    for (size_t i = 0; i < n; i++) {
        char *json = check_job(e, ids[i]);
        if (shapes[i].l.params_json)   /* the parameters come back whole */
            same_params(json, shapes[i].l.params_json);
        if (shapes[i].l.status_hook)
            assert_non_null(strstr(json, url));
        free(json);
    }
    /* the check-in job's ack holds check_in_at (Harbor's JSON would be 66+ bytes) */
    redisContext *c = conn();
    redisReply *r = redisCommand(c, "HGET {t}:job_stats:%s check_in_at", ids[3]);
    assert_true(r && r->type == REDIS_REPLY_STRING);
    freeReplyObject(r);

    /* parameters over 3 KiB are kept whole (a hashtable, a small part of such a job) */
    char *hid = launch(e, &(berth_launch){.name = "SHAPE", .params_json = huge});
    assert_true(engine_fixture_wait_status(e, hid, "Success", 10000));
    char *json = get_json(e, hid);
    same_params(json, huge);
    free(json);
    free(hid);
    redisFree(c);
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(big), free(huge), free(failing);
    berth_engine_free(e);
    hr_stop(hr);
}

static long long ttl_of(const char *id)
{
    return redis_fixture_int(&rf, "TTL {t}:job_stats:%s", id);
}

/* An engine with these TTL settings runs one job to Success and one to Error; their
 * stats must expire after ok_ttl and error_ttl seconds (10 s of slack). */
static void expect_ttls(unsigned ttl, unsigned error_ttl, long long ok_ttl, long long error_ttl_s)
{
    berth_engine *e = engine(ttl, error_ttl);
    char *ok = launch(e, &(berth_launch){.name = "SHAPE"});
    char *bad = launch(e, &(berth_launch){.name = "SHAPE", .params_json = "{\"fail\":1}"});
    assert_true(engine_fixture_wait_status(e, ok, "Success", 10000));
    assert_true(engine_fixture_wait_status(e, bad, "Error", 10000));
    assert_in_range(ttl_of(ok), ok_ttl - 10, ok_ttl);
    assert_in_range(ttl_of(bad), error_ttl_s - 10, error_ttl_s);
    berth_engine_free(e);
    free(ok), free(bad);
}

static void test_ttls_follow_the_config(void **state)
{
    (void)state;
    expect_ttls(1000, 2000, 1000, 2000);
    expect_ttls(0, 0, 86400, 604800);   /* defaults: Harbor's day and week */
    /* a namespace whose setting is missing or bad (written by no Berth, or by hand) */
    redis_fixture_int(&rf, "SET {t}:berth:stats_ttl bogus");
    char *id = NULL;
    berth_engine_config c = engine_fixture_config(&rf);
    berth_engine *e = engine_fixture_start(&c, (berth_job_type[]){
        {.name = "SHAPE", .run = shape_run}, {0}});
    redis_fixture_int(&rf, "SET {t}:berth:stats_ttl bogus");
    id = launch(e, &(berth_launch){.name = "SHAPE"});
    assert_true(engine_fixture_wait_status(e, id, "Success", 10000));
    assert_in_range(ttl_of(id), 86390, 86400);
    berth_engine_free(e);
    free(id);
}

/* Issue 18 target 4: a finished job that had a status hook and a check-in ≤ 300 bytes. */
static void test_finished_job_memory(void **state)
{
    (void)state;
    hook_receiver *hr = hr_start();
    berth_engine *e = engine(0, 0);
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", hr_port(hr));
    char *id = launch(e, &(berth_launch){.name = "SHAPE", .params_json = "{\"checkin\":1}",
                                         .status_hook = url});
    assert_true(engine_fixture_wait_status(e, id, "Success", 10000));
    assert_true(wait_until(no_hooks_pending, e, 15000));
    encoding_is_listpack(id);
    long long bytes = redis_fixture_int(&rf, "MEMORY USAGE {t}:job_stats:%s", id);
    if (bytes < 1 || bytes > 300) {   /* show what the hash holds */
        redisContext *c = conn();
        redisReply *h = redisCommand(c, "HGETALL {t}:job_stats:%s", id);
        for (size_t i = 0; h && i + 1 < h->elements; i += 2)
            fprintf(stderr, "  %s = %s\n", h->element[i]->str, h->element[i + 1]->str);
        freeReplyObject(h);
        redisFree(c);
        fail_msg("finished job's stats take %lld bytes (at most 300)", bytes);
    }
    berth_engine_free(e);
    hr_stop(hr);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_shape_stays_compact),
        cmocka_unit_test(test_ttls_follow_the_config),
        cmocka_unit_test(test_finished_job_memory),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
