/* The registry client's parsers and rules without a network (src/registry): WWW-Authenticate
 * challenges, Harbor's scopes per method and path, token replies and their expiry, media
 * types and digests, manifest references, relative Locations, and bad settings. The wire
 * behaviour is covered against real registries in tests/registry. */
#include "test.h"

#include "berth/error.h"
#include "registry/internal.h"
#include "util/alloc.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_challenges(void **state)
{
    (void)state;
    reg_challenge ch;
    reg_challenge_parse("Bearer realm=\"https://auth.example/token\",service=\"reg\","
                        "scope=\"repository:a/b:pull\"", &ch);
    assert_true(ch.bearer && !ch.basic && !ch.other);
    assert_string_equal(ch.realm, "https://auth.example/token");
    assert_string_equal(ch.service, "reg");
    reg_challenge_parse("basic realm=\"berth test\"", &ch);   /* scheme names: any case */
    assert_true(ch.basic && !ch.bearer);
    assert_string_equal(ch.realm, "berth test");
    assert_string_equal(ch.service, "");
    reg_challenge_parse("Basic realm=x, Bearer realm=\"r\\\"q\",service=s", &ch);   /* Bearer wins */
    assert_true(ch.basic && ch.bearer);
    assert_string_equal(ch.realm, "r\"q");
    assert_string_equal(ch.service, "s");
    reg_challenge_parse("Negotiate abc==", &ch);
    assert_true(ch.other && !ch.basic && !ch.bearer);
    assert_string_equal(ch.others, "Negotiate");
    reg_challenge_parse("", &ch);
    assert_true(!ch.other && !ch.basic && !ch.bearer);
    reg_challenge_parse(",,, = =\"", &ch);
    assert_true(!ch.other && !ch.basic && !ch.bearer);
}

static void scope_is(const char *method, const char *path, const char *want)
{
    char out[512];
    reg_scopes(method, path, out, sizeof out);
    assert_string_equal(out, want);
}

static void test_scopes(void **state)
{
    (void)state;
    scope_is("GET", "/v2/lib/app/manifests/v1", "repository:lib/app:pull");
    scope_is("HEAD", "/v2/a/blobs/sha256:" HEX64, "repository:a:pull");
    scope_is("PUT", "/v2/a/b/c/manifests/v1", "repository:a/b/c:pull,push");
    scope_is("PATCH", "/v2/a/blobs/uploads/uuid?_state=x", "repository:a:pull,push");
    scope_is("DELETE", "/v2/a/manifests/sha256:" HEX64, "repository:a:*");
    scope_is("POST", "/v2/dst/blobs/uploads/?mount=sha256:" HEX64 "&from=src/x",
             "repository:src/x:pull#repository:dst:pull,push");
    scope_is("GET", "/v2/a/tags/list", "repository:a:pull");
    scope_is("GET", "/v2/a/referrers/sha256:" HEX64, "repository:a:pull");
    scope_is("GET", "/v2/_catalog", "registry:catalog:*");
    scope_is("GET", "/v2/", "");
    scope_is("GET", "/api/v2.0/projects", "");
    /* a registry under a sub-path */
    scope_is("GET", "/sub/v2/a/manifests/v1", "repository:a:pull");
}

static void test_token_replies(void **state)
{
    (void)state;
    char *tok;
    int64_t exp;
    char err[128];
    int64_t now = 1796596800;   /* 2026-12-06T22:40:00Z */
    const char *b = "{\"token\":\"t1\",\"expires_in\":300,\"issued_at\":\"2026-12-06T22:40:00Z\"}";
    assert_int_equal(reg_token_parse(b, strlen(b), now, &tok, &exp, err, sizeof err), 0);
    assert_string_equal(tok, "t1");
    assert_int_equal(exp, now + 290);
    berth_free(tok);
    b = "{\"access_token\":\"t2\",\"expires_in\":60,\"issued_at\":"
                    "\"2026-12-06T23:39:00.5+01:00\"}";
    assert_int_equal(reg_token_parse(b, strlen(b), now, &tok, &exp, err, sizeof err), 0);
    assert_string_equal(tok, "t2");
    assert_int_equal(exp, now - 60 + 50);
    berth_free(tok);
    b = "{\"token\":\"t3\",\"expires_in\":300}";   /* no issued_at: never reused */
    assert_int_equal(reg_token_parse(b, strlen(b), now, &tok, &exp, err, sizeof err), 0);
    assert_int_equal(exp, 0);
    berth_free(tok);
    b = "{\"token\":\"t4\",\"expires_in\":300,\"issued_at\":\"2999-01-01T00:00:00Z\"}";
    assert_int_equal(reg_token_parse(b, strlen(b), now, &tok, &exp, err, sizeof err), 0);
    assert_int_equal(exp, now + 290);   /* ahead of our clock: counts as now */
    berth_free(tok);
    b = "{\"token\":\"a b\"}";
    assert_int_equal(reg_token_parse(b, strlen(b), now, &tok, &exp, err, sizeof err), BERTH_EINVAL);
    assert_null(tok);
    assert_int_equal(reg_token_parse("[1]", 3, now, &tok, &exp, err, sizeof err), BERTH_EINVAL);
    assert_string_equal(err, "token reply is not a JSON object");
}

static void test_media_and_digests(void **state)
{
    (void)state;
    assert_int_equal(reg_media_kind("application/vnd.oci.image.index.v1+json"), REG_MT_OCI_INDEX);
    assert_int_equal(reg_media_kind("application/vnd.docker.distribution.manifest.list.v2+json"),
                     REG_MT_DOCKER_LIST);
    assert_int_equal(reg_media_kind("application/vnd.oci.image.manifest.v1+json; charset=utf-8"),
                     REG_MT_OCI_MANIFEST);
    assert_int_equal(reg_media_kind("application/vnd.docker.distribution.manifest.v2+json"),
                     REG_MT_SCHEMA2);
    assert_int_equal(reg_media_kind("application/vnd.docker.distribution.manifest.v1+prettyjws"),
                     REG_MT_SCHEMA1);
    assert_int_equal(reg_media_kind(""), REG_MT_SCHEMA1);
    assert_int_equal(reg_media_kind("application/json"), REG_MT_SCHEMA1);
    assert_int_equal(reg_media_kind("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"),
                     REG_MT_FOREIGN);
    assert_int_equal(reg_media_kind("application/vnd.oci.image.layer.v1.tar+gzip"), REG_MT_OTHER);
    assert_true(reg_digest_valid("sha256:" HEX64));
    assert_true(reg_digest_valid("sha512:" HEX64 HEX64));
    assert_false(reg_digest_valid("sha256:" HEX64 "0"));
    assert_false(reg_digest_valid("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
    assert_false(reg_digest_valid("md5:" HEX64));
    char d[REG_DIGEST_MAX];
    reg__sha256("", 0, d);
    assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static int refs_of(const char *mt, const char *body, reg_desc **out, size_t *n, char *err)
{
    reg_manifest m = {.bytes = (char *)body, .len = strlen(body)};
    snprintf(m.media_type, sizeof m.media_type, "%s", mt);
    return reg_manifest_refs(&m, out, n, err, 256);
}

static void test_manifest_refs(void **state)
{
    (void)state;
    reg_desc *r;
    size_t n;
    char err[256];
    assert_int_equal(refs_of("application/vnd.docker.distribution.manifest.v2+json",
                             "{\"config\":{\"mediaType\":\"c\",\"size\":3,\"digest\":\"sha256:" HEX64
                             "\"},\"layers\":[{\"mediaType\":\"l\",\"size\":9,\"digest\":\"sha512:"
                             HEX64 HEX64 "\"}]}", &r, &n, err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].media_type, "c");   /* config first */
    assert_int_equal(r[1].size, 9);
    berth_free(r);
    assert_int_equal(refs_of("application/vnd.docker.distribution.manifest.v1+json",
                             "{\"fsLayers\":[{\"blobSum\":\"sha256:" HEX64 "\"}]}", &r, &n, err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].size, -1);
    berth_free(r);
    assert_int_equal(refs_of("application/vnd.oci.image.index.v1+json", "{\"manifests\":[]}", &r,
                             &n, err), 0);
    assert_int_equal(n, 0);
    /* bad ones */
    assert_int_equal(refs_of("application/vnd.oci.image.manifest.v1+json", "not json", &r, &n,
                             err), BERTH_EINVAL);
    assert_non_null(strstr(err, "manifest is not a JSON object"));
    assert_int_equal(refs_of("application/vnd.oci.image.manifest.v1+json", "{\"layers\":[]}", &r,
                             &n, err), BERTH_EINVAL);   /* no config */
    assert_int_equal(refs_of("application/vnd.oci.image.index.v1+json",
                             "{\"manifests\":[{\"digest\":\"sha256:../x\",\"size\":1}]}", &r, &n,
                             err), BERTH_EINVAL);
    assert_string_equal(err, "manifest: a descriptor has no valid digest");
    assert_int_equal(refs_of("application/vnd.oci.image.index.v1+json",
                             "{\"manifests\":[{\"digest\":\"sha256:" HEX64 "\",\"size\":-1}]}", &r,
                             &n, err), BERTH_EINVAL);
    assert_int_equal(refs_of("text/plain", "{}", &r, &n, err), BERTH_EINVAL);
    assert_null(r);
    assert_int_equal(n, 0);
}

static void test_client_settings(void **state)
{
    (void)state;
    reg_client *c = (reg_client *)1;
    char err[256];
    reg_settings s = {.url = "ftp://x"};
    assert_int_equal(reg_client_new(&s, &c, err, sizeof err), BERTH_EINVAL);
    assert_null(c);
    assert_string_equal(err, "invalid registry URL 'ftp://x': not http(s)");
    s.url = "http://127.0.0.1:5000/sub/";
    assert_int_equal(reg_client_new(&s, &c, err, sizeof err), 0);
    assert_string_equal(reg_client_url(c), "http://127.0.0.1:5000/sub");
    char out[512];
    reg__absolute(c, "/v2/a/blobs/uploads/u?_state=x", out, sizeof out);
    assert_string_equal(out, "http://127.0.0.1:5000/sub/v2/a/blobs/uploads/u?_state=x");
    reg__absolute(c, "https://other/v2/x", out, sizeof out);
    assert_string_equal(out, "https://other/v2/x");
    assert_int_equal(reg__url(c, out, sizeof out, "a/../b", "manifests", "v1"), BERTH_EINVAL);
    assert_string_equal(reg_client_error(c), "invalid repository name 'a/../b'");
    assert_int_equal(reg__url(c, out, sizeof out, "a/b", "manifests", "v1?x"), BERTH_EINVAL);
    assert_int_equal(reg__url(c, out, sizeof out, "a/b", "manifests", "v1"), 0);
    assert_string_equal(out, "http://127.0.0.1:5000/sub/v2/a/b/manifests/v1");
    reg_client_free(c);
    reg_client_free(NULL);
    reg_upload u;
    reg_upload_init(&u);
    assert_int_equal(u.end, -1);
    reg_upload_clear(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_challenges),
        cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_token_replies),
        cmocka_unit_test(test_media_and_digests),
        cmocka_unit_test(test_manifest_refs),
        cmocka_unit_test(test_client_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
