/* Hook delivery against a real HTTP receiver: every transition and check-in in order with
 * Harbor's fields and ack; a receiver down then up (nothing lost, nothing twice after its
 * ack); a hanging receiver not blocking another; bad URLs and expiry parked, then
 * replayed; outdated events dropped; a killed node's undelivered events delivered by
 * another; a receiver that is back gets the events waiting in back-off at once; a leader
 * lock shorter than its renewal is refused. */
#include "test.h"

#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "hook_receiver.h"
#include "wait.h"

static redis_fixture rf;

static int two_checkins(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params, (void)ud;
    berth_ctx_checkin(ctx, "progress data: %30");
    berth_ctx_checkin(ctx, "progress data: %60");
    return 0;
}

/* "parked after N attempts" lines (the dispatcher's thread logs them), and of those N = 1 */
static atomic_int parked_lines, parked_after_one;

static void to_stderr(berth_log_level l, const char *f, int line, const char *m, void *ud)
{
    (void)ud;
    if (strstr(m, " parked after ")) {
        atomic_fetch_add(&parked_lines, 1);
        if (strstr(m, " parked after 1 attempts"))
            atomic_fetch_add(&parked_after_one, 1);
    }
    if (l >= BERTH_LOG_WARNING)
        fprintf(stderr, "  [%s] %s:%d %s\n", berth_log_level_name(l), f, line, m);
}

/* The hook leader's lock in these tests (10 s in service, hook_lead_ttl_ms): the least the
 * engine takes, so a killed leader's events wait 2 s for another node, not 10. */
#define LEAD_TTL_MS 2000

static berth_engine *engine(double hook_scale, unsigned retry_hours)
{
    berth_engine_config c = engine_fixture_config(&rf);
    c.log = to_stderr;
    c.log_level = BERTH_LOG_WARNING;
    c.hook_backoff_scale = hook_scale;
    c.hook_retry_hours = retry_hours;
    c.hook_lead_ttl_ms = LEAD_TTL_MS;
    return engine_fixture_start(&c, (berth_job_type[]){{.name = "HOOKED", .run = two_checkins},
                                                        {0}});
}

/* The hook counts settle at pending and (unless -1) parked; cnt holds the last reading. */
typedef struct hook_wait {
    berth_engine *e;
    long long pending, parked;
    berth_hook_counts cnt;
} hook_wait;

static bool hooks_settled(void *arg)
{
    hook_wait *w = arg;
    if (berth_engine_hook_counts(w->e, &w->cnt) != 0)
        w->cnt = (berth_hook_counts){.pending = -1, .parked = -1};
    return w->cnt.pending == w->pending && (w->parked < 0 || w->cnt.parked == w->parked);
}

/* Waits up to ms for the counts, then asserts them (the last reading shows on a failure). */
static void expect_hooks(hook_wait *w, int ms)
{
    wait_until(hooks_settled, w, ms);
    assert_int_equal(w->cnt.pending, w->pending);
    if (w->parked >= 0)
        assert_int_equal(w->cnt.parked, w->parked);
}

static char *launch(berth_engine *e, int port, const char *url_override)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/service/notifications/tasks/11", port);
    berth_launch l = {.name = "HOOKED", .params_json = "{\"image\":\"x\"}",
                      .status_hook = url_override ? url_override : url};
    berth_stats *s = NULL;
    char err[256];
    assert_int_equal(berth_engine_launch(e, &l, &s, err, sizeof err), 0);
    char *id = strdup(s->id);
    berth_stats_free(s);
    return id;
}

/* "status|check_in|revision" of a payload; asserts Harbor's shape. */
static void summary(const char *body, const char *id, char *out, size_t outlen)
{
    json_t *j = json_loads(body, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "job_id")), id);
    json_t *m = json_object_get(j, "metadata");
    assert_true(json_is_object(m));
    assert_string_equal(json_string_value(json_object_get(m, "id")), id);
    assert_string_equal(json_string_value(json_object_get(m, "name")), "HOOKED");
    assert_string_equal(json_string_value(json_object_get(m, "status")),
                        json_string_value(json_object_get(j, "status")));
    assert_non_null(json_object_get(m, "parameters"));   /* Harbor sends them */
    const char *ci = json_string_value(json_object_get(j, "check_in"));
    snprintf(out, outlen, "%s|%s|%lld", json_string_value(json_object_get(j, "status")),
             ci ? ci : "", (long long)json_integer_value(json_object_get(m, "revision")));
    json_decref(j);
}

static void expect_sequence(hook_receiver *hr, const char *id, size_t from)
{
    char *b[16] = {0};
    size_t n = hr_delivered(hr, b, 16);
    assert_true(n >= from + 4);
    char s[4][128];
    for (int i = 0; i < 4; i++)
        summary(b[from + i], id, s[i], sizeof s[i]);
    const char *rev = strrchr(s[0], '|');
    assert_true(strncmp(s[0], "Running||", 9) == 0);
    assert_true(strncmp(s[1], "Running|progress data: %30|", 27) == 0);
    assert_true(strncmp(s[2], "Running|progress data: %60|", 27) == 0);
    assert_true(strncmp(s[3], "Success||", 9) == 0);
    for (int i = 1; i < 4; i++)
        assert_string_equal(strrchr(s[i], '|'), rev);    /* one revision for the run */
    for (size_t i = 0; i < n; i++)
        free(b[i]);
}

static int flush(void **state) { (void)state; redis_fixture_flush(&rf); return 0; }

static void test_in_order_with_ack(void **state)
{
    (void)state;
    hook_receiver *hr = hr_start();
    berth_engine *e = engine(1, 0);
    char *id = launch(e, hr_port(hr), NULL);
    assert_int_equal(hr_wait(hr, 4, 5000), 4);
    expect_sequence(hr, id, 0);
    assert_true(redis_fixture_wait_int(&rf, 0, 5000, "XLEN {t}:berth:hooks"));
    assert_true(redis_fixture_wait_int(&rf, 0, 5000, "HEXISTS {t}:job_track:inprogress %s", id));
    wait_sleep_ms(200);                  /* a negative check: nothing is delivered twice */
    assert_int_equal(hr_delivered(hr, NULL, 0), 4);
    berth_stats *s = NULL;
    assert_int_equal(berth_engine_get_stats(e, id, &s), 0);
    assert_string_equal(s->ack.status, "Success");                  /* Harbor's ack */
    assert_int_equal(s->ack.revision, s->revision);
    berth_stats_free(s);
    berth_engine_free(e);
    hr_stop(hr);
    free(id);
}

static void test_receiver_down_then_up(void **state)
{
    (void)state;
    hook_receiver *hr = hr_start();
    hr_set_mode(hr, HR_FAIL);
    berth_engine *e = engine(0.01, 0);   /* retries 20 ms, 40 ms, ... apart */
    char *id = launch(e, hr_port(hr), NULL);
    assert_true(engine_fixture_wait_status(e, id, "Success", 5000));
    assert_true(hr_wait_attempts(hr, 3, 5000) >= 3);
    berth_hook_counts c;
    assert_int_equal(berth_engine_hook_counts(e, &c), 0);
    assert_int_equal(c.pending, 4);
    assert_true(c.retrying >= 1);
    size_t tried = hr_attempts(hr);
    hr_set_mode(hr, HR_RESET);           /* connections dropped: still retried */
    assert_true(hr_wait_attempts(hr, tried + 1, 5000) > tried);
    hr_set_mode(hr, HR_OK);
    assert_int_equal(hr_wait(hr, 4, 10000), 4);
    expect_sequence(hr, id, 0);
    hook_wait w = {e, .pending = 0, .parked = 0};
    expect_hooks(&w, 5000);
    wait_sleep_ms(300);                  /* a negative check: nothing is delivered twice */
    assert_int_equal(hr_delivered(hr, NULL, 0), 4);
    berth_engine_free(e);
    hr_stop(hr);
    free(id);
}

/* The "receiver is back" rule (docs/hooks.md): three events fail in a row (the receiver is
 * down) and wait in a back-off of at least 10 s; the first success on that receiver (a new
 * job's event) releases them at once, long before their back-off ends. */
static void test_receiver_back_releases_waiting(void **state)
{
    (void)state;
    hook_receiver *hr = hr_start();
    hr_set_mode(hr, HR_FAIL);
    berth_engine *e = engine(10, 0);     /* back-off 20 s ± 50 %: first retry after >= 10 s */
    char *id[4];
    for (int i = 0; i < 3; i++)
        id[i] = launch(e, hr_port(hr), NULL);
    for (int i = 0; i < 3; i++)
        assert_true(engine_fixture_wait_status(e, id[i], "Success", 5000));
    assert_int_equal(hr_wait_attempts(hr, 3, 5000), 3);   /* each job's first event failed once */
    hr_set_mode(hr, HR_OK);
    long long back = wait_now_ms();
    id[3] = launch(e, hr_port(hr), NULL);
    assert_int_equal(hr_wait(hr, 16, 5000), 16);
    long long took = wait_now_ms() - back;
    fprintf(stderr, "receiver back: 16 events of 4 jobs delivered %lld ms after the first "
                    "success (back-off >= 10 s)\n", took);
    assert_true(took < 5000);
    assert_int_equal(hr_attempts(hr), 3 + 16);   /* each waiting event retried once */
    hook_wait w = {e, .pending = 0, .parked = -1};
    expect_hooks(&w, 5000);   /* settled after the answers (each ack follows its 200) */
    berth_engine_free(e);
    hr_stop(hr);
    for (int i = 0; i < 4; i++)
        free(id[i]);
}

static void test_hanging_receiver_does_not_block_others(void **state)
{
    (void)state;
    hook_receiver *slow = hr_start(), *fast = hr_start();
    hr_set_mode(slow, HR_HANG);
    berth_engine *e = engine(0.1, 0);   /* the hung attempt's retry 100-300 ms after its 500 */
    char *a = launch(e, hr_port(slow), NULL);
    assert_true(hr_wait_attempts(slow, 1, 5000) >= 1);   /* a's first event hangs there */
    char *b = launch(e, hr_port(fast), NULL);
    assert_int_equal(hr_wait(fast, 4, 5000), 4);
    expect_sequence(fast, b, 0);
    assert_int_equal(hr_delivered(slow, NULL, 0), 0);
    hr_set_mode(slow, HR_OK);
    assert_int_equal(hr_wait(slow, 4, 5000), 4);
    expect_sequence(slow, a, 0);
    berth_engine_free(e);
    hr_stop(slow);
    hr_stop(fast);
    free(a);
    free(b);
}

static void test_park_and_replay(void **state)
{
    (void)state;
    hook_receiver *hr = hr_start();
    hr_set_mode(hr, HR_FAIL);
    atomic_store(&parked_lines, 0);
    atomic_store(&parked_after_one, 0);
    /* retry period 1 h × 0.0001 = 360 ms, retries 0.1-0.3 ms, 0.2-0.6 ms, ... apart */
    berth_engine *e = engine(0.0001, 1);
    char *bad = launch(e, hr_port(hr), "not a url");
    char *id = launch(e, hr_port(hr), NULL);
    assert_true(engine_fixture_wait_status(e, id, "Success", 5000));
    /* parked and pending settle together: a slow (sanitized, loaded) run may count 8
     * parked while a replayed event is still in flight */
    hook_wait w = {e, .pending = 0, .parked = 8};   /* 4 with a bad URL, 4 out of retry time */
    expect_hooks(&w, 15000);
    /* Each of the good URL's events had a retry period of its own, counted from its first
     * attempt: retried, not parked after 1 attempt because it waited behind the job's
     * earlier events (the bad URL's are parked at once, without that line). */
    assert_int_equal(atomic_load(&parked_lines), 4);
    assert_int_equal(atomic_load(&parked_after_one), 0);
    hr_set_mode(hr, HR_OK);
    long long moved = 0;
    assert_int_equal(berth_engine_hook_replay(e, 100, &moved), 0);
    assert_int_equal(moved, 8);
    assert_true(hr_wait(hr, 4, 5000) >= 4);  /* the good URL's events now arrive */
    expect_sequence(hr, id, 0);
    w.parked = 4;                           /* the bad URL's, parked again */
    expect_hooks(&w, 5000);
    assert_int_equal(berth_engine_hook_replay(e, 0, &moved), BERTH_EINVAL);
    berth_engine_free(e);
    hr_stop(hr);
    free(bad);
    free(id);
}

static void test_outdated_dropped(void **state)
{
    (void)state;
    hook_receiver *hr = hr_start();
    const char *id = "0123456789abcdef01234567";
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/h", hr_port(hr));
    redis_fixture_int(&rf, "HSET {t}:job_stats:%s id %s name HOOKED status Success revision 9 "
                      "ack {\"status\":\"Success\",\"revision\":9,\"check_in_at\":0}", id, id);
    /* older revision; same revision behind the ack; same revision and code, older check-in */
    redis_fixture_int(&rf, "XADD {t}:berth:hooks * j %s s Running r 8 u %s c x t 5 at 1", id, url);
    redis_fixture_int(&rf, "XADD {t}:berth:hooks * j %s s Running r 9 u %s c \"\" t 0 at 1", id, url);
    redis_fixture_int(&rf, "XADD {t}:berth:hooks * j %s s Error r 9 u %s c \"\" t 0 at 1", id, url);
    redis_fixture_int(&rf, "XADD {t}:berth:hooks * j %s s Success r 10 u %s c \"\" t 0 at 1", id, url);
    /* As Harbor, the outdated check comes before a retry, not before the first attempt:
     * each event's first attempt fails here, and the outdated ones are dropped at retry. */
    hr_set_mode(hr, HR_FAIL);
    berth_engine *e = engine(0.01, 0);
    /* At least the four first attempts: the retry of the newest one follows 10-30 ms after
     * its failure (the first back-off, 2 s ± 50 %, scaled by 0.01), so a poll under a
     * loaded TSan run may already count it (5 seen once). What proves the outdated ones
     * are dropped at retry is below: one delivery in all, and the stream left empty. */
    assert_true(hr_wait_attempts(hr, 4, 10000) >= 4);
    hr_set_mode(hr, HR_OK);
    assert_int_equal(hr_wait(hr, 1, 5000), 1);
    wait_sleep_ms(300);                  /* a negative check: the older ones never go out */
    char *b[4] = {0};
    assert_int_equal(hr_delivered(hr, b, 4), 1);    /* only the newer revision went out */
    assert_non_null(strstr(b[0], "\"revision\":10"));
    free(b[0]);
    assert_int_equal(redis_fixture_int(&rf, "XLEN {t}:berth:hooks"), 0);
    berth_engine_free(e);
    hr_stop(hr);
}

/* A node holding undelivered events is killed; another node delivers them. */
static void test_killed_node_events_delivered(void **state)
{
    (void)state;
    int pp[2];
    assert_int_equal(pipe(pp), 0);
    pid_t child = fork();    /* before any thread of this test: TSan refuses threaded forks */
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* a failed test leaves no engine behind */
        int port = 0;
        if (read(pp[0], &port, sizeof port) != (ssize_t)sizeof port)
            _exit(1);
        berth_engine *e = engine(1, 0);
        char *id = launch(e, port, NULL);
        (void)id;
        pause();
        _exit(0);
    }
    hook_receiver *hr = hr_start();
    hr_set_mode(hr, HR_HANG);
    int port = hr_port(hr);
    assert_int_equal(write(pp[1], &port, sizeof port), (ssize_t)sizeof port);
    close(pp[0]), close(pp[1]);
    /* the child's job: 4 events */
    assert_true(redis_fixture_wait_int(&rf, 4, 20000, "XLEN {t}:berth:hooks"));
    assert_true(hr_wait_attempts(hr, 1, 5000) >= 1);   /* the child hangs on the first */
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    hr_set_mode(hr, HR_OK);
    long long t0 = wait_now_ms();
    berth_engine *e = engine(1, 0);
    /* The bound: the dead leader's lock lapses at most LEAD_TTL_MS after the kill (it was
     * renewed before, while its attempt hung); the new node tries for the lead once a
     * second (dispatch_main), then claims the 4 events and delivers them in order on
     * loopback, which the other tests give 5 s. */
    assert_int_equal(hr_wait(hr, 4, LEAD_TTL_MS + 1000 + 5000), 4);
    fprintf(stderr, "a killed node's hooks delivered %lld ms after another node started "
                    "(lock %d ms)\n", wait_now_ms() - t0, LEAD_TTL_MS);
    char *b[1] = {0};
    hr_delivered(hr, b, 1);
    assert_non_null(strstr(b[0], "\"status\":\"Running\""));
    free(b[0]);
    berth_engine_free(e);
    hr_stop(hr);
}

/* A lock shorter than the leader's renewal interval is refused at engine_new, nothing
 * made; 0 (10 s) and 2000 are taken. */
static void test_lead_ttl_bounds(void **state)
{
    (void)state;
    berth_engine_config c = engine_fixture_config(&rf);
    berth_engine *e = NULL;
    char err[256] = "";
    c.hook_lead_ttl_ms = 1999;
    assert_int_equal(berth_engine_new(&c, &e, err, sizeof err), BERTH_EINVAL);
    assert_null(e);
    assert_non_null(strstr(err, "hook_lead_ttl_ms"));
    for (unsigned ok = 0; ok <= 2000; ok += 2000) {
        c.hook_lead_ttl_ms = ok;
        assert_int_equal(berth_engine_new(&c, &e, err, sizeof err), 0);
        berth_engine_free(e);
        e = NULL;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_in_order_with_ack, flush),
        cmocka_unit_test_setup(test_receiver_down_then_up, flush),
        cmocka_unit_test_setup(test_receiver_back_releases_waiting, flush),
        cmocka_unit_test_setup(test_hanging_receiver_does_not_block_others, flush),
        cmocka_unit_test_setup(test_park_and_replay, flush),
        cmocka_unit_test_setup(test_outdated_dropped, flush),
        cmocka_unit_test_setup(test_killed_node_events_delivered, flush),
        cmocka_unit_test(test_lead_ttl_bounds),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
