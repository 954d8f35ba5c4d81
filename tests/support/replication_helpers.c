/* Helpers of the REPLICATION tests; see replication_helpers.h. */
#include "test.h"

#include <jansson.h>

#include "api_fixture.h"
#include "berth/jobs.h"
#include "engine_fixture.h"
#include "replication_helpers.h"
#include "wait.h"

rh_state rh;
const char *const rh_tags[RH_NTAGS] = {"v1", "oci", "multi", "dlist"};

#define MT_S2 "application/vnd.docker.distribution.manifest.v2+json"
#define MT_OCI "application/vnd.oci.image.manifest.v1+json"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_S1 "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define MT_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

/* ---- seeding ------------------------------------------------------------------------------ */

/* A blob of n seeded bytes; digest out. */
static void blob(reg_fixture *fx, const char *repo, size_t n, unsigned seed, char d[80])
{
    char *p = regfx_bytes(n, seed);
    regfx_push_blob(fx, repo, p, n, d);
    free(p);
}

/* An image manifest (schema 2 or OCI) with a config and the given layers. */
static void image(reg_fixture *fx, const char *repo, const char *ref, const char *mt,
                  const size_t *sizes, int nlayers, unsigned seed, char d[80], size_t *len)
{
    char cfg[256], cd[80], ld[80];
    int cl = snprintf(cfg, sizeof cfg, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":%u}",
                      seed);
    regfx_push_blob(fx, repo, cfg, (size_t)cl, cd);
    bool oci = strcmp(mt, MT_OCI) == 0;
    char body[4096];
    int k = snprintf(body, sizeof body, "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":"
                     "{\"mediaType\":\"%s\",\"size\":%d,\"digest\":\"%s\"},\"layers\":[", mt,
                     oci ? "application/vnd.oci.image.config.v1+json"
                         : "application/vnd.docker.container.image.v1+json", cl, cd);
    for (int i = 0; i < nlayers; i++) {
        blob(fx, repo, sizes[i], seed * 10 + (unsigned)i, ld);
        k += snprintf(body + k, sizeof body - (size_t)k,
                      "%s{\"mediaType\":\"%s\",\"size\":%zu,\"digest\":\"%s\"}", i ? "," : "",
                      oci ? "application/vnd.oci.image.layer.v1.tar+gzip"
                          : "application/vnd.docker.image.rootfs.diff.tar.gzip", sizes[i], ld);
    }
    snprintf(body + k, sizeof body - (size_t)k, "]}");
    regfx_push_manifest(fx, repo, ref, mt, body, d);
    if (len)
        *len = strlen(body);
}

static void seed_source(void)
{
    char d[80], a[80], b[80];
    size_t v1[] = {2000, RH_BIG}, one[] = {3000};
    image(&rh.plain, "lib/app", "v1", MT_S2, v1, 2, 1, d, NULL);
    image(&rh.plain, "lib/app", "oci", MT_OCI, one, 1, 2, d, NULL);
    size_t la, lb, l3[] = {1500}, l4[] = {1700};
    image(&rh.plain, "lib/app", "amd64-tmp", MT_OCI, l3, 1, 3, a, &la);
    image(&rh.plain, "lib/app", "arm64-tmp", MT_OCI, l4, 1, 4, b, &lb);
    char index[1024];
    snprintf(index, sizeof index,
             "{\"schemaVersion\":2,\"mediaType\":\"" MT_INDEX "\",\"manifests\":["
             "{\"mediaType\":\"" MT_OCI "\",\"size\":%zu,\"digest\":\"%s\",\"platform\":"
             "{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
             "{\"mediaType\":\"" MT_OCI "\",\"size\":%zu,\"digest\":\"%s\",\"platform\":"
             "{\"architecture\":\"arm64\",\"os\":\"linux\"}}]}", la, a, lb, b);
    regfx_push_manifest(&rh.plain, "lib/app", "multi", MT_INDEX, index, d);
    size_t l5[] = {1100}, l6[] = {1300};
    image(&rh.plain, "lib/app", "s2-amd64-tmp", MT_S2, l5, 1, 5, a, &la);
    image(&rh.plain, "lib/app", "s2-arm-tmp", MT_S2, l6, 1, 6, b, &lb);
    snprintf(index, sizeof index,
             "{\"schemaVersion\":2,\"mediaType\":\"" MT_LIST "\",\"manifests\":["
             "{\"mediaType\":\"" MT_S2 "\",\"size\":%zu,\"digest\":\"%s\",\"platform\":"
             "{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
             "{\"mediaType\":\"" MT_S2 "\",\"size\":%zu,\"digest\":\"%s\",\"platform\":"
             "{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}}]}", la, a, lb, b);
    regfx_push_manifest(&rh.plain, "lib/app", "dlist", MT_LIST, index, d);
}

void rh_push_small_image(reg_fixture *fx, const char *repo, const char *tag, unsigned seed,
                         char digest[80])
{
    size_t one[] = {777};
    image(fx, repo, tag, MT_S2, one, 1, seed, digest, NULL);
}

void rh_push_schema1_image(reg_fixture *fx, const char *repo, const char *tag)
{
    /* docker-registry converts a schema 2 image pulled by tag for a client that accepts only
     * schema 1, signing it with its own key: that signed manifest is pushed back as tag */
    char ld[80], cd[80], tmp[96], path[512], d[80];
    blob(fx, repo, 1900, 71, ld);
    char cfg[512];
    int cl = snprintf(cfg, sizeof cfg, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
                      "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]},\"history\":"
                      "[{\"created\":\"2020-01-01T00:00:00Z\",\"created_by\":\"seed\"}]}", ld);
    regfx_push_blob(fx, repo, cfg, (size_t)cl, cd);
    char body[1024];
    snprintf(body, sizeof body, "{\"schemaVersion\":2,\"mediaType\":\"" MT_S2 "\",\"config\":"
             "{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":%d,"
             "\"digest\":\"%s\"},\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs."
             "diff.tar.gzip\",\"size\":1900,\"digest\":\"%s\"}]}", cl, cd, ld);
    snprintf(tmp, sizeof tmp, "%s-s2-tmp", tag);
    regfx_push_manifest(fx, repo, tmp, MT_S2, body, d);
    snprintf(path, sizeof path, "/v2/%s/manifests/%s", repo, tmp);
    char *s1 = NULL, ct[128];
    assert_int_equal(regfx_request_accept(fx, "GET", path, MT_S1, &s1, NULL, NULL, ct), 200);
    assert_string_equal(ct, MT_S1);
    regfx_push_manifest(fx, repo, tag, MT_S1, s1, d);
    free(s1);
}

void rh_push_foreign_image(reg_fixture *fx, const char *repo, const char *tag,
                           char foreign[80])
{
    char cd[80], ld[80], d[80];
    char cfg[] = "{\"architecture\":\"amd64\",\"os\":\"windows\"}";
    regfx_push_blob(fx, repo, cfg, strlen(cfg), cd);
    blob(fx, repo, 2100, 72, ld);
    regfx_sha256("a base layer that only its URL serves", 37, foreign);
    char body[2048];
    snprintf(body, sizeof body, "{\"schemaVersion\":2,\"mediaType\":\"" MT_S2 "\",\"config\":"
             "{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":%zu,"
             "\"digest\":\"%s\"},\"layers\":[{\"mediaType\":\"" MT_FOREIGN "\",\"size\":37,"
             "\"digest\":\"%s\",\"urls\":[\"https://example.com/base.tar.gz\"]},{\"mediaType\":"
             "\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":2100,\"digest\":"
             "\"%s\"}]}", strlen(cfg), cd, foreign, ld);
    regfx_push_manifest(fx, repo, tag, MT_S2, body, d);
}

int rh_setup(void **state)
{
    setenv("REPLICATION_CHUNK_SIZE", "1048576", 1);
    setenv("BERTH_REPLICATION_BACKOFF_MS", "20", 1);
    setenv("COPY_BLOB_RETRY_COUNT", "2", 1);
    setenv("COPY_CHUNK_RETRY_COUNT", "2", 1);
    api_fixture_extra_jobs = berth_jobs_register_replication;
    if (api_fixture_setup(state) != 0 || regfx_start(&rh.plain, RF_NOAUTH) != 0 ||
        regfx_start(&rh.basic, RF_BASIC) != 0 || regfx_start(&rh.token, RF_TOKEN) != 0)
        return -1;
    seed_source();
    return 0;
}

int rh_teardown(void **state)
{
    regfx_stop(&rh.plain);
    regfx_stop(&rh.basic);
    regfx_stop(&rh.token);
    return api_fixture_teardown(state);
}

/* ---- launch bodies ------------------------------------------------------------------------ */

static json_t *registry_at(const char *type, const char *url, const char *user,
                           const char *pass)
{
    return json_pack("{s:i,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s},s:b,s:s}", "id", 1, "name", "r",
                     "type", type, "url", url, "token_service_url", "", "credential", "type",
                     "basic", "access_key", user, "access_secret", pass, "insecure", 0,
                     "status", "healthy");
}

static json_t *registry_doc(const char *type, const reg_fixture *fx)
{
    bool creds = fx->auth != RF_NOAUTH;
    return registry_at(type, fx->url, creds ? RF_USER : "", creds ? RF_PASS : "");
}

char *rh_resource(const char *repo, const char *tags, const char *type, const reg_fixture *fx,
                  bool override, rh_mode mode)
{
    bool creds = fx->auth != RF_NOAUTH;
    return rh_resource_at(repo, tags, type, fx->url, creds ? RF_USER : "", creds ? RF_PASS : "",
                          override, mode);
}

char *rh_resource_at(const char *repo, const char *tags, const char *type, const char *url,
                     const char *user, const char *pass, bool override, rh_mode mode)
{
    json_t *arts = json_array(), *tl = json_array();
    char copy[256];
    snprintf(copy, sizeof copy, "%s", tags);
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(tl, json_string(t));
    json_array_append_new(arts, json_pack("{s:s,s:s,s:n,s:o}", "type", "image", "digest", "",
                                          "labels", "tags", tl));
    json_t *o = json_pack("{s:s,s:{s:{s:s,s:n},s:o,s:n},s:o,s:n,s:b,s:b,s:b}", "type", "image",
                          "metadata", "repository", "name", repo, "metadata", "artifacts", arts,
                          "v_tags", "registry", registry_at(type, url, user, pass),
                          "extended_info",
                          "deleted", mode != RH_COPY, "is_delete_tag", mode == RH_DELETE_TAG,
                          "override", override);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

char *rh_src_image(const char *repo, const char *tags)
{
    return rh_resource(repo, tags, "docker-registry", &rh.plain, false, RH_COPY);
}

char *repl_launch_params(const char *params)
{
    size_t n = strlen(params) + 256;
    char *body = malloc(n);
    snprintf(body, n, "{\"job\":{\"name\":\"REPLICATION\",\"parameters\":%s,\"metadata\":{\"kind\":"
            "\"Generic\"}}}", params);
    char *id = af_launch(body);
    free(body);
    return id;
}

static char *launch_doc(char *src, json_t *dst_reg, const char *dst_repo, bool override,
                        int speed, bool by_chunk, rh_mode mode, int hook_port);

static char *launch(char *src, const char *dst_type, const reg_fixture *dst,
                    const char *dst_repo, bool override, int speed, bool by_chunk, rh_mode mode,
                    int hook_port)
{
    return launch_doc(src, registry_doc(dst_type, dst), dst_repo, override, speed, by_chunk,
                      mode, hook_port);
}

char *repl_launch_at(char *src, const char *dst_type, const char *url, const char *user,
                     const char *pass, const char *dst_repo, int speed, bool by_chunk)
{
    return launch_doc(src, registry_at(dst_type, url, user, pass), dst_repo, false, speed,
                      by_chunk, RH_COPY, 0);
}

char *repl_launch_tls(char *src, const char *url, bool insecure, const char *ca_pem,
                      const char *dst_repo)
{
    json_t *reg = registry_at("docker-registry", url, "", "");
    json_object_set_new(reg, "insecure", json_boolean(insecure));
    if (ca_pem)
        json_object_set_new(reg, "ca_certificate", json_string(ca_pem));
    return launch_doc(src, reg, dst_repo, false, 0, false, RH_COPY, 0);
}

char *repl_launch_at_mode(char *src, const char *dst_type, const char *url, const char *user,
                          const char *pass, const char *dst_repo, rh_mode mode)
{
    return launch_doc(src, registry_at(dst_type, url, user, pass), dst_repo, false, 0, false,
                      mode, 0);
}

static char *launch_doc(char *src, json_t *dst_reg, const char *dst_repo, bool override,
                        int speed, bool by_chunk, rh_mode mode, int hook_port)
{
    json_t *s = json_loads(src, 0, NULL);
    json_t *d = json_deep_copy(s);
    json_object_set_new(json_object_get(json_object_get(d, "metadata"), "repository"), "name",
                        json_string(dst_repo));
    json_object_set_new(d, "registry", dst_reg);
    json_object_set_new(d, "override", json_boolean(override));
    json_object_set_new(d, "deleted", json_boolean(mode != RH_COPY));
    json_object_set_new(d, "is_delete_tag", json_boolean(mode == RH_DELETE_TAG));
    char *dt = json_dumps(d, JSON_COMPACT);
    json_t *params = mode == RH_COPY
        ? json_pack("{s:s,s:s,s:i,s:b}", "src_resource", src, "dst_resource", dt, "speed", speed,
                    "copy_by_chunk", by_chunk)
        : json_pack("{s:s,s:s}", "src_resource", src, "dst_resource", dt);
    json_t *job = json_pack("{s:{s:s,s:o,s:{s:s}}}", "job", "name", "REPLICATION", "parameters",
                            params, "metadata", "kind", "Generic");
    if (hook_port > 0) {
        char hook[128];
        snprintf(hook, sizeof hook, "http://127.0.0.1:%d/service/notifications/tasks/7", hook_port);
        json_object_set_new(json_object_get(job, "job"), "status_hook", json_string(hook));
    }
    char *body = json_dumps(job, JSON_COMPACT);
    char *id = af_launch(body);
    free(body);
    free(dt);
    json_decref(job);
    json_decref(d);
    json_decref(s);
    free(src);
    return id;
}

char *repl_launch(char *src, const char *dst_type, const reg_fixture *dst, const char *dst_repo,
                  bool override, int speed, bool by_chunk)
{
    return launch(src, dst_type, dst, dst_repo, override, speed, by_chunk, RH_COPY, 0);
}

char *repl_launch_ex(char *src, const char *dst_type, const reg_fixture *dst,
                     const char *dst_repo, bool override, int speed, bool by_chunk, rh_mode mode)
{
    return launch(src, dst_type, dst, dst_repo, override, speed, by_chunk, mode, 0);
}

char *repl_launch_hooked(char *src, const char *dst_type, const reg_fixture *dst,
                         const char *dst_repo, bool override, int speed, bool by_chunk,
                         int hook_port)
{
    return launch(src, dst_type, dst, dst_repo, override, speed, by_chunk, RH_COPY, hook_port);
}

/* ---- waiting and logs ----------------------------------------------------------------------- */

static char *read_log(const char *id)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.log", af.logdir, id);
    FILE *f = fopen(path, "r");
    if (!f)
        return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = calloc(1, (size_t)n + 1);
    size_t got = fread(p, 1, (size_t)n, f);
    p[got] = '\0';
    fclose(f);
    return p;
}

int repl_log_count(const char *id, const char *text)
{
    char *log = read_log(id);
    int n = 0;
    for (const char *p = log; (p = strstr(p, text)); p += strlen(text))
        n++;
    free(log);
    return n;
}

static void dump_log(const char *id)
{
    char *log = read_log(id);
    size_t n = strlen(log);
    fprintf(stderr, "---- log of %s (last 6000 bytes) ----\n%s\n----\n", id,
            n > 6000 ? log + n - 6000 : log);
    free(log);
}

void repl_wait(const char *id, const char *want, int ms)
{
    if (af_wait_status(id, want, ms))
        return;
    dump_log(id);
    fail();
}

typedef struct log_wait {
    const char *id, *text;
    int n, got;
} log_wait;

static bool logged(void *arg)
{
    log_wait *w = arg;
    w->got = repl_log_count(w->id, w->text);
    return w->got >= w->n;
}

int repl_wait_log_count(const char *id, const char *text, int n, int ms)
{
    log_wait w = {id, text, n, 0};
    wait_until(logged, &w, ms);
    return w.got;
}

void repl_wait_runs(const char *id, const char *text, int runs)
{
    if (repl_wait_log_count(id, text, runs, 60000) != runs) {
        fprintf(stderr, "job %s: '%s' %d times, want %d\n", id, text, repl_log_count(id, text),
                runs);
        dump_log(id);
        fail();
    }
    repl_wait(id, "Error", 10000);
}

void repl_log_has(const char *id, const char *text)
{
    if (repl_log_count(id, text) == 0) {
        fprintf(stderr, "log of %s lacks: %s\n", id, text);
        dump_log(id);
        fail();
    }
}

void repl_log_lacks(const char *id, const char *text)
{
    if (repl_log_count(id, text) != 0) {
        fprintf(stderr, "log of %s has: %s\n", id, text);
        dump_log(id);
        fail();
    }
}

/* ---- verification --------------------------------------------------------------------------- */

static void verify_blob(reg_fixture *dst, const char *dst_repo, const char *digest)
{
    char path[512], got[80];
    snprintf(path, sizeof path, "/v2/%s/blobs/%s", dst_repo, digest);
    char *body = NULL;
    size_t len = 0;
    long st = regfx_request(dst, "GET", path, &body, &len, NULL, NULL);
    if (st != 200)
        fprintf(stderr, "GET %s: %ld\n", path, st);
    assert_int_equal(st, 200);
    regfx_sha256(body, len, got);
    assert_string_equal(got, digest);
    free(body);
}

void rh_verify(reg_fixture *src, const char *src_repo, reg_fixture *dst, const char *dst_repo,
               const char *ref)
{
    char path[512], sd[80], dd[80], sct[128], dct[128];
    char *sb = NULL, *db = NULL;
    size_t sl = 0, dl = 0;
    snprintf(path, sizeof path, "/v2/%s/manifests/%s", src_repo, ref);
    assert_int_equal(regfx_request(src, "GET", path, &sb, &sl, sd, sct), 200);
    snprintf(path, sizeof path, "/v2/%s/manifests/%s", dst_repo, ref);
    long st = regfx_request(dst, "GET", path, &db, &dl, dd, dct);
    if (st != 200)
        fprintf(stderr, "GET %s on the destination: %ld\n", path, st);
    assert_int_equal(st, 200);
    assert_string_equal(dd, sd);
    assert_string_equal(dct, sct);
    json_t *m = json_loadb(sb, sl, 0, NULL);
    assert_non_null(m);
    if (strcmp(sct, MT_S1) == 0) {
        /* docker-registry signs a schema 1 manifest afresh on every GET (ECDSA): only its
         * payload — the digest, and the document without "signatures" — is stable */
        json_t *dm = json_loadb(db, dl, 0, NULL);
        assert_non_null(dm);
        json_object_del(dm, "signatures");
        json_t *sm = json_deep_copy(m);
        json_object_del(sm, "signatures");
        assert_true(json_equal(sm, dm));
        json_decref(sm), json_decref(dm);
    } else {
        assert_int_equal(dl, sl);
        assert_memory_equal(db, sb, sl);
    }
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(m, "manifests"), i, d)
        rh_verify(src, src_repo, dst, dst_repo, json_string_value(json_object_get(d, "digest")));
    json_t *cfg = json_object_get(m, "config");
    if (cfg)
        verify_blob(dst, dst_repo, json_string_value(json_object_get(cfg, "digest")));
    json_array_foreach(json_object_get(m, "layers"), i, d) {
        const char *mt = json_string_value(json_object_get(d, "mediaType"));
        const char *digest = json_string_value(json_object_get(d, "digest"));
        if (!mt || strcmp(mt, MT_FOREIGN) != 0) {
            verify_blob(dst, dst_repo, digest);
            continue;
        }
        /* a foreign layer is never copied (Harbor): absent at the destination */
        snprintf(path, sizeof path, "/v2/%s/blobs/%s", dst_repo, digest);
        assert_int_equal(regfx_request(dst, "HEAD", path, NULL, NULL, NULL, NULL), 404);
    }
    json_array_foreach(json_object_get(m, "fsLayers"), i, d)   /* schema 1 */
        verify_blob(dst, dst_repo, json_string_value(json_object_get(d, "blobSum")));
    json_decref(m);
    free(sb);
    free(db);
}
