/* The 202 of a launch written from the fixed template (api_reply_launched) is byte for byte
 * what the general stats writer (api_reply_stats) writes for the same launch: each body is
 * parsed as the API parses it and launched through a real engine on a real redis-server,
 * and both writers answer from the engine's stats — the template with the request's
 * re-encoded parameters, the general writer with the parameters as the engine stored them.
 * Generic, Scheduled, unique and hooked launches, parameters that Go and jansson write
 * differently (escapes, reals, -0, integers past int64); stats a launch never has (a
 * Periodic policy's) go to the general writer. */
#include "test.h"

#include <stdio.h>
#include <string.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "model/params.h"
#include "model/request.h"
#include "redis_fixture.h"
#include "server/api_internal.h"

static redis_fixture rf;

static const berth_job_type types[] = {{.name = "DEMO", .run = engine_fixture_noop}, {0}};

/* Both writers' answers for the stats s, the template given params; asserted equal. */
static void assert_same_reply(const berth_stats *s, const char *params)
{
    http_resp old, tmpl;
    http_resp_init(&old);
    http_resp_init(&tmpl);
    api_reply_stats(&old, 202, s);
    api_reply_launched(&tmpl, s, params);
    assert_int_equal(old.status, 202);
    assert_int_equal(tmpl.status, old.status);
    assert_non_null(old.body.p);
    assert_non_null(tmpl.body.p);
    assert_string_equal(tmpl.body.p, old.body.p);
    assert_int_equal(tmpl.nheaders, old.nheaders);
    for (size_t i = 0; i < old.nheaders; i++) {
        assert_string_equal(tmpl.hname[i], old.hname[i]);
        assert_string_equal(tmpl.hvalue[i], old.hvalue[i]);
    }
    http_resp_clear(&old);
    http_resp_clear(&tmpl);
}

/* Parses body as api_launch does, launches it, and compares the two replies. */
static void check_body(berth_engine *e, const char *body)
{
    berth_request *r = engine_fixture_parse_launch(body);
    char err[512] = "";
    berth_launch l = {.name = r->name, .params_json = r->parameters, .kind = r->kind,
                      .schedule_delay = r->schedule_delay, .unique = r->unique,
                      .status_hook = r->status_hook};
    berth_stats *s = NULL;
    int rc = berth_engine_launch(e, &l, &s, err, sizeof err);
    if (rc != 0)
        fail_msg("launch of %s: %d %s", body, rc, err);
    assert_same_reply(s, r->parameters);
    berth_stats_free(s);
    berth_request_free(r);
}

/* check_body for each of n bodies, on a fresh engine over an empty Redis. */
static void check_bodies(const char *const *bodies, size_t n)
{
    redis_fixture_flush(&rf);
    berth_engine_config cfg = engine_fixture_config(&rf);
    berth_engine *e = engine_fixture_new(&cfg, types);
    for (size_t i = 0; i < n; i++)
        check_body(e, bodies[i]);
    berth_engine_free(e);
}

#define JOB(params, meta) "{\"job\":{\"name\":\"DEMO\"" params ",\"metadata\":" meta "}}"
#define GENERIC "{\"kind\":\"Generic\"}"

static void test_generic_parameters(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        JOB("", GENERIC),
        JOB(",\"parameters\":null", GENERIC),
        JOB(",\"parameters\":{}", GENERIC),
        JOB(",\"parameters\":{\"k\":1}", GENERIC),
        JOB(",\"parameters\":{\"b\":1,\"a\":{\"d\":[1,2,{\"z\":null,\"y\":true}],\"c\":false}}",
            GENERIC),
        JOB(",\"parameters\":{\"s\":\"<a href='x'>&amp;</a>\"}", GENERIC),
        JOB(",\"parameters\":{\"u\":\"\\u00e9\\u2028\\u2029\\ud83d\\ude00 caf\xc3\xa9\"}", GENERIC),
        JOB(",\"parameters\":{\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001\\u007f\"}", GENERIC),
        JOB(",\"parameters\":{\"r\":[0.1,1.5,1e21,1e-7,123456789.123,-2.5e-300,1.0,100]}",
            GENERIC),
        JOB(",\"parameters\":{\"z\":-0,\"zz\":[-0.0,0,-0e5]}", GENERIC),
        JOB(",\"parameters\":{\"big\":12345678901234567890,\"neg\":-99999999999999999999}",
            GENERIC),
        JOB(",\"parameters\":{\"max\":9223372036854775807,\"min\":-9223372036854775808}",
            GENERIC),
        JOB(",\"parameters\":{\"\\u00e9\":1,\"E\":2,\"e\":3,\"\":4}", GENERIC),
        "{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Generic\"},"
        "\"status_hook\":\"http://core:8080/service/notifications/jobs/adminjob/1?a=1&b=<2>\"}}",
        "{\"JOB\":{\"Name\":\"DEMO\",\"PARAMETERS\":{\"k\":\"v\"},\"Metadata\":{\"Kind\":\"Generic\"}}}",
    };
    check_bodies(bodies, sizeof bodies / sizeof bodies[0]);
}

static void test_scheduled_and_unique(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        JOB(",\"parameters\":{\"k\":1}", "{\"kind\":\"Scheduled\",\"schedule_delay\":30}"),
        JOB("", "{\"kind\":\"Scheduled\",\"schedule_delay\":3600,\"unique\":true}"),
        JOB(",\"parameters\":{\"u\":1}", "{\"kind\":\"Generic\",\"unique\":true}"),
        JOB(",\"parameters\":{\"u\":2,\"r\":0.1}", "{\"kind\":\"Generic\",\"unique\":true}"),
        "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"k\":[]},\"metadata\":{\"kind\":"
        "\"Scheduled\",\"schedule_delay\":5,\"unique\":true},\"status_hook\":\"http://h/\\u003c\"}}",
    };
    check_bodies(bodies, sizeof bodies / sizeof bodies[0]);
}

/* Stats of another shape than a launch's (a Periodic policy's, a job that ran) are written
 * by the general writer, whatever params says. */
static void test_other_shapes_use_the_general_writer(void **state)
{
    (void)state;
    berth_stats s = {.id = "0123456789abcdef01234567", .status = "Scheduled", .name = "DEMO",
                     .kind = "Periodic", .ref_link = "/api/v1/jobs/0123456789abcdef01234567",
                     .cron_spec = "0 * * * * *", .enqueue_time = 1700000000,
                     .update_time = 1700000000, .numeric_policy_id = 1700000002,
                     .parameters = "{\"k\":1}"};
    assert_same_reply(&s, "{\"k\":1}");
    s.kind = "Generic", s.status = "Success", s.cron_spec = NULL, s.numeric_policy_id = 0;
    s.revision = 1700000005, s.check_in = "50%", s.check_in_at = 1700000003;
    assert_same_reply(&s, "{\"k\":1}");
    s.revision = 0, s.check_in = NULL, s.check_in_at = 0;
    assert_same_reply(&s, NULL);   /* stored parameters but none given: the general writer */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generic_parameters),
        cmocka_unit_test(test_scheduled_and_unique),
        cmocka_unit_test(test_other_shapes_use_the_general_writer),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
