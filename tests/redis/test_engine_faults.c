/* Engine tests for the hard cases: stop in every state, a node killed with SIGKILL
 * mid-job (its run comes back within one lease), graceful shutdown handing runs back,
 * the DEMO job with its check-ins and hook outbox, and Redis going away. */
#include "test.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth/berth.h"
#include "berth/jobs.h"
#include "engine_fixture.h"
#include "wait.h"

static redis_fixture rf;

typedef struct probe {
    atomic_int runs;
    atomic_int stopped_seen;
    atomic_llong returned_ms;
    int hold_ms;
    int fail_always;
} probe;

/* Counts runs in Redis too, so a killed child's run is still counted. */
static int probe_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params;
    probe *p = ud;
    atomic_fetch_add(&p->runs, 1);
    redisContext *c = redisConnectUnix(rf.sock);
    freeReplyObject(redisCommand(c, "INCR runs:%s", berth_ctx_job_id(ctx)));
    redisFree(c);
    if (p->hold_ms && berth_ctx_sleep(ctx, (unsigned)p->hold_ms))
        atomic_fetch_add(&p->stopped_seen, 1);
    atomic_store(&p->returned_ms, wait_now_ms());
    return p->fail_always ? berth_ctx_fail(ctx, "failing") : 0;
}

static berth_engine *new_engine(probe *p, double backoff_scale)
{
    berth_engine_config c = engine_fixture_config(&rf);
    c.backoff_scale = backoff_scale;
    return engine_fixture_new(&c, (berth_job_type[]){{.name = "PROBE", .run = probe_run,
                                                      .userdata = p}, {0}});
}

static char *launch(berth_engine *e, const char *kind, uint64_t delay)
{
    berth_stats *s = NULL;
    char err[256];
    berth_launch l = {.name = "PROBE", .kind = kind, .schedule_delay = delay};
    assert_int_equal(berth_engine_launch(e, &l, &s, err, sizeof err), 0);
    char *id = strdup(s->id);
    berth_stats_free(s);
    return id;
}

static long long runs_of(const char *id)
{
    long long n = redis_fixture_int(&rf, "INCRBY runs:%s 0", id);
    return n;
}

static bool returned(void *arg)
{
    return atomic_load(&((probe *)arg)->returned_ms) != 0;
}

/* The killed child's job (its id in "victim", 40 bytes of room) has started once and is
 * recorded Running (a worker's start reaches Redis with the completer's next batch, a few
 * ms after the job's code began). */
static bool victim_running(void *arg)
{
    char *id = arg;
    redisContext *c = redisConnectUnix(rf.sock);
    redisReply *r = c && !c->err ? redisCommand(c, "GET victim") : NULL;
    if (r && r->type == REDIS_REPLY_STRING)
        snprintf(id, 64, "%s", r->str);
    freeReplyObject(r);
    bool running = false;
    if (id[0] && c && (r = redisCommand(c, "HGET {t}:job_stats:%s status", id))) {
        running = r->type == REDIS_REPLY_STRING && strcmp(r->str, "Running") == 0;
        freeReplyObject(r);
    }
    if (c)
        redisFree(c);
    return running && runs_of(id) == 1;
}

typedef struct launch_try {
    berth_engine *e;
    const berth_launch *l;
    char *id;   /* the accepted job's (strdup) */
} launch_try;

static bool launched(void *arg)
{
    launch_try *t = arg;
    berth_stats *s = NULL;
    char err[256];
    if (berth_engine_launch(t->e, t->l, &s, err, sizeof err) != 0)
        return false;
    t->id = strdup(s->id);
    berth_stats_free(s);
    return true;
}

static int flush(void **state) { (void)state; redis_fixture_flush(&rf); return 0; }

static void test_stop_pending(void **state)
{
    (void)state;
    probe p = {0};
    berth_engine *e = new_engine(&p, 0.001);
    redis_fixture_int(&rf, "SET {t}:jobs:PROBE:paused 1");
    assert_int_equal(berth_engine_start(e), 0);
    char *id = launch(e, NULL, 0);
    assert_int_equal(berth_engine_stop_job(e, id), 0);
    char st[32];
    engine_fixture_status(e, id, st, sizeof st);
    assert_string_equal(st, "Stopped");
    assert_true(redis_fixture_int(&rf, "TTL {t}:job_stats:%s", id) > 86000);
    assert_int_equal(berth_engine_stop_job(e, id), 0); /* final: nothing to do */
    redis_fixture_int(&rf, "DEL {t}:jobs:PROBE:paused");
    char *other = launch(e, NULL, 0);  /* wakes the fetcher; the stopped job is skipped */
    assert_true(engine_fixture_wait_status(e, other, "Success", 5000));
    wait_sleep_ms(100);   /* a negative check: the stopped job never runs */
    assert_int_equal(runs_of(id), 0);
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:PROBE"), 0);
    berth_engine_free(e);
    free(id);
    free(other);
}

static void test_stop_scheduled_and_retrying(void **state)
{
    (void)state;
    probe p = {.fail_always = 1};
    berth_engine *e = new_engine(&p, 1.0); /* real back-off: the retry waits ≥ 16 s */
    assert_int_equal(berth_engine_start(e), 0);
    char *sid = launch(e, "Scheduled", 100);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:scheduled"), 1);
    assert_int_equal(berth_engine_stop_job(e, sid), 0);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:scheduled"), 0);
    assert_true(engine_fixture_wait_status(e, sid, "Stopped", 100));

    char *rid = launch(e, NULL, 0);
    assert_true(engine_fixture_wait_status(e, rid, "Error", 5000));
    assert_true(redis_fixture_wait_int(&rf, 1, 2000, "ZCARD {t}:retry"));
    assert_int_equal(berth_engine_stop_job(e, rid), 0);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:retry"), 0);
    assert_true(engine_fixture_wait_status(e, rid, "Stopped", 100));
    berth_engine_free(e);
    free(sid);
    free(rid);
}

static void test_stop_running_within_a_second(void **state)
{
    (void)state;
    probe p = {.hold_ms = 20000};
    berth_engine *e = new_engine(&p, 0.001);
    assert_int_equal(berth_engine_start(e), 0);
    char *id = launch(e, NULL, 0);
    assert_true(engine_fixture_wait_status(e, id, "Running", 5000));
    long long t0 = wait_now_ms();
    assert_int_equal(berth_engine_stop_job(e, id), 0);
    wait_until(returned, &p, 3000);
    long long took = atomic_load(&p.returned_ms) - t0;
    fprintf(stderr, "stop reached the running job in %lld ms\n", took);
    assert_true(atomic_load(&p.returned_ms) > 0 && took < 1000);
    assert_int_equal(atomic_load(&p.stopped_seen), 1);
    wait_sleep_ms(100);   /* a negative check: Stopped is not overwritten */
    char st[32];
    engine_fixture_status(e, id, st, sizeof st); /* the job returned success: still Stopped */
    assert_string_equal(st, "Stopped");
    berth_engine_free(e);
    free(id);
}

/* A child process runs the engine and is killed with SIGKILL mid-job; this process then
 * runs an engine that must pick the job up again within one lease (1.5 s here). */
static void test_kill9_requeues_within_lease(void **state)
{
    (void)state;
    pid_t child = fork();
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* a failed test leaves no engine behind */
        probe p = {.hold_ms = 60000};
        berth_engine *e = new_engine(&p, 0.001);
        berth_engine_start(e);
        char *id = launch(e, NULL, 0);
        redisContext *c = redisConnectUnix(rf.sock);
        freeReplyObject(redisCommand(c, "SET victim %s", id));
        redisFree(c);
        pause();
        _exit(0);
    }
    char id[64] = "";
    assert_true(wait_until(victim_running, id, 5000));
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    long long killed = wait_now_ms();

    probe p = {0};
    berth_engine *e = new_engine(&p, 0.001);
    berth_stats *before = NULL;
    assert_int_equal(berth_engine_get_stats(e, id, &before), 0);
    assert_string_equal(before->status, "Running");
    assert_int_equal(berth_engine_start(e), 0);
    assert_true(engine_fixture_wait_status(e, id, "Success", 6000));
    long long took = wait_now_ms() - killed;
    fprintf(stderr, "killed node's job finished elsewhere %lld ms after the kill\n", took);
    assert_true(took < 1500 + 1000); /* one lease + a heartbeat period + the run */
    assert_int_equal(runs_of(id), 2);
    berth_stats *after = NULL;
    assert_int_equal(berth_engine_get_stats(e, id, &after), 0);
    assert_true(after->revision > before->revision);
    wait_sleep_ms(300);   /* a negative check: no third run */
    assert_int_equal(runs_of(id), 2); /* exactly once more */
    berth_stats_free(before);
    berth_stats_free(after);
    berth_engine_free(e);
}

static void test_shutdown_hands_back(void **state)
{
    (void)state;
    probe p = {.hold_ms = 20000};
    berth_engine *a = new_engine(&p, 0.001);
    assert_int_equal(berth_engine_start(a), 0);
    char *id = launch(a, NULL, 0);
    assert_true(engine_fixture_wait_status(a, id, "Running", 5000));
    long long t0 = wait_now_ms();
    assert_int_equal(berth_engine_stop(a), 0);
    long long took = wait_now_ms() - t0;
    assert_true(took < 500 + 1000);                     /* grace 500 ms, then at once */
    assert_int_equal(redis_fixture_int(&rf, "LLEN {t}:jobs:PROBE"), 1);
    assert_int_equal(redis_fixture_int(&rf, "ZCARD {t}:berth:leases"), 0);
    assert_int_equal(redis_fixture_int(&rf, "SISMEMBER {t}:worker_pools %s",
                                       berth_engine_pool_id(a)), 0);
    berth_engine_free(a);
    probe q = {0};
    berth_engine *b = new_engine(&q, 0.001);
    assert_int_equal(berth_engine_start(b), 0);
    assert_true(engine_fixture_wait_status(b, id, "Success", 5000));
    assert_int_equal(atomic_load(&q.runs), 1);
    berth_engine_free(b);
    free(id);
}

static char events[512];
static pthread_mutex_t events_mu = PTHREAD_MUTEX_INITIALIZER;

static void record_event(const berth_status_event *ev, void *ud)
{
    (void)ud;
    pthread_mutex_lock(&events_mu);
    size_t n = strlen(events);
    snprintf(events + n, sizeof events - n, "%s%s", n ? "," : "",
             ev->check_in ? ev->check_in : ev->status);
    pthread_mutex_unlock(&events_mu);
}

/* The Success event has been told: the host hears of a status after Redis took it, so a
 * reader that saw the status may be a moment ahead of the callback. */
static bool success_told(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&events_mu);
    bool told = strstr(events, "Success") != NULL;
    pthread_mutex_unlock(&events_mu);
    return told;
}

static void test_demo_checkins_and_hook_outbox(void **state)
{
    (void)state;
    char dir[] = "/tmp/berth-joblog-XXXXXX";
    assert_non_null(mkdtemp(dir));
    berth_engine_config c = engine_fixture_config(&rf);
    c.job_log_dir = dir;
    c.on_event = record_event;
    events[0] = '\0';
    berth_engine *e = NULL;
    char err[256];
    assert_int_equal(berth_engine_new(&c, &e, err, sizeof err), 0);
    assert_int_equal(berth_jobs_register_demo(e, 100), 0);
    assert_int_equal(berth_engine_validate(e, "DEMO", "{\"image\":\"nginx\"}", err, sizeof err),
                     BERTH_EINVAL);
    assert_string_equal(err, "expected 'demo *' but got 'nginx'");
    assert_int_equal(berth_engine_start(e), 0);
    berth_stats *s = NULL;
    berth_launch l = {.name = "DEMO", .params_json = "{\"image\":\"demo:1\"}",
                      .status_hook = "http://127.0.0.1:1/hook"};
    assert_int_equal(berth_engine_launch(e, &l, &s, err, sizeof err), 0);
    assert_true(engine_fixture_wait_status(e, s->id, "Success", 5000));
    berth_stats *done = NULL;
    assert_int_equal(berth_engine_get_stats(e, s->id, &done), 0);
    assert_true(done->check_in_at > 0);
    assert_null(done->check_in); /* never returned by a read (spec §2.6) */
    /* Running, two check-ins, Success: four events, in order */
    assert_int_equal(redis_fixture_int(&rf, "XLEN {t}:berth:hooks"), 4);
    assert_true(wait_until(success_told, NULL, 5000));
    pthread_mutex_lock(&events_mu);
    assert_string_equal(events, "Running,progress data: %30,progress data: %60,Success");
    pthread_mutex_unlock(&events_mu);
    char path[256];
    snprintf(path, sizeof path, "%s/%s.log", dir, s->id);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[4096] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "[INFO] ["));
    assert_non_null(strstr(text, "Sample job starting"));
    assert_non_null(strstr(text, "[WARNING]"));
    berth_stats_free(s);
    berth_stats_free(done);
    berth_engine_free(e);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Harbor's hung-job rule and gocraft's dead-pool reaper (sweep.lua), run at engine start. */
static void test_sweep_hung_jobs_and_dead_pools(void **state)
{
    (void)state;
    probe p = {0};
    berth_engine *e = new_engine(&p, 0.001);
    const char *hung = "0123456789abcdef01234567";
    redis_fixture_int(&rf, "HSET {t}:job_stats:%s id %s name PROBE kind Generic status Running "
                      "revision 5 update_time 1", hung, hung);
    redis_fixture_int(&rf, "HSET {t}:job_stats:fresh0000000000000000000 status Running "
                      "revision 5 update_time 99999999999");
    redis_fixture_int(&rf, "HSET {t}:job_track:inprogress %s 2", hung);
    redis_fixture_int(&rf, "HSET {t}:job_track:inprogress fresh0000000000000000000 2");
    redis_fixture_int(&rf, "HSET {t}:job_track:inprogress ghost000000000000000000 2");
    redis_fixture_int(&rf, "SADD {t}:worker_pools deadpool");
    redis_fixture_int(&rf, "HSET {t}:worker_pools:deadpool heartbeat_at 1");
    redis_fixture_int(&rf, "SADD {t}:berth:idle deadpool");
    redis_fixture_int(&rf, "HSET {t}:jobs:PROBE:lock_info deadpool 3");
    assert_int_equal(berth_engine_start(e), 0);
    assert_true(engine_fixture_wait_status(e, hung, "Error", 3000));
    char st[32];
    engine_fixture_status(e, "fresh0000000000000000000", st, sizeof st);
    assert_string_equal(st, "Running");  /* recently updated: left alone */
    assert_int_equal(redis_fixture_int(&rf, "HEXISTS {t}:job_track:inprogress ghost000000000000000000"), 0);
    assert_int_equal(redis_fixture_int(&rf, "SISMEMBER {t}:worker_pools deadpool"), 0);
    assert_int_equal(redis_fixture_int(&rf, "EXISTS {t}:worker_pools:deadpool"), 0);
    assert_int_equal(redis_fixture_int(&rf, "SISMEMBER {t}:berth:idle deadpool"), 0);
    assert_int_equal(redis_fixture_int(&rf, "HEXISTS {t}:jobs:PROBE:lock_info deadpool"), 0);
    assert_int_equal(redis_fixture_int(&rf, "SISMEMBER {t}:worker_pools %s", berth_engine_pool_id(e)), 1);
    berth_engine_free(e);
}

static void test_redis_down_then_back(void **state)
{
    (void)state;
    probe p = {0};
    berth_engine *e = new_engine(&p, 0.001);
    assert_int_equal(berth_engine_start(e), 0);
    redis_fixture_kill(&rf);
    char err[256];
    berth_launch l = {.name = "PROBE"};
    assert_int_equal(berth_engine_launch(e, &l, NULL, err, sizeof err), BERTH_EREDIS);
    berth_stats *s = NULL;
    assert_int_equal(berth_engine_get_stats(e, "0123456789abcdef01234567", &s), BERTH_EREDIS);
    wait_sleep_ms(300);   /* an outage the engine has time to notice (no check follows) */
    assert_int_equal(redis_fixture_restart(&rf, NULL), 0);
    launch_try t = {e, &l, NULL};
    assert_true(wait_until(launched, &t, 5000));
    char *id = t.id;
    assert_true(engine_fixture_wait_status(e, id, "Success", 8000));
    berth_engine_free(e);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_stop_pending, flush),
        cmocka_unit_test_setup(test_stop_scheduled_and_retrying, flush),
        cmocka_unit_test_setup(test_stop_running_within_a_second, flush),
        cmocka_unit_test_setup(test_kill9_requeues_within_lease, flush),
        cmocka_unit_test_setup(test_shutdown_hands_back, flush),
        cmocka_unit_test_setup(test_demo_checkins_and_hook_outbox, flush),
        cmocka_unit_test_setup(test_sweep_hung_jobs_and_dead_pools, flush),
        cmocka_unit_test_setup(test_redis_down_then_back, flush),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
