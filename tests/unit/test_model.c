/* Unit tests for the model pieces the engine uses: statuses (spec §3.4), ids (§3.5),
 * the canonical parameter encoding of unique keys (§3.9) and the stats hash (§5.2). */
#include "test.h"

#include "berth/error.h"
#include "berth/job.h"
#include "model/id.h"
#include "model/params.h"
#include "model/stats_hash.h"
#include "util/alloc.h"

static void test_status_codes(void **state)
{
    (void)state;
    assert_int_equal(berth_status_code(berth_status_parse("Pending")), 0);
    assert_int_equal(berth_status_code(berth_status_parse("Scheduled")), 1);
    assert_int_equal(berth_status_code(berth_status_parse("Running")), 2);
    assert_int_equal(berth_status_code(BERTH_STATUS_STOPPED), 3);
    assert_int_equal(berth_status_compare(BERTH_STATUS_SUCCESS, BERTH_STATUS_ERROR), 0);
    assert_true(berth_status_compare(BERTH_STATUS_PENDING, BERTH_STATUS_RUNNING) < 0);
    assert_int_equal(berth_status_parse("running"), BERTH_STATUS_INVALID); /* case-sensitive */
    assert_int_equal(berth_status_code(BERTH_STATUS_INVALID), -1);
    assert_null(berth_status_name(BERTH_STATUS_INVALID));
    assert_true(berth_status_final(BERTH_STATUS_STOPPED));
    assert_false(berth_status_final(BERTH_STATUS_RUNNING));
    assert_true(berth_kind_valid("Periodic"));
    assert_false(berth_kind_valid("generic"));
    berth_stats_free(NULL);
}

static void test_ids(void **state)
{
    (void)state;
    char a[25], b[25];
    berth_id_new(a);
    berth_id_new(b);
    assert_int_equal(strlen(a), 24);
    assert_true(berth_id_valid(a));
    assert_string_not_equal(a, b);
    assert_false(berth_id_valid("0123456789ABCDEF01234567"));
    assert_false(berth_id_valid("../../etc/passwd"));
    assert_true(berth_execution_id_valid("0123456789abcdef01234567@1700000000"));
    assert_false(berth_execution_id_valid("0123456789abcdef01234567@"));
    assert_false(berth_execution_id_valid("0123456789abcdef01234567@12/"));
}

static void check_canon(const char *in, const char *want)
{
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_params_canonical(in, &b), 0);
    assert_string_equal(b.p ? b.p : "", want);
    buf_free(&b);
}

static void check_num(double v, const char *want)
{
    buf b;
    buf_init(&b, 0);
    berth_params_format_number(v, &b);
    assert_string_equal(b.p, want);
    buf_free(&b);
}

static void test_canonical_params(void **state)
{
    (void)state;
    check_canon("{\"b\":1.0,\"a\":\"<x>&\"}", "{\"a\":\"\\u003cx\\u003e\\u0026\",\"b\":1}\n");
    check_canon("{}", "{}\n");
    check_canon(NULL, "");
    check_canon("null", "");
    check_canon("{\"z\":[1e2,true,null,{\"y\":\"\\n\\u0001\"}]}",
                "{\"z\":[100,true,null,{\"y\":\"\\n\\u0001\"}]}\n");
    check_canon("{\"s\":\"\\u2028/\"}", "{\"s\":\"\\u2028/\"}\n");
    check_num(1e21, "1e+21");
    check_num(0.000001, "0.000001");
    check_num(0.0000001, "1e-7");
    check_num(123456789012345678.0, "123456789012345680");
    check_num(-2.5, "-2.5");
    check_num(0.1, "0.1");
    buf b;
    buf_init(&b, 0);
    assert_int_equal(berth_params_canonical("[1]", &b), BERTH_EINVAL);
    assert_int_equal(berth_params_canonical("{\"a\":", &b), BERTH_EINVAL);
    assert_int_equal(berth_unique_key("ns", "JOB", "{\"a\":1}", &b), 0);
    assert_string_equal(b.p, "{ns}:unique:JOB:{\"a\":1}\n");
    buf_free(&b);
}

static void test_stats_hash(void **state)
{
    (void)state;
    const char *f[] = {"id", "status", "unique", "revision", "check_in", "check_in_at", "ack",
                       "enqueue_time", "bogus"};
    const char *v[] = {"abc", "Success", "1", "1700000000", "[REDUNDANT]", "x12",
                       "{\"status\":\"Running\",\"revision\":5,\"check_in_at\":7}", "", "z"};
    berth_stats *s = NULL;
    assert_int_equal(berth_stats_from_hash(f, v, 9, &s), 0);
    assert_string_equal(s->id, "abc");
    assert_string_equal(s->status, "Success");
    assert_true(s->unique);
    assert_int_equal(s->revision, 1700000000);
    assert_null(s->check_in);        /* never read back (spec §2.6) */
    assert_int_equal(s->check_in_at, 0); /* unparsable number reads as 0 */
    assert_string_equal(s->ack.status, "Running");
    assert_int_equal(s->ack.revision, 5);
    assert_int_equal(s->ack.check_in_at, 7);
    berth_stats_free(s);
    assert_int_equal(berth_stats_from_hash(NULL, NULL, 0, &s), BERTH_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_codes),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_canonical_params),
        cmocka_unit_test(test_stats_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
