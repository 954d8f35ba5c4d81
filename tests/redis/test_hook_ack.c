/* Harbor's hook ack and its reaper sync (issue 13 item 7), against a real HTTP receiver
 * (tests/support/hook_receiver) on a real redis-server:
 *  - the ack a delivered event writes has the values Harbor's HookAckScript writes: its
 *    check_in_at is the event's metadata check_in_at (a status event after check-ins acks
 *    the last check-in's time, not 0); read back through the engine's stats, so whatever
 *    the stats layout stores it as (docs/redis-schema.md), it reads as Harbor's;
 *  - the payload's metadata carries `ack` as Harbor's tracker does: the events of a fresh
 *    run none (its worker's tracker loaded the stats before anything was acked), an API
 *    stop the stored ack (its tracker loads the stats), in Go's key order;
 *  - the sweep (run at engine start) follows Harbor's reaper: a job whose hook receiver was
 *    down, its events given up (parked), has its current status sent again; a hung job
 *    whose Running hook was never acknowledged gets that hook first and is failed only by
 *    the next pass; a hung job with an acked Running is marked Error with the Error hook;
 *    a stats hash whose ack is newer than its status gets the ack's status.
 * Where a test needs time to pass (a status older than the sweep's re-send delay, or than
 * max_update_hours), it writes an older update_time into the stats hash, as the hash of a
 * job left that long looks. */
#include "test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "hook_receiver.h"
#include "hooked_job.h"
#include "wait.h"

static redis_fixture rf;
/* hook_scale: the hook back-off and retry period multiplier (24 h × 1e-5 ≈ 0.9 s) */
static berth_engine *start(double hook_scale)
{
    berth_engine_config c = engine_fixture_config(&rf);
    c.hook_backoff_scale = hook_scale;
    return engine_fixture_start(&c, (berth_job_type[]){{.name = "HOOKED",
                                                         .run = hooked_job_run}, {0}});
}

static void stop(berth_engine *e)
{
    berth_engine_stop(e);
    berth_engine_free(e);
}

/* Delivered payloads with this status (and a top-level check_in or not), decoded; how
 * many there were. *first gets the first one (the caller decrefs it), if first. */
static size_t events(hook_receiver *hr, const char *status, bool checkin, json_t **first)
{
    char *b[64] = {0};
    size_t n = hr_delivered(hr, b, 64), hits = 0;
    if (first)
        *first = NULL;
    for (size_t i = 0; i < n && i < 64; i++) {
        json_t *j = json_loads(b[i], 0, NULL);
        const char *st = json_string_value(json_object_get(j, "status"));
        if (st && strcmp(st, status) == 0 && !json_object_get(j, "check_in") == !checkin) {
            if (first && !*first)
                *first = json_incref(j);
            hits++;
        }
        json_decref(j);
        free(b[i]);
    }
    return hits;
}

/* The raw body of the first delivered event with this status and no check_in. */
static char *raw_event(hook_receiver *hr, const char *status)
{
    char *b[64] = {0}, *found = NULL;
    size_t n = hr_delivered(hr, b, 64);
    for (size_t i = 0; i < n && i < 64; i++) {
        json_t *j = json_loads(b[i], 0, NULL);
        const char *st = json_string_value(json_object_get(j, "status"));
        if (!found && st && !strcmp(st, status) && !json_object_get(j, "check_in"))
            found = b[i], b[i] = NULL;
        json_decref(j);
        free(b[i]);
    }
    return found;
}

static long long stats_int(const char *id, const char *field)
{
    return redis_fixture_int(&rf, "EVAL %s 1 {t}:job_stats:%s %s",
                             "return tonumber(redis.call('HGET', KEYS[1], ARGV[1])) or -1", id,
                             field);
}

/* The job's ack, read through the engine's stats (whatever the stats layout), is Harbor's
 * {"status","revision","check_in_at"} with these values. */
static bool ack_is(berth_engine *e, const char *id, const char *status, long long rev,
                   long long cat)
{
    berth_stats *s = NULL;
    if (berth_engine_get_stats(e, id, &s) != 0)
        return false;
    bool ok = s->ack.status && strcmp(s->ack.status, status) == 0 && s->ack.revision == rev &&
              s->ack.check_in_at == cat;
    berth_stats_free(s);
    return ok;
}

typedef struct want_ack {
    berth_engine *e;
    const char *id, *status;
    long long rev, cat;
} want_ack;

static bool acked(void *arg)
{
    want_ack *w = arg;
    return ack_is(w->e, w->id, w->status, w->rev, w->cat);
}

/* Seeds the stats hash of a job left by a node: status, revision, update_time, optional
 * ack and check_in_at, a hook URL, and its in-progress entry. */
static void seed(const char *id, const char *status, long long rev, long long updated,
                 const char *ack, long long cat, const char *url, int inprogress)
{
    assert_true(redis_fixture_int(&rf, "HSET {t}:job_stats:%s id %s name HOOKED kind Generic "
                                  "unique 0 status %s ref_link /api/v1/jobs/%s enqueue_time %lld "
                                  "update_time %lld revision %lld web_hook_url %s",
                                  id, id, status, id, rev, updated, rev, url) > 0);
    if (ack)
        assert_true(redis_fixture_int(&rf, "HSET {t}:job_stats:%s ack %s", id, ack) == 1);
    if (cat)
        assert_true(redis_fixture_int(&rf, "HSET {t}:job_stats:%s check_in_at %lld check_in "
                                      "[REDUNDANT]", id, cat) == 2);
    assert_true(redis_fixture_int(&rf, "HSET {t}:job_track:inprogress %s %d", id, inprogress) == 1);
}

/* The stored ack is Running at the job's last check-in (cat gets its time). */
static bool running_acked(void *arg)
{
    want_ack *w = arg;
    w->cat = stats_int(w->id, "check_in_at");
    return w->cat > 0 && acked(w);
}

/* A fresh run's events carry no ack; the stored ack after its Success is Harbor's, with the
 * last check-in's time; an API stop's event carries the stored ack in Go's key order. */
static void test_ack_and_metadata_as_harbor(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    hooked_job_release(false);
    hook_receiver *hr = hr_start();
    berth_engine *e = start(0.01);
    char *id = hooked_job_launch(e, hr);
    assert_int_equal(hr_wait(hr, 3, 10000), 3);   /* Running, two check-ins */
    want_ack ra = {e, id, "Running", stats_int(id, "revision"), 0};
    assert_true(wait_until(running_acked, &ra, 10000));   /* the last check-in's ack */
    long long rev = ra.rev, cat = ra.cat;
    /* stop through the API: its event carries the stored ack, and no check-in message */
    assert_int_equal(berth_engine_stop_job(e, id), 0);
    assert_int_equal(hr_wait(hr, 4, 10000), 4);
    char *raw = raw_event(hr, "Stopped");
    assert_non_null(raw);
    char want[160];
    snprintf(want, sizeof want, "\"ack\":{\"status\":\"Running\",\"revision\":%lld,"
             "\"check_in_at\":%lld}}}", rev, cat);
    assert_non_null(strstr(raw, want));   /* Go's order, the last field of the metadata */
    json_t *ev = json_loads(raw, 0, NULL);
    json_t *m = json_object_get(ev, "metadata");
    assert_null(json_object_get(m, "check_in"));
    assert_int_equal(json_integer_value(json_object_get(m, "check_in_at")), cat);
    json_decref(ev);
    free(raw);
    /* the run's own events: no ack */
    json_t *run = NULL;
    assert_int_equal(events(hr, "Running", false, &run), 1);
    assert_null(json_object_get(json_object_get(run, "metadata"), "ack"));
    json_decref(run);
    assert_int_equal(events(hr, "Running", true, &run), 2);
    assert_null(json_object_get(json_object_get(run, "metadata"), "ack"));
    json_decref(run);
    /* the Stopped event's ack is Harbor's: its metadata check_in_at, not 0 */
    assert_true(redis_fixture_wait_int(&rf, 0, 10000, "XLEN {t}:berth:hooks"));
    assert_true(ack_is(e, id, "Stopped", rev, cat));
    assert_int_equal(redis_fixture_int(&rf, "HEXISTS {t}:job_track:inprogress %s", id), 0);
    hooked_job_release(true);
    free(id);
    stop(e);
    hr_stop(hr);
}

/* The receiver is down for the whole run: every event of the job is given up (parked).
 * The sweep of the next node to start sends the job's current status again. */
static void test_sweep_resends_unacked_hook(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    hooked_job_release(true);
    hook_receiver *hr = hr_start();
    hr_down(hr);
    berth_engine *e = start(0.00001);
    char *id = hooked_job_launch(e, hr);
    assert_true(engine_fixture_wait_status(e, id, "Success", 10000));
    assert_true(redis_fixture_wait_int(&rf, 4, 20000, "XLEN {t}:berth:hooks:parked"));
    stop(e);
    long long rev = stats_int(id, "revision"), cat = stats_int(id, "check_in_at");
    assert_int_equal(redis_fixture_int(&rf, "HEXISTS {t}:job_stats:%s ack", id), 0);
    assert_int_equal(redis_fixture_int(&rf, "HEXISTS {t}:job_track:inprogress %s", id), 1);
    /* ten minutes later (past the sweep's re-send delay) */
    assert_true(redis_fixture_int(&rf, "HSET {t}:job_stats:%s update_time %lld", id,
                                  (long long)time(NULL) - 600) == 0);
    assert_int_equal(hr_up(hr), 0);
    e = start(0.01);
    assert_int_equal(hr_wait(hr, 1, 10000), 1);
    json_t *ev = NULL;
    assert_int_equal(events(hr, "Success", false, &ev), 1);
    json_t *m = json_object_get(ev, "metadata");
    assert_string_equal(json_string_value(json_object_get(ev, "job_id")), id);
    assert_string_equal(json_string_value(json_object_get(m, "status")), "Success");
    assert_int_equal(json_integer_value(json_object_get(m, "revision")), rev);
    assert_int_equal(json_integer_value(json_object_get(m, "check_in_at")), cat);
    json_decref(ev);
    /* acked as Harbor; the in-progress entry goes with the final ack */
    assert_true(redis_fixture_wait_int(&rf, 0, 10000, "HEXISTS {t}:job_track:inprogress %s", id));
    assert_true(ack_is(e, id, "Success", rev, cat));
    assert_int_equal(redis_fixture_int(&rf, "XLEN {t}:berth:hooks:parked"), 4);   /* untouched */
    free(id);
    stop(e);
    hr_stop(hr);
}

/* Hung (update_time far older than max_update_hours) with its Running hook never acked:
 * the first pass sends Running again and leaves the job Running; once that is acked, the
 * next pass marks it Error, with the Error hook. */
static void test_hung_unacked_resent_before_failed(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    hook_receiver *hr = hr_start();
    char url[128];
    hooked_job_url(hr, url, sizeof url);
    const char *id = "0123456789abcdef01234567", *bad = "0123456789abcdef0123456b";
    const char *young = "0123456789abcdef0123456c";
    seed(id, "Running", 1700000000, 1700000000, NULL, 0, url, 2);
    /* an ack that does not decode counts as none */
    seed(bad, "Running", 1700000000, 1700000000, "not-json", 0, url, 2);
    /* unacknowledged but changed 10 s ago: its own event may still be on its way */
    seed(young, "Running", 1700000000, (long long)time(NULL) - 10, NULL, 0, url, 2);
    berth_engine *e = start(0.01);
    assert_int_equal(hr_wait(hr, 2, 10000), 2);
    assert_true(redis_fixture_wait_int(&rf, 1, 10000, "HEXISTS {t}:job_stats:%s ack", id));
    assert_true(wait_until(acked, &(want_ack){e, bad, "Running", 1700000000, 0}, 10000));
    assert_int_equal(events(hr, "Running", false, NULL), 2);
    char st[32];
    engine_fixture_status(e, id, st, sizeof st);
    assert_string_equal(st, "Running");
    assert_true(ack_is(e, id, "Running", 1700000000, 0));
    /* once an hour per job; the young one (same page, same script call) left alone */
    assert_true(redis_fixture_int(&rf, "TTL {t}:berth:refired:%s", id) > 3500);
    assert_int_equal(redis_fixture_int(&rf, "EXISTS {t}:berth:refired:%s", young), 0);
    assert_int_equal(redis_fixture_int(&rf, "HEXISTS {t}:job_stats:%s ack", young), 0);
    stop(e);
    e = start(0.01);   /* the next pass */
    assert_true(engine_fixture_wait_status(e, id, "Error", 10000));
    assert_true(engine_fixture_wait_status(e, bad, "Error", 10000));
    assert_int_equal(hr_wait(hr, 4, 10000), 4);
    json_t *ev = NULL;
    assert_int_equal(events(hr, "Error", false, &ev), 2);
    json_t *ack = json_object_get(json_object_get(ev, "metadata"), "ack");
    assert_string_equal(json_string_value(json_object_get(ack, "status")), "Running");
    json_decref(ev);
    engine_fixture_status(e, young, st, sizeof st);
    assert_string_equal(st, "Running");
    stop(e);
    hr_stop(hr);
}

/* Hung with an acked Running (and a check-in): marked Error at once, its Error hook sent
 * with the stored ack in the metadata; the Error ack keeps the check-in's time. */
static void test_hung_acked_marked_error(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    hook_receiver *hr = hr_start();
    char url[128];
    hooked_job_url(hr, url, sizeof url);
    const char *id = "0123456789abcdef01234568";
    seed(id, "Running", 1700000000, 1700000100,
         "{\"check_in_at\":1700000100,\"status\":\"Running\",\"revision\":1700000000}",
         1700000100, url, 2);
    berth_engine *e = start(0.01);
    assert_true(engine_fixture_wait_status(e, id, "Error", 10000));
    assert_int_equal(hr_wait(hr, 1, 10000), 1);
    char *raw = raw_event(hr, "Error");
    assert_non_null(raw);
    assert_non_null(strstr(raw, ",\"revision\":1700000000,\"ack\":{\"status\":\"Running\","
                                "\"revision\":1700000000,\"check_in_at\":1700000100}}}"));
    json_t *ev = json_loads(raw, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(ev, "metadata"),
                                                        "check_in_at")), 1700000100);
    json_decref(ev);
    free(raw);
    assert_true(redis_fixture_wait_int(&rf, 0, 10000, "HEXISTS {t}:job_track:inprogress %s", id));
    assert_true(ack_is(e, id, "Error", 1700000000, 1700000100));
    assert_int_equal(events(hr, "Running", false, NULL), 0);   /* nothing sent again */
    stop(e);
    hr_stop(hr);
}

/* An ack newer than the stored status (the status write was lost): the status becomes the
 * ack's, without a hook (Harbor's UpdateStatusWithRetry); a final one settles the job. */
static void test_ack_newer_than_status(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    hook_receiver *hr = hr_start();
    char url[128];
    hooked_job_url(hr, url, sizeof url);
    long long now = (long long)time(NULL);
    const char *a = "0123456789abcdef01234569", *b = "0123456789abcdef0123456a";
    seed(a, "Running", 1, now - 5, "{\"status\":\"Success\",\"revision\":1,\"check_in_at\":0}",
         0, url, 1);
    seed(b, "Pending", now - 5, now - 5, NULL, 0, url, 2);
    redis_fixture_int(&rf, "HSET {t}:job_stats:%s ack {\"status\":\"Running\",\"revision\":%lld,"
                      "\"check_in_at\":0}", b, now - 5);
    berth_engine *e = start(0.01);
    assert_true(engine_fixture_wait_status(e, a, "Success", 10000));
    assert_true(engine_fixture_wait_status(e, b, "Running", 10000));
    /* in the same script as the status: no event recorded, the final one settled */
    assert_int_equal(redis_fixture_int(&rf, "XLEN {t}:berth:hooks"), 0);
    assert_int_equal(redis_fixture_int(&rf, "HEXISTS {t}:job_track:inprogress %s", a), 0);
    assert_true(redis_fixture_int(&rf, "TTL {t}:job_stats:%s", a) > 80000);
    assert_int_equal(redis_fixture_int(&rf, "HEXISTS {t}:job_track:inprogress %s", b), 1);
    assert_int_equal(hr_attempts(hr), 0);
    stop(e);
    hr_stop(hr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ack_and_metadata_as_harbor),
        cmocka_unit_test(test_sweep_resends_unacked_hook),
        cmocka_unit_test(test_hung_unacked_resent_before_failed),
        cmocka_unit_test(test_hung_acked_marked_error),
        cmocka_unit_test(test_ack_newer_than_status),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
