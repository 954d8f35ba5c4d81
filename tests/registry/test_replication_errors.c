/* REPLICATION's bad inputs and faults, each through berthd's API: the job ends Error after
 * Harbor's three runs with its reason in the job log, and the service is unharmed (a good
 * copy still works afterwards). Real registries wherever they can produce the fault; the
 * fake source registry (tests/support/fake_registry.c) only for what docker-registry never
 * serves: a manifest that is not JSON, one over 4 MiB, a connection closed mid-blob. Also:
 * a resumed chunked upload, and a stop honoured within 1 s in the middle of a blob. */
#include "test.h"

#include <jansson.h>
#include <unistd.h>

#include "api_fixture.h"
#include "engine_fixture.h"
#include "fake_registry.h"
#include "redis_fixture.h"
#include "replication_helpers.h"
#include "wait.h"

static fake_registry *fake;

static int setup(void **state)
{
    if (rh_setup(state) != 0)
        return -1;
    fake = fr_start();
    return 0;
}

static int teardown(void **state)
{
    fr_stop(fake);
    return rh_teardown(state);
}

static char *fake_src(const char *tag)
{
    return rh_resource_at("fake/app", tag, "docker-registry", fr_url(fake), "", "", false,
                          RH_COPY);
}

static void bad_params(const char *params, const char *reason)
{
    char *id = repl_launch_params(params);
    repl_wait_runs(id, reason, 3);
    free(id);
}

static void test_bad_parameters(void **state)
{
    (void)state;
    bad_params("{\"src_resource\":\"{not json\",\"dst_resource\":\"{}\"}",
               "failed to parse parameters: invalid JSON");
    bad_params("{\"dst_resource\":\"{}\"}", "failed to parse parameters: param src_resource not found");
    bad_params("{\"src_resource\":{},\"dst_resource\":\"{}\"}",
               "failed to parse parameters: the value of src_resource isn't string");
    char *src = rh_src_image("lib/app", "v1");
    char *dst = rh_resource("mirror/x", "v1", "docker-registry", &rh.basic, false, RH_COPY);
    json_t *p = json_pack("{s:s,s:s,s:s}", "src_resource", src, "dst_resource", dst, "speed",
                          "fast");
    char *text = json_dumps(p, JSON_COMPACT);
    bad_params(text, "failed to parse parameters: the value of speed isn't integer (string)");
    free(text);
    json_decref(p);
    free(dst);
    /* a resource type Harbor has no transfer for */
    char *helm = rh_src_image("lib/app", "v1");
    char *t = strstr(helm, "\"type\":\"image\"");
    assert_non_null(t);
    memcpy(t, "\"type\":\"chart\"", 14);
    p = json_pack("{s:s,s:s}", "src_resource", helm, "dst_resource", src);
    text = json_dumps(p, JSON_COMPACT);
    bad_params(text, "failed to get transfer factory: transfer factory for chart not found");
    free(text);
    json_decref(p);
    free(helm);
    free(src);
}

static void test_unknown_registry_type(void **state)
{
    (void)state;
    char *id = repl_launch(rh_src_image("lib/app", "v1"), "quay-like", &rh.basic, "mirror/x",
                           false, 0, false);
    repl_wait_runs(id, "failed to create client for destination registry: adapter factory for "
                       "quay-like not found", 3);
    free(id);
}

static void test_unreachable_registry(void **state)
{
    (void)state;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", redis_fixture_free_port());
    char *src = rh_resource_at("lib/app", "v1", "docker-registry", url, "", "", false, RH_COPY);
    char *id = repl_launch(src, "docker-registry", &rh.basic, "mirror/x", false, 0, false);
    repl_wait_runs(id, "failed to pull the manifest of artifact lib/app:v1: GET ", 3);
    repl_log_has(id, "Couldn't connect to server");
    repl_log_has(id, "got error during the whole transfer period, mark the job failure");
    free(id);
}

static void test_wrong_credentials(void **state)
{
    (void)state;
    char *id = repl_launch_at(rh_src_image("lib/app", "v1"), "docker-registry", rh.basic.url,
                              RF_USER, "not-the-password", "mirror/x", 0, false);
    repl_wait_runs(id, "failed to check the existence of the manifest of artifact mirror/x:v1 on "
                       "the destination registry: http status code: 401", 3);
    free(id);
    /* token registry: the token server refuses the credentials */
    id = repl_launch_at(rh_src_image("lib/app", "v1"), "docker-registry", rh.token.url, RF_USER,
                        "wrong", "mirror/x", 0, false);
    repl_wait_runs(id, "on the destination registry: http status code: 401, body: "
                       "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}", 3);
    free(id);
}

static void test_bad_manifests(void **state)
{
    (void)state;
    char *id = repl_launch(fake_src("notjson"), "docker-registry", &rh.basic, "mirror/x", false,
                           0, false);
    repl_wait_runs(id, "failed to pull the manifest of artifact fake/app:notjson: the manifest "
                       "is not a JSON object", 3);
    free(id);
    id = repl_launch(fake_src("huge"), "docker-registry", &rh.basic, "mirror/x", false, 0, false);
    repl_wait_runs(id, "failed to pull the manifest of artifact fake/app:huge: the manifest "
                       "fake/app:huge is over 4194304 bytes", 3);
    free(id);
}

static void test_blob_digest_mismatch(void **state)
{
    (void)state;
    char d[80], path[512];
    rh_push_small_image(&rh.plain, "lib/bad", "v1", 77, d);
    /* the layer's bytes on the source's disk are changed: its GET no longer hashes to it */
    char *m = NULL;
    assert_int_equal(regfx_request(&rh.plain, "GET", "/v2/lib/bad/manifests/v1", &m, NULL, NULL,
                                   NULL), 200);
    const char *layers = strstr(m, "\"layers\"");
    const char *ld = strstr(layers, "sha256:");
    char layer[80];
    snprintf(layer, sizeof layer, "%.71s", ld);
    free(m);
    regfx_blob_path(&rh.plain, layer, path, sizeof path);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fputc('X', f);
    fclose(f);
    char *id = repl_launch(rh_src_image("lib/bad", "v1"), "docker-registry", &rh.basic,
                           "mirror/bad", false, 0, false);
    char want[256];
    snprintf(want, sizeof want, "failed to pushing the blob %s, size 777: blob digest mismatch: "
             "expected %s, got sha256:", layer, layer);
    repl_wait_runs(id, want, 3 * 2);   /* two attempts per run (COPY_BLOB_RETRY_COUNT) */
    char head[256];
    snprintf(head, sizeof head, "/v2/mirror/bad/blobs/%s", layer);
    assert_int_equal(regfx_request(&rh.basic, "HEAD", head, NULL, NULL, NULL, NULL), 404);
    free(id);
}

static void test_connection_closed_mid_blob(void **state)
{
    (void)state;
    fr_cut(fake, 200000, 1000);
    char *id = repl_launch(fake_src("good"), "docker-registry", &rh.basic, "mirror/cut", false, 0,
                           false);
    char want[256];
    snprintf(want, sizeof want, "failed to pulling the blob %s: GET ", fr_layer_digest(fake));
    repl_wait_runs(id, want, 3 * 2);
    free(id);
    fr_cut(fake, 0, 0);
}

static void test_chunked_copy_resumes(void **state)
{
    (void)state;
    /* the first GET of the layer (the first chunk's range) closes after 300,000 bytes; the
     * registry keeps what it received, and the next attempt resumes from its Range */
    fr_cut(fake, 300000, 1);
    char *id = repl_launch(fake_src("good"), "docker-registry", &rh.basic, "mirror/resume",
                           false, 0, true);
    repl_wait(id, "Success", 60000);
    repl_log_has(id, "failed to pulling the blob chunk: 0-1048575/1572864, error: GET ");
    repl_log_has(id, "by chunk(chunkSize: 1048576)(the 2th running)...");
    repl_log_has(id, "-1572863/1572864 completed");   /* the last chunk, wherever it began */
    char path[256], got[80];
    snprintf(path, sizeof path, "/v2/mirror/resume/blobs/%s", fr_layer_digest(fake));
    char *body = NULL;
    size_t len = 0;
    assert_int_equal(regfx_request(&rh.basic, "GET", path, &body, &len, NULL, NULL), 200);
    regfx_sha256(body, len, got);
    assert_string_equal(got, fr_layer_digest(fake));
    free(body);
    free(id);
}

static void test_stop_mid_blob(void **state)
{
    (void)state;
    /* 800 → 102,400 bytes/s after the burst: the 2.5 MiB layer would take ~16 s */
    char *id = repl_launch(rh_src_image("lib/app", "v1"), "docker-registry", &rh.basic,
                           "mirror/stopped", false, 800, false);
    assert_true(repl_wait_log_count(id, "copying the blob sha256:", 3, 30000) >= 3);
    wait_sleep_ms(1500);   /* the test's input: a stop well inside the big layer's transfer */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", id);
    long long t0 = wait_now_ms();
    hc_resp r = af_post(path, "{\"action\":\"stop\"}");
    assert_int_equal(r.status, 204);
    hc_resp_free(&r);
    assert_int_equal(repl_wait_log_count(id, "the job is stopped", 1, 5000), 1);
    long long took = wait_now_ms() - t0;
    fprintf(stderr, "stop mid-blob: the job saw it after %lld ms\n", took);
    assert_true(took < 1000);
    repl_wait(id, "Stopped", 5000);
    assert_int_equal(regfx_request(&rh.basic, "HEAD", "/v2/mirror/stopped/manifests/v1", NULL,
                                   NULL, NULL, NULL), 404);
    free(id);
}

static void test_errors_collected_per_reference(void **state)
{
    (void)state;
    /* the first reference is missing: logged, remembered, and the second still copied */
    char *id = repl_launch(rh_src_image("lib/app", "nosuch,oci"), "docker-registry", &rh.basic,
                           "mirror/partial", false, 0, false);
    repl_wait_runs(id, "failed to pull the manifest of artifact lib/app:nosuch: http status "
                       "code: 404", 3);
    repl_log_has(id, "the manifest of artifact mirror/partial:oci pushed");
    rh_verify(&rh.plain, "lib/app", &rh.basic, "mirror/partial", "oci");
    free(id);
}

static void test_service_unharmed(void **state)
{
    (void)state;
    hc_resp r = af_get("/api/v1/stats");
    assert_int_equal(r.status, 200);
    hc_resp_free(&r);
    char *id = repl_launch(rh_src_image("lib/app", "oci"), "docker-registry", &rh.basic,
                           "mirror/after", false, 0, false);
    repl_wait(id, "Success", 60000);
    rh_verify(&rh.plain, "lib/app", &rh.basic, "mirror/after", "oci");
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_parameters),
        cmocka_unit_test(test_unknown_registry_type),
        cmocka_unit_test(test_unreachable_registry),
        cmocka_unit_test(test_wrong_credentials),
        cmocka_unit_test(test_bad_manifests),
        cmocka_unit_test(test_blob_digest_mismatch),
        cmocka_unit_test(test_connection_closed_mid_blob),
        cmocka_unit_test(test_chunked_copy_resumes),
        cmocka_unit_test(test_stop_mid_blob),
        cmocka_unit_test(test_errors_collected_per_reference),
        cmocka_unit_test(test_service_unharmed),
    };
    /* RH_ONLY=<name>: run one test (development) */
    const char *only = getenv("RH_ONLY");
    struct CMUnitTest sel[sizeof tests / sizeof *tests];
    size_t n = 0;
    for (size_t i = 0; i < sizeof tests / sizeof *tests; i++)
        if (!only || strcmp(only, tests[i].name) == 0)
            sel[n++] = tests[i];
    return _cmocka_run_group_tests("replication_errors", sel, n, setup, teardown);
}
