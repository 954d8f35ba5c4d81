/* Unique locks (Harbor: a unique job's lock is freed when the job is picked up) are freed
 * only by the job that holds them. The engine used to decide "this job is unique" by
 * searching the queued JSON for "unique":true, so a non-unique job whose parameters held
 * {"unique":true} freed the lock of a waiting unique job with the same parameters, and a
 * duplicate of that job was then accepted. Now fetch.lua reports the job's own flag and
 * the lock key names its holder. Fixture: tests/support/api_fixture.c (real redis-server,
 * engine, API over loopback). */
#include "test.h"

#include "api_fixture.h"
#include "engine_fixture.h"

#define PARAMS "{\"image\":\"demo:u\",\"unique\":true}"
#define WAITING "{\"job\":{\"name\":\"DEMO\",\"parameters\":" PARAMS ",\"metadata\":{\"kind\":" \
                "\"Scheduled\",\"schedule_delay\":3600,\"unique\":true}}}"
#define TWIN "{\"job\":{\"name\":\"DEMO\",\"parameters\":" PARAMS ",\"metadata\":{\"kind\":" \
             "\"Generic\",\"unique\":false}}}"
#define DUP_HEAD "{\"code\":10003,\"message\":\"launch job failed with error\",\"details\":" \
                 "\"job 'DEMO' can not be enqueued"

static long long unique_locks(void)
{
    return redis_fixture_int(&af.rf, "EVAL %s 0", "return #redis.call('keys','*unique*')");
}

/* The bug's scenario: the twin runs to Success, and the waiting job's lock is still there. */
static void test_non_unique_twin_keeps_the_lock(void **state)
{
    (void)state;
    char *waiting = af_launch(WAITING);
    assert_int_equal(unique_locks(), 1);
    char *twin = af_launch(TWIN);
    assert_true(engine_fixture_wait_status(af.eng, twin, "Success", 15000));
    assert_int_equal(unique_locks(), 1);
    hc_resp r = af_post("/api/v1/jobs", WAITING);   /* a duplicate is still refused */
    assert_int_equal(r.status, 500);
    assert_memory_equal(r.body, DUP_HEAD, strlen(DUP_HEAD));
    assert_non_null(strstr(r.body, waiting));
    hc_resp_free(&r);
    /* stopping the waiting job frees its lock (its own): the same launch is taken again */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", waiting);
    r = af_post(path, "{\"action\":\"stop\"}");
    assert_int_equal(r.status, 204);
    hc_resp_free(&r);
    assert_int_equal(unique_locks(), 0);
    char *again = af_launch(WAITING);
    snprintf(path, sizeof path, "/api/v1/jobs/%s", again);
    r = af_post(path, "{\"action\":\"stop\"}");
    hc_resp_free(&r);
    free(again);
    free(twin);
    free(waiting);
}

/* The release Harbor does still happens: a unique job picked up frees its own lock. */
static void test_unique_job_frees_its_lock_when_picked_up(void **state)
{
    (void)state;
    const char *body = "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo:p\"},"
                       "\"metadata\":{\"kind\":\"Generic\",\"unique\":true}}}";
    char *id = af_launch(body);
    assert_true(engine_fixture_wait_status(af.eng, id, "Success", 15000));
    assert_int_equal(unique_locks(), 0);
    char *again = af_launch(body);                  /* accepted: 202 */
    assert_true(engine_fixture_wait_status(af.eng, again, "Success", 15000));
    free(again);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_non_unique_twin_keeps_the_lock),
        cmocka_unit_test(test_unique_job_frees_its_lock_when_picked_up),
    };
    return cmocka_run_group_tests(tests, api_fixture_setup, api_fixture_teardown);
}
