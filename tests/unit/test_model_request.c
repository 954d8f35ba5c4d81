/* Unit tests for the launch request (spec §2.5): decoding with Go's rules and error texts,
 * and validation with Harbor's detail texts in Harbor's order. */
#include "test.h"

#include "berth/error.h"
#include "berth/job.h"
#include "model/request.h"
#include "util/alloc.h"

static berth_request *parse_ok(const char *body)
{
    berth_request *r = NULL;
    char err[256] = "";
    int rc = berth_request_parse(body, strlen(body), &r, err, sizeof err);
    if (rc != 0)
        fail_msg("parse failed: %d %s", rc, err);
    return r;
}

static void parse_fails(const char *body, const char *want)
{
    berth_request *r = NULL;
    char err[256] = "";
    assert_int_equal(berth_request_parse(body, strlen(body), &r, err, sizeof err), BERTH_EINVAL);
    assert_null(r);
    if (want)
        assert_string_equal(err, want);
    else
        assert_true(err[0] != '\0');
}

static void test_parse_harbor_examples(void **state)
{
    (void)state;
    berth_request *r = parse_ok(
        "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo:latest\"},\"metadata\":"
        "{\"kind\":\"Generic\",\"unique\":false},\"status_hook\":\"http://core:8080/service/"
        "notifications/tasks/11\"}}");
    assert_true(r->has_job);
    assert_true(r->has_metadata);
    assert_string_equal(r->name, "DEMO");
    assert_string_equal(r->parameters, "{\"image\":\"demo:latest\"}");
    assert_string_equal(r->kind, "Generic");
    assert_false(r->unique);
    assert_int_equal(r->schedule_delay, 0);
    assert_null(r->cron_spec);
    assert_string_equal(r->status_hook, "http://core:8080/service/notifications/tasks/11");
    berth_request_free(r);

    r = parse_ok("{\"job\":{\"name\":\"GARBAGE_COLLECTION\",\"parameters\":{\"workers\":1,"
                 "\"dry_run\":false,\"time_window\":2.0},\"metadata\":{\"kind\":\"Scheduled\","
                 "\"schedule_delay\":90,\"unique\":true}}}");
    assert_int_equal(r->schedule_delay, 90);
    assert_true(r->unique);
    assert_string_equal(r->parameters, "{\"dry_run\":false,\"time_window\":2,\"workers\":1}");
    assert_null(r->status_hook);
    berth_request_free(r);

    r = parse_ok("{\"job\":{\"name\":\"SCHEDULER\",\"parameters\":null,\"metadata\":{\"kind\":"
                 "\"Periodic\",\"cron_spec\":\"0 0 0 * * *\",\"unique\":false}}}");
    assert_null(r->parameters);
    assert_string_equal(r->cron_spec, "0 0 0 * * *");
    berth_request_free(r);
}

static void test_parse_go_rules(void **state)
{
    (void)state;
    /* case-insensitive keys (incl. Go's Unicode folds), unknown keys ignored, nulls */
    berth_request *r = parse_ok(
        "{\"JOB\":{\"Name\":\"x\",\"extra\":{\"deep\":[1,2]},\"METADATA\":{\"\xe2\x84\xaaind\":"
        "\"Generic\",\"Schedule_Delay\":18446744073709551,\"cron_spec\":null,\"unique\":null},"
        "\"\xc5\xbftatus_hook\":null,\"parameters\":{}}}");
    assert_string_equal(r->name, "x");
    assert_string_equal(r->kind, "Generic");
    assert_int_equal(r->schedule_delay, 18446744073709551ULL);
    assert_null(r->cron_spec);
    assert_null(r->status_hook);
    assert_string_equal(r->parameters, "{}");
    berth_request_free(r);

    r = parse_ok("null");
    assert_false(r->has_job);
    berth_request_free(r);
    r = parse_ok("{\"job\":null,\"other\":1}");
    assert_false(r->has_job);
    berth_request_free(r);
    r = parse_ok("{\"job\":{\"metadata\":null}}");
    assert_true(r->has_job);
    assert_false(r->has_metadata);
    assert_null(r->name);
    berth_request_free(r);
    r = parse_ok(" {\"job\":{\"metadata\":{\"schedule_delay\":9223372036854775807}}} \n");
    assert_int_equal(r->schedule_delay, 9223372036854775807ULL);
    berth_request_free(r);
    /* invalid UTF-8 is replaced, not refused (Go) */
    r = parse_ok("{\"job\":{\"name\":\"a\xff\"}}");
    assert_string_equal(r->name, "a\xef\xbf\xbd");
    berth_request_free(r);
}

static void test_parse_type_errors(void **state)
{
    (void)state;
    parse_fails("{\"job\":{\"metadata\":{\"schedule_delay\":-1}}}",
                "json: cannot unmarshal number -1 into Go struct field "
                "Metadata.job.metadata.schedule_delay of type uint64");
    parse_fails("{\"job\":{\"metadata\":{\"schedule_delay\":1.5}}}",
                "json: cannot unmarshal number 1.5 into Go struct field "
                "Metadata.job.metadata.schedule_delay of type uint64");
    parse_fails("{\"job\":{\"metadata\":{\"schedule_delay\":1e2}}}",
                "json: cannot unmarshal number 100 into Go struct field "
                "Metadata.job.metadata.schedule_delay of type uint64");
    parse_fails("{\"job\":{\"metadata\":{\"schedule_delay\":\"90\"}}}",
                "json: cannot unmarshal string into Go struct field "
                "Metadata.job.metadata.schedule_delay of type uint64");
    parse_fails("{\"job\":{\"name\":5}}",
                "json: cannot unmarshal number into Go struct field RequestBody.job.name of "
                "type string");
    parse_fails("{\"job\":{\"name\":[\"a\"]}}",
                "json: cannot unmarshal array into Go struct field RequestBody.job.name of "
                "type string");
    parse_fails("{\"job\":{\"parameters\":[1]}}",
                "json: cannot unmarshal array into Go struct field RequestBody.job.parameters "
                "of type job.Parameters");
    parse_fails("{\"job\":{\"parameters\":\"{}\"}}",
                "json: cannot unmarshal string into Go struct field RequestBody.job.parameters "
                "of type job.Parameters");
    parse_fails("{\"job\":{\"parameters\":true}}",
                "json: cannot unmarshal bool into Go struct field RequestBody.job.parameters "
                "of type job.Parameters");
    parse_fails("{\"job\":{\"metadata\":\"Generic\"}}",
                "json: cannot unmarshal string into Go struct field RequestBody.job.metadata of "
                "type job.Metadata");
    parse_fails("{\"job\":{\"metadata\":{\"kind\":1}}}",
                "json: cannot unmarshal number into Go struct field Metadata.job.metadata.kind "
                "of type string");
    parse_fails("{\"job\":{\"metadata\":{\"cron_spec\":{}}}}",
                "json: cannot unmarshal object into Go struct field "
                "Metadata.job.metadata.cron_spec of type string");
    parse_fails("{\"job\":{\"metadata\":{\"unique\":\"true\"}}}",
                "json: cannot unmarshal string into Go struct field Metadata.job.metadata.unique "
                "of type bool");
    parse_fails("{\"job\":{\"status_hook\":false}}",
                "json: cannot unmarshal bool into Go struct field RequestBody.job.status_hook of "
                "type string");
    parse_fails("{\"job\":[]}",
                "json: cannot unmarshal array into Go struct field Request.job of type "
                "job.RequestBody");
    parse_fails("[]", "json: cannot unmarshal array into Go value of type job.Request");
    parse_fails("\"job\"", "json: cannot unmarshal string into Go value of type job.Request");
    parse_fails("42", "json: cannot unmarshal number into Go value of type job.Request");
}

static void test_parse_malformed(void **state)
{
    (void)state;
    parse_fails("not-json", NULL);
    parse_fails("", NULL);
    parse_fails("{", NULL);
    parse_fails("{\"job\":{}}}", NULL);           /* trailing garbage */
    parse_fails("{\"job\":{},}", NULL);           /* trailing comma */
    parse_fails("{\"job\":{\"name\":\"a\nb\"}}", NULL);  /* raw newline in a string */
    parse_fails("{\"job\":{\"name\":\"\\x\"}}", NULL);   /* bad escape */
    parse_fails("{\"job\":{\"name\":\"x\"}} {}", NULL);
    parse_fails("\xef\xbb\xbf{}", NULL);          /* a BOM is not JSON (Go refuses it too) */
    berth_request *r = NULL;
    char err[128];
    assert_int_equal(berth_request_parse(NULL, 0, &r, err, sizeof err), BERTH_EINVAL);
    assert_true(strncmp(err, "invalid JSON: ", 14) == 0);
}

static void test_parse_depth_cap(void **state)
{
    (void)state;
    char body[512] = "{\"job\":{\"parameters\":{\"a\":";  /* 3 levels so far */
    for (int i = 0; i < 61; i++)
        strcat(body, "[");
    for (int i = 0; i < 61; i++)
        strcat(body, "]");
    strcat(body, "}}}");
    berth_request *r = parse_ok(body);  /* exactly 64 levels */
    berth_request_free(r);
    char deeper[512] = "{\"job\":{\"parameters\":{\"a\":";
    for (int i = 0; i < 62; i++)
        strcat(deeper, "[");
    for (int i = 0; i < 62; i++)
        strcat(deeper, "]");
    strcat(deeper, "}}}");
    parse_fails(deeper, "invalid JSON: nests deeper than 64 levels");
    /* brackets inside strings do not count */
    char str[512] = "{\"job\":{\"name\":\"";
    for (int i = 0; i < 100; i++)
        strcat(str, "[{");
    strcat(str, "\"}}");
    r = parse_ok(str);
    assert_int_equal(strlen(r->name), 200);
    berth_request_free(r);
}

/* ---- validation -------------------------------------------------------------------------- */

static int cron_calls, known_calls, param_calls;

static int cron_check(const char *spec, char *err, size_t errlen, void *ud)
{
    (void)ud;
    cron_calls++;
    if (strcmp(spec, "0 0 0 * * *") == 0)
        return 0;
    snprintf(err, errlen, "expected exactly 6 fields, found 5: [%s]", spec);
    return -1;
}

static bool known_job(const char *name, void *ud)
{
    known_calls++;
    return strcmp(name, (const char *)ud) == 0;
}

static int validate_params(const char *name, const char *params, char *err, size_t errlen,
                           void *ud)
{
    (void)name, (void)ud;
    param_calls++;
    if (params && strstr(params, "nginx")) {
        snprintf(err, errlen, "expected 'demo *' but got 'nginx'");
        return -1;
    }
    return 0;
}

static const berth_validate_hooks hooks = {cron_check, known_job, validate_params, "DEMO"};

static void expect_invalid(const char *body, int want_rc, const char *want)
{
    berth_request *r = parse_ok(body);
    char err[256] = "";
    assert_int_equal(berth_request_validate(r, &hooks, err, sizeof err), want_rc);
    assert_string_equal(err, want);
    berth_request_free(r);
}

static void expect_valid(const char *body, const berth_validate_hooks *h)
{
    berth_request *r = parse_ok(body);
    char err[256] = "";
    int rc = berth_request_validate(r, h, err, sizeof err);
    if (rc != 0)
        fail_msg("validate: %d %s", rc, err);
    berth_request_free(r);
}

static void test_validate_texts(void **state)
{
    (void)state;
    expect_invalid("null", BERTH_EINVAL, "empty job request is not allowed");
    expect_invalid("{}", BERTH_EINVAL, "empty job request is not allowed");
    expect_invalid("{\"job\":null}", BERTH_EINVAL, "empty job request is not allowed");
    expect_invalid("{\"job\":{}}", BERTH_EINVAL, "name of job must be specified");
    expect_invalid("{\"job\":{\"name\":\" \\t\\n\\u00a0\\u3000\"}}", BERTH_EINVAL,
                   "name of job must be specified");
    expect_invalid("{\"job\":{\"name\":\"DEMO\"}}", BERTH_EINVAL, "metadata of job is missing");
    expect_invalid("{\"job\":{\"name\":\"DEMO\",\"metadata\":{}}}", BERTH_EINVAL,
                   "job kind '' is not supported, only support 'Generic','Scheduled','Periodic'");
    expect_invalid("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"generic\"}}}",
                   BERTH_EINVAL,
                   "job kind 'generic' is not supported, only support "
                   "'Generic','Scheduled','Periodic'");
    expect_invalid("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Scheduled\"}}}",
                   BERTH_EINVAL, "'schedule_delay' must be specified for Scheduled job");
    expect_invalid("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Scheduled\","
                   "\"schedule_delay\":0}}}",
                   BERTH_EINVAL, "'schedule_delay' must be specified for Scheduled job");
    expect_invalid("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Periodic\"}}}",
                   BERTH_EINVAL, "'cron_spec' must be specified for the Periodic job");
    expect_invalid("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Periodic\","
                   "\"cron_spec\":\"  \"}}}",
                   BERTH_EINVAL, "'cron_spec' must be specified for the Periodic job");
    expect_invalid("{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo\"},\"metadata\":"
                   "{\"kind\":\"Periodic\",\"cron_spec\":\"0 * * * *\"}}}",
                   BERTH_EINVAL,
                   "'cron_spec' is not correctly set: 0 * * * *: expected exactly 6 fields, "
                   "found 5: [0 * * * *]");
    expect_invalid("{\"job\":{\"name\":\"NOPE\",\"metadata\":{\"kind\":\"Generic\"}}}",
                   BERTH_EUNKNOWN, "job with name 'NOPE' is unknown");
    expect_invalid("{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"nginx\"},"
                   "\"metadata\":{\"kind\":\"Generic\"}}}",
                   BERTH_EINVAL, "expected 'demo *' but got 'nginx'");
}

static void test_validate_order_and_hooks(void **state)
{
    (void)state;
    /* Scheduled with a delay needs nothing else; a cron spec on it is not checked */
    cron_calls = known_calls = param_calls = 0;
    expect_valid("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Scheduled\","
                 "\"schedule_delay\":1,\"cron_spec\":\"bad\"}}}", &hooks);
    assert_int_equal(cron_calls, 0);
    assert_int_equal(known_calls, 1);
    assert_int_equal(param_calls, 1);
    /* cron is checked before the name, the name before the parameters */
    cron_calls = known_calls = param_calls = 0;
    expect_invalid("{\"job\":{\"name\":\"NOPE\",\"parameters\":{\"i\":\"nginx\"},\"metadata\":"
                   "{\"kind\":\"Periodic\",\"cron_spec\":\"* * * * *\"}}}",
                   BERTH_EINVAL,
                   "'cron_spec' is not correctly set: * * * * *: expected exactly 6 fields, "
                   "found 5: [* * * * *]");
    assert_int_equal(known_calls, 0);
    expect_invalid("{\"job\":{\"name\":\"NOPE\",\"parameters\":{\"i\":\"nginx\"},\"metadata\":"
                   "{\"kind\":\"Periodic\",\"cron_spec\":\"0 0 0 * * *\"}}}",
                   BERTH_EUNKNOWN, "job with name 'NOPE' is unknown");
    assert_int_equal(param_calls, 0);
    expect_valid("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Periodic\","
                 "\"cron_spec\":\"0 0 0 * * *\"}}}", &hooks);
    /* without hooks only the shape is checked */
    expect_valid("{\"job\":{\"name\":\"ANY\",\"metadata\":{\"kind\":\"Periodic\","
                 "\"cron_spec\":\"whatever\"}}}", NULL);
    berth_validate_hooks none = {0};
    expect_valid("{\"job\":{\"name\":\"ANY\",\"parameters\":{\"i\":\"nginx\"},\"metadata\":"
                 "{\"kind\":\"Generic\"}}}", &none);
    char err[64] = "";
    assert_int_equal(berth_request_validate(NULL, NULL, err, sizeof err), BERTH_EINVAL);
    assert_string_equal(err, "empty job request is not allowed");
}

static void test_validate_small_err_buffer(void **state)
{
    (void)state;
    berth_request *r = parse_ok("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"x\"}}}");
    char err[8];
    assert_int_equal(berth_request_validate(r, NULL, err, sizeof err), BERTH_EINVAL);
    assert_string_equal(err, "job kin");  /* truncated, still terminated */
    berth_request_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_harbor_examples),
        cmocka_unit_test(test_parse_go_rules),
        cmocka_unit_test(test_parse_type_errors),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_parse_depth_cap),
        cmocka_unit_test(test_validate_texts),
        cmocka_unit_test(test_validate_order_and_hooks),
        cmocka_unit_test(test_validate_small_err_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
