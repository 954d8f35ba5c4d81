/* Unit tests for statuses and kinds (spec §3.4, §3.1): names, codes, ordering, finality. */
#include "test.h"

#include "berth/job.h"

static void test_names_round_trip(void **state)
{
    (void)state;
    const char *names[] = {"Pending", "Scheduled", "Running", "Stopped", "Error", "Success"};
    for (int i = 0; i < 6; i++) {
        berth_status s = berth_status_parse(names[i]);
        assert_int_equal(s, (berth_status)i);
        assert_string_equal(berth_status_name(s), names[i]);
    }
    assert_null(berth_status_name(BERTH_STATUS_INVALID));
    assert_null(berth_status_name((berth_status)6));
    assert_null(berth_status_name((berth_status)-7));
}

static void test_parse_rejects(void **state)
{
    (void)state;
    const char *bad[] = {"running", "RUNNING", "Cancelled", "", " Running", "Running ",
                         "Succes", "Successful"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(berth_status_parse(bad[i]), BERTH_STATUS_INVALID);
    assert_int_equal(berth_status_parse(NULL), BERTH_STATUS_INVALID);
}

static void test_codes(void **state)
{
    (void)state;
    assert_int_equal(berth_status_code(BERTH_STATUS_PENDING), 0);
    assert_int_equal(berth_status_code(BERTH_STATUS_SCHEDULED), 1);
    assert_int_equal(berth_status_code(BERTH_STATUS_RUNNING), 2);
    assert_int_equal(berth_status_code(BERTH_STATUS_STOPPED), 3);
    assert_int_equal(berth_status_code(BERTH_STATUS_ERROR), 3);
    assert_int_equal(berth_status_code(BERTH_STATUS_SUCCESS), 3);
    assert_int_equal(berth_status_code(BERTH_STATUS_INVALID), -1);
    assert_int_equal(berth_status_code((berth_status)42), -1);
}

static void test_compare(void **state)
{
    (void)state;
    assert_int_equal(berth_status_compare(BERTH_STATUS_SUCCESS, BERTH_STATUS_ERROR), 0);
    assert_int_equal(berth_status_compare(BERTH_STATUS_STOPPED, BERTH_STATUS_SUCCESS), 0);
    assert_int_equal(berth_status_compare(BERTH_STATUS_PENDING, BERTH_STATUS_RUNNING), -2);
    assert_int_equal(berth_status_compare(BERTH_STATUS_SUCCESS, BERTH_STATUS_PENDING), 3);
    assert_int_equal(berth_status_compare(BERTH_STATUS_SCHEDULED, BERTH_STATUS_PENDING), 1);
    assert_int_equal(berth_status_compare(BERTH_STATUS_RUNNING, BERTH_STATUS_RUNNING), 0);
    assert_int_equal(berth_status_compare(BERTH_STATUS_INVALID, BERTH_STATUS_PENDING), -1);
}

static void test_final(void **state)
{
    (void)state;
    assert_true(berth_status_final(BERTH_STATUS_STOPPED));
    assert_true(berth_status_final(BERTH_STATUS_ERROR));
    assert_true(berth_status_final(BERTH_STATUS_SUCCESS));
    assert_false(berth_status_final(BERTH_STATUS_PENDING));
    assert_false(berth_status_final(BERTH_STATUS_SCHEDULED));
    assert_false(berth_status_final(BERTH_STATUS_RUNNING));
    assert_false(berth_status_final(BERTH_STATUS_INVALID));
}

static void test_kinds(void **state)
{
    (void)state;
    assert_true(berth_kind_valid("Generic"));
    assert_true(berth_kind_valid("Scheduled"));
    assert_true(berth_kind_valid("Periodic"));
    assert_false(berth_kind_valid("generic"));
    assert_false(berth_kind_valid("PERIODIC"));
    assert_false(berth_kind_valid(""));
    assert_false(berth_kind_valid("Generic "));
    assert_false(berth_kind_valid(NULL));
}

static void test_stats_new_free(void **state)
{
    (void)state;
    berth_stats *s = berth_stats_new();
    assert_null(s->id);
    assert_int_equal(s->revision, 0);
    assert_null(s->ack.status);
    berth_stats_free(s);
    berth_stats_free(NULL);
    berth_request_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_round_trip), cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_codes),            cmocka_unit_test(test_compare),
        cmocka_unit_test(test_final),            cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_stats_new_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
