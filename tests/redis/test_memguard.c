/* Memory back-pressure (include/berth/memguard.h) against a real redis-server started with
 * --maxmemory 2mb --maxmemory-policy noeviction: launches over HTTP fill Redis until the
 * API refuses them with 503 (Harbor's error body, code 10003) — never with Redis's OOM
 * error — and take them again once memory is freed; maxmemory 0 means no limit. Without
 * the guard (fraction 0) the same launches end in Redis OOM errors (500, with Redis's text in
 * the details), which is what the guard exists to prevent. Also: the INFO parser and the berth.max_memory_fraction key,
 * and the refresh the launch coalescer's sender makes after a batch (the INFO round trip off
 * the launch's path). */
#include "test.h"

#include <hiredis/hiredis.h>
#include <stdatomic.h>

#include "berth/berth.h"
#include "berth/memguard.h"
#include "engine/internal.h"
#include "engine_fixture.h"
#include "http_client.h"
#include "redis_fixture.h"
#include "wait.h"
#include "server/api.h"
#include "server/config.h"

#define AUTH "Harbor-Secret mg-secret"
#define REFUSED "{\"code\":10003,\"message\":\"launch job failed with error\"," \
                "\"details\":\"redis memory is above 90% of maxmemory; launch refused\"}"

static redis_fixture rf;

static int setup(void **state)
{
    (void)state;
    static const char *const args[] = {"--maxmemory", "2mb", "--maxmemory-policy",
                                       "noeviction", NULL};
    return redis_fixture_start(&rf, args);
}

static int teardown(void **state)
{
    (void)state;
    redis_fixture_stop(&rf);
    return 0;
}

static void test_info_parse(void **state)
{
    (void)state;
    uint64_t used = 0, max = 0;
    const char *info = "# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n"
                       "maxmemory_human:2.00M\r\nmaxmemory:2097152\r\n";
    assert_int_equal(berth_memory_info_parse(info, strlen(info), &used, &max), 0);
    assert_int_equal(used, 1048576);
    assert_int_equal(max, 2097152);
    const char *bad[] = {"used_memory:1\r\n", "maxmemory:1\r\n",
                         "used_memory:x\r\nmaxmemory:1\r\n",
                         "used_memory:99999999999999999999\r\nmaxmemory:1\r\n",
                         "xused_memory:1\r\nmaxmemory:1\r\n", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(berth_memory_info_parse(bad[i], strlen(bad[i]), &used, &max),
                         BERTH_EINVAL);
    assert_int_equal(berth_memory_info_parse(NULL, 0, &used, &max), BERTH_EINVAL);
}

static int load_fraction(const char *value, double *out, char *err, size_t errlen)
{
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "protocol: http\nport: 8080\nworker_pool:\n  backend: redis\n  redis_pool:\n"
             "    redis_url: redis://h:1\n    namespace: n\n%s%s\n",
             value ? "berth:\n  max_memory_fraction: " : "", value ? value : "");
    berth_config c;
    int rc = config_load_string(yaml, strlen(yaml), NULL, &c, err, errlen);
    *out = rc == 0 ? c.max_memory_fraction : -1;
    config_free(&c);
    return rc;
}

static void test_config_key(void **state)
{
    (void)state;
    double f;
    char err[256];
    assert_int_equal(load_fraction(NULL, &f, err, sizeof err), 0);
    assert_true(f == 0.9);
    assert_int_equal(load_fraction("0.5", &f, err, sizeof err), 0);
    assert_true(f == 0.5);
    assert_int_equal(load_fraction("0", &f, err, sizeof err), 0);
    assert_true(f == 0);
    assert_int_equal(load_fraction("1.5", &f, err, sizeof err), BERTH_ECONFIG);
    assert_string_equal(err, "berth.max_memory_fraction: must be 0..1 (0 disables the check), "
                             "got 1.5");
    assert_int_equal(load_fraction(".nan", &f, err, sizeof err), BERTH_ECONFIG);
    assert_int_equal(load_fraction("lots", &f, err, sizeof err), BERTH_ECONFIG);
    assert_non_null(strstr(err, "berth.max_memory_fraction: not a number"));
}

/* ---- the guard on a full Redis ------------------------------------------------------- */

static berth_engine *eng;

static api_server *server(double fraction)
{
    api_ctx c = {.engine = eng, .secret = "mg-secret", .ns = "t",
                 .max_memory_fraction = fraction};
    api_server *s = NULL;
    char err[256];
    assert_int_equal(api_server_start(&c, "127.0.0.1", 0, &s, err, sizeof err), 0);
    return s;
}

static char *big_launch(void)
{
    static char body[12 * 1024];
    char pad[8 * 1024 + 1];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    snprintf(body, sizeof body, "{\"job\":{\"name\":\"FILL\",\"parameters\":{\"pad\":\"%s\"},"
             "\"metadata\":{\"kind\":\"Generic\"}}}", pad);
    return body;
}

static long long info_field(const char *name)
{
    redisContext *c = redisConnectUnix(rf.sock);
    redisReply *r = redisCommand(c, "INFO memory");
    uint64_t used = 0, max = 0;
    assert_int_equal(berth_memory_info_parse(r->str, r->len, &used, &max), 0);
    freeReplyObject(r);
    redisFree(c);
    return (long long)(strcmp(name, "used") == 0 ? used : max);
}

static void set_maxmemory(const char *v)
{
    redisContext *c = redisConnectUnix(rf.sock);
    redisReply *r = redisCommand(c, "CONFIG SET maxmemory %s", v);
    assert_true(r && r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    redisFree(c);
}

/* Launches until a non-202; returns that response (caller frees) and counts the 202s. */
static hc_resp launch_until_refused(hc *cli, int max_tries, int *accepted)
{
    hc_resp r = {0};
    for (*accepted = 0; *accepted < max_tries; (*accepted)++) {
        assert_int_equal(hc_post(cli, "/api/v1/jobs", AUTH, big_launch(), &r), 0);
        if (r.status != 202)
            return r;
        hc_resp_free(&r);
    }
    fail_msg("no refusal after %d launches", max_tries);
    return r;
}

static void test_refuses_before_oom(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    api_server *s = server(0.9);
    hc cli;
    hc_init(&cli, api_server_port(s));
    int accepted = 0;
    hc_resp r = launch_until_refused(&cli, 2000, &accepted);
    fprintf(stderr, "503 after %d launches; used_memory %lld of maxmemory %lld\n", accepted,
            info_field("used"), info_field("max"));
    if (r.status != 503)
        fprintf(stderr, "got %ld %s\n", r.status, r.body);
    assert_int_equal(r.status, 503);            /* never Redis's OOM (500) */
    assert_string_equal(r.body, REFUSED);
    hc_resp_free(&r);
    assert_true(accepted > 5);
    assert_true(info_field("used") < info_field("max"));
    long long stats = redis_fixture_int(&rf, "EVAL %s 0",
                                        "return #redis.call('keys','{t}:job_stats:*')");
    assert_int_equal(stats, accepted);          /* the refused launch wrote nothing */
    assert_int_equal(hc_post(&cli, "/api/v1/jobs", AUTH, big_launch(), &r), 0);
    assert_int_equal(r.status, 503);            /* still refused */
    hc_resp_free(&r);
    /* limit lifted (maxmemory 0 = none): accepted again */
    set_maxmemory("0");
    assert_int_equal(hc_post(&cli, "/api/v1/jobs", AUTH, big_launch(), &r), 0);
    assert_int_equal(r.status, 202);
    hc_resp_free(&r);
    set_maxmemory("2mb");
    /* memory freed: accepted again */
    redis_fixture_flush(&rf);
    assert_int_equal(hc_post(&cli, "/api/v1/jobs", AUTH, big_launch(), &r), 0);
    assert_int_equal(r.status, 202);
    hc_resp_free(&r);
    hc_cleanup(&cli);
    api_server_stop(s);
}

/* What the guard prevents: with it off, the same launches end in Redis OOM errors. */
static void test_without_guard_redis_ooms(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    api_server *s = server(0);
    hc cli;
    hc_init(&cli, api_server_port(s));
    int accepted = 0;
    hc_resp r = launch_until_refused(&cli, 2000, &accepted);
    fprintf(stderr, "guard off: %ld after %d launches: %s\n", r.status, accepted, r.body);
    assert_int_equal(r.status, 500);
    /* Harbor's launch failure, with Redis's own refusal in the details (not "redis is
     * unavailable": Redis answered) */
    static const char head[] = "{\"code\":10003,\"message\":\"launch job failed with error\","
                               "\"details\":\"redis refused the launch: OOM command not allowed "
                               "when used memory \\u003e 'maxmemory'";
    assert_memory_equal(r.body, head, sizeof head - 1);
    /* a periodic policy, refused by the same full Redis, says so too. The last refusal
     * left Redis only a little over its limit, and what the engine frees meanwhile can
     * bring it back under: lower the limit well below what Redis uses so it stays full. */
    set_maxmemory("100kb");
    char err[512] = "";
    berth_launch pl = {.name = "FILL", .kind = "Periodic", .cron_spec = "0 * * * * *"};
    assert_int_equal(berth_engine_launch(eng, &pl, NULL, err, sizeof err), BERTH_EREDIS);
    assert_non_null(strstr(err, "redis refused the launch: OOM"));
    set_maxmemory("2mb");
    hc_resp_free(&r);
    hc_cleanup(&cli);
    api_server_stop(s);
    redis_fixture_flush(&rf);
}

/* Each engine keeps its own reading (it used to be a process-wide table keyed by pool id):
 * two engines with the same pool id on two Redis servers never answer from each other's. */
static void test_engines_do_not_share_readings(void **state)
{
    (void)state;
    redis_fixture other;
    assert_int_equal(redis_fixture_start(&other, NULL), 0);   /* no maxmemory: never full */
    berth_engine *roomy = NULL, *full = NULL;
    char err[256] = "";
    berth_engine_config c = engine_fixture_config(&other);
    c.pool_id = "0123456789abcdef01234567";
    assert_int_equal(berth_engine_new(&c, &roomy, err, sizeof err), 0);
    c = engine_fixture_config(&rf);
    c.pool_id = "0123456789abcdef01234567";
    assert_int_equal(berth_engine_new(&c, &full, err, sizeof err), 0);
    redis_fixture_flush(&rf);
    set_maxmemory("1");                       /* rf: past its limit at once */
    assert_int_equal(berth_engine_memory_ok(roomy, 0.9, err, sizeof err), 0);
    assert_int_equal(berth_engine_memory_ok(full, 0.9, err, sizeof err), BERTH_ESTATE);
    assert_int_equal(berth_engine_memory_ok(roomy, 0.9, err, sizeof err), 0);
    set_maxmemory("2mb");
    berth_engine_free(roomy);
    berth_engine_free(full);
    redis_fixture_stop(&other);
}

/* INFO calls redis-server counted so far (INFO commandstats, cmdstat_info). */
static long long info_calls(redis_fixture *f)
{
    return redis_fixture_int(f, "EVAL %s 0", "local s = redis.call('INFO', 'commandstats') "
                             "return tonumber(string.match(s, 'cmdstat_info:calls=(%d+)') or 0)");
}

/* A new engine (not started) on a new redis-server without maxmemory, started in *other. */
static berth_engine *engine_on_new_redis(redis_fixture *other)
{
    assert_int_equal(redis_fixture_start(other, NULL), 0);
    berth_engine *e = NULL;
    char err[256] = "";
    berth_engine_config c = engine_fixture_config(other);
    assert_int_equal(berth_engine_new(&c, &e, err, sizeof err), 0);
    return e;
}

/* A Redis without maxmemory can never be full: the guard reads it once per refresh period
 * (BERTH_MEMGUARD_REFRESH_MS), not once per MAX_REUSE launches (it sent an INFO every 8
 * launches, several thousand a second on a busy API). */
static void test_no_limit_reads_by_time(void **state)
{
    (void)state;
    redis_fixture other;
    berth_engine *e = engine_on_new_redis(&other);
    char err[256] = "";
    long long before = info_calls(&other);
    long long t0 = wait_now_ms();
    for (int i = 0; i < 400; i++)
        assert_int_equal(berth_engine_memory_ok(e, 0.9, err, sizeof err), 0);
    long long periods = (wait_now_ms() - t0) / BERTH_MEMGUARD_REFRESH_MS + 1;
    long long sent = info_calls(&other) - before - 1;   /* the counting call's own INFO */
    fprintf(stderr, "400 checks in %lld refresh periods: %lld INFO\n", periods, sent);
    assert_true(sent >= 1 && sent <= periods + 1);
    assert_true(sent < 400 / 8);
    berth_engine_free(e);
    redis_fixture_stop(&other);
}

static atomic_int launched;

static void launch_done(int rc, berth_stats *st, const char *err, void *ud)
{
    (void)err;
    (void)ud;
    berth_stats_free(st);
    atomic_fetch_add(&launched, rc == 0 ? 1 : 1000);
}

static bool launched_reached(void *arg)
{
    return atomic_load(&launched) >= *(int *)arg;
}

/* Launches one job asynchronously and waits for its answer. The sender runs its idle work
 * after a batch and before it sends the next, so once the next launch is answered the
 * previous one's idle work is over. */
static void launch_one(berth_engine *e, int nth)
{
    berth_launch l = {.name = "FILL", .kind = BERTH_KIND_GENERIC};
    berth_engine_launch_async(e, &l, launch_done, NULL);
    assert_true(wait_until(launched_reached, &nth, 10000));
    assert_int_equal(atomic_load(&launched), nth);
}

/* The sender thread refreshes a reading that is half way to stale after a batch, so that
 * an API thread does not pay the INFO round trip on a launch's path; with back-pressure
 * off (no check ever took a reading) it reads nothing. */
static void test_sender_refreshes_reading(void **state)
{
    (void)state;
    redis_fixture other;
    berth_engine *e = engine_on_new_redis(&other);
    char err[256] = "";
    assert_int_equal(berth_engine_register(e, &(berth_job_type){.name = "FILL",
                                                               .run = engine_fixture_noop}), 0);
    atomic_store(&launched, 0);
    long long before = info_calls(&other);
    launch_one(e, 1);
    launch_one(e, 2);      /* the first one's idle work is over: it read nothing */
    assert_int_equal(info_calls(&other) - before, 1);   /* the counting call's own */
    assert_int_equal(berth_engine_memory_ok(e, 0.9, err, sizeof err), 0);  /* a reading */
    pthread_mutex_lock(&e->memguard.mu);
    e->memguard.at_ms -= BERTH_MEMGUARD_REFRESH_MS / 2 + 1;   /* half way to stale */
    int64_t backdated = e->memguard.at_ms;
    pthread_mutex_unlock(&e->memguard.mu);
    before = info_calls(&other);
    launch_one(e, 3);
    launch_one(e, 4);      /* the third one's idle work is over: it read afresh */
    assert_true(info_calls(&other) - before >= 2);
    pthread_mutex_lock(&e->memguard.mu);
    int64_t at = e->memguard.at_ms;
    pthread_mutex_unlock(&e->memguard.mu);
    assert_true(at > backdated);
    berth_engine_free(e);
    redis_fixture_stop(&other);
}

static int engine_up(void **state)
{
    (void)state;
    berth_engine_config c = engine_fixture_config(&rf);
    c.periodic.enabled = true;
    char err[256];
    if (berth_engine_new(&c, &eng, err, sizeof err) != 0)
        return -1;
    /* not started: launched jobs stay queued, so memory only grows */
    return berth_engine_register(eng, &(berth_job_type){.name = "FILL",
                                                        .run = engine_fixture_noop});
}

static int engine_down(void **state)
{
    (void)state;
    berth_engine_free(eng);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_parse),
        cmocka_unit_test(test_config_key),
        cmocka_unit_test(test_engines_do_not_share_readings),
        cmocka_unit_test(test_no_limit_reads_by_time),
        cmocka_unit_test(test_sender_refreshes_reading),
        cmocka_unit_test_setup_teardown(test_refuses_before_oom, engine_up, engine_down),
        cmocka_unit_test_setup_teardown(test_without_guard_redis_ooms, engine_up, engine_down),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
