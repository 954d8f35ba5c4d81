/* Berth's hook routes over real HTTP, and hooks of a job launched through the API reaching
 * a real receiver with Harbor's payload. */
#include "test.h"

#include "api_fixture.h"
#include "engine_fixture.h"
#include "hook_receiver.h"

static void test_hook_routes(void **state)
{
    (void)state;
    hc_resp r = af_get("/api/v1/hooks");
    af_expect(&r, 200, "{\"pending\":0,\"retrying\":0,\"parked\":0,\"dropped\":0}");
    hc_do(&af.cli, "GET", "/api/v1/hooks", NULL, NULL, 0, 0, &r);
    assert_int_equal(r.status, 401);                 /* Berth's routes need the secret too */
    hc_resp_free(&r);
    r = af_post("/api/v1/hooks/replay?limit=abc", "");
    af_expect(&r, 400, "{\"code\":10013,\"message\":\"bad request\",\"details\":\"limit must be "
                       "a positive integer\"}");
    r = af_post("/api/v1/hooks/replay", "");
    af_expect(&r, 200, "{\"replayed\":0}");
    r = af_get("/api/v1/hooks/replay");
    assert_int_equal(r.status, 405);
    hc_resp_free(&r);
}

static void test_demo_hooks_reach_receiver(void **state)
{
    (void)state;
    hook_receiver *hr = hr_start();
    char body[512];
    snprintf(body, sizeof body, "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo:1\"},"
             "\"metadata\":{\"kind\":\"Generic\"},\"status_hook\":"
             "\"http://127.0.0.1:%d/service/notifications/tasks/11\"}}", hr_port(hr));
    char *id = af_launch(body);
    assert_int_equal(hr_wait(hr, 4, 10000), 4);
    char *b[4] = {0};
    hr_delivered(hr, b, 4);
    const char *want[] = {"\"status\":\"Running\",\"metadata\"",
                          "\"status\":\"Running\",\"check_in\":\"progress data: %30\"",
                          "\"status\":\"Running\",\"check_in\":\"progress data: %60\"",
                          "\"status\":\"Success\",\"metadata\""};
    for (int i = 0; i < 4; i++) {
        char head[64];
        snprintf(head, sizeof head, "{\"job_id\":\"%s\",", id);
        assert_int_equal(strncmp(b[i], head, strlen(head)), 0);
        if (!strstr(b[i], want[i]))
            fprintf(stderr, "hook %d: %s\n", i, b[i]);
        assert_non_null(strstr(b[i], want[i]));
        free(b[i]);
    }
    hc_resp r = af_get("/api/v1/hooks");
    assert_int_equal(r.status, 200);
    hc_resp_free(&r);
    hr_stop(hr);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hook_routes),
        cmocka_unit_test(test_demo_hooks_reach_receiver),
    };
    return cmocka_run_group_tests(tests, api_fixture_setup, api_fixture_teardown);
}
