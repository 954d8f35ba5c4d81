/* REPLICATION end to end against real registries (label registry): Debian's docker-registry
 * started three times on loopback — no auth (the source), htpasswd Basic, and token auth
 * with the tests' own token server (tests/support/token_server.py) — images seeded through
 * the Registry v2 API (a schema 2 manifest, an OCI manifest, an OCI index of two platforms,
 * a layer larger than the chunk size), jobs launched through berthd's API with a status hook,
 * and every manifest and blob at the destination checked against the source's digest.
 * Also a signed schema 1 manifest and an image with a foreign layer, copied between two
 * real registries. tests/registry/test_replication_errors.c covers the bad inputs. */
#include "test.h"

#include <jansson.h>

#include "api_fixture.h"
#include "berth/jobs.h"
#include "engine_fixture.h"
#include "hook_receiver.h"
#include "registry_fixture.h"
#include "replication_helpers.h"
#include "wait.h"

static void test_copy_to_basic(void **state)
{
    (void)state;
    hook_receiver *hr = hr_start();
    char *id = repl_launch_hooked(rh_src_image("lib/app", RH_TAGS), "docker-registry", &rh.basic,
                                  "mirror/app", false, 0, false, hr_port(hr));
    repl_wait(id, "Success", 60000);
    assert_int_equal(hr_wait(hr, 2, 10000), 2);
    char *b[2] = {0};
    hr_delivered(hr, b, 2);
    assert_non_null(strstr(b[0], "\"status\":\"Running\""));
    assert_non_null(strstr(b[1], "\"status\":\"Success\""));
    free(b[0]), free(b[1]);
    hr_stop(hr);
    repl_log_has(id, "client for source registry [type: docker-registry, URL: ");
    repl_log_has(id, "copying lib/app:[v1,oci,multi,dlist](source registry) to "
                     "mirror/app:[v1,oci,multi,dlist](destination registry)...");
    repl_log_has(id, "copy lib/app:[v1,oci,multi,dlist](source registry) to "
                     "mirror/app:[v1,oci,multi,dlist](destination registry) completed");
    repl_log_has(id, "the manifest of artifact mirror/app:multi pushed");
    for (int i = 0; i < RH_NTAGS; i++)
        rh_verify(&rh.plain, "lib/app", &rh.basic, "mirror/app", rh_tags[i]);
    free(id);

    /* the same again: everything is there already */
    id = repl_launch(rh_src_image("lib/app", RH_TAGS), "docker-registry", &rh.basic,
                     "mirror/app", false, 0, false);
    repl_wait(id, "Success", 60000);
    repl_log_has(id, "the artifact mirror/app:v1 already exists on the destination registry, skip");
    repl_log_lacks(id, "copying the blob");
    free(id);
}

static void test_override(void **state)
{
    (void)state;
    char other[80];
    rh_push_small_image(&rh.basic, "mirror/keep", "v1", 99, other);
    char *id = repl_launch(rh_src_image("lib/app", "v1"), "docker-registry", &rh.basic,
                           "mirror/keep", false, 0, false);
    repl_wait(id, "Success", 60000);
    repl_log_has(id, "the same name artifact mirror/keep:v1 exists on the destination registry, "
                     "but the \"override\" is set to false, skip");
    char d[80];
    assert_int_equal(regfx_request(&rh.basic, "HEAD", "/v2/mirror/keep/manifests/v1", NULL, NULL,
                                   d, NULL), 200);
    assert_string_equal(d, other);
    free(id);

    id = repl_launch(rh_src_image("lib/app", "v1"), "docker-registry", &rh.basic, "mirror/keep",
                     true, 0, false);
    repl_wait(id, "Success", 60000);
    repl_log_has(id, "the same name artifact mirror/keep:v1 exists on the destination registry "
                     "and the \"override\" is set to true, continue...");
    rh_verify(&rh.plain, "lib/app", &rh.basic, "mirror/keep", "v1");
    free(id);
}

static void test_copy_by_chunk(void **state)
{
    (void)state;
    char *id = repl_launch(rh_src_image("lib/app", RH_TAGS), "docker-registry", &rh.basic,
                           "mirror/chunked", false, 0, true);
    repl_wait(id, "Success", 60000);
    char line[256];
    snprintf(line, sizeof line, "copying the blob chunk: 0-%d/%d", RH_CHUNK - 1, RH_BIG);
    repl_log_has(id, line);
    snprintf(line, sizeof line, "copy the blob chunk: %d-%d/%d completed", 2 * RH_CHUNK,
             RH_BIG - 1, RH_BIG);
    repl_log_has(id, line);
    repl_log_has(id, "by chunk completed");
    for (int i = 0; i < RH_NTAGS; i++)
        rh_verify(&rh.plain, "lib/app", &rh.basic, "mirror/chunked", rh_tags[i]);
    free(id);
}

static void test_speed_limit(void **state)
{
    (void)state;
    /* 4000 → 512,000 bytes/s after a 1,024,000-byte burst: the 2.5 MiB layer takes ≥ 3 s
     * at Harbor's rate; a run that ignored the limit would take well under a second. */
    long long t0 = wait_now_ms();
    char *id = repl_launch(rh_src_image("lib/app", "v1"), "docker-registry", &rh.basic,
                           "mirror/slow", false, 4000, false);
    repl_wait(id, "Success", 60000);
    long long took = wait_now_ms() - t0;
    repl_log_has(id, "limit network speed at 4000 kb/s");
    fprintf(stderr, "speed limit: %lld ms for %d bytes\n", took, RH_BIG);
    assert_true(took >= (RH_BIG - 1024000) * 1000LL / 512000 - 300);
    rh_verify(&rh.plain, "lib/app", &rh.basic, "mirror/slow", "v1");
    free(id);
}

static void test_deletion(void **state)
{
    (void)state;
    char *id = repl_launch(rh_src_image("lib/app", "oci"), "docker-registry", &rh.basic,
                           "mirror/del", false, 0, false);
    repl_wait(id, "Success", 60000);
    free(id);
    id = repl_launch_ex(rh_src_image("lib/app", "oci"), "docker-registry", &rh.basic,
                        "mirror/del", false, 0, false, RH_DELETE);
    repl_wait(id, "Success", 60000);
    repl_log_has(id, "the manifest of artifact mirror/del:oci is deleted");
    assert_int_equal(regfx_request(&rh.basic, "HEAD", "/v2/mirror/del/manifests/oci", NULL, NULL,
                                   NULL, NULL), 404);
    free(id);
    /* again: nothing left to delete */
    id = repl_launch_ex(rh_src_image("lib/app", "oci"), "docker-registry", &rh.basic,
                        "mirror/del", false, 0, false, RH_DELETE);
    repl_wait(id, "Success", 60000);
    repl_log_has(id, "the artifact mirror/del:oci doesn't exist on the destination registry, skip");
    free(id);
    /* tag deletion: docker-registry cannot */
    id = repl_launch_ex(rh_src_image("lib/app", "oci"), "docker-registry", &rh.basic,
                        "mirror/del", false, 0, false, RH_DELETE_TAG);
    repl_wait_runs(id, "failed to delete the tag mirror/del:oci on the destination registry: "
                       "the tag deletion isn't supported", 3);
    free(id);
}

static void test_copy_with_token_auth(void **state)
{
    (void)state;
    int before = regfx_token_requests(&rh.token);
    char *id = repl_launch(rh_src_image("lib/app", RH_TAGS), "docker-registry", &rh.token,
                           "mirror/app", false, 0, false);
    repl_wait(id, "Success", 60000);
    int fetched = regfx_token_requests(&rh.token) - before;   /* before rh_verify's own */
    for (int i = 0; i < RH_NTAGS; i++)
        rh_verify(&rh.plain, "lib/app", &rh.token, "mirror/app", rh_tags[i]);
    /* tokens are cached per scope set: pull (HEAD), pull,push (uploads, PUT) — a handful,
     * not one per request (the copy makes dozens) */
    fprintf(stderr, "token requests: %d\n", fetched);
    assert_true(fetched >= 2 && fetched <= 4);
    free(id);
    /* and from the token registry to the plain one */
    id = repl_launch(rh_resource("mirror/app", RH_TAGS, "docker-registry", &rh.token, false,
                                 RH_COPY),
                     "docker-registry", &rh.plain, "back/app", false, 0, false);
    repl_wait(id, "Success", 60000);
    for (int i = 0; i < RH_NTAGS; i++)
        rh_verify(&rh.token, "mirror/app", &rh.plain, "back/app", rh_tags[i]);
    free(id);
}

/* Against real registries on both sides: docker-registry 2.8 stores schema 1 and foreign
 * layers once the fixture's config allows them (tests/support/registry_fixture.c). */
static void test_schema1_and_foreign_layers(void **state)
{
    (void)state;
    char foreign[80];
    rh_push_schema1_image(&rh.plain, "lib/old", "s1");
    rh_push_foreign_image(&rh.plain, "lib/old", "win", foreign);
    char *id = repl_launch(rh_src_image("lib/old", "s1,win"), "docker-registry", &rh.basic,
                           "mirror/old", false, 0, false);
    repl_wait(id, "Success", 60000);
    char want[160];
    snprintf(want, sizeof want, "the layer %s is a foreign layer, skip", foreign);
    repl_log_has(id, want);
    repl_log_has(id, "the manifest of artifact mirror/old:s1 pushed");
    repl_log_has(id, "the manifest of artifact mirror/old:win pushed");
    /* byte for byte with the source's digest and content type; the schema 1 layer copied,
     * the foreign layer absent at the destination */
    rh_verify(&rh.plain, "lib/old", &rh.basic, "mirror/old", "s1");
    rh_verify(&rh.plain, "lib/old", &rh.basic, "mirror/old", "win");
    char ct[128];
    assert_int_equal(regfx_request(&rh.basic, "HEAD", "/v2/mirror/old/manifests/s1", NULL, NULL,
                                   NULL, ct), 200);
    assert_string_equal(ct, "application/vnd.docker.distribution.manifest.v1+prettyjws");
    free(id);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *p = calloc(1, 65536);
    size_t n = fread(p, 1, 65535, f);
    p[n] = '\0';
    fclose(f);
    return p;
}

static void test_tls(void **state)
{
    (void)state;
    reg_fixture tls;
    assert_int_equal(regfx_start(&tls, RF_TLS), 0);
    /* verification is on by default: a self-signed certificate is refused */
    char *id = repl_launch_tls(rh_src_image("lib/app", "oci"), tls.url, false, NULL, "mirror/t1");
    repl_wait_runs(id, "SSL certificate problem", 3);
    free(id);
    /* insecure: no verification */
    id = repl_launch_tls(rh_src_image("lib/app", "oci"), tls.url, true, NULL, "mirror/t2");
    repl_wait(id, "Success", 60000);
    rh_verify(&rh.plain, "lib/app", &tls, "mirror/t2", "oci");
    free(id);
    /* the endpoint's CA certificate: verified against it (insecure false) */
    char *pem = slurp(tls.cert);
    id = repl_launch_tls(rh_src_image("lib/app", "oci"), tls.url, false, pem, "mirror/t3");
    repl_wait(id, "Success", 60000);
    rh_verify(&rh.plain, "lib/app", &tls, "mirror/t3", "oci");
    free(id);
    free(pem);
    regfx_stop(&tls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_to_basic),
        cmocka_unit_test(test_override),
        cmocka_unit_test(test_copy_by_chunk),
        cmocka_unit_test(test_speed_limit),
        cmocka_unit_test(test_deletion),
        cmocka_unit_test(test_copy_with_token_auth),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_schema1_and_foreign_layers),
    };
    return cmocka_run_group_tests(tests, rh_setup, rh_teardown);
}
