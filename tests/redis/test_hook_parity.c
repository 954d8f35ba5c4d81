/* Hook parity with Harbor's tracker (issue 13 item 7), against a real HTTP receiver on a
 * real redis-server:
 *  - a status event after check-ins carries the last check-in message and its time in its
 *    metadata (Harbor's tracker holds them in memory), while the top-level check_in stays
 *    empty; a new run (Reset) starts without one;
 *  - the metadata is the job's stats when the event was recorded: the stats hash deleted
 *    before the events are read for delivery (expired, or removed by core, while no node
 *    delivered hooks) still leaves name, kind and
 *    upstream_job_id in the payload (upstream_job_id is written into a Generic job's hash
 *    by the test, standing in for a periodic execution's);
 *  - a receiver answering 307 is followed to the new location, as Go's client does;
 *  - the "outdated" check is made only before a retry, as Harbor: an event whose first
 *    attempt comes after a newer ack is still sent once; a failed one is dropped before its
 *    retry when a newer ack appeared meanwhile. (The ack is written by the test, standing
 *    in for one another node or run wrote.) */
#include "test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "hook_receiver.h"
#include "hooked_job.h"
#include "wait.h"

static redis_fixture rf;

/* A JSON string's text, "(none)" when absent (cmocka compares it then fails cleanly). */
static const char *str_of(const json_t *j)
{
    const char *s = json_string_value(j);
    return s ? s : "(none)";
}
/* scale: Harbor's hook back-off times this (its first retry comes 2 s × 0.5–1.5 × scale
 * after a failed attempt) */
static berth_engine *start_scaled(bool hooks, double scale)
{
    berth_engine_config c = engine_fixture_config(&rf);
    c.hook_backoff_scale = scale;
    c.hooks_disabled = !hooks;
    return engine_fixture_start(&c, (berth_job_type[]){{.name = "HOOKED",
                                                         .run = hooked_job_run}, {0}});
}

static berth_engine *start_with(bool hooks)
{
    return start_scaled(hooks, 0.01);
}

static berth_engine *start(void)
{
    hooked_job_release(false);
    redis_fixture_flush(&rf);
    return start_with(true);
}

/* The delivered payload with this status and no top-level check_in (a status event), or
 * NULL; the caller decrefs it. */
static json_t *status_event(hook_receiver *hr, const char *status)
{
    char *b[32] = {0};
    size_t n = hr_delivered(hr, b, 32);
    json_t *found = NULL;
    for (size_t i = 0; i < n && i < 32; i++) {
        json_t *j = json_loads(b[i], 0, NULL);
        const char *st = json_string_value(json_object_get(j, "status"));
        if (!found && st && strcmp(st, status) == 0 && !json_object_get(j, "check_in"))
            found = json_incref(j);
        json_decref(j);
        free(b[i]);
    }
    return found;
}

static void test_last_checkin_in_metadata(void **state)
{
    (void)state;
    hook_receiver *hr = hr_start();
    berth_engine *e = start();
    char *id = hooked_job_launch(e, hr);
    assert_int_equal(hr_wait(hr, 3, 10000), 3);   /* Running, two check-ins */
    hooked_job_release(true);
    assert_int_equal(hr_wait(hr, 4, 10000), 4);
    json_t *ev = status_event(hr, "Success");
    assert_non_null(ev);
    json_t *m = json_object_get(ev, "metadata");
    assert_string_equal(str_of(json_object_get(m, "check_in")), "progress data: %60");
    assert_true(json_integer_value(json_object_get(m, "check_in_at")) > 0);
    json_decref(ev);
    ev = status_event(hr, "Running");   /* before any check-in: none carried */
    assert_non_null(ev);
    assert_null(json_object_get(json_object_get(ev, "metadata"), "check_in"));
    json_decref(ev);
    free(id);
    berth_engine_stop(e);
    berth_engine_free(e);
    hr_stop(hr);
}

/* The events are recorded by a node that delivers no hooks; the stats hash is deleted; a
 * node that delivers hooks starts only then (as when the leader died before sending). */
static void test_metadata_survives_deleted_stats(void **state)
{
    (void)state;
    hook_receiver *hr = hr_start();
    hooked_job_release(false);
    redis_fixture_flush(&rf);
    berth_engine *e = start_with(false);
    char *id = hooked_job_launch(e, hr);
    assert_true(engine_fixture_wait_status(e, id, "Running", 10000));
    assert_true(redis_fixture_int(&rf, "HSET {t}:job_stats:%s upstream_job_id c0ffee00c0ffee00c0ffee00",
                                  id) == 1);
    hooked_job_release(true);
    assert_true(engine_fixture_wait_status(e, id, "Success", 10000));
    berth_engine_stop(e);
    berth_engine_free(e);
    assert_int_equal(redis_fixture_int(&rf, "DEL {t}:job_stats:%s", id), 1);
    e = start_with(true);
    assert_int_equal(hr_wait(hr, 4, 20000), 4);
    json_t *ev = status_event(hr, "Success");
    assert_non_null(ev);
    json_t *m = json_object_get(ev, "metadata");
    assert_string_equal(str_of(json_object_get(m, "upstream_job_id")),
                        "c0ffee00c0ffee00c0ffee00");
    assert_string_equal(str_of(json_object_get(m, "name")), "HOOKED");
    assert_string_equal(str_of(json_object_get(m, "kind")), "Generic");
    assert_string_equal(str_of(json_object_get(m, "status")), "Success");
    assert_string_equal(str_of(json_object_get(m, "check_in")), "progress data: %60");
    json_decref(ev);
    free(id);
    berth_engine_stop(e);
    berth_engine_free(e);
    hr_stop(hr);
}

static void test_redirect_followed(void **state)
{
    (void)state;
    hook_receiver *hr = hr_start();
    hr_set_mode(hr, HR_REDIRECT);
    berth_engine *e = start();
    hooked_job_release(true);
    char *id = hooked_job_launch(e, hr);
    assert_int_equal(hr_wait(hr, 4, 10000), 4);   /* each redirected once, then 200 */
    assert_true(hr_attempts(hr) >= 8);
    json_t *ev = status_event(hr, "Success");
    assert_non_null(ev);
    assert_string_equal(str_of(json_object_get(ev, "job_id")), id);
    json_decref(ev);
    free(id);
    berth_engine_stop(e);
    berth_engine_free(e);
    hr_stop(hr);
}

/* Counts delivered payloads of job id. */
static size_t delivered_of(hook_receiver *hr, const char *id)
{
    char *b[32] = {0};
    size_t n = hr_delivered(hr, b, 32), hits = 0;
    for (size_t i = 0; i < n && i < 32; i++) {
        hits += strstr(b[i], id) != NULL;
        free(b[i]);
    }
    return hits;
}

static void test_outdated_only_before_retry(void **state)
{
    (void)state;
    hook_receiver *hr = hr_start();
    hooked_job_release(true);
    redis_fixture_flush(&rf);
    berth_engine *e = start_with(false);   /* records the events, delivers none */
    char *id = hooked_job_launch(e, hr);
    assert_true(engine_fixture_wait_status(e, id, "Success", 10000));
    berth_engine_stop(e);
    berth_engine_free(e);
    /* an ack newer than every event, before any was sent: each still goes once */
    assert_true(redis_fixture_int(&rf, "HSET {t}:job_stats:%s ack "
                                  "{\"status\":\"Success\",\"revision\":9999999999,\"check_in_at\":0}",
                                  id) >= 0);
    /* the first retry 0.5–1.5 s after a failure: time for the test to write the ack below
     * before it (at 10–30 ms a loaded CI machine saw the retry first) */
    e = start_scaled(true, 0.5);
    assert_int_equal(hr_wait(hr, 4, 10000), 4);
    assert_int_equal(delivered_of(hr, id), 4);
    /* a second job whose first attempt fails; a newer ack appears before the retry */
    hr_set_mode(hr, HR_FAIL);
    char *id2 = hooked_job_launch(e, hr);
    assert_int_equal(hr_wait_attempts(hr, 5, 10000), 5);
    assert_true(redis_fixture_int(&rf, "HSET {t}:job_stats:%s ack "
                                  "{\"status\":\"Success\",\"revision\":9999999999,\"check_in_at\":0}",
                                  id2) >= 0);
    hr_set_mode(hr, HR_OK);
    assert_true(engine_fixture_wait_status(e, id2, "Success", 10000));
    assert_true(redis_fixture_wait_int(&rf, 0, 20000, "XLEN {t}:berth:hooks"));
    /* the failed Running event was dropped before its retry; the later events of the job
     * (check-ins, Success) had their first attempt after the ack and went once each */
    assert_int_equal(delivered_of(hr, id2), 3);
    char *b[32] = {0};
    size_t n = hr_delivered(hr, b, 32);
    for (size_t i = 0; i < n && i < 32; i++) {
        json_t *j = json_loads(b[i], 0, NULL);
        bool bare_running = strstr(b[i], id2) && !strcmp(str_of(json_object_get(j, "status")), "Running") &&
                            !json_object_get(j, "check_in");
        json_decref(j);
        free(b[i]);
        assert_false(bare_running);
    }
    free(id);
    free(id2);
    berth_engine_stop(e);
    berth_engine_free(e);
    hr_stop(hr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_last_checkin_in_metadata),
        cmocka_unit_test(test_metadata_survives_deleted_stats),
        cmocka_unit_test(test_redirect_followed),
        cmocka_unit_test(test_outdated_only_before_retry),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
