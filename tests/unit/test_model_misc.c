/* Unit tests for ids (spec §3.5), Harbor's API errors (§2.3), the hook payload (§9.2),
 * SimpleStatusChange and the job action body (§2.7). */
#include "test.h"

#include <sys/wait.h>
#include <unistd.h>

#include "berth/error.h"
#include "berth/job.h"
#include "model/action.h"
#include "model/api_error.h"
#include "model/id.h"
#include "model/simple_change.h"
#include "model/status_change.h"
#include "util/alloc.h"
#include "util/buf.h"

static void test_ids(void **state)
{
    (void)state;
    char a[25], b[25];
    memset(a, 'X', sizeof a);
    berth_id_new(a);
    berth_id_new(b);
    assert_int_equal(strlen(a), 24);
    assert_true(berth_id_valid(a));
    assert_true(berth_id_valid(b));
    assert_string_not_equal(a, b);
    assert_true(berth_id_valid("0123456789abcdef01234567"));
    assert_false(berth_id_valid("0123456789ABCDEF01234567"));
    assert_false(berth_id_valid("0123456789abcdef0123456"));
    assert_false(berth_id_valid("0123456789abcdef012345678"));
    assert_false(berth_id_valid("0123456789abcdeg01234567"));
    assert_false(berth_id_valid("../../etc/passwd"));
    assert_false(berth_id_valid(""));
    assert_false(berth_id_valid(NULL));
}

/* Ids come from random bytes read ahead per thread (id.c): a forked child must not hand
 * out the bytes its parent read ahead — its next id differs from the parent's next one. */
static void test_ids_after_fork(void **state)
{
    (void)state;
    char first[25], parent_next[25], child_next[25] = "";
    berth_id_new(first);   /* the parent has read ahead now */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char id[25];
        berth_id_new(id);
        _exit(write(fds[1], id, 25) == 25 ? 0 : 1);
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], child_next, 25), 25);
    close(fds[0]);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    berth_id_new(parent_next);
    assert_true(berth_id_valid(child_next));
    assert_string_not_equal(child_next, parent_next);
    assert_string_not_equal(child_next, first);
}

/* 200 fresh ids: all distinct, even in their first 8 characters (a time- or counter-based
 * id would share a prefix), 24 lowercase hex digits each, and every digit about as frequent
 * as the others (expected 300 of 4800; 200..400 is six standard deviations). */
static void test_ids_look_random(void **state)
{
    (void)state;
    enum { N = 200 };
    static char ids[N][25];
    int seen[16] = {0};
    for (int i = 0; i < N; i++) {
        berth_id_new(ids[i]);
        assert_int_equal(strlen(ids[i]), 24);
        assert_true(berth_id_valid(ids[i]));
        for (int k = 0; k < 24; k++) {
            char c = ids[i][k];
            assert_true((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
            seen[c <= '9' ? c - '0' : c - 'a' + 10]++;
        }
        for (int j = 0; j < i; j++)
            assert_true(strncmp(ids[i], ids[j], 8) != 0);
    }
    for (int d = 0; d < 16; d++) {
        if (seen[d] < 200 || seen[d] > 400)
            print_error("hex digit %x appeared %d times of %d\n", d, seen[d], N * 24);
        assert_true(seen[d] >= 200 && seen[d] <= 400);
    }
}

static void test_execution_ids(void **state)
{
    (void)state;
    assert_true(berth_execution_id_valid("0123456789abcdef01234567@1700000000"));
    assert_true(berth_execution_id_valid("0123456789abcdef01234567@0"));
    assert_false(berth_execution_id_valid("0123456789abcdef01234567@"));
    assert_false(berth_execution_id_valid("0123456789abcdef01234567@12/"));
    assert_false(berth_execution_id_valid("0123456789abcdef01234567@-1"));
    assert_false(berth_execution_id_valid("0123456789abcdef01234567"));
    assert_false(berth_execution_id_valid("0123456789abcdef01234567@12345678901234567890"));
    assert_false(berth_execution_id_valid(NULL));
    char out[BERTH_EXEC_ID_SIZE];
    assert_int_equal(berth_execution_id_make("c0ffee00c0ffee00c0ffee00", 1700006400, out), 0);
    assert_string_equal(out, "c0ffee00c0ffee00c0ffee00@1700006400");
    assert_int_equal(berth_execution_id_make("c0ffee00c0ffee00c0ffee00", INT64_MAX, out), 0);
    assert_string_equal(out, "c0ffee00c0ffee00c0ffee00@9223372036854775807");
    assert_true(berth_execution_id_valid(out));
    assert_int_equal(berth_execution_id_make("C0FFEE00c0ffee00c0ffee00", 1, out), BERTH_EINVAL);
    assert_int_equal(berth_execution_id_make("c0ffee00c0ffee00c0ffee00", -1, out), BERTH_EINVAL);
    char policy[25];
    int64_t epoch = 0;
    assert_int_equal(berth_execution_id_split("c0ffee00c0ffee00c0ffee00@1700006400", policy,
                                              &epoch), 0);
    assert_string_equal(policy, "c0ffee00c0ffee00c0ffee00");
    assert_int_equal(epoch, 1700006400);
    assert_int_equal(berth_execution_id_split("c0ffee00c0ffee00c0ffee00@9223372036854775808",
                                              policy, &epoch), BERTH_EINVAL);
    assert_int_equal(berth_execution_id_split("c0ffee00c0ffee00c0ffee00", NULL, NULL),
                     BERTH_EINVAL);
    assert_int_equal(berth_execution_id_split("c0ffee00c0ffee00c0ffee00@5", NULL, NULL), 0);
}

static void test_api_error_messages(void **state)
{
    (void)state;
    const char *want[] = {"read request body failed with error",
                          "handle json data failed with error",
                          "missing backend controller to handle the requests",
                          "launch job failed with error",
                          "check stats of server failed with error",
                          "get job stats failed with error",
                          "stop job failed with error",
                          "retry job failed with error",
                          "unknown job action name",
                          "failed to get the job log",
                          "object is not found",
                          "unauthorized",
                          "conflict",
                          "bad request",
                          "failed to get scheduled jobs",
                          "failed to get periodic executions",
                          "mismatch job status"};
    for (int i = 0; i < 17; i++)
        assert_string_equal(berth_api_error_message(10000 + i), want[i]);
    assert_null(berth_api_error_message(9999));
    assert_null(berth_api_error_message(10017));
    assert_null(berth_api_error_message(0));
    assert_int_equal(berth_api_error_http_status(BERTH_API_BAD_REQUEST), 400);
    assert_int_equal(berth_api_error_http_status(BERTH_API_UNAUTHORIZED), 401);
    assert_int_equal(berth_api_error_http_status(BERTH_API_NOT_FOUND), 404);
    assert_int_equal(berth_api_error_http_status(BERTH_API_CONFLICT), 409);
    assert_int_equal(berth_api_error_http_status(BERTH_API_UNKNOWN_ACTION), 501);
    assert_int_equal(berth_api_error_http_status(BERTH_API_JSON), 500);
    assert_int_equal(berth_api_error_http_status(BERTH_API_LAUNCH), 500);
}

static void expect_body(int code, const char *details, const char *want)
{
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_api_error_body(code, details, &b), 0);
    assert_string_equal(b.p, want);
    buf_free(&b);
}

static void test_api_error_bodies(void **state)
{
    (void)state;
    expect_body(BERTH_API_NOT_FOUND, "doesnotexist",
                "{\"code\":10010,\"message\":\"object is not found\",\"details\":"
                "\"doesnotexist\"}");
    expect_body(BERTH_API_UNKNOWN_ACTION, "command: retry",
                "{\"code\":10008,\"message\":\"unknown job action name\",\"details\":"
                "\"command: retry\"}");
    expect_body(BERTH_API_LAUNCH,
                "job 'GARBAGE_COLLECTION' can not be enqueued, please check the job metatdata",
                "{\"code\":10003,\"message\":\"launch job failed with error\",\"details\":\"job "
                "'GARBAGE_COLLECTION' can not be enqueued, please check the job metatdata\"}");
    expect_body(BERTH_API_UNAUTHORIZED, "'Authorization' should start with 'Harbor-Secret'",
                "{\"code\":10011,\"message\":\"unauthorized\",\"details\":\"'Authorization' "
                "should start with 'Harbor-Secret'\"}");
    expect_body(BERTH_API_BAD_REQUEST, "", "{\"code\":10013,\"message\":\"bad request\"}");
    expect_body(BERTH_API_BAD_REQUEST, NULL, "{\"code\":10013,\"message\":\"bad request\"}");
    expect_body(BERTH_API_JSON, "invalid character '<' \"x\"\n",
                "{\"code\":10001,\"message\":\"handle json data failed with error\",\"details\":"
                "\"invalid character '\\u003c' \\\"x\\\"\\n\"}");
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_api_error_body_msg(BERTH_API_GET_JOBS,
                                              "failed to get scheduled jobs, q={\"Kind\":\"x\"}",
                                              "boom", &b), 0);
    assert_string_equal(b.p, "{\"code\":10014,\"message\":\"failed to get scheduled jobs, "
                             "q={\\\"Kind\\\":\\\"x\\\"}\",\"details\":\"boom\"}");
    buf_reset(&b);
    assert_int_equal(berth_api_error_body(42, "x", &b), BERTH_EINVAL);
    assert_int_equal(b.len, 0);
    buf_free(&b);
    buf_init(&b, 30);
    buf_puts(&b, "ab");
    assert_int_equal(berth_api_error_body(BERTH_API_NOT_FOUND, "x", &b), BERTH_ETOOBIG);
    assert_string_equal(b.p, "ab");
    buf_free(&b);
}

static berth_stats *e10_meta(void)
{
    berth_stats *s = berth_stats_new();
    s->id = berth_strdup("2b7e1f0c9d8a6b5c4d3e2f10");
    s->status = berth_strdup("Running");
    s->name = berth_strdup("DEMO");
    s->kind = berth_strdup("Generic");
    s->ref_link = berth_strdup("/api/v1/jobs/2b7e1f0c9d8a6b5c4d3e2f10");
    s->enqueue_time = 1700000000;
    s->update_time = 1700000001;
    s->check_in = berth_strdup("progress data: %30");
    s->check_in_at = 1700000001;
    s->web_hook_url = berth_strdup("http://core:8080/service/notifications/tasks/11");
    s->parameters = berth_strdup("{\"image\":\"demo:latest\"}");
    s->revision = 1700000000;
    return s;
}

#define E10                                                                                  \
    "{\"job_id\":\"2b7e1f0c9d8a6b5c4d3e2f10\",\"status\":\"Running\",\"check_in\":\"progress " \
    "data: %30\",\"metadata\":{\"id\":\"2b7e1f0c9d8a6b5c4d3e2f10\",\"status\":\"Running\","  \
    "\"name\":\"DEMO\",\"kind\":\"Generic\",\"unique\":false,\"ref_link\":\"/api/v1/jobs/"   \
    "2b7e1f0c9d8a6b5c4d3e2f10\",\"enqueue_time\":1700000000,\"update_time\":1700000001,"     \
    "\"check_in\":\"progress data: %30\",\"check_in_at\":1700000001,\"web_hook_url\":"       \
    "\"http://core:8080/service/notifications/tasks/11\",\"parameters\":{\"image\":"         \
    "\"demo:latest\"},\"revision\":1700000000}}"

static void test_status_change_e10(void **state)
{
    (void)state;
    berth_stats *s = e10_meta();
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_status_change_to_json(s->id, "Running", s->check_in, s, &b), 0);
    assert_string_equal(b.p, E10);
    buf_reset(&b);
    assert_int_equal(berth_status_change_to_json("j", "Success", "", NULL, &b), 0);
    assert_string_equal(b.p, "{\"job_id\":\"j\",\"status\":\"Success\"}");
    buf_reset(&b);
    assert_int_equal(berth_status_change_to_json(NULL, NULL, NULL, NULL, &b), 0);
    assert_string_equal(b.p, "{\"job_id\":\"\",\"status\":\"\"}");
    buf_reset(&b);
    berth_free(s->parameters);
    s->parameters = berth_strdup("[]");
    assert_int_equal(berth_status_change_to_json("j", "Running", NULL, s, &b), BERTH_EINVAL);
    assert_int_equal(b.len, 0);
    buf_free(&b);
    berth_stats_free(s);
}

static void test_status_change_parse(void **state)
{
    (void)state;
    berth_status_change *c = NULL;
    char err[256] = "";
    assert_int_equal(berth_status_change_parse(E10, strlen(E10), &c, err, sizeof err), 0);
    assert_string_equal(c->job_id, "2b7e1f0c9d8a6b5c4d3e2f10");
    assert_string_equal(c->status, "Running");
    assert_string_equal(c->check_in, "progress data: %30");
    assert_non_null(c->metadata);
    assert_string_equal(c->metadata->check_in, "progress data: %30");
    assert_int_equal(c->metadata->revision, 1700000000);
    assert_string_equal(c->metadata->parameters, "{\"image\":\"demo:latest\"}");
    berth_status_change_free(c);
    berth_status_change_free(NULL);
    const char *no_meta = "{\"job_id\":\"x\",\"status\":\"Success\",\"check_in\":\"\","
                          "\"metadata\":null}";
    assert_int_equal(berth_status_change_parse(no_meta, strlen(no_meta), &c, err, sizeof err), 0);
    assert_null(c->metadata);
    assert_null(c->check_in);
    berth_status_change_free(c);
    const char *bad = "{\"job_id\":\"x\",\"metadata\":{\"revision\":\"1\"}}";
    c = NULL;
    assert_int_equal(berth_status_change_parse(bad, strlen(bad), &c, err, sizeof err),
                     BERTH_EINVAL);
    assert_null(c);
    assert_string_equal(err, "json: cannot unmarshal string into Go struct field "
                             "StatsInfo.metadata.revision of type int64");
    assert_int_equal(berth_status_change_parse("{\"status\":1}", 12, &c, err, sizeof err),
                     BERTH_EINVAL);
    assert_string_equal(err, "json: cannot unmarshal number into Go struct field "
                             "StatusChange.status of type string");
    assert_int_equal(berth_status_change_parse("{\"metadata\":[]}", 15, &c, err, sizeof err),
                     BERTH_EINVAL);
    assert_int_equal(berth_status_change_parse("[]", 2, &c, err, sizeof err), BERTH_EINVAL);
    assert_int_equal(berth_status_change_parse("{", 1, &c, err, sizeof err), BERTH_EINVAL);
}

static void test_simple_change(void **state)
{
    (void)state;
    berth_simple_change in = {"abc", "Stopped", 1700000000};
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_simple_change_to_json(&in, &b), 0);
    assert_string_equal(b.p, "{\"job_id\":\"abc\",\"target_status\":\"Stopped\","
                             "\"revision\":1700000000}");
    berth_simple_change *out = NULL;
    char err[256];
    assert_int_equal(berth_simple_change_parse(b.p, b.len, &out, err, sizeof err), 0);
    assert_string_equal(out->job_id, "abc");
    assert_string_equal(out->target_status, "Stopped");
    assert_int_equal(out->revision, 1700000000);
    berth_simple_change_free(out);
    berth_simple_change_free(NULL);
    buf_reset(&b);
    berth_simple_change empty = {0};
    assert_int_equal(berth_simple_change_to_json(&empty, &b), 0);
    assert_string_equal(b.p, "{\"job_id\":\"\",\"target_status\":\"\",\"revision\":0}");
    buf_free(&b);
    out = NULL;
    assert_int_equal(berth_simple_change_parse("{\"revision\":\"5\"}", 16, &out, err, sizeof err),
                     BERTH_EINVAL);
    assert_null(out);
    assert_string_equal(err, "json: cannot unmarshal string into Go struct field "
                             "SimpleStatusChange.revision of type int64");
    assert_int_equal(berth_simple_change_parse("nope", 4, &out, err, sizeof err), BERTH_EINVAL);
}

static void test_action(void **state)
{
    (void)state;
    char *a = NULL;
    char err[256];
    assert_int_equal(berth_action_parse("{\"action\":\"stop\"}", 17, &a, err, sizeof err), 0);
    assert_string_equal(a, BERTH_ACTION_STOP);
    berth_free(a);
    assert_int_equal(berth_action_parse("{\"ACTION\":\"retry\",\"x\":1}", 24, &a, err, sizeof err),
                     0);
    assert_string_equal(a, "retry");
    berth_free(a);
    assert_int_equal(berth_action_parse("{}", 2, &a, err, sizeof err), 0);
    assert_string_equal(a, "");
    berth_free(a);
    assert_int_equal(berth_action_parse("null", 4, &a, err, sizeof err), 0);
    assert_string_equal(a, "");
    berth_free(a);
    a = NULL;
    assert_int_equal(berth_action_parse("{\"action\":1}", 12, &a, err, sizeof err), BERTH_EINVAL);
    assert_null(a);
    assert_string_equal(err, "json: cannot unmarshal number into Go struct field "
                             "ActionRequest.action of type string");
    assert_int_equal(berth_action_parse("[\"stop\"]", 8, &a, err, sizeof err), BERTH_EINVAL);
    assert_string_equal(err, "json: cannot unmarshal array into Go value of type "
                             "job.ActionRequest");
    assert_int_equal(berth_action_parse("stop", 4, &a, err, sizeof err), BERTH_EINVAL);
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_action_to_json("stop", &b), 0);
    assert_string_equal(b.p, "{\"action\":\"stop\"}");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_ids_look_random),
        cmocka_unit_test(test_ids_after_fork),
        cmocka_unit_test(test_execution_ids),
        cmocka_unit_test(test_api_error_messages),
        cmocka_unit_test(test_api_error_bodies),
        cmocka_unit_test(test_status_change_e10),
        cmocka_unit_test(test_status_change_parse),
        cmocka_unit_test(test_simple_change),
        cmocka_unit_test(test_action),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
