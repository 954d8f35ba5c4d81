/* The enqueuer's planning (src/period/plan.c) with a fake clock: normal look-ahead, a
 * fire that is only late, and each misfire policy after downtime. */
#include "test.h"

#include "period/period_internal.h"

static int plan(berth_misfire m, const char *cron, int64_t last, int64_t now, int64_t *out,
                int64_t *advance)
{
    berth_periodic_config cfg = {.enabled = true, .misfire = m, .grace_s = 3600,
                                 .max_catch_up = 100, .horizon_s = 10, .keep_executions = 50};
    policy pol = {0};
    char err[256];
    const char *field = NULL;
    assert_int_equal(cron_parse(cron, &pol.sched, err, sizeof err, &field), 0);
    return period_plan(&cfg, &pol, last, now, out, 128, advance);
}

static void test_lookahead(void **state)
{
    (void)state;
    int64_t t[128], adv;
    int n = plan(BERTH_MISFIRE_ONCE, "*/1 * * * * *", 1000, 1000, t, &adv);
    assert_int_equal(n, 10);                 /* (1000, 1010] */
    assert_int_equal(t[0], 1001);
    assert_int_equal(t[9], 1010);
    assert_int_equal(adv, 0);
    n = plan(BERTH_MISFIRE_SKIP, "*/1 * * * * *", 1010, 1003, t, &adv);
    assert_int_equal(n, 3);                  /* already planned up to 1010: only (1010, 1013] */
    assert_int_equal(t[0], 1011);
    n = plan(BERTH_MISFIRE_SKIP, "*/1 * * * * *", 1000, 1003, t, &adv);
    assert_int_equal(t[0], 1001);            /* 2-3 s late is late, not missed: still planned */
    assert_int_equal(n, 13);
}

static void test_misfires(void **state)
{
    (void)state;
    int64_t t[128], adv;
    int n = plan(BERTH_MISFIRE_SKIP, "*/1 * * * * *", 1000, 1020, t, &adv);
    assert_int_equal(n, 15);                 /* (1015, 1030] */
    assert_int_equal(t[0], 1016);
    assert_int_equal(adv, 1015);
    n = plan(BERTH_MISFIRE_ONCE, "*/1 * * * * *", 1000, 1020, t, &adv);
    assert_int_equal(n, 16);
    assert_int_equal(t[0], 1015);            /* the newest missed fire, once */
    assert_int_equal(t[1], 1016);
    n = plan(BERTH_MISFIRE_ALL, "*/1 * * * * *", 1000, 1020, t, &adv);
    assert_int_equal(n, 30);
    assert_int_equal(t[0], 1001);
    assert_int_equal(t[14], 1015);
    /* hourly policy down for 3 days: once → the newest missed hour only if within grace */
    int64_t day = 86400 * 20000;  /* a midnight */
    n = plan(BERTH_MISFIRE_ONCE, "0 0 * * * *", day, day + 3 * 86400 + 1800, t, &adv);
    assert_int_equal(n, 1);
    assert_int_equal(t[0], day + 3 * 86400);
    n = plan(BERTH_MISFIRE_ONCE, "0 0 0 * * *", day, day + 3 * 86400 + 7200, t, &adv);
    assert_int_equal(n, 0);                  /* newest missed midnight is 2 h old > grace */
    n = plan(BERTH_MISFIRE_ALL, "0 0 * * * *", day, day + 3 * 86400 + 1800, t, &adv);
    assert_int_equal(n, 72);                 /* every missed hour of three days */
    n = plan(BERTH_MISFIRE_ALL, "0 0 * * * *", day, day + 5 * 86400 + 1800, t, &adv);
    assert_int_equal(n, 100);                /* 120 missed: capped at max_catch_up, newest kept */
    assert_int_equal(t[0], day + 5 * 86400 - 99 * 3600);
    assert_int_equal(t[99], day + 5 * 86400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookahead),
        cmocka_unit_test(test_misfires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
