/* Unit tests for src/model/params.c and json_write.c: the canonical parameter encoding of unique
 * keys (spec §3.9) must equal Go's json.Encoder output byte for byte. The expected strings
 * were worked out by hand from Go's encoding/json and strconv rules (and the float cases
 * cross-checked against a shortest-round-trip oracle). */
#include "test.h"

#include "berth/error.h"
#include "model/json_write.h"
#include "model/params.h"
#include "util/alloc.h"
#include "util/buf.h"

static void check_canon(const char *in, const char *want)
{
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_params_canonical(in, &b), 0);
    assert_string_equal(b.p ? b.p : "", want);
    buf_free(&b);
}

static void check_canon_fails(const char *in, int want_rc)
{
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_params_canonical(in, &b), want_rc);
    buf_free(&b);
}

static void check_num(double v, const char *want)
{
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_params_format_number(v, &b), 0);
    assert_string_equal(b.p, want);
    buf_free(&b);
}

static void test_brief_examples(void **state)
{
    (void)state;
    check_canon("{\"b\":1.0,\"a\":\"<x>&\"}", "{\"a\":\"\\u003cx\\u003e\\u0026\",\"b\":1}\n");
    check_canon("{\"n\":1e21}", "{\"n\":1e+21}\n");
    check_canon("{\"n\":0.000001}", "{\"n\":0.000001}\n");
    check_canon("{\"n\":0.0000001}", "{\"n\":1e-7}\n");
    check_canon("{\"n\":123456789012345678}", "{\"n\":123456789012345680}\n");
    check_canon("{\"n\":1e2}", "{\"n\":100}\n");
}

static void test_absent_and_empty(void **state)
{
    (void)state;
    check_canon(NULL, "");
    check_canon("", "");
    check_canon("null", "");
    check_canon("  null \n", "");
    check_canon("{}", "{}\n");
    check_canon(" { } ", "{}\n");
}

static void test_numbers(void **state)
{
    (void)state;
    check_num(1, "1");
    check_num(-2.5, "-2.5");
    check_num(0.1, "0.1");
    check_num(0.3, "0.3");
    check_num(1e20, "100000000000000000000");
    check_num(1e21, "1e+21");
    check_num(1e22, "1e+22");
    check_num(-1e21, "-1e+21");
    check_num(1.5e-7, "1.5e-7");
    check_num(1e-10, "1e-10");
    check_num(0.000001, "0.000001");
    check_num(0.0000012345, "0.0000012345");
    check_num(12345678.9, "12345678.9");
    check_num(5e-324, "5e-324");
    check_num(1.7976931348623157e308, "1.7976931348623157e+308");
    check_num(2.2250738585072014e-308, "2.2250738585072014e-308");
    check_num(9007199254740993.0, "9007199254740992");
    check_num(0.0, "0");
    check_num(-0.0, "-0");
}

/* Integers below 2^53 take a shortcut (their digits, no shortest-form search): the same
 * text as Go's, which for them is the exact integer ("%.0f"); from 2^53 on the search. */
static void test_integers(void **state)
{
    (void)state;
    check_num(9007199254740991.0, "9007199254740991");
    check_num(-9007199254740991.0, "-9007199254740991");
    check_num(9007199254740992.0, "9007199254740992");
    check_num(1e15, "1000000000000000");
    check_num(123456789012.0, "123456789012");
    check_num(-7.0, "-7");
    check_num(100.0, "100");
    check_num(1e21 - 65536 * 2, "999999999999999900000");   /* shortest digits, not exact */
    double v = 1;
    for (int i = 0; i < 2000; i++) {
        char want[64];
        snprintf(want, sizeof want, "%.0f", v);
        check_num(v, want);
        check_num(-v, (snprintf(want, sizeof want, "%.0f", -v), want));
        v = v * 1.0173 + 1;
        v = v >= 9007199254740992.0 ? (double)i : (double)(uint64_t)v;
    }
}

static void test_numbers_not_json(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_params_format_number(1e300 * 1e300, &b), BERTH_EINVAL);
    assert_int_equal(berth_params_format_number(-(1e300 * 1e300), &b), BERTH_EINVAL);
    assert_int_equal(berth_params_format_number(0.0 / 0.0, &b), BERTH_EINVAL);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_numbers_in_json(void **state)
{
    (void)state;
    /* integers decoded through float64, including ones beyond int64 */
    check_canon("{\"a\":-0.0,\"b\":3.0e0,\"c\":123e-9,\"d\":18446744073709551616}",
                "{\"a\":-0,\"b\":3,\"c\":1.23e-7,\"d\":18446744073709552000}\n");
    check_canon("{\"big\":123456789012345678901234567890}",
                "{\"big\":1.2345678901234568e+29}\n");
    check_canon("{\"min\":-9223372036854775808,\"max\":9223372036854775807}",
                "{\"max\":9223372036854776000,\"min\":-9223372036854776000}\n");
    check_canon_fails("{\"huge\":1e400}", BERTH_EINVAL);  /* Go: does not fit float64 */
}

/* Go reads every spelling of minus zero into float64 −0 and writes it back as -0; jansson
 * alone reads the integer token -0 as 0 (docs/reliability.md, finding 8). */
static void test_negative_zero(void **state)
{
    (void)state;
    check_canon("{\"n\":-0}", "{\"n\":-0}\n");
    check_canon("{\"a\":-0.0,\"b\":-0e3,\"c\":-0E-2,\"d\":[-0, 0,-0 ],\"e\":{\"f\":-0}}",
                "{\"a\":-0,\"b\":-0,\"c\":-0,\"d\":[-0,0,-0],\"e\":{\"f\":-0}}\n");
    check_canon("{\"n\":0,\"m\":1e-0,\"k\":2E-0}", "{\"k\":2,\"m\":1,\"n\":0}\n");
    check_canon("{\"s\":\"-0\",\"-0\":\"\\\"-0\"}", "{\"-0\":\"\\\"-0\",\"s\":\"-0\"}\n");
    check_canon_fails("{\"n\":-01}", BERTH_EINVAL);
    check_canon_fails("{\"n\":-0", BERTH_EINVAL);
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_unique_key("ns", "JOB", "{\"n\":-0}", &b), 0);
    assert_string_equal(b.p, "{ns}:unique:JOB:{\"n\":-0}\n");   /* Harbor's key */
    buf_reset(&b);
    assert_int_equal(berth_params_compact("{\"n\":-0}", &b), 0);   /* a fixed point */
    assert_string_equal(b.p, "{\"n\":-0}");
    buf_reset(&b);
    const char in[] = "[-0,\"-0\",-0.5,1e-0,-0]";
    assert_int_equal(berth_params_signed_zeros(in, sizeof in - 1, &b), 0);
    assert_string_equal(b.p, "[-0.0,\"-0\",-0.5,1e-0,-0.0]");
    buf_free(&b);
    buf_init(&b, 3);
    assert_int_equal(berth_params_signed_zeros("-0", 2, &b), BERTH_ETOOBIG);
    buf_free(&b);
}

static void test_strings(void **state)
{
    (void)state;
    check_canon("{\"s\":\"a\\\"b\\\\c/d\"}", "{\"s\":\"a\\\"b\\\\c/d\"}\n");
    check_canon("{\"s\":\"\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\"}",
                "{\"s\":\"\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\"}\n");
    check_canon("{\"s\":\"\\u2028\\u2029\"}", "{\"s\":\"\\u2028\\u2029\"}\n");
    check_canon("{\"s\":\"\\u00e9\xe2\x82\xac\"}", "{\"s\":\"\xc3\xa9\xe2\x82\xac\"}\n");
    check_canon("{\"s\":\"a\\u0000b\"}", "{\"s\":\"a\\u0000b\"}\n");
    check_canon("{\"s\":\"\\ud83d\\ude00\"}", "{\"s\":\"\xf0\x9f\x98\x80\"}\n");
    /* keys are escaped and sorted bytewise, after unescaping */
    check_canon("{\"b\":1,\"\\u0061\":2,\"<\":3,\"B\":4,\"\xc3\xa9\":5}",
                "{\"\\u003c\":3,\"B\":4,\"a\":2,\"b\":1,\"\xc3\xa9\":5}\n");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    /* Go's decoder turns each bad byte into U+FFFD; the encoder then writes it raw. */
    check_canon("{\"s\":\"a\xffz\"}", "{\"s\":\"a\xef\xbf\xbdz\"}\n");
    check_canon("{\"s\":\"\xe2\x82\"}", "{\"s\":\"\xef\xbf\xbd\xef\xbf\xbd\"}\n");
    check_canon("{\"s\":\"\xc0\xaf\"}", "{\"s\":\"\xef\xbf\xbd\xef\xbf\xbd\"}\n");  /* overlong */
    check_canon("{\"s\":\"\xed\xa0\x80\"}",  /* a UTF-8-encoded surrogate */
                "{\"s\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}\n");
    /* unpaired surrogate escapes decode to U+FFFD, as in Go */
    check_canon("{\"s\":\"\\ud800x\"}", "{\"s\":\"\xef\xbf\xbdx\"}\n");
    check_canon("{\"s\":\"\\udc00\"}", "{\"s\":\"\xef\xbf\xbd\"}\n");
    check_canon("{\"s\":\"\\ud800\\ud800\\udc00\"}", "{\"s\":\"\xef\xbf\xbd\xf0\x90\x80\x80\"}\n");
    check_canon("{\"\xff\":1}", "{\"\xef\xbf\xbd\":1}\n");
}

static void test_nested(void **state)
{
    (void)state;
    check_canon("{\"z\":[1e2,true,null,{\"y\":\"\\n\",\"x\":[]}],\"a\":{\"d\":false,\"c\":{}}}",
                "{\"a\":{\"c\":{},\"d\":false},\"z\":[100,true,null,{\"x\":[],\"y\":\"\\n\"}]}\n");
    /* duplicate keys: the last one wins, as in Go */
    check_canon("{\"a\":1,\"a\":2}", "{\"a\":2}\n");
}

static void test_bad_input(void **state)
{
    (void)state;
    check_canon_fails("[1]", BERTH_EINVAL);
    check_canon_fails("\"x\"", BERTH_EINVAL);
    check_canon_fails("5", BERTH_EINVAL);
    check_canon_fails("{\"a\":", BERTH_EINVAL);
    check_canon_fails("{\"a\":1}x", BERTH_EINVAL);
    check_canon_fails("{'a':1}", BERTH_EINVAL);
    check_canon_fails("{\"a\":\"\x01\"}", BERTH_EINVAL);  /* raw control char in a string */
    char deep[200] = "{\"a\":";
    for (int i = 0; i < 64; i++)
        strcat(deep, "[");
    for (int i = 0; i < 64; i++)
        strcat(deep, "]");
    strcat(deep, "}");
    check_canon_fails(deep, BERTH_EINVAL);  /* 65 levels */
    char ok[200] = "{\"a\":";
    for (int i = 0; i < 63; i++)
        strcat(ok, "[");
    for (int i = 0; i < 63; i++)
        strcat(ok, "]");
    strcat(ok, "}");
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_params_canonical(ok, &b), 0);
    buf_free(&b);
}

static void test_unique_key(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_unique_key("ns", "JOB", "{\"b\":2,\"a\":1}", &b), 0);
    assert_string_equal(b.p, "{ns}:unique:JOB:{\"a\":1,\"b\":2}\n");
    buf_reset(&b);
    assert_int_equal(berth_unique_key("harbor_job_service_namespace", "DEMO", NULL, &b), 0);
    assert_string_equal(b.p, "{harbor_job_service_namespace}:unique:DEMO:");
    buf_reset(&b);
    assert_int_equal(berth_unique_key("ns", "GC", "{}", &b), 0);
    assert_string_equal(b.p, "{ns}:unique:GC:{}\n");
    buf_reset(&b);
    assert_int_equal(berth_unique_key("ns", "GC", "[]", &b), BERTH_EINVAL);
    buf_free(&b);
}

static void test_compact_and_cap(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_params_compact("{\"b\":1.0,\"a\":[2]}", &b), 0);
    assert_string_equal(b.p, "{\"a\":[2],\"b\":1}");
    buf_free(&b);
    buf_init(&b, 8);
    assert_int_equal(berth_params_canonical("{\"abcdef\":1}", &b), BERTH_ETOOBIG);
    buf_free(&b);
    buf_init(&b, 0);
    assert_int_equal(berth__json_write_cstr(&b, NULL), 0);
    assert_string_equal(b.p, "\"\"");
    buf_reset(&b);
    assert_int_equal(berth__json_write_str(&b, "a\xffz\xe2\x80\xa8", 6), 0);  /* raw Go string */
    assert_string_equal(b.p, "\"a\\ufffdz\\u2028\"");
    buf_free(&b);
}

/* The API's re-encoded parameters the engine takes as they are: only text whose jansson
 * compact form is itself (the engine's stored form; test_launch_params_once compares the
 * bytes stored both ways through a real engine). */
static void test_stored_as_is(void **state)
{
    (void)state;
    static const char *const same[] = {
        "{}", "{\"k\":1}", "{\"a\":[1,-2,{\"b\":null,\"c\":true,\"d\":false}],\"e\":[]}",
        "{\"s\":\"e.E-0 1.5e3 true\"}", "{\"caf\xc3\xa9\":\"\xe2\x82\xac\"}",
        "{\"big\":12345678901234567000,\"max\":9223372036854775807,\"n\":-9}",
        "{\"f\":false,\"n\":null,\"t\":true,\"z\":0}",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        if (!berth_params_stored_as_is(same[i], strlen(same[i])))
            fail_msg("%s: should be stored as it is", same[i]);
    static const char *const other[] = {
        "{\"r\":0.1}", "{\"r\":1e+21}", "{\"r\":1E-7}", "{\"z\":-0}", "{\"a\":[1,-0]}",
        "{\"s\":\"\\u003c\"}", "{\"s\":\"a\\nb\"}", "{\"\\\"\":1}", "{\"t\":true,\"r\":2.5}",
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        if (berth_params_stored_as_is(other[i], strlen(other[i])))
            fail_msg("%s: jansson writes it otherwise", other[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_brief_examples),  cmocka_unit_test(test_absent_and_empty),
        cmocka_unit_test(test_numbers),         cmocka_unit_test(test_integers),
        cmocka_unit_test(test_numbers_not_json),
        cmocka_unit_test(test_numbers_in_json), cmocka_unit_test(test_strings),
        cmocka_unit_test(test_invalid_utf8),    cmocka_unit_test(test_nested),
        cmocka_unit_test(test_bad_input),       cmocka_unit_test(test_unique_key),
        cmocka_unit_test(test_compact_and_cap), cmocka_unit_test(test_negative_zero),
        cmocka_unit_test(test_stored_as_is),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
