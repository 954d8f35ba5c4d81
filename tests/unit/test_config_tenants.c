/* Unit tests for `berth.namespaces` (src/server/config_tenants.c): the list read with its
 * defaults, and every bad list refused with one line naming the entry, nothing half-loaded
 * left behind; two namespaces in one cluster slot load with a warning. */
#include "test.h"

#include <stdbool.h>

#include "berth/error.h"
#include "server/config.h"
#include "store/cluster.h"

static char err[512];
static berth_config cfg;

#define HEAD "protocol: http\nport: 8080\nworker_pool:\n  workers: 6\n  backend: redis\n" \
             "  redis_pool:\n    namespace: harbor\n"

static int load(const char *yaml)
{
    err[0] = '\0';
    config_free(&cfg);
    return config_load_string(yaml, strlen(yaml), NULL, &cfg, err, sizeof err);
}

static void expect_error(const char *yaml, const char *msg)
{
    int rc = load(yaml);
    if (rc != BERTH_ECONFIG || strcmp(err, msg) != 0)
        print_error("for YAML:\n%s\nwant: %s\ngot:  rc %d, %s\n", yaml, msg, rc, err);
    assert_int_equal(rc, BERTH_ECONFIG);
    assert_string_equal(err, msg);
    assert_null(cfg.tenants);
    assert_int_equal(cfg.ntenants, 0);
}

static int teardown(void **state)
{
    (void)state;
    config_free(&cfg);
    return 0;
}

static void test_none_by_default(void **state)
{
    (void)state;
    assert_int_equal(load(HEAD), 0);
    assert_int_equal(cfg.ntenants, 0);
    assert_int_equal(load(HEAD "berth:\n  namespaces: []\n"), 0);
    assert_int_equal(cfg.ntenants, 0);
}

static void test_list_with_defaults(void **state)
{
    (void)state;
    assert_int_equal(load(HEAD "berth:\n  namespaces:\n    - name: tenant-b\n      workers: 2\n"
                               "    - name: c.3_x\n"), 0);
    assert_int_equal(cfg.ntenants, 2);
    assert_string_equal(cfg.tenants[0].name, "tenant-b");
    assert_int_equal(cfg.tenants[0].workers, 2);
    assert_string_equal(cfg.tenants[1].name, "c.3_x");
    assert_int_equal(cfg.tenants[1].workers, 6);   /* worker_pool.workers */
    assert_int_equal(cfg.nwarnings, 0);
}

static void test_bad_lists(void **state)
{
    (void)state;
    expect_error(HEAD "berth:\n  namespaces:\n    - name: b\n    - name: b\n",
                 "berth.namespaces[1].name: \"b\" is listed twice (also berth.namespaces[0])");
    expect_error(HEAD "berth:\n  namespaces:\n    - name: harbor\n",
                 "berth.namespaces[0].name: \"harbor\" is worker_pool.redis_pool.namespace, "
                 "which is always served; list only the other namespaces");
    const char *bad[] = {"", "a b", "'{x}'", "a/b", "..", "x%2f", "\"\\u00e9\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char yaml[512], msg[256];
        snprintf(yaml, sizeof yaml, HEAD "berth:\n  namespaces:\n    - name: ok\n"
                 "    - name: %s\n", bad[i]);
        snprintf(msg, sizeof msg, "berth.namespaces[1].name: must be 1 to 64 of A-Z a-z "
                 "0-9 _ . - (it names the Redis hash tag and the /ns/<name> path), got \"%s\"",
                 i == 6 ? "\xc3\xa9" : i == 2 ? "{x}" : bad[i]);
        expect_error(yaml, msg);
    }
    expect_error(HEAD "berth:\n  namespaces:\n    - {}\n",
                 "berth.namespaces[0].name: must be 1 to 64 of A-Z a-z 0-9 _ . - (it names "
                 "the Redis hash tag and the /ns/<name> path), got \"\"");
    expect_error(HEAD "berth:\n  namespaces:\n    - name: b\n      workers: 10001\n",
                 "berth.namespaces[0].workers: must be at most 10000, got 10001");
    assert_int_equal(load(HEAD "berth:\n  namespaces:\n    - name: b\n      workers: -1\n"),
                     BERTH_ECONFIG);
    assert_non_null(strstr(err, "berth.namespaces[0].workers"));
    assert_int_equal(load(HEAD "berth:\n  namespaces: b\n"), BERTH_ECONFIG);
    assert_non_null(strstr(err, "berth.namespaces: expected a sequence"));
    char yaml[8192] = HEAD "berth:\n  namespaces:\n";
    for (int i = 0; i <= CONFIG_MAX_TENANTS; i++)
        snprintf(yaml + strlen(yaml), sizeof yaml - strlen(yaml), "    - name: t%d\n", i);
    expect_error(yaml, "berth.namespaces: at most 64 entries, got 65");
}

/* Two namespaces in one cluster slot are served (by one master): a warning naming both. */
static void test_shared_slot_warns(void **state)
{
    (void)state;
    int want = rcluster_slot("{b}:", 4);
    char other[32] = "";
    for (int i = 0; i < 1000000 && !other[0]; i++) {
        char key[40];
        int n = snprintf(key, sizeof key, "{s%d}:", i);
        if (rcluster_slot(key, (size_t)n) == want)
            snprintf(other, sizeof other, "s%d", i);
    }
    assert_true(other[0]);
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "protocol: http\nport: 8080\nworker_pool:\n  backend: redis\n"
             "  redis_pool:\n    namespace: harbor\n"
             "    redis_url: redis+cluster://127.0.0.1:7000\n"
             "berth:\n  namespaces:\n    - name: b\n    - name: %s\n", other);
    assert_int_equal(load(yaml), 0);
    assert_int_equal(cfg.nwarnings, 1);
    char msg[256];
    snprintf(msg, sizeof msg, "berth.namespaces[1]: \"%s\" and \"b\" hash to the same cluster "
             "slot (%d), so one master serves both; rename one to spread them", other, want);
    assert_string_equal(cfg.warnings[0], msg);
    /* on a single Redis the slot means nothing: no warning */
    snprintf(yaml, sizeof yaml, HEAD "berth:\n  namespaces:\n    - name: b\n    - name: %s\n",
             other);
    assert_int_equal(load(yaml), 0);
    assert_int_equal(cfg.nwarnings, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_none_by_default, teardown),
        cmocka_unit_test_teardown(test_list_with_defaults, teardown),
        cmocka_unit_test_teardown(test_bad_lists, teardown),
        cmocka_unit_test_teardown(test_shared_slot_warns, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
