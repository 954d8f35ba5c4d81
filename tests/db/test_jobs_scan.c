/* IMAGE_SCAN through berthd's API (spec harbor-jobs §8), launched as Harbor core launches it,
 * against real parts where they exist here: a real PostgreSQL 15 holding Harbor's report
 * tables (tests/support/pg_fixture), a real docker-registry (tests/support/registry_fixture,
 * htpasswd Basic auth standing for the robot account) that receives the SBOM accessory, and
 * a real Redis behind the engine.
 *
 * FAKES, because the real thing cannot run here:
 *   - the scanner adapter: no scanner adapter (Trivy's, Clair's, …) is packaged for Debian
 *     12, so tests/support/http_fake plays one on loopback, speaking the Pluggable Scanner
 *     API v1 (POST /api/v1/scan → 202 {"id"}, GET /api/v1/scan/{id}/report → 302 with
 *     Refresh-After once, then 200 with the report in the asked MIME type);
 *   - Harbor core's token service (GET /service/token), a fake answering a token for the
 *     robot's Basic credentials as core does.
 *
 * Checked: the requests on the wire (adapter auth, the scan request with the registry
 * authorization, the MIME types, the "not ready" wait), the rows written (counts and summary
 * on scan_report, vulnerability_record values, one link per distinct record, an existing
 * record refreshed), the SBOM accessory in the registry and its sbom_report summary, Harbor's
 * log lines, and faults — adapter 500, garbage report, never ready (the timeout is shortened
 * for the test), a report over the size cap, the database down, a failure inside the
 * transaction — each an Error with its reason in the log and nothing written; a stop seen
 * within a second; launch-time validation. */
#include "test.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>

#include "api_fixture.h"
#include "engine_fixture.h"
#include "http_fake.h"
#include "jobs/scan.h"
#include "pg_fixture.h"
#include "registry_fixture.h"
#include "wait.h"

#define VULN_MIME "application/vnd.security.vulnerability.report; version=1.1"
#define SBOM_MIME "application/vnd.security.sbom.report+json; version=1.0"
#define REPO "library/nginx"
#define REG_UUID "reg-uuid-1"
#define ROBOT RF_USER   /* the registry's htpasswd user stands for the robot account */
#define ROBOT_SECRET RF_PASS
#define REPORT_CAP 6000
#define TIMEOUT_MS 2500u

typedef enum { AD_OK, AD_SUBMIT_500, AD_GARBAGE, AD_NEVER, AD_BIG } ad_mode;

typedef struct adapter {
    pthread_mutex_t mu;
    ad_mode mode;
    int refresh_after;       /* of the one 302 */
    int reports;             /* report requests seen */
    char report[8192];       /* the 200 body */
} adapter;

static pg_fixture pg;
static reg_fixture rg;
static berth_jobs_db *dbj;
static http_fake *ad_srv, *core_srv;
static adapter ad = {.mu = PTHREAD_MUTEX_INITIALIZER};
static char ad_url[64], core_url[64];
static char subject_digest[80];
static size_t subject_size;
static scan_config cfg;
static size_t ad_base;        /* adapter requests before the current test */

/* Adapter requests of the current test. */
static size_t ad_count(void)
{
    return hf_count(ad_srv) - ad_base;
}

static void ad_get(size_t i, hf_req *out)
{
    assert_int_equal(hf_get(ad_srv, ad_base + i, out), 0);
}

static void adapter_h(const hf_req *q, hf_reply *out, void *ud)
{
    (void)ud;
    pthread_mutex_lock(&ad.mu);
    if (!strcmp(q->method, "POST") && !strcmp(q->target, "/api/v1/scan")) {
        out->status = ad.mode == AD_SUBMIT_500 ? 500 : 202;
        snprintf(out->body, sizeof out->body, "%s", ad.mode == AD_SUBMIT_500
                 ? "{\"error\":{\"message\":\"database of the scanner is locked\"}}"
                 : "{\"id\":\"req-42\"}");
    } else if (!strcmp(q->target, "/api/v1/scan/req-42/report")) {
        bool first = ad.reports++ == 0;
        if (first || ad.mode == AD_NEVER) {
            out->status = 302;
            snprintf(out->headers, sizeof out->headers, "Refresh-After: %d\n", ad.refresh_after);
        } else if (ad.mode == AD_GARBAGE) {
            snprintf(out->body, sizeof out->body, "<html>proxy error</html>");
        } else if (ad.mode == AD_BIG) {
            memset(out->body, ' ', REPORT_CAP + 100);
            out->body[REPORT_CAP + 100] = '\0';
            memcpy(out->body, "{}", 2);
        } else {
            snprintf(out->body, sizeof out->body, "%s", ad.report);
        }
    } else {
        out->status = 404;
    }
    pthread_mutex_unlock(&ad.mu);
}

/* Core's token service: a token only for the robot's Basic credentials. */
static void core_h(const hf_req *q, hf_reply *out, void *ud)
{
    (void)ud;
    unsigned char enc[256];
    char want[300];
    EVP_EncodeBlock(enc, (const unsigned char *)ROBOT ":" ROBOT_SECRET,
                    (int)strlen(ROBOT ":" ROBOT_SECRET));
    snprintf(want, sizeof want, "Basic %s", enc);
    if (strcmp(q->target, "/service/token") != 0) {
        out->status = 404;
    } else if (hf_header_count(q, "Authorization", want) != 1) {
        out->status = 401;
        snprintf(out->body, sizeof out->body, "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}");
    } else {
        snprintf(out->body, sizeof out->body, "{\"token\":\"core-token-1\",\"expires_in\":1800,"
                 "\"issued_at\":\"2026-01-01T00:00:00Z\"}");
    }
}

static int reg_jobs(berth_engine *e)
{
    return scan_register(e, &cfg);
}

/* The image the scan is about, pushed to the registry (the SBOM's subject). */
static void seed_image(void)
{
    char cfg_d[80], layer_d[80], body[1024];
    const char *conf = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":"
                       "\"layers\",\"diff_ids\":[]}}";
    regfx_push_blob(&rg, REPO, conf, strlen(conf), cfg_d);
    regfx_push_blob(&rg, REPO, "layer-bytes", 11, layer_d);
    snprintf(body, sizeof body, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker."
             "distribution.manifest.v2+json\",\"config\":{\"mediaType\":\"application/vnd.docker."
             "container.image.v1+json\",\"size\":%zu,\"digest\":\"%s\"},\"layers\":[{\"mediaType\":"
             "\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":11,"
             "\"digest\":\"%s\"}]}",
             strlen(conf), cfg_d, layer_d);
    regfx_push_manifest(&rg, REPO, "1.25", "application/vnd.docker.distribution.manifest.v2+json",
                        body, subject_digest);
    subject_size = strlen(body);
}

static int group_setup(void **state)
{
    assert_int_equal(pgfx_start(&pg), 0);
    /* berthd's `berth.database` path: fixed settings (core's internalconfig is test_db_jobs') */
    berth_jobs_db_config dc = {.host = "127.0.0.1", .port = pg.port, .username = PG_USER,
                               .password = PG_PASS, .database = PG_DB};
    char err[256];
    assert_int_equal(berth_jobs_db_new(&dc, &dbj, err, sizeof err), 0);
    assert_int_equal(regfx_start(&rg, RF_BASIC), 0);
    seed_image();
    ad_srv = hf_start(NULL, NULL, adapter_h, NULL);
    core_srv = hf_start(NULL, NULL, core_h, NULL);
    assert_non_null(ad_srv);
    assert_non_null(core_srv);
    snprintf(ad_url, sizeof ad_url, "http://127.0.0.1:%d/", hf_port(ad_srv));
    snprintf(core_url, sizeof core_url, "http://127.0.0.1:%d", hf_port(core_srv));
    cfg = (scan_config){.db = dbj, .core_url = core_url, .first_check_ms = 100,
                        .report_timeout_ms = TIMEOUT_MS, .http_timeout_ms = 3000,
                        .report_max = REPORT_CAP, .registry_timeout_s = 30};
    api_fixture_extra_jobs = reg_jobs;
    return api_fixture_setup(state);
}

static int group_teardown(void **state)
{
    int rc = api_fixture_teardown(state);
    hf_stop(ad_srv);
    hf_stop(core_srv);
    berth_jobs_db_free(dbj);
    regfx_stop(&rg);
    pgfx_stop(&pg);
    return rc;
}

/* Per test: empty tables, the registration, the placeholders core makes, a fresh adapter. */
static int each(void **state)
{
    (void)state;
    pgfx_truncate(&pg);
    char sql[2048];
    snprintf(sql, sizeof sql,
             "TRUNCATE scanner_registration, scan_report, vulnerability_record, "
             "report_vulnerability_record, sbom_report, artifact, repository RESTART IDENTITY "
             "CASCADE;"
             "INSERT INTO scanner_registration (uuid, url, name, auth) VALUES ('" REG_UUID "', "
             "'%s', 'Fake', 'APIKey');"
             "INSERT INTO scan_report (uuid, digest, registration_uuid, mime_type) VALUES "
             "('rep-1', '%s', '" REG_UUID "', '" VULN_MIME "');"
             "INSERT INTO repository (repository_id, name, project_id) VALUES (7, '" REPO "', 1);"
             "INSERT INTO artifact (id, project_id, repository_name, digest, type, repository_id,"
             " media_type, manifest_media_type, artifact_type) VALUES (9, 1, '" REPO "', '%s', "
             "'IMAGE', 7, 'application/vnd.docker.container.image.v1+json', "
             "'application/vnd.docker.distribution.manifest.v2+json', "
             "'application/vnd.docker.container.image.v1+json');"
             "INSERT INTO sbom_report (uuid, artifact_id, registration_uuid, mime_type, "
             "media_type) VALUES ('sbom-1', 9, '" REG_UUID "', '" SBOM_MIME "', "
             "'application/spdx+json');",
             ad_url, subject_digest, subject_digest);
    assert_int_equal(pgfx_sql(&pg, sql, NULL, 0), 0);
    pthread_mutex_lock(&ad.mu);
    ad.mode = AD_OK;
    ad.refresh_after = 1;
    ad.reports = 0;
    pthread_mutex_unlock(&ad.mu);
    ad_base = hf_count(ad_srv);
    return 0;
}

/* ---- launching ------------------------------------------------------------------------- */

static char *params(const char *auth_type, const char *cap, const char *mime, const char *reg_url)
{
    json_t *reg = json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:s,s:s,s:b,s:s,s:s}", "uuid", REG_UUID,
                            "name", "Fake", "url", reg_url, "description", "", "disabled", 0,
                            "is_default", 1, "auth", "APIKey", "access_credential",
                            "adapter-Key-5", "skip_certVerify", 0, "adapter", "Fake",
                            "vendor", "Berth");
    json_t *req = json_pack("{s:{s:s,s:s,s:b},s:{s:i,s:s,s:s,s:s,s:s,s:I},s:[{s:s,s:n,s:n}]}",
                            "registry", "url", rg.url, "authorization", "", "insecure", 0,
                            "artifact", "namespace_id", 1, "repository", REPO, "tag", "1.25",
                            "digest", subject_digest, "mime_type",
                            "application/vnd.docker.distribution.manifest.v2+json", "size",
                            (json_int_t)subject_size, "enabled_capabilities", "type", cap,
                            "produces_mime_types", "parameters");
    json_t *robot = json_pack("{s:i,s:s,s:s,s:i}", "id", 3, "name", ROBOT, "secret",
                              ROBOT_SECRET, "project_id", 1);
    char *r1 = json_dumps(reg, JSON_COMPACT), *r2 = json_dumps(req, JSON_COMPACT),
         *r3 = json_dumps(robot, JSON_COMPACT);
    json_t *b = json_pack("{s:{s:s,s:{s:s,s:s,s:[s],s:s,s:s},s:{s:s}}}", "job", "name",
                          "IMAGE_SCAN", "parameters", "registration", r1, "scanRequest", r2,
                          "mimeTypes", mime, "robotAccount", r3, "authType", auth_type,
                          "metadata", "kind", "Generic");
    char *s = json_dumps(b, JSON_COMPACT);
    free(r1), free(r2), free(r3);
    json_decref(reg), json_decref(req), json_decref(robot), json_decref(b);
    return s;
}

static char *launch(const char *auth_type, const char *cap, const char *mime)
{
    char *body = params(auth_type, cap, mime, ad_url);
    char *id = af_launch(body);
    free(body);
    return id;
}

static void expect_final(const char *id, const char *want)
{
    if (!engine_fixture_wait_status(af.eng, id, want, 20000)) {
        char *log = af_job_log(id);
        const char *e = strstr(log, "[ERROR]");
        fail_msg("job %s did not end %s; first error: %.600s", id, want, e ? e : "(none)");
    }
    wait_sleep_ms(50);
}

static const char REPORT[] =
    "{\"generated_at\":\"2026-12-07T00:00:00Z\",\"artifact\":{\"repository\":\"" REPO "\"},"
    "\"scanner\":{\"name\":\"Fake\",\"vendor\":\"Berth\",\"version\":\"1.0\"},"
    "\"severity\":\"High\",\"vulnerabilities\":["
    "{\"id\":\"CVE-2026-0001\",\"package\":\"openssl\",\"version\":\"3.0.1\","
    "\"fix_version\":\"3.0.2\",\"severity\":\"HIGH\",\"status\":\"fixed\",\"description\":\"d1\","
    "\"links\":[\"https://a\",\"https://b\"],\"preferred_cvss\":{\"score_v3\":7.5,"
    "\"vector_v3\":\"CVSS:3.1/AV:N\"},\"cwe_ids\":[\"CWE-1\",\"CWE-2\"]},"
    "{\"id\":\"CVE-2026-0002\",\"package\":\"zlib\",\"version\":\"1.2\",\"fix_version\":\"\","
    "\"severity\":\"negligible\",\"links\":[],\"vendor_attributes\":{\"CVSS\":{\"nvd\":"
    "{\"V3Score\":5.3}}}},"
    "{\"id\":\"CVE-2026-0002\",\"package\":\"zlib\",\"version\":\"1.2\",\"severity\":\"Low\"},"
    "{\"id\":\"CVE-2026-0003\",\"package\":\"bash\",\"version\":\"5\",\"severity\":\"Weird\","
    "\"vendor_attributes\":{\"CVSS\":{\"redhat\":{\"V3Score\":6.1}}}}]}";

static long long q(const char *sql)
{
    return pgfx_int(&pg, sql);
}

static void qs(const char *sql, char *out, size_t n)
{
    assert_int_equal(pgfx_sql(&pg, sql, out, n), 0);
}

static void set_report(const char *r)
{
    pthread_mutex_lock(&ad.mu);
    snprintf(ad.report, sizeof ad.report, "%s", r);
    pthread_mutex_unlock(&ad.mu);
}

/* Nothing written: the placeholder untouched, no record, no link. */
static void expect_nothing_written(void)
{
    assert_int_equal(q("SELECT count(*) FROM scan_report WHERE report IS NOT NULL OR "
                       "critical_cnt IS NOT NULL"), 0);
    assert_int_equal(q("SELECT count(*) FROM vulnerability_record"), 0);
    assert_int_equal(q("SELECT count(*) FROM report_vulnerability_record"), 0);
    assert_int_equal(q("SELECT count(*) FROM sbom_report WHERE report IS NOT NULL"), 0);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_vulnerability_report(void **state)
{
    (void)state;
    set_report(REPORT);
    /* a record this registration already has, with an older severity: refreshed */
    assert_int_equal(pgfx_sql(&pg, "INSERT INTO vulnerability_record (cve_id, registration_uuid,"
                              " package, package_version, severity, status) VALUES "
                              "('CVE-2026-0001', '" REG_UUID "', 'openssl', '3.0.1', 'Low', "
                              "'affected')", NULL, 0), 0);
    long long old_id = q("SELECT id FROM vulnerability_record");
    char *id = launch("Basic", "vulnerability", VULN_MIME);
    expect_final(id, "Success");

    /* the wire: submit, one 302, the report after Refresh-After (1 s) */
    assert_int_equal(ad_count(), 3);
    hf_req sub, r1, r2;
    ad_get(0, &sub);
    ad_get(1, &r1);
    ad_get(2, &r2);
    assert_int_equal(hf_header_count(&sub, "X-ScannerAdapter-API-Key", "adapter-Key-5"), 1);
    assert_int_equal(hf_header_count(&r2, "X-ScannerAdapter-API-Key", "adapter-Key-5"), 1);
    assert_int_equal(hf_header_count(&r2, "Accept", VULN_MIME), 1);
    json_t *body = json_loads(sub.body, 0, NULL);
    assert_non_null(body);
    unsigned char enc[256];
    char basic[300];
    EVP_EncodeBlock(enc, (const unsigned char *)ROBOT ":" ROBOT_SECRET,
                    (int)strlen(ROBOT ":" ROBOT_SECRET));
    snprintf(basic, sizeof basic, "Basic %s", enc);
    json_t *reg = json_object_get(body, "registry"), *art = json_object_get(body, "artifact");
    assert_string_equal(json_string_value(json_object_get(reg, "url")), rg.url);
    assert_string_equal(json_string_value(json_object_get(reg, "authorization")), basic);
    assert_null(json_object_get(art, "namespace_id"));
    assert_string_equal(json_string_value(json_object_get(art, "digest")), subject_digest);
    json_t *cap = json_array_get(json_object_get(body, "enabled_capabilities"), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(cap,
                        "produces_mime_types"), 0)), VULN_MIME);
    json_decref(body);
    long long wait = r2.t_ms - r1.t_ms;
    fprintf(stderr, "report asked again %lld ms after the 302 (Refresh-After: 1)\n", wait);
    assert_true(wait >= 950);
    hf_req_free(&sub), hf_req_free(&r1), hf_req_free(&r2);

    /* the rows: counts as core shows them, the summary, records and links */
    assert_int_equal(q("SELECT critical_cnt FROM scan_report WHERE uuid = 'rep-1'"), 0);
    assert_int_equal(q("SELECT high_cnt FROM scan_report WHERE uuid = 'rep-1'"), 1);
    assert_int_equal(q("SELECT low_cnt FROM scan_report WHERE uuid = 'rep-1'"), 1);
    assert_int_equal(q("SELECT none_cnt FROM scan_report WHERE uuid = 'rep-1'"), 1);
    assert_int_equal(q("SELECT unknown_cnt FROM scan_report WHERE uuid = 'rep-1'"), 1);
    assert_int_equal(q("SELECT fixable_cnt FROM scan_report WHERE uuid = 'rep-1'"), 1);
    char out[2048];
    qs("SELECT report::text FROM scan_report WHERE uuid = 'rep-1'", out, sizeof out);
    assert_string_equal(out, "{\"generated_at\":\"2026-12-07T00:00:00Z\",\"artifact\":{"
                             "\"repository\":\"" REPO "\"},\"scanner\":{\"name\":\"Fake\","
                             "\"vendor\":\"Berth\",\"version\":\"1.0\"},\"severity\":\"High\","
                             "\"vulnerabilities\":[]}");
    assert_int_equal(q("SELECT count(*) FROM vulnerability_record"), 3);
    assert_int_equal(q("SELECT count(*) FROM report_vulnerability_record WHERE report_uuid = "
                       "'rep-1'"), 3);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT id FROM vulnerability_record WHERE cve_id = "
             "'CVE-2026-0001'");
    assert_int_equal(q(sql), old_id);          /* the known record is reused, refreshed */
    qs("SELECT severity || '|' || status || '|' || fixed_version || '|' || cvss_score_v3 "
       "FROM vulnerability_record WHERE cve_id = 'CVE-2026-0001'", out, sizeof out);
    assert_string_equal(out, "High|fixed|3.0.2|7.5");
    qs("SELECT severity || '|' || package_type || '|' || cvss_score_v3 || '|' || "
       "coalesce(cwe_ids, 'NULL') || '|' || vendor_attributes::text FROM vulnerability_record "
       "WHERE cve_id = 'CVE-2026-0002'", out, sizeof out);
    assert_string_equal(out, "None|Unknown|5.3||{\"CVSS\":{\"nvd\":{\"V3Score\":5.3}}}");
    qs("SELECT severity || '|' || cvss_score_v3 FROM vulnerability_record WHERE cve_id = "
       "'CVE-2026-0003'", out, sizeof out);
    assert_string_equal(out, "Unknown|6.1");

    /* the log: Harbor's lines, the credentials hidden */
    af_expect_log(id, "Report mime types: [" VULN_MIME "]");
    af_expect_log(id, "\"access_credential\": \"[HIDDEN]\"");
    af_expect_log(id, "\"authorization\": \"[HIDDEN]\"");
    af_expect_log(id, "Get report for mime type: " VULN_MIME);
    af_expect_log(id, "Report with mime type " VULN_MIME " is not ready yet, retry after 1 "
                  "seconds");
    assert_int_equal(af_count_in_log(id, "adapter-Key-5"), 0);
    assert_int_equal(af_count_in_log(id, ROBOT_SECRET), 0);
    assert_int_equal(af_count_in_log(id, (const char *)enc), 0);
    free(id);
}

static void test_bearer_from_core(void **state)
{
    (void)state;
    set_report("{\"scanner\":{\"name\":\"Fake\"},\"severity\":\"None\",\"vulnerabilities\":[]}");
    size_t before = hf_count(core_srv);
    char *id = launch("Bearer", "vulnerability", VULN_MIME);
    expect_final(id, "Success");
    assert_int_equal(hf_count(core_srv), before + 1);
    hf_req t, sub;
    hf_get(core_srv, before, &t);
    assert_string_equal(t.target, "/service/token");
    assert_string_equal(t.query, "scope=repository:" REPO ":pull&service=harbor-registry");
    ad_get(0, &sub);
    assert_non_null(strstr(sub.body, "\"authorization\":\"Bearer core-token-1\""));
    hf_req_free(&t), hf_req_free(&sub);
    assert_int_equal(q("SELECT none_cnt + critical_cnt FROM scan_report WHERE uuid = 'rep-1'"),
                     0);
    char out[512];
    qs("SELECT report::text FROM scan_report WHERE uuid = 'rep-1'", out, sizeof out);
    assert_string_equal(out, "{\"scanner\":{\"name\":\"Fake\"},\"severity\":\"None\","
                             "\"vulnerabilities\":[]}");
    free(id);
}

static void test_sbom_accessory(void **state)
{
    (void)state;
    set_report("{\"generated_at\":\"2026-12-07T00:00:00Z\",\"scanner\":{\"name\":\"Fake\","
               "\"vendor\":\"Berth\",\"version\":\"1.0\"},\"media_type\":\"application/spdx+json\","
               "\"sbom\":{\"spdxVersion\":\"SPDX-2.3\",\"name\":\"<nginx & co>\","
               "\"SPDXID\":\"SPDXRef-DOCUMENT\"}}");
    char *id = launch("Basic", "sbom", SBOM_MIME);
    expect_final(id, "Success");
    hf_req sub, rep;
    ad_get(0, &sub);
    ad_get(2, &rep);
    assert_non_null(strstr(sub.body, "{\"type\":\"sbom\",\"produces_mime_types\":[\"" SBOM_MIME
                           "\"],\"parameters\":{\"sbom_media_types\":[\"application/"
                           "spdx+json\"]}}"));
    assert_string_equal(rep.query, "sbom_media_type=application/spdx+json");
    assert_int_equal(hf_header_count(&rep, "Accept", SBOM_MIME), 1);
    hf_req_free(&sub), hf_req_free(&rep);

    char out[2048], dg[200], path[300];
    qs("SELECT report::text FROM sbom_report WHERE uuid = 'sbom-1'", out, sizeof out);
    json_t *sum = json_loads(out, 0, NULL);
    assert_non_null(sum);
    assert_string_equal(json_string_value(json_object_get(sum, "scan_status")), "Success");
    assert_string_equal(json_string_value(json_object_get(sum, "sbom_repository")), REPO);
    snprintf(dg, sizeof dg, "%s", json_string_value(json_object_get(sum, "sbom_digest")));
    assert_int_equal(strncmp(dg, "sha256:", 7), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(sum, "scanner"),
                                                          "name")), "Fake");
    json_decref(sum);

    /* the accessory: in the registry by that digest, subject = the scanned image */
    snprintf(path, sizeof path, "/v2/" REPO "/manifests/%s", dg);
    char *m = NULL, got_dg[80], ct[128];
    size_t len = 0;
    assert_int_equal(regfx_request(&rg, "GET", path, &m, &len, got_dg, ct), 200);
    json_t *man = json_loadb(m, len, 0, NULL);
    assert_non_null(man);
    assert_string_equal(json_string_value(json_object_get(json_object_get(man, "config"),
                        "mediaType")), "application/vnd.goharbor.harbor.sbom.v1");
    json_t *subj = json_object_get(man, "subject");
    assert_string_equal(json_string_value(json_object_get(subj, "digest")), subject_digest);
    assert_int_equal(json_integer_value(json_object_get(subj, "size")), (long long)subject_size);
    const char *layer = json_string_value(json_object_get(json_array_get(
        json_object_get(man, "layers"), 0), "digest"));
    snprintf(path, sizeof path, "/v2/" REPO "/blobs/%s", layer);
    free(m);
    m = NULL;
    assert_int_equal(regfx_request(&rg, "GET", path, &m, &len, got_dg, ct), 200);
    /* Go's encoder: keys sorted, <, >, & escaped */
    assert_int_equal(len, strlen("{\"SPDXID\":\"SPDXRef-DOCUMENT\",\"name\":\"\\u003cnginx "
                                 "\\u0026 co\\u003e\",\"spdxVersion\":\"SPDX-2.3\"}"));
    assert_memory_equal(m, "{\"SPDXID\":\"SPDXRef-DOCUMENT\",\"name\":\"\\u003cnginx \\u0026 "
                           "co\\u003e\",\"spdxVersion\":\"SPDX-2.3\"}", len);
    free(m);
    json_decref(man);
    assert_int_equal(q("SELECT count(*) FROM vulnerability_record"), 0);
    free(id);
}

/* A fault: Error, its reason in the log, nothing written, one run (MaxFails 1). */
static void expect_fault(const char *id, const char *reason)
{
    expect_final(id, "Error");
    af_expect_log(id, reason);
    assert_int_equal(af_count_in_log(id, "Report mime types:"), 1);
    expect_nothing_written();
}

static void set_mode(ad_mode m)
{
    pthread_mutex_lock(&ad.mu);
    ad.mode = m;
    pthread_mutex_unlock(&ad.mu);
}

static void test_adapter_500(void **state)
{
    (void)state;
    set_mode(AD_SUBMIT_500);
    char *id = launch("Basic", "vulnerability", VULN_MIME);
    expect_fault(id, "scan job: submit scan request: v1 client: submit scan: database of the "
                     "scanner is locked: general response handler: unexpected status code: "
                     "500, expected: 202");
    free(id);
}

static void test_adapter_garbage(void **state)
{
    (void)state;
    set_mode(AD_GARBAGE);
    char *id = launch("Basic", "vulnerability", VULN_MIME);
    expect_fault(id, "scan job: fetch scan report, mimetype " VULN_MIME ": ");
    free(id);
}

static void test_never_ready(void **state)
{
    (void)state;
    set_mode(AD_NEVER);
    long long t0 = wait_now_ms();
    char *id = launch("Basic", "vulnerability", VULN_MIME);
    expect_fault(id, "check scan report timeout");
    long long took = wait_now_ms() - t0;
    fprintf(stderr, "never-ready adapter given up after %lld ms (timeout %u ms)\n", took,
            TIMEOUT_MS);
    assert_true(took >= TIMEOUT_MS - 1000);
    free(id);
}

static void test_report_over_cap(void **state)
{
    (void)state;
    set_mode(AD_BIG);
    char *id = launch("Basic", "vulnerability", VULN_MIME);
    expect_fault(id, "reply larger than the cap of 6000 bytes");
    free(id);
}

static void test_database_down(void **state)
{
    (void)state;
    set_report(REPORT);
    pgfx_halt(&pg);
    char *id = launch("Basic", "vulnerability", VULN_MIME);
    expect_final(id, "Error");
    af_expect_log(id, "Failed to update report data for report (none), error ");
    assert_int_equal(af_count_in_log(id, PG_PASS), 0);
    assert_int_equal(pgfx_resume(&pg), 0);
    expect_nothing_written();
    free(id);
}

/* A record the database refuses mid-transaction (its registration is unknown to the foreign
 * key): the whole report is rolled back, the placeholder stays empty. */
static void test_rolled_back(void **state)
{
    (void)state;
    set_report(REPORT);
    assert_int_equal(pgfx_sql(&pg, "INSERT INTO scan_report (uuid, digest, registration_uuid, "
                              "mime_type) SELECT 'rep-2', digest, 'reg-unknown', mime_type FROM "
                              "scan_report WHERE uuid = 'rep-1'", NULL, 0), 0);
    char *body = params("Basic", "vulnerability", VULN_MIME, ad_url);
    char *p = strstr(body, REG_UUID);      /* the registration's uuid, inside its JSON text */
    assert_non_null(p);
    char *b2 = calloc(1, strlen(body) + 16);
    snprintf(b2, strlen(body) + 16, "%.*sreg-unknown%s", (int)(p - body), body,
             p + strlen(REG_UUID));
    char *id = af_launch(b2);
    expect_final(id, "Error");
    af_expect_log(id, "Failed to update report data for report rep-2, error ");
    af_expect_log(id, "foreign key");
    expect_nothing_written();
    free(body), free(b2), free(id);
}

static void test_stop_within_a_second(void **state)
{
    (void)state;
    pthread_mutex_lock(&ad.mu);
    ad.mode = AD_NEVER;
    ad.refresh_after = 100;
    pthread_mutex_unlock(&ad.mu);
    char *id = launch("Basic", "vulnerability", VULN_MIME);
    long long end = wait_now_ms() + 10000;
    while (ad_count() < 2 && wait_now_ms() < end)
        wait_sleep_ms(10);
    assert_int_equal(ad_count(), 2);    /* submitted, told to wait 100 s */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", id);
    long long t0 = wait_now_ms();
    hc_resp r = af_post(path, "{\"action\":\"stop\"}");
    af_expect(&r, 204, "");
    while (af_count_in_log(id, "scan job being stopped") == 0 &&
           wait_now_ms() < t0 + 5000)
        wait_sleep_ms(20);
    long long took = wait_now_ms() - t0;
    fprintf(stderr, "stop honoured after %lld ms\n", took);
    if (took >= 1000) {
        char *log = af_job_log(id);
        fprintf(stderr, "LOG TAIL: %s\n", log + (strlen(log) > 800 ? strlen(log) - 800 : 0));
        free(log);
    }
    assert_true(took < 1000);
    assert_true(engine_fixture_wait_status(af.eng, id, "Stopped", 2000));
    assert_int_equal(ad_count(), 2);
    expect_nothing_written();
    free(id);
}

static void expect_400(const char *body, const char *needle)
{
    hc_resp r = af_post("/api/v1/jobs", body);
    if (r.status != 400 || !strstr(r.body, needle))
        fail_msg("want 400 with '%s', got %ld %s", needle, r.status, r.body);
    hc_resp_free(&r);
}

static void test_validation(void **state)
{
    (void)state;
    expect_400("{\"job\":{\"name\":\"IMAGE_SCAN\",\"metadata\":{\"kind\":\"Generic\"}}}",
               "missing parameter of scan job");
    char *b = params("Digest", "vulnerability", VULN_MIME, ad_url);
    expect_400(b, "job validate: not support auth type Digest");
    free(b);
    b = params("Basic", "secrets", VULN_MIME, ad_url);
    expect_400(b, "job validate: failed to get scan handler, request type secrets");
    free(b);
    b = params("Basic", "vulnerability", VULN_MIME, "ftp://scanner");
    expect_400(b, "job validate: scanner registration validate: ");
    free(b);
    expect_400("{\"job\":{\"name\":\"IMAGE_SCAN\",\"parameters\":{\"registration\":5},"
               "\"metadata\":{\"kind\":\"Generic\"}}}",
               "job validate: malformed job parameter 'registration', expecting string but "
               "got float64");
    assert_int_equal(ad_count(), 0);
}

#define T(f) cmocka_unit_test_setup(f, each)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_vulnerability_report), T(test_bearer_from_core), T(test_sbom_accessory),
        T(test_adapter_500),          T(test_adapter_garbage),  T(test_never_ready),
        T(test_report_over_cap),      T(test_database_down),    T(test_rolled_back),
        T(test_stop_within_a_second), T(test_validation),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
