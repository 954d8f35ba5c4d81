/* The registry client's Bearer token cache against a real docker-registry with token auth
 * (label registry): the tests' token server (tests/support/token_server.py) signs tokens
 * the registry trusts; regfx_token_rotate makes the registry refuse every token issued so
 * far (it restarts it trusting a new certificate), which is how a cached token goes bad
 * here. A 401 to a cached token drops it and fetches one new token, once: then the request
 * succeeds, or — when the new token is refused too — it is an error with the 401, not a
 * loop. A blob stream refused the same way drops its token, so the next attempt (the job's
 * retry) fetches a new one. */
#include "test.h"

#include <curl/curl.h>

#include "berth/error.h"
#include "registry/registry.h"
#include "registry_fixture.h"

static reg_fixture reg;
static char layer[80];

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (regfx_start(&reg, RF_TOKEN) != 0)
        return -1;
    char *bytes = regfx_bytes(5000, 31), body[512], d[80], cfg[80];
    regfx_push_blob(&reg, "lib/a", bytes, 5000, layer);
    regfx_push_blob(&reg, "lib/a", "{}", 2, cfg);
    free(bytes);
    snprintf(body, sizeof body, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker."
             "distribution.manifest.v2+json\",\"config\":{\"mediaType\":\"application/vnd.docker."
             "container.image.v1+json\",\"size\":2,\"digest\":\"%s\"},\"layers\":[{\"mediaType\":"
             "\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":5000,\"digest\":"
             "\"%s\"}]}", cfg, layer);
    regfx_push_manifest(&reg, "lib/a", "v1", "application/vnd.docker.distribution.manifest.v2+json",
                        body, d);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    regfx_stop(&reg);
    curl_global_cleanup();
    return 0;
}

static reg_client *client(void)
{
    reg_settings s = {.url = reg.url, .username = RF_USER, .password = RF_PASS, .timeout_s = 30};
    reg_client *c = NULL;
    char err[256];
    assert_int_equal(reg_client_new(&s, &c, err, sizeof err), 0);
    return c;
}

static void head_ok(reg_client *c)
{
    bool exists = false;
    int rc = reg_manifest_head(c, "lib/a", "v1", &exists, NULL, NULL);
    if (rc != 0)
        fprintf(stderr, "HEAD: %s\n", reg_client_error(c));
    assert_int_equal(rc, 0);
    assert_true(exists);
}

static void test_refused_cached_token_is_fetched_again_once(void **state)
{
    (void)state;
    reg_client *c = client();
    head_ok(c);
    int n = regfx_token_requests(&reg);
    head_ok(c);   /* the same scope: the cached token, no request to the token server */
    assert_int_equal(regfx_token_requests(&reg), n);

    /* the registry now refuses the cached token: one 401, one new token, success */
    assert_int_equal(regfx_token_rotate(&reg, true), 0);
    head_ok(c);
    assert_int_equal(regfx_token_requests(&reg), n + 1);
    head_ok(c);   /* and the new one is cached */
    assert_int_equal(regfx_token_requests(&reg), n + 1);

    /* the new token is refused as well: the 401 is the answer, after exactly one refetch */
    assert_int_equal(regfx_token_rotate(&reg, false), 0);
    bool exists = true;
    assert_int_equal(reg_manifest_head(c, "lib/a", "v1", &exists, NULL, NULL), BERTH_EIO);
    assert_false(exists);
    assert_int_equal(reg_client_status(c), 401);
    assert_non_null(strstr(reg_client_error(c), "http status code: 401"));
    assert_int_equal(regfx_token_requests(&reg), n + 2);
    reg_client_free(c);
    assert_int_equal(regfx_token_rotate(&reg, true), 0);   /* good tokens for the next test */
}

static void test_refused_token_in_a_blob_stream(void **state)
{
    (void)state;
    reg_client *src = client(), *dst = client();
    bool exists = false;
    assert_int_equal(reg_blob_head(src, "lib/a", layer, &exists), 0);   /* caches lib/a:pull */
    assert_true(exists);
    assert_int_equal(regfx_token_rotate(&reg, true), 0);
    int n = regfx_token_requests(&reg);
    /* the source GET goes out with the stale token: refused, and the token dropped */
    assert_int_equal(reg_blob_copy(src, "lib/a", dst, "lib/b", layer, 5000, NULL), BERTH_EIO);
    assert_non_null(strstr(reg_client_error(dst), "401"));
    /* the next attempt fetches a new source token and copies */
    int rc = reg_blob_copy(src, "lib/a", dst, "lib/b", layer, 5000, NULL);
    if (rc != 0)
        fprintf(stderr, "copy: %s\n", reg_client_error(dst));
    assert_int_equal(rc, 0);
    assert_true(regfx_token_requests(&reg) > n);
    assert_int_equal(reg_blob_head(dst, "lib/b", layer, &exists), 0);
    assert_true(exists);
    reg_client_free(src);
    reg_client_free(dst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_cached_token_is_fetched_again_once),
        cmocka_unit_test(test_refused_token_in_a_blob_stream),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
