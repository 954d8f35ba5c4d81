/* The parameters parsed once: a launch whose parameters the API re-encoded
 * (berth_launch.params_go_encoded) stores in Redis the same bytes as the same launch whose
 * parameters the engine parses itself. Each body is parsed as api_launch parses it and
 * launched twice through a real engine on a real redis-server, with and without the flag;
 * the queued job's args and the stats' parameters are compared byte for byte. Parameters
 * that Go and jansson write differently (escapes, reals, -0, integers past int64, nested
 * objects, non-ASCII) are the cases the engine must still parse; plain ones it takes as
 * they are (test_model_params checks which). */
#include "test.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "model/params.h"
#include "model/request.h"
#include "redis_fixture.h"

static redis_fixture rf;

static const berth_job_type types[] = {{.name = "DEMO", .run = engine_fixture_noop}, {0}};

/* The queued job's args (everything after "args": in its JSON), malloc'd. */
static char *queued_args(const char *id)
{
    redisReply *r = redis_fixture_cmd(&rf, "LRANGE {t}:jobs:DEMO 0 -1");
    assert_non_null(r);
    char *args = NULL;
    for (size_t i = 0; i < r->elements && !args; i++) {
        const char *job = r->element[i]->str;
        if (strstr(job, id)) {
            const char *a = strstr(job, "\"args\":");
            assert_non_null(a);
            args = strdup(a + 7);
        }
    }
    freeReplyObject(r);
    assert_non_null(args);
    return args;
}

/* Launches the request r's job with go_encoded as given; returns the stored args and sets
 * *params to the stored parameters as the engine reads them back (NULL for none). */
static char *launch(berth_engine *e, const berth_request *r, bool go_encoded, char **params)
{
    berth_launch l = {.name = r->name, .params_json = r->parameters, .kind = r->kind,
                      .schedule_delay = r->schedule_delay, .unique = r->unique,
                      .status_hook = r->status_hook, .params_go_encoded = go_encoded};
    berth_stats *s = NULL, *got = NULL;
    char err[512] = "";
    int rc = berth_engine_launch(e, &l, &s, err, sizeof err);
    if (rc != 0)
        fail_msg("launch of %s: %d %s", r->parameters ? r->parameters : "null", rc, err);
    assert_int_equal(berth_engine_get_stats(e, s->id, &got), 0);
    *params = got->parameters ? strdup(got->parameters) : NULL;
    char *args = queued_args(s->id);
    berth_stats_free(got);
    berth_stats_free(s);
    return args;
}

/* Parses body as api_launch does, launches it both ways and compares what Redis holds. */
static void check_body(berth_engine *e, const char *body)
{
    berth_request *r = engine_fixture_parse_launch(body);
    char *p_parsed, *p_taken;
    char *a_parsed = launch(e, r, false, &p_parsed);
    if (r->unique)
        redis_fixture_flush(&rf);   /* its lock would refuse the second launch */
    char *a_taken = launch(e, r, true, &p_taken);
    if (strcmp(a_parsed, a_taken) != 0)
        fail_msg("%s: args %s parsed, %s taken", body, a_parsed, a_taken);
    assert_true(!p_parsed == !p_taken);
    if (p_parsed && strcmp(p_parsed, p_taken) != 0)
        fail_msg("%s: parameters %s parsed, %s taken", body, p_parsed, p_taken);
    free(a_parsed), free(a_taken), free(p_parsed), free(p_taken);
    berth_request_free(r);
}

#define JOB(params) "{\"job\":{\"name\":\"DEMO\"" params ",\"metadata\":{\"kind\":\"Generic\"}}}"

static void test_same_bytes(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        JOB(""),
        JOB(",\"parameters\":null"),
        JOB(",\"parameters\":{}"),
        JOB(",\"parameters\":{\"k\":1}"),
        JOB(",\"parameters\":{\"b\":1,\"a\":{\"d\":[1,2,{\"z\":null,\"y\":true}],\"c\":false}}"),
        JOB(",\"parameters\":{\"long\":\"" "0123456789012345678901234567890123456789"
            "0123456789012345678901234567890123456789\",\"n\":[1,2,3]}"),
        JOB(",\"parameters\":{\"s\":\"<a href='x'>&amp;</a>\"}"),
        JOB(",\"parameters\":{\"u\":\"\\u00e9\\u2028\\u2029\\ud83d\\ude00 caf\xc3\xa9\"}"),
        JOB(",\"parameters\":{\"plain\":\"caf\xc3\xa9 \xe2\x82\xac\"}"),
        JOB(",\"parameters\":{\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001\\u007f\"}"),
        JOB(",\"parameters\":{\"r\":[0.1,1.5,1e21,1e-7,123456789.123,-2.5e-300,1.0,100]}"),
        JOB(",\"parameters\":{\"z\":-0,\"zz\":[-0.0,0,-0e5]}"),
        JOB(",\"parameters\":{\"big\":12345678901234567890,\"neg\":-99999999999999999999}"),
        JOB(",\"parameters\":{\"big\":123456789012345678901,\"k\":[true,false,null]}"),
        JOB(",\"parameters\":{\"max\":9223372036854775807,\"min\":-9223372036854775808}"),
        JOB(",\"parameters\":{\"\\u00e9\":1,\"E\":2,\"e\":3,\"\":4}"),
        "{\"JOB\":{\"Name\":\"DEMO\",\"PARAMETERS\":{\"k\":\"v\"},\"Metadata\":{\"Kind\":\"Generic\"}}}",
        "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"u\":[2]},\"metadata\":{\"kind\":\"Generic\","
        "\"unique\":true}}}",
        "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"u\":0.5},\"metadata\":{\"kind\":\"Generic\","
        "\"unique\":true}}}",
    };
    redis_fixture_flush(&rf);
    berth_engine_config cfg = engine_fixture_config(&rf);
    berth_engine *e = engine_fixture_new(&cfg, types);
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        check_body(e, bodies[i]);
    berth_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
