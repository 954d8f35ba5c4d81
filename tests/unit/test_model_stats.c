/* Unit tests for the stats model: StatsInfo JSON out (byte-identical to Harbor's replies in
 * spec §14.1), StatsInfo JSON in, the Redis stats hash both ways (spec §5.2), ACK JSON. */
#include "test.h"

#include "berth/error.h"
#include "berth/job.h"
#include "model/ack.h"
#include "model/stats_from_json.h"
#include "model/stats_hash.h"
#include "model/stats_json.h"
#include "util/alloc.h"
#include "util/buf.h"

#define ID "2b7e1f0c9d8a6b5c4d3e2f10"
#define HOOK "http://core:8080/service/notifications/tasks/11"

static berth_stats *e1_stats(void)
{
    berth_stats *s = berth_stats_new();
    s->id = berth_strdup(ID);
    s->status = berth_strdup("Pending");
    s->name = berth_strdup("DEMO");
    s->kind = berth_strdup("Generic");
    s->ref_link = berth_strdup("/api/v1/jobs/" ID);
    s->enqueue_time = 1700000000;
    s->update_time = 1700000000;
    s->web_hook_url = berth_strdup(HOOK);
    s->parameters = berth_strdup("{\"image\": \"demo:latest\"}");
    return s;
}

static void expect_json(const berth_stats *s, bool wrap, bool check_in, const char *want)
{
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_stats_to_json(s, wrap, check_in, &b), 0);
    assert_string_equal(b.p, want);
    buf_free(&b);
}

static void test_launch_reply_e1(void **state)
{
    (void)state;
    berth_stats *s = e1_stats();
    expect_json(s, true, false,
                "{\"job\":{\"id\":\"" ID "\",\"status\":\"Pending\",\"name\":\"DEMO\",\"kind\":"
                "\"Generic\",\"unique\":false,\"ref_link\":\"/api/v1/jobs/" ID "\","
                "\"enqueue_time\":1700000000,\"update_time\":1700000000,\"web_hook_url\":\"" HOOK
                "\",\"parameters\":{\"image\":\"demo:latest\"}}}");
    berth_stats_free(s);
}

static void test_get_reply_e5(void **state)
{
    (void)state;
    berth_stats *s = e1_stats();
    berth_free(s->status);
    s->status = berth_strdup("Success");
    s->update_time = 1700000033;
    s->check_in = berth_strdup("progress"); /* never in GET replies */
    s->check_in_at = 1700000002;
    s->revision = 1700000000;
    s->ack = (berth_ack){berth_strdup("Success"), 1700000000, 1700000002};
    const char *want =
        "{\"job\":{\"id\":\"" ID "\",\"status\":\"Success\",\"name\":\"DEMO\",\"kind\":\"Generic\","
        "\"unique\":false,\"ref_link\":\"/api/v1/jobs/" ID "\",\"enqueue_time\":1700000000,"
        "\"update_time\":1700000033,\"check_in_at\":1700000002,\"web_hook_url\":\"" HOOK "\","
        "\"parameters\":{\"image\":\"demo:latest\"},\"revision\":1700000000,\"ack\":{\"status\":"
        "\"Success\",\"revision\":1700000000,\"check_in_at\":1700000002}}}";
    expect_json(s, true, false, want);
    berth_stats_free(s);
}

static void test_periodic_e3_and_full_order(void **state)
{
    (void)state;
    berth_stats *s = berth_stats_new();
    s->id = berth_strdup("c0ffee00c0ffee00c0ffee00");
    s->status = berth_strdup("Scheduled");
    s->name = berth_strdup("SCHEDULER");
    s->kind = berth_strdup("Periodic");
    s->ref_link = berth_strdup("/api/v1/jobs/c0ffee00c0ffee00c0ffee00");
    s->cron_spec = berth_strdup("0 0 0 * * *");
    s->enqueue_time = s->update_time = 1700000000;
    s->web_hook_url = berth_strdup("http://core:8080/service/notifications/tasks/42");
    s->numeric_policy_id = 1700000007;
    s->parameters = berth_strdup("null");
    expect_json(s, true, false,
                "{\"job\":{\"id\":\"c0ffee00c0ffee00c0ffee00\",\"status\":\"Scheduled\",\"name\":"
                "\"SCHEDULER\",\"kind\":\"Periodic\",\"unique\":false,\"ref_link\":\"/api/v1/jobs/"
                "c0ffee00c0ffee00c0ffee00\",\"cron_spec\":\"0 0 0 * * *\",\"enqueue_time\":"
                "1700000000,\"update_time\":1700000000,\"web_hook_url\":\"http://core:8080/"
                "service/notifications/tasks/42\",\"numeric_policy_id\":1700000007}}");
    /* every field set: Go's order, bare object, check_in included */
    s->unique = true;
    s->run_at = 1;
    s->check_in = berth_strdup("c");
    s->check_in_at = 2;
    s->die_at = 3;
    s->upstream_job_id = berth_strdup("u");
    berth_free(s->parameters);
    s->parameters = berth_strdup("{\"k\":1}");
    s->revision = 4;
    s->ack.status = berth_strdup("Running");
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_stats_to_json(s, false, true, &b), 0);
    const char *order[] = {"\"id\"", "\"status\"", "\"name\"", "\"kind\"", "\"unique\":true",
                           "\"ref_link\"", "\"cron_spec\"", "\"enqueue_time\"", "\"update_time\"",
                           "\"run_at\":1", "\"check_in\":\"c\"", "\"check_in_at\":2",
                           "\"die_at\":3", "\"web_hook_url\"", "\"upstream_job_id\":\"u\"",
                           "\"numeric_policy_id\"", "\"parameters\":{\"k\":1}", "\"revision\":4",
                           "\"ack\":{\"status\":\"Running\",\"revision\":0,\"check_in_at\":0}}"};
    const char *at = b.p;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *p = strstr(at, order[i]);
        if (!p)
            fail_msg("%s missing or out of order in %s", order[i], b.p);
        at = p;
    }
    assert_int_equal(b.p[0], '{');
    buf_free(&b);
    berth_stats_free(s);
}

static void test_omitempty_and_escaping(void **state)
{
    (void)state;
    berth_stats *s = berth_stats_new();  /* all empty: only the non-omitempty fields */
    expect_json(s, false, true,
                "{\"id\":\"\",\"status\":\"\",\"name\":\"\",\"kind\":\"\",\"unique\":false,"
                "\"enqueue_time\":0,\"update_time\":0}");
    s->name = berth_strdup("<a&b>\xe2\x80\xa8\xff\"\n");
    s->ref_link = berth_strdup("");
    s->parameters = berth_strdup("{ }");  /* empty map: omitted like Go */
    s->enqueue_time = INT64_MIN;
    s->update_time = INT64_MAX;
    s->ack.status = berth_strdup("");     /* present but empty ack is written */
    expect_json(s, false, false,
                "{\"id\":\"\",\"status\":\"\",\"name\":\"\\u003ca\\u0026b\\u003e\\u2028\\ufffd"
                "\\\"\\n\",\"kind\":\"\",\"unique\":false,\"enqueue_time\":-9223372036854775808,"
                "\"update_time\":9223372036854775807,\"ack\":{\"status\":\"\",\"revision\":0,"
                "\"check_in_at\":0}}");
    berth_stats_free(s);
}

static void test_to_json_errors(void **state)
{
    (void)state;
    berth_stats *s = e1_stats();
    buf b;
    buf_init(&b, 0);
    buf_puts(&b, "keep");
    berth_free(s->parameters);
    s->parameters = berth_strdup("[1]");
    assert_int_equal(berth_stats_to_json(s, true, false, &b), BERTH_EINVAL);
    assert_string_equal(b.p, "keep");  /* restored */
    berth_free(s->parameters);
    s->parameters = berth_strdup("{\"a\":");
    assert_int_equal(berth_stats_to_json(s, true, false, &b), BERTH_EINVAL);
    assert_string_equal(b.p, "keep");
    buf_free(&b);
    buf_init(&b, 40);
    assert_int_equal(berth_stats_to_json(s, true, false, &b), BERTH_ETOOBIG);
    assert_int_equal(b.len, 0);
    buf_free(&b);
    berth_stats_free(s);
}

static void test_list(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_stats_list_to_json(NULL, 0, true, &b), 0);
    assert_string_equal(b.p, "null");
    buf_reset(&b);
    assert_int_equal(berth_stats_list_to_json(NULL, 0, false, &b), 0);
    assert_string_equal(b.p, "[]");
    buf_reset(&b);
    berth_stats *a = berth_stats_new(), *c = berth_stats_new();
    a->id = berth_strdup("a");
    c->id = berth_strdup("c");
    c->check_in = berth_strdup("hidden");
    const berth_stats *items[] = {a, c};
    assert_int_equal(berth_stats_list_to_json(items, 2, true, &b), 0);
    assert_string_equal(b.p, "[{\"job\":{\"id\":\"a\",\"status\":\"\",\"name\":\"\",\"kind\":\"\","
                             "\"unique\":false,\"enqueue_time\":0,\"update_time\":0}},{\"job\":{"
                             "\"id\":\"c\",\"status\":\"\",\"name\":\"\",\"kind\":\"\",\"unique\":"
                             "false,\"enqueue_time\":0,\"update_time\":0}}]");
    berth_stats_free(a);
    berth_stats_free(c);
    buf_free(&b);
}

/* ---- JSON in ----------------------------------------------------------------------------- */

static berth_stats *parse_ok(const char *text, bool wrapped)
{
    berth_stats *s = NULL;
    char err[256] = "";
    int rc = berth_stats_from_json(text, strlen(text), wrapped, &s, err, sizeof err);
    if (rc != 0)
        fail_msg("parse failed: %d %s", rc, err);
    return s;
}

static void parse_fails(const char *text, bool wrapped, const char *want_err)
{
    berth_stats *s = NULL;
    char err[256] = "";
    assert_int_equal(berth_stats_from_json(text, strlen(text), wrapped, &s, err, sizeof err),
                     BERTH_EINVAL);
    assert_null(s);
    if (want_err)
        assert_string_equal(err, want_err);
    else
        assert_true(err[0] != '\0');
}

static void test_from_json_round_trip(void **state)
{
    (void)state;
    const char *e5 =
        "{\"job\":{\"id\":\"" ID "\",\"status\":\"Success\",\"name\":\"DEMO\",\"kind\":\"Generic\","
        "\"unique\":true,\"ref_link\":\"/api/v1/jobs/" ID "\",\"enqueue_time\":1700000000,"
        "\"update_time\":1700000033,\"check_in_at\":1700000002,\"web_hook_url\":\"" HOOK "\","
        "\"parameters\":{\"image\":\"demo:latest\"},\"revision\":1700000000,\"ack\":{\"status\":"
        "\"Success\",\"revision\":1700000000,\"check_in_at\":1700000002}}}";
    berth_stats *s = parse_ok(e5, true);
    assert_string_equal(s->id, ID);
    assert_true(s->unique);
    assert_int_equal(s->update_time, 1700000033);
    assert_string_equal(s->parameters, "{\"image\":\"demo:latest\"}");
    assert_string_equal(s->ack.status, "Success");
    assert_int_equal(s->ack.check_in_at, 1700000002);
    expect_json(s, true, false, e5);
    berth_stats_free(s);
}

static void test_from_json_go_rules(void **state)
{
    (void)state;
    /* case-insensitive keys, unknown keys ignored, null = zero value, int64 extremes */
    berth_stats *s = parse_ok("{\"ID\":\"x\",\"Status\":null,\"extra\":[1,{}],\"revision\":"
                              "9223372036854775807,\"run_at\":-9223372036854775808,\"parameters\":"
                              "{\"b\":1.0,\"a\":2},\"ack\":null,\"check_in\":\"ci\"}",
                              false);
    assert_string_equal(s->id, "x");
    assert_null(s->status);
    assert_int_equal(s->revision, INT64_MAX);
    assert_int_equal(s->run_at, INT64_MIN);
    assert_string_equal(s->parameters, "{\"a\":2,\"b\":1}");
    assert_null(s->ack.status);
    assert_string_equal(s->check_in, "ci");
    berth_stats_free(s);
    s = parse_ok("{\"job\":{\"ack\":{}}}", true);
    assert_string_equal(s->ack.status, "");  /* present, empty: Go's non-nil ACK */
    berth_stats_free(s);
    s = parse_ok("null", false);
    assert_null(s->id);
    berth_stats_free(s);
}

static void test_from_json_errors(void **state)
{
    (void)state;
    parse_fails("{\"job\":{\"id\":5}}", true,
                "json: cannot unmarshal number into Go struct field StatsInfo.job.id of type "
                "string");
    parse_fails("{\"job\":{\"unique\":\"yes\"}}", true,
                "json: cannot unmarshal string into Go struct field StatsInfo.job.unique of type "
                "bool");
    parse_fails("{\"job\":{\"revision\":1.5}}", true,
                "json: cannot unmarshal number 1.5 into Go struct field StatsInfo.job.revision of "
                "type int64");
    parse_fails("{\"job\":{\"revision\":1e3}}", true, NULL);
    /* beyond int64: refused like Go (the literal in the text is the float64 value) */
    parse_fails("{\"job\":{\"revision\":9223372036854775808}}", true,
                "json: cannot unmarshal number 9223372036854776000 into Go struct field "
                "StatsInfo.job.revision of type int64");
    /* a huge integer inside parameters is fine (Go: float64); int fields stay exact */
    berth_stats *s = parse_ok("{\"job\":{\"revision\":5,\"parameters\":"
                              "{\"x\":100000000000000000000000}}}", true);
    assert_int_equal(s->revision, 5);
    assert_string_equal(s->parameters, "{\"x\":1e+23}");
    berth_stats_free(s);
    parse_fails("{\"job\":{\"die_at\":99999999999999999999999}}", true,
                "json: cannot unmarshal number 1e+23 into Go struct field StatsInfo.job.die_at "
                "of type int64");
    parse_fails("{\"job\":{\"parameters\":[1]}}", true,
                "json: cannot unmarshal array into Go struct field StatsInfo.job.parameters of "
                "type job.Parameters");
    parse_fails("{\"job\":{\"ack\":{\"revision\":\"1\"}}}", true,
                "json: cannot unmarshal string into Go struct field ACK.job.ack.revision of type "
                "int64");
    parse_fails("{\"job\":{\"ack\":true}}", true, NULL);
    parse_fails("{\"job\":[]}", true,
                "json: cannot unmarshal array into Go struct field Stats.job of type "
                "job.StatsInfo");
    parse_fails("[]", true, "json: cannot unmarshal array into Go value of type job.Stats");
    parse_fails("\"s\"", false,
                "json: cannot unmarshal string into Go value of type job.StatsInfo");
    parse_fails("{}", true, "missing \"job\" object in stats JSON");
    parse_fails("{\"job\":null}", true, NULL);
    parse_fails("{\"job\":{\"id\":\"x\"}", true, NULL);  /* truncated */
    parse_fails("", true, NULL);
    parse_fails("{\"job\":{\"id\":\"\x01\"}}", true, NULL);
    char deep[256] = "{\"job\":{\"parameters\":{\"a\":";
    for (int i = 0; i < 70; i++)
        strcat(deep, "[");
    parse_fails(deep, true, "invalid JSON: nests deeper than 64 levels");
}

/* ---- the hash ---------------------------------------------------------------------------- */

static void test_hash_load(void **state)
{
    (void)state;
    const char *f[] = {"id", "status", "unique", "revision", "check_in", "check_in_at", "ack",
                       "enqueue_time", "bogus", "update_time", "run_at", "die_at", "parameters",
                       "ref_link", "numeric_policy_id", "name", NULL};
    const char *v[] = {"abc", "Success", "1", "1700000000", "[REDUNDANT]", "x12",
                       "{\"check_in_at\":7,\"revision\":5,\"status\":\"Running\"}", "", "z",
                       "99999999999999999999", "-99999999999999999999", "+42", "{\"a\":1}",
                       "", "12 ", "DEMO", "ignored"};
    berth_stats *s = NULL;
    assert_int_equal(berth_stats_from_hash(f, v, 17, &s), 0);
    assert_string_equal(s->id, "abc");
    assert_string_equal(s->status, "Success");
    assert_true(s->unique);
    assert_int_equal(s->revision, 1700000000);
    assert_null(s->check_in);                /* never read back (spec §2.6) */
    assert_int_equal(s->check_in_at, 0);     /* unparsable → 0 */
    assert_int_equal(s->enqueue_time, 0);    /* "" → 0 */
    assert_int_equal(s->update_time, INT64_MAX);  /* ParseInt clamps */
    assert_int_equal(s->run_at, INT64_MIN);
    assert_int_equal(s->die_at, 42);
    assert_int_equal(s->numeric_policy_id, 0);    /* trailing space */
    assert_string_equal(s->parameters, "{\"a\":1}");
    assert_null(s->ref_link);                /* empty reads as NULL */
    assert_string_equal(s->name, "DEMO");
    assert_string_equal(s->ack.status, "Running");
    assert_int_equal(s->ack.revision, 5);
    assert_int_equal(s->ack.check_in_at, 7);
    berth_stats_free(s);
    assert_int_equal(berth_stats_from_hash(NULL, NULL, 0, &s), BERTH_ENOTFOUND);
}

/* Berth's compact layout (docs/redis-schema.md) reads as the same stats as Harbor's. */
static void test_hash_load_compact(void **state)
{
    (void)state;
    const char *url = "http://core.example.com:8080/service/notifications/tasks/"
                      "1234567890/long/enough/to/need/two/pieces";
    char p1[65], p2[65];
    snprintf(p1, sizeof p1, "%.64s", url);
    snprintf(p2, sizeof p2, "%s", url + 64);
    const char *f[] = {"n", "status", "e", "update_time", "revision", "web_hook_url#2",
                       "p", "ack", "web_hook_url#1", "check_in_at"};
    const char *v[] = {"DEMO", "Success", "1700000000", "1700000100", "1700000000", p2,
                       "{\"a\":1}", "Success 1700000000 +50", p1, "1700000050"};
    berth_stats *s = NULL;
    assert_int_equal(berth_stats_from_hash_id("abc", f, v, 10, &s), 0);
    assert_string_equal(s->id, "abc");               /* the key's */
    assert_string_equal(s->kind, "Generic");         /* derived */
    assert_false(s->unique);
    assert_string_equal(s->name, "DEMO");
    assert_int_equal(s->enqueue_time, 1700000000);
    assert_string_equal(s->parameters, "{\"a\":1}");
    assert_string_equal(s->web_hook_url, url);       /* pieces joined in order */
    assert_string_equal(s->ack.status, "Success");
    assert_int_equal(s->ack.revision, 1700000000);
    assert_int_equal(s->ack.check_in_at, 1700000050);
    berth_stats_free(s);
    /* a hash in Harbor's layout keeps its own id and kind; nothing is derived */
    const char *hf[] = {"id", "name", "kind", "status"};
    const char *hv[] = {"harbor-id", "DEMO", "Periodic", "Pending"};
    assert_int_equal(berth_stats_from_hash_id("abc", hf, hv, 4, &s), 0);
    assert_string_equal(s->id, "harbor-id");
    assert_string_equal(s->kind, "Periodic");
    berth_stats_free(s);
    const char *bf[] = {"status", "ack"};   /* no "n": not Berth's, id/kind not made up */
    const char *bv[] = {"Pending", "Running 5 7"};  /* neither form (no sign): dropped */
    assert_int_equal(berth_stats_from_hash_id("abc", bf, bv, 2, &s), 0);
    assert_null(s->id);
    assert_null(s->kind);
    assert_null(s->ack.status);
    berth_stats_free(s);
    const char *af[] = {"n", "ack"};
    const char *av[] = {"DEMO", "Running 1700000000"};   /* no check-in */
    assert_int_equal(berth_stats_from_hash_id("abc", af, av, 2, &s), 0);
    assert_string_equal(s->ack.status, "Running");
    assert_int_equal(s->ack.revision, 1700000000);
    assert_int_equal(s->ack.check_in_at, 0);
    berth_stats_free(s);
    assert_true(berth_stats_field_is_params("p#3"));
    assert_true(berth_stats_field_is_params("parameters"));
    assert_false(berth_stats_field_is_params("pp#1"));
    assert_false(berth_stats_field_is_params("p#0"));
    assert_false(berth_stats_field_is_params(NULL));
}

static void test_hash_load_lenient(void **state)
{
    (void)state;
    const char *bools[] = {"1", "t", "T", "TRUE", "true", "True"};
    const char *nots[] = {"0", "yes", "", "tRUE", "2"};
    const char *f[] = {"unique"};
    berth_stats *s = NULL;
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(berth_stats_from_hash(f, &bools[i], 1, &s), 0);
        assert_true(s->unique);
        berth_stats_free(s);
    }
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(berth_stats_from_hash(f, &nots[i], 1, &s), 0);
        assert_false(s->unique);
        berth_stats_free(s);
    }
    const char *f2[] = {"parameters", "ack", "revision", "revision", "id", "id"};
    const char *v2[] = {"[1,2]", "{\"revision\":\"x\"}", "1", "2", "first", "second"};
    assert_int_equal(berth_stats_from_hash(f2, v2, 6, &s), 0);
    assert_null(s->parameters);   /* not an object: dropped */
    assert_null(s->ack.status);   /* bad ACK: dropped */
    assert_int_equal(s->revision, 2);
    assert_string_equal(s->id, "second");
    berth_stats_free(s);
    const char *v3[] = {"null", "not json", "-", "-0", "", ""};
    assert_int_equal(berth_stats_from_hash(f2, v3, 6, &s), 0);
    assert_null(s->parameters);
    assert_null(s->ack.status);
    assert_int_equal(s->revision, 0);
    berth_stats_free(s);
}

static const char *hash_get(const berth_stats_hash *h, const char *field)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->fields[i], field) == 0)
            return h->values[i];
    return NULL;
}

static void test_hash_write_minimal(void **state)
{
    (void)state;
    berth_stats *s = berth_stats_new();
    berth_stats_hash *h = NULL;
    assert_int_equal(berth_stats_to_hash(s, &h), 0);
    const char *want[] = {"id", "name", "kind", "unique", "status", "enqueue_time",
                          "update_time", "revision"};
    assert_int_equal(h->n, 8);
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(h->fields[i], want[i]);
    assert_string_equal(hash_get(h, "id"), "");
    assert_string_equal(hash_get(h, "unique"), "0");
    assert_string_equal(hash_get(h, "revision"), "0");
    berth_stats_hash_free(h);
    berth_stats_hash_free(NULL);
    berth_stats_free(s);
}

static void test_hash_round_trip(void **state)
{
    (void)state;
    berth_stats *s = e1_stats();
    s->unique = true;
    s->cron_spec = berth_strdup("0 * * * * *");
    s->run_at = 5;
    s->check_in = berth_strdup("msg");
    s->check_in_at = INT64_MAX;
    s->die_at = -1;
    s->upstream_job_id = berth_strdup("p");
    s->numeric_policy_id = 7;
    s->revision = INT64_MIN;
    s->ack = (berth_ack){berth_strdup("Error"), 3, 4};
    berth_stats_hash *h = NULL;
    assert_int_equal(berth_stats_to_hash(s, &h), 0);
    assert_int_equal(h->n, 19);
    assert_string_equal(hash_get(h, "unique"), "1");
    assert_string_equal(hash_get(h, "check_in"), "[REDUNDANT]");
    assert_string_equal(hash_get(h, "check_in_at"), "9223372036854775807");
    assert_string_equal(hash_get(h, "revision"), "-9223372036854775808");
    assert_string_equal(hash_get(h, "ack"), "{\"status\":\"Error\",\"revision\":3,\"check_in_at\":4}");
    assert_string_equal(hash_get(h, "parameters"), "{\"image\": \"demo:latest\"}");
    berth_stats *r = NULL;
    assert_int_equal(berth_stats_from_hash(h->fields, (const char *const *)h->values, h->n, &r), 0);
    buf a, b;
    buf_init(&a, 0);
    buf_init(&b, 0);
    berth_free(s->check_in);  /* the one field Load blanks */
    s->check_in = NULL;
    assert_int_equal(berth_stats_to_json(s, true, true, &a), 0);
    assert_int_equal(berth_stats_to_json(r, true, true, &b), 0);
    assert_string_equal(a.p, b.p);
    buf_free(&a);
    buf_free(&b);
    berth_stats_free(r);
    berth_stats_hash_free(h);
    berth_stats_free(s);
}

static void test_hash_keeps_empty_params(void **state)
{
    (void)state;
    berth_stats *s = berth_stats_new();
    s->parameters = berth_strdup("{}");
    berth_stats_hash *h = NULL;
    berth_stats_to_hash(s, &h);
    assert_string_equal(hash_get(h, "parameters"), "{}");
    assert_null(hash_get(h, "ack"));
    assert_null(hash_get(h, "check_in"));
    berth_stats_hash_free(h);
    berth_stats_free(s);
}

static void test_ack(void **state)
{
    (void)state;
    berth_ack a = {0};
    assert_int_equal(berth_ack_parse("{\"status\":\"Success\",\"revision\":1,\"check_in_at\":2}",
                                     &a), 0);
    assert_string_equal(a.status, "Success");
    assert_int_equal(a.revision, 1);
    assert_int_equal(a.check_in_at, 2);
    assert_int_equal(berth_ack_parse("{\"status\":1}", &a), BERTH_EINVAL);
    assert_string_equal(a.status, "Success");  /* untouched on error */
    assert_int_equal(berth_ack_parse("[]", &a), BERTH_EINVAL);
    assert_int_equal(berth_ack_parse(NULL, &a), BERTH_EINVAL);
    assert_int_equal(berth_ack_parse("{\"revision\":1.0}", &a), BERTH_EINVAL);
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_ack_to_json(&a, &b), 0);
    assert_string_equal(b.p, "{\"status\":\"Success\",\"revision\":1,\"check_in_at\":2}");
    buf_free(&b);
    berth_free(a.status);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_launch_reply_e1),
        cmocka_unit_test(test_get_reply_e5),
        cmocka_unit_test(test_periodic_e3_and_full_order),
        cmocka_unit_test(test_omitempty_and_escaping),
        cmocka_unit_test(test_to_json_errors),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_from_json_round_trip),
        cmocka_unit_test(test_from_json_go_rules),
        cmocka_unit_test(test_from_json_errors),
        cmocka_unit_test(test_hash_load),
        cmocka_unit_test(test_hash_load_lenient),
        cmocka_unit_test(test_hash_write_minimal),
        cmocka_unit_test(test_hash_round_trip),
        cmocka_unit_test(test_hash_load_compact),
        cmocka_unit_test(test_hash_keeps_empty_params),
        cmocka_unit_test(test_ack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
