/* The hook dispatcher's receiver endpoints (src/hook/endpoint.c): the key of a URL, the
 * down/back state that drives the "receiver is back" rule, and eviction. */
#include "test.h"

#include "hook/endpoint.h"

static void key_is(const char *url, const char *want)
{
    char k[HOOK_ENDPOINT_LEN];
    hook_endpoint_key(url, k, sizeof k);
    assert_string_equal(k, want);
}

static void test_key(void **state)
{
    (void)state;
    key_is("http://127.0.0.1:8080/service/notifications/tasks/1", "http://127.0.0.1:8080");
    key_is("HTTP://Core.Example/x?y=1", "http://core.example:80");
    key_is("https://core.example#frag", "https://core.example:443");
    key_is("https://user:p@ss@core.example:9443/h", "https://core.example:9443");
    key_is("http://[::1]/h", "http://[::1]:80");
    key_is("http://[::1]:81/h", "http://[::1]:81");
    key_is("not a url", "not a url");
}

static void test_down_then_back(void **state)
{
    (void)state;
    hook_endpoint ep = {0};
    hook_endpoint_result(&ep, false, 100, 2000);
    hook_endpoint_result(&ep, false, 200, 2000);
    assert_false(ep.down);
    hook_endpoint_result(&ep, true, 300, 2000);   /* not in a row: a failing event, not a */
    hook_endpoint_result(&ep, false, 400, 2000);  /* receiver that is down */
    hook_endpoint_result(&ep, false, 500, 2000);
    assert_false(ep.down);
    assert_false(ep.recovering);
    hook_endpoint_result(&ep, false, 600, 2000);
    assert_true(ep.down);
    hook_endpoint_result(&ep, true, 700, 2000);   /* back: the first recovery */
    assert_false(ep.down);
    assert_true(ep.recovering);
    assert_int_equal(ep.epoch, 1);
    for (int i = 0; i < HOOK_DOWN_AFTER; i++)     /* down again: the recovery stops */
        hook_endpoint_result(&ep, false, 800, 2000);
    assert_true(ep.down);
    assert_false(ep.recovering);
    hook_endpoint_result(&ep, true, 900, 2000);   /* within the gap: stays down */
    assert_true(ep.down);
    assert_false(ep.recovering);
    hook_endpoint_result(&ep, true, 2700, 2000);  /* a later success after the gap */
    assert_true(ep.recovering);
    assert_int_equal(ep.epoch, 2);
}

static void test_table_evicts_oldest(void **state)
{
    (void)state;
    hook_endpoints t = {0};
    char key[32];
    for (int i = 0; i < HOOK_ENDPOINTS; i++) {
        snprintf(key, sizeof key, "http://h%d:80", i);
        hook_endpoints_get(&t, key, 10 + i)->fails_in_row = i + 1;
    }
    hook_endpoint *a = hook_endpoints_get(&t, "http://h0:80", 100);   /* used again */
    assert_int_equal(a->fails_in_row, 1);
    hook_endpoint *n = hook_endpoints_get(&t, "http://new:80", 101);  /* evicts h1 */
    assert_int_equal(n->fails_in_row, 0);
    assert_string_equal(n->key, "http://new:80");
    assert_int_equal(hook_endpoints_get(&t, "http://h1:80", 102)->fails_in_row, 0);
    assert_int_equal(hook_endpoints_get(&t, "http://h0:80", 103)->fails_in_row, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_down_then_back),
        cmocka_unit_test(test_table_evicts_oldest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
