/* berth_jobs_http_from_env: Harbor's defaults, its two environment variables parsed with
 * Go's strconv rules (and Harbor's warnings for values that do not parse), and the proxy
 * variables in Go's order of precedence. */
#include "test.h"

#include "berth/jobs.h"

static const char *const vars[] = {"JOBSERVICE_WEBHOOK_JOB_MAX_RETRY",
                                   "JOBSERVICE_WEBHOOK_JOB_HTTP_CLIENT_TIMEOUT", "HTTP_PROXY",
                                   "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY",
                                   "no_proxy", "REQUEST_METHOD"};

static int clean(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    return 0;
}

static void test_defaults(void **state)
{
    (void)state;
    berth_jobs_http c;
    char warn[512];
    assert_int_equal(berth_jobs_http_from_env(&c, warn, sizeof warn), 0);
    assert_string_equal(warn, "");
    assert_int_equal(c.max_fails, 3);
    assert_int_equal(c.timeout_ms, 3000);
    assert_int_equal(c.slack_pause_ms, 1000);
    assert_null(c.http_proxy);
    assert_null(c.https_proxy);
    assert_null(c.no_proxy);
}

static void test_values(void **state)
{
    (void)state;
    static const struct { const char *retry, *timeout; unsigned fails; long ms; } ok[] = {
        {"5", "10", 5, 10000}, {"0", "0", 0, 0}, {"4294967295", "-2", 4294967295u, -2000},
        {"007", "+4", 7, 4000},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        setenv("JOBSERVICE_WEBHOOK_JOB_MAX_RETRY", ok[i].retry, 1);
        setenv("JOBSERVICE_WEBHOOK_JOB_HTTP_CLIENT_TIMEOUT", ok[i].timeout, 1);
        berth_jobs_http c;
        char warn[512];
        assert_int_equal(berth_jobs_http_from_env(&c, warn, sizeof warn), 0);
        assert_int_equal(c.max_fails, ok[i].fails);
        assert_int_equal(c.timeout_ms, ok[i].ms);
    }
}

static void test_bad_values_warn(void **state)
{
    (void)state;
    static const struct { const char *retry, *timeout, *warn; } bad[] = {
        {"-1", "x",
         "Fetch webhook job maxFails error: strconv.ParseUint: parsing \"-1\": invalid syntax\n"
         "Fetch slack job maxFails error: strconv.ParseUint: parsing \"-1\": invalid syntax\n"
         "Failed to parse timeout from environment, error: strconv.ParseInt: parsing \"x\": "
         "invalid syntax"},
        {"4294967296", "99999999999999999999",
         "Fetch webhook job maxFails error: strconv.ParseUint: parsing \"4294967296\": value "
         "out of range\nFetch slack job maxFails error: strconv.ParseUint: parsing "
         "\"4294967296\": value out of range\nFailed to parse timeout from environment, error: "
         "strconv.ParseInt: parsing \"99999999999999999999\": value out of range"},
        {"", "1.5",
         "Fetch webhook job maxFails error: strconv.ParseUint: parsing \"\": invalid syntax\n"
         "Fetch slack job maxFails error: strconv.ParseUint: parsing \"\": invalid syntax\n"
         "Failed to parse timeout from environment, error: strconv.ParseInt: parsing \"1.5\": "
         "invalid syntax"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("JOBSERVICE_WEBHOOK_JOB_MAX_RETRY", bad[i].retry, 1);
        setenv("JOBSERVICE_WEBHOOK_JOB_HTTP_CLIENT_TIMEOUT", bad[i].timeout, 1);
        berth_jobs_http c;
        char warn[1024];
        assert_int_equal(berth_jobs_http_from_env(&c, warn, sizeof warn), 2);
        assert_string_equal(warn, bad[i].warn);
        assert_int_equal(c.max_fails, 3);       /* the defaults stay */
        assert_int_equal(c.timeout_ms, 3000);
    }
}

static void test_proxies(void **state)
{
    (void)state;
    setenv("http_proxy", "http://lower:1", 1);
    setenv("HTTPS_PROXY", "http://upper:2", 1);
    setenv("https_proxy", "http://lower:2", 1);
    setenv("no_proxy", "internal.example", 1);
    berth_jobs_http c;
    char warn[64];
    berth_jobs_http_from_env(&c, warn, sizeof warn);
    assert_string_equal(c.http_proxy, "http://lower:1");
    assert_string_equal(c.https_proxy, "http://upper:2");   /* upper case first, as Go */
    assert_string_equal(c.no_proxy, "internal.example");
    setenv("REQUEST_METHOD", "GET", 1);                     /* CGI: HTTP_PROXY is ignored */
    berth_jobs_http_from_env(&c, warn, sizeof warn);
    assert_null(c.http_proxy);
    assert_string_equal(c.https_proxy, "http://upper:2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, clean),
        cmocka_unit_test_setup(test_values, clean),
        cmocka_unit_test_setup(test_bad_values_warn, clean),
        cmocka_unit_test_setup(test_proxies, clean),
    };
    return cmocka_run_group_tests(tests, NULL, clean);
}
