/* The launch body's fast scanner (src/model/launch_scan.c) against the jansson path it
 * stands in front of (berth__request_parse_json): Harbor core's bodies are read by the
 * scanner with exactly jansson's result; each unusual body is declined, and
 * berth_request_parse then gives jansson's result, Go's error text included. */
#include "test.h"

#include "model/launch_scan.h"
#include "model/request.h"

static void same_str(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void same_request(const berth_request *a, const berth_request *b)
{
    assert_int_equal(a->has_job, b->has_job);
    assert_int_equal(a->has_metadata, b->has_metadata);
    same_str(a->name, b->name);
    same_str(a->parameters, b->parameters);
    same_str(a->kind, b->kind);
    same_str(a->cron_spec, b->cron_spec);
    same_str(a->status_hook, b->status_hook);
    assert_true(a->schedule_delay == b->schedule_delay);
    assert_int_equal(a->unique, b->unique);
}

/* The scanner reads body, and its request is jansson's; returns the parameters text
 * checked against want (NULL: no parameters). */
static void scanned(const char *body, const char *want_params)
{
    berth_request *s = NULL, *j = NULL;
    char err[512];
    if (berth__launch_scan(body, strlen(body), &s) != 0)
        print_error("declined: %s\n", body);
    assert_non_null(s);
    assert_int_equal(berth__request_parse_json(body, strlen(body), &j, err, sizeof err), 0);
    same_request(s, j);
    same_str(s->parameters, want_params);
    berth_request_free(s);
    berth_request_free(j);
}

/* The scanner declines body; berth_request_parse gives what jansson gives. */
static void declined(const char *body)
{
    berth_request *s = NULL, *j = NULL, *b = NULL;
    char e1[512] = "", e2[512] = "";
    if (berth__launch_scan(body, strlen(body), &s) != BERTH_LAUNCH_SCAN_DECLINED)
        print_error("read: %s\n", body);
    assert_int_equal(berth__launch_scan(body, strlen(body), &s), BERTH_LAUNCH_SCAN_DECLINED);
    assert_null(s);
    int rj = berth__request_parse_json(body, strlen(body), &j, e1, sizeof e1);
    assert_int_equal(berth_request_parse(body, strlen(body), &b, e2, sizeof e2), rj);
    if (rj == 0)
        same_request(b, j);
    else
        assert_string_equal(e2, e1);
    berth_request_free(j);
    berth_request_free(b);
}

static void test_harbor_bodies(void **state)
{
    (void)state;
    scanned("{\"job\":{\"name\":\"SCHEDULER\",\"parameters\":{\"k\":1},"
            "\"metadata\":{\"kind\":\"Generic\"}}}", "{\"k\":1}");
    scanned("{\"job\":{\"name\":\"GARBAGE_COLLECTION\",\"parameters\":{\"workers\":3,"
            "\"dry_run\":false,\"delete_untagged\":true,\"redis_url_reg\":"
            "\"redis://redis:6379/2?idle_timeout_seconds=30\",\"time_window\":2,\"x\":null},"
            "\"metadata\":{\"kind\":\"Generic\",\"unique\":true},"
            "\"status_hook\":\"http://core:8080/service/notifications/tasks/17?a=1&b=<2>\"}}",
            "{\"delete_untagged\":true,\"dry_run\":false,\"redis_url_reg\":"
            "\"redis://redis:6379/2?idle_timeout_seconds=30\",\"time_window\":2,"
            "\"workers\":3,\"x\":null}");
    scanned("{\"job\":{\"name\":\"REPLICATION\",\"parameters\":{\"src_resource\":"
            "\"{\\\"path\\\":\\\"a\\\\\\\\b\\\"}\",\"dst_resource\":\"{}\"},"
            "\"metadata\":{\"kind\":\"Scheduled\",\"schedule_delay\":120,\"unique\":false},"
            "\"status_hook\":\"http://core/x\"}}",
            "{\"dst_resource\":\"{}\",\"src_resource\":\"{\\\"path\\\":\\\"a\\\\\\\\b\\\"}\"}");
    scanned(" {\n \"job\" : { \"name\" : \"P\", \"parameters\" : null, \"metadata\" : "
            "{\"kind\":\"Periodic\",\"cron_spec\":\"0 */5 * * * *\",\"unique\":false} }\n}\r\n\t",
            NULL);
    scanned("{\"job\":{\"name\":\"N\",\"parameters\":{},\"metadata\":{}}}", "{}");
    scanned("{\"job\":{\"parameters\":{\"b\":-123456789012345,\"a\":0,\"ab\":\"\",\"A\":-1}}}",
            "{\"A\":-1,\"a\":0,\"ab\":\"\",\"b\":-123456789012345}");
    scanned("{\"job\":{}}", NULL);
    scanned("{}", NULL);
    scanned("{\"job\":{\"metadata\":{\"schedule_delay\":999999999999999}}}", NULL);
}

static void test_unusual_bodies(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "", "null", "[]", "{\"job\":null}", "{\"job\":{\"metadata\":null}}",
        "{\"Job\":{}}", "{\"job\":{\"Name\":\"x\"}}", "{\"job\":{\"name\":\"x\",\"name\":\"y\"}}",
        "{\"job\":{},\"job\":{}}", "{\"job\":{\"other\":1}}", "{\"extra\":1,\"job\":{}}",
        "{\"job\":{\"name\":\"a\\u0041\"}}", "{\"job\":{\"name\":\"caf\xc3\xa9\"}}",
        "{\"job\":{\"name\":\"bad\xff\"}}", "{\"job\":{\"name\":null}}", "{\"job\":{\"name\":1}}",
        "{\"job\":{\"parameters\":{\"a\":1,\"a\":2}}}", "{\"job\":{\"parameters\":{\"a\":{}}}}",
        "{\"job\":{\"parameters\":{\"a\":[1]}}}", "{\"job\":{\"parameters\":{\"a\":1.5}}}",
        "{\"job\":{\"parameters\":{\"a\":1e3}}}", "{\"job\":{\"parameters\":{\"a\":-0}}}",
        "{\"job\":{\"parameters\":{\"a\":-0.0}}}", "{\"job\":{\"parameters\":{\"a\":01}}}",
        "{\"job\":{\"parameters\":{\"a\":1234567890123456}}}",
        "{\"job\":{\"parameters\":{\"a\":99999999999999999999}}}",
        "{\"job\":{\"parameters\":{\"a\":\"<b>\"}}}", "{\"job\":{\"parameters\":{\"&\":1}}}",
        "{\"job\":{\"parameters\":{\"a\":\"\\/\"}}}", "{\"job\":{\"parameters\":{\"a\\\"\":1}}}",
        "{\"job\":{\"parameters\":{\"a\":\"\\u2028\"}}}", "{\"job\":{\"parameters\":[]}}",
        "{\"job\":{\"parameters\":\"x\"}}", "{\"job\":{\"metadata\":{\"schedule_delay\":-1}}}",
        "{\"job\":{\"metadata\":{\"schedule_delay\":1.0}}}",
        "{\"job\":{\"metadata\":{\"schedule_delay\":\"1\"}}}",
        "{\"job\":{\"metadata\":{\"unique\":1}}}", "{\"job\":{\"metadata\":{\"unique\":null}}}",
        "{\"job\":{\"metadata\":{\"kind\":\"G\",\"kind\":\"P\"}}}",
        "{\"job\":{}} x", "{\"job\":{}}{}", "{\"job\":{},}", "{\"job\":{\"name\":\"x\",}}",
        "{\"job\":{\"name\":\"x\"", "{\"job\":{\"name\":\"x\tb\"}}", "{\"job\" {}}",
        "{\"job\":{\"parameters\":{\"a\":tru}}}", "{\"job\":{\"parameters\":{\"a\":truex}}}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        declined(bodies[i]);
}

static void test_many_parameters(void **state)
{
    (void)state;
    char body[4096], want[4096];
    size_t n = 0, w = 0;
    n += (size_t)snprintf(body + n, sizeof body - n, "{\"job\":{\"parameters\":{");
    w += (size_t)snprintf(want + w, sizeof want - w, "{");
    for (int i = 0; i < 64; i++) {   /* written in reverse, read sorted */
        n += (size_t)snprintf(body + n, sizeof body - n, "%s\"k%02d\":%d", i ? "," : "",
                              63 - i, 63 - i);
        w += (size_t)snprintf(want + w, sizeof want - w, "%s\"k%02d\":%d", i ? "," : "", i, i);
    }
    snprintf(want + w, sizeof want - w, "}");
    snprintf(body + n, sizeof body - n, "}}}");
    scanned(body, want);
    snprintf(body + n, sizeof body - n, ",\"k64\":64}}}");   /* one more: declined */
    declined(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_harbor_bodies),
        cmocka_unit_test(test_unusual_bodies),
        cmocka_unit_test(test_many_parameters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
