/* Harbor core's launches of REPLICATION, WEBHOOK, SLACK and P2P_PREHEAT against a real
 * berthd process (label registry): the daemon binary started as an operator would
 * (tests/support/cluster.c, embedded Redis, FILE job logs), launched over its HTTP API with
 * Harbor-Secret and the request shapes of spec harbor-jobservice §14.1 E1 / harbor-jobs
 * §5–§7 and §11, each with a status_hook to a real receiver; each job must end with the
 * statuses, status hooks and job log lines Harbor's would.
 *
 * berthd runs with HTTP_PROXY/HTTPS_PROXY pointing at the tests' proxy
 * (tests/support/fake_proxy.c — a fake, see there why) and NO_PROXY=direct.berth.test, as
 * Harbor's job service would in a proxied network: traffic to the made-up names
 * registry.berth.test, hooks.berth.test and slack.berth.test must go through it (a forward
 * request for http, a CONNECT tunnel for https), while 127.0.0.1 (the source registry, the
 * status hooks, a loopback webhook) and the NO_PROXY name must not. Behind the proxy are
 * Debian's docker-registry (htpasswd) and the tests' HTTP(S) receivers. */
#include "test.h"

#include <jansson.h>

#include "cluster.h"
#include "fake_proxy.h"
#include "hook_receiver.h"
#include "http_client.h"
#include "http_fake.h"
#include "registry_fixture.h"
#include "replication_helpers.h"
#include "wait.h"

static cluster cl;
static fake_proxy *fp;
static reg_fixture src, dst;
static http_fake *web, *webs;
static char certdir[64] = "/tmp/berth-proxy-XXXXXX";
static char env_http[96], env_https[96];
static const char *env[] = {env_http, env_https, "NO_PROXY=direct.berth.test",
                            "JOBSERVICE_WEBHOOK_JOB_MAX_RETRY=1",
                            "JOBSERVICE_WEBHOOK_JOB_HTTP_CLIENT_TIMEOUT=10", NULL};

static int setup(void **state)
{
    (void)state;
    char d[80], cert[256], key[256];
    fp = fp_start();
    if (!fp || regfx_start(&src, RF_NOAUTH) != 0 || regfx_start(&dst, RF_BASIC) != 0 ||
        !mkdtemp(certdir) || hf_make_cert(certdir, cert, sizeof cert, key, sizeof key) != 0)
        return -1;
    rh_push_small_image(&src, "lib/app", "v1", 5, d);
    web = hf_start(NULL, NULL, NULL, NULL);
    webs = hf_start(cert, key, NULL, NULL);
    snprintf(env_http, sizeof env_http, "HTTP_PROXY=http://127.0.0.1:%d", fp_port(fp));
    snprintf(env_https, sizeof env_https, "HTTPS_PROXY=http://127.0.0.1:%d", fp_port(fp));
    cluster_opts o = {.nodes = 1, .workers = 4, .lease_seconds = 10, .file_job_logs = 1,
                      .env = env};
    if (!web || !webs || cluster_init(&cl, &o) != 0 || cluster_start(&cl, 0) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cluster_stop(&cl, 0);
    hf_stop(web);
    hf_stop(webs);
    regfx_stop(&src);
    regfx_stop(&dst);
    fp_stop(fp);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", certdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- Harbor core's side ------------------------------------------------------------------ */

static hc_resp api(const char *method, const char *path, const char *body)
{
    hc_resp r = cluster_api(&cl, 0, method, path, body);
    assert_int_not_equal(r.status, 0);
    return r;
}

/* POST /api/v1/jobs as core does (E1): Generic, a status hook; core launches only
 * P2P_PREHEAT unique (spec harbor-jobs §1.2). */
static char *launch(const char *name, json_t *params, int hook_port, int task)
{
    bool unique = strcmp(name, "P2P_PREHEAT") == 0;
    char hook[128];
    snprintf(hook, sizeof hook, "http://127.0.0.1:%d/service/notifications/tasks/%d", hook_port,
             task);
    json_t *req = json_pack("{s:{s:s,s:o,s:{s:s,s:b},s:s}}", "job", "name", name, "parameters",
                            params, "metadata", "kind", "Generic", "unique", unique, "status_hook",
                            hook);
    char *body = json_dumps(req, JSON_COMPACT);
    hc_resp r = api("POST", "/api/v1/jobs", body);
    if (r.status != 202)
        fprintf(stderr, "launch %s: %ld %s\n", name, r.status, r.body ? r.body : "");
    assert_int_equal(r.status, 202);
    json_t *o = json_loads(r.body, 0, NULL);
    const char *id = json_string_value(json_object_get(json_object_get(o, "job"), "id"));
    assert_non_null(id);
    char *out = strdup(id);
    json_decref(o);
    hc_resp_free(&r);
    free(body);
    json_decref(req);
    return out;
}

static char *job_log(const char *id)
{
    return cluster_job_log(&cl, 0, id);
}

static void wait_status(const char *id, const char *want)
{
    char got[32];
    if (!cluster_wait_status(&cl, 0, id, want, 60000, got, sizeof got)) {
        char *log = job_log(id);
        fprintf(stderr, "job %s is %s, not %s; its log:\n%s\n", id, got, want, log);
        free(log);
    }
    assert_string_equal(got, want);
}

static void log_has(const char *id, const char *text)
{
    char *log = job_log(id);
    if (!strstr(log, text))
        fprintf(stderr, "not in the log of %s: %s\n--\n%s\n", id, text, log);
    assert_non_null(strstr(log, text));
    free(log);
}

/* The hooks core received, in order: exactly these statuses, each for job id. */
static void hooks_are(hook_receiver *hr, const char *id, const char *const *statuses, size_t n)
{
    assert_int_equal(hr_wait(hr, n, 15000), n);
    wait_sleep_ms(300);   /* nothing more may follow (negative check) */
    char *b[8] = {0};
    assert_int_equal(hr_delivered(hr, b, 8), n);
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_loads(b[i], 0, NULL);
        assert_string_equal(json_string_value(json_object_get(o, "job_id")), id);
        assert_string_equal(json_string_value(json_object_get(o, "status")), statuses[i]);
        json_decref(o);
        free(b[i]);
    }
}

/* Launches name as core does with a status hook to a fresh receiver, waits for the final
 * status, and checks the hooks were exactly Running then final. Returns the job id. */
static char *run_job(const char *name, json_t *params, int task, const char *final)
{
    hook_receiver *hr = hr_start();
    char *id = launch(name, params, hr_port(hr), task);
    wait_status(id, final);
    const char *const want[] = {"Running", final};
    hooks_are(hr, id, want, 2);
    hr_stop(hr);
    return id;
}

/* ---- the tests ---------------------------------------------------------------------------- */

static bool stats_ok(void *arg)
{
    hc_resp *r = arg;
    hc_resp_free(r);
    *r = api("GET", "/api/v1/stats", NULL);
    return r->status == 200;
}

static void test_job_names(void **state)
{
    (void)state;
    static const char *const names[] = {"DEMO", "SCHEDULER", "IMAGE_REPLICATE", "IMAGE_GC",
                                        "IMAGE_SCAN_ALL", "REPLICATION", "WEBHOOK", "SLACK",
                                        "P2P_PREHEAT"};
    hc_resp r = {0};
    assert_true(wait_until(stats_ok, &r, 15000));   /* after the node's first heartbeat */
    json_t *o = json_loads(r.body, 0, NULL);
    json_t *list = NULL;
    size_t i;
    json_t *pool;
    json_array_foreach(json_object_get(o, "worker_pools"), i, pool)
        list = json_object_get(pool, "job_names");
    assert_true(json_is_array(list));
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        bool found = false;
        json_t *v;
        json_array_foreach(list, i, v)
            found = found || strcmp(json_string_value(v), names[k]) == 0;
        if (!found)
            fprintf(stderr, "%s not in %s\n", names[k], r.body);
        assert_true(found);
    }
    json_decref(o);
    hc_resp_free(&r);
}

static void test_replication_through_the_proxy(void **state)
{
    (void)state;
    char dst_url[64];
    snprintf(dst_url, sizeof dst_url, "http://registry.berth.test:%d", dst.port);
    char *s = rh_resource_at("lib/app", "v1", "docker-registry", src.url, "", "", false, RH_COPY);
    char *d = rh_resource_at("mirror/app", "v1", "docker-registry", dst_url, RF_USER, RF_PASS,
                             false, RH_COPY);
    char *id = run_job("REPLICATION", json_pack("{s:s,s:s,s:i,s:b}", "src_resource", s,
                                                "dst_resource", d, "speed", 0, "copy_by_chunk",
                                                0), 101, "Success");
    char line[256];
    snprintf(line, sizeof line, "client for destination registry [type: docker-registry, URL: "
             "%s, insecure: false] created", dst_url);
    log_has(id, line);
    log_has(id, "copying lib/app:[v1](source registry) to mirror/app:[v1](destination "
                "registry)...");
    log_has(id, "the manifest of artifact mirror/app:v1 pushed");
    log_has(id, "copy lib/app:[v1](source registry) to mirror/app:[v1](destination registry) "
                "completed");
    rh_verify(&src, "lib/app", &dst, "mirror/app", "v1");
    /* the destination's ping, manifest HEAD/PUT, blob HEADs and uploads went through the
     * proxy; the loopback source and the status hooks did not */
    size_t via = fp_count(fp, "http://registry.berth.test:");
    fprintf(stderr, "proxied registry requests: %zu\n", via);
    assert_true(via >= 6);
    assert_int_equal(fp_count(fp, "PUT http://registry.berth.test"), 3);   /* 2 blobs + manifest */
    assert_int_equal(fp_count(fp, "127.0.0.1"), 0);
    free(id), free(s), free(d);
}

#define PAYLOAD "{\"type\":\"PUSH_ARTIFACT\",\"occur_at\":1700000000,\"operator\":\"admin\"," \
                "\"event_data\":{\"repository\":{\"name\":\"app\",\"namespace\":\"lib\"}}}"
#define HEADER "{\"Authorization\":[\"Bearer s3cr3t\"],\"Content-Type\":[\"application/json\"]}"

static char *webhook(const char *address, bool skip_verify, int task, const char *final)
{
    return run_job("WEBHOOK", json_pack("{s:s,s:s,s:s,s:b}", "payload", PAYLOAD, "address",
                                        address, "header", HEADER, "skip_cert_verify",
                                        skip_verify), task, final);
}

/* Request i of f is a POST of the payload with the header set, to target. */
static void received(http_fake *f, size_t i, const char *target)
{
    assert_true(hf_wait(f, i + 1, 10000) >= i + 1);
    hf_req q;
    assert_int_equal(hf_get(f, i, &q), 0);
    assert_string_equal(q.method, "POST");
    assert_string_equal(q.target, target);
    assert_string_equal(q.body, PAYLOAD);
    assert_int_equal(hf_header_count(&q, "Authorization", "Bearer s3cr3t"), 1);
    assert_int_equal(hf_header_count(&q, "Content-Type", "application/json"), 1);
    hf_req_free(&q);
}

static void test_webhook_through_the_proxy(void **state)
{
    (void)state;
    char address[96];
    snprintf(address, sizeof address, "http://hooks.berth.test:%d/harbor", hf_port(web));
    size_t before = hf_count(web);
    char *id = webhook(address, false, 102, "Success");
    received(web, before, "/harbor");
    log_has(id, "start to run webhook job");
    log_has(id, "send request to remote endpoint, body: " PAYLOAD);
    log_has(id, "success to run webhook job");
    char fwd[128];
    snprintf(fwd, sizeof fwd, "POST http://hooks.berth.test:%d/harbor", hf_port(web));
    assert_int_equal(fp_count(fp, fwd), 1);
    free(id);

    /* https: a CONNECT tunnel through HTTPS_PROXY, TLS end to end (self-signed: skipped) */
    snprintf(address, sizeof address, "https://hooks.berth.test:%d/secure", hf_port(webs));
    id = webhook(address, true, 103, "Success");
    received(webs, 0, "/secure");
    snprintf(fwd, sizeof fwd, "CONNECT hooks.berth.test:%d", hf_port(webs));
    assert_int_equal(fp_count(fp, fwd), 1);
    assert_int_equal(fp_count(fp, "127.0.0.1"), 0);
    free(id);
}

static void test_slack_through_the_proxy(void **state)
{
    (void)state;
    char address[96];
    snprintf(address, sizeof address, "http://slack.berth.test:%d/services/T0/B0/x",
             hf_port(web));
    char *id = run_job("SLACK", json_pack("{s:s,s:s,s:b}", "payload", "{\"text\":\"pushed\"}",
                                          "address", address, "skip_cert_verify", 0), 104,
                       "Success");
    log_has(id, "success to run slack job");
    char fwd[128];
    snprintf(fwd, sizeof fwd, "POST http://slack.berth.test:%d/services/T0/B0/x", hf_port(web));
    assert_int_equal(fp_count(fp, fwd), 1);
    free(id);
}

static void test_loopback_and_no_proxy_are_direct(void **state)
{
    (void)state;
    size_t proxied = fp_count(fp, "");
    /* loopback: never proxied (Go's rule), delivered directly */
    char address[96];
    snprintf(address, sizeof address, "http://127.0.0.1:%d/direct", hf_port(web));
    size_t before = hf_count(web);
    char *id = webhook(address, false, 105, "Success");
    received(web, before, "/direct");
    free(id);
    /* NO_PROXY: berthd goes direct, and the made-up name does not resolve: Error (MaxFails 1
     * from JOBSERVICE_WEBHOOK_JOB_MAX_RETRY) with Harbor's text */
    snprintf(address, sizeof address, "http://direct.berth.test:%d/x", hf_port(web));
    id = webhook(address, false, 106, "Error");
    char line[160];
    snprintf(line, sizeof line, "exit webhook job, error: error to send request: Post "
             "\"http://direct.berth.test:%d/x\": ", hf_port(web));
    log_has(id, line);
    assert_int_equal(fp_count(fp, ""), proxied);   /* neither went through the proxy */
    free(id);
}

/* P2P_PREHEAT with the Kraken driver (no polling, so it ends at once): the tests' HTTP
 * receiver answers 200 to Kraken's GET /health and POST /registry/notifications (no Kraken
 * runs here). The provider is on loopback: preheat never uses a proxy anyway. */
static void test_preheat(void **state)
{
    (void)state;
    char ep[64];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", hf_port(web));
    json_t *pv = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:i}", "id", 1, "name", "k1",
                           "description", "", "vendor", "kraken", "endpoint", ep, "auth_mode",
                           "NONE", "status", "Unknown", "enabled", 1, "default", 1, "insecure", 0,
                           "setup_timestamp", 1700000000);
    json_t *im = json_pack("{s:s,s:s,s:{s:s},s:s,s:s,s:s}", "type", "image", "url",
                           "https://harbor.example.com/v2/library/busybox/manifests/latest",
                           "headers", "Authorization", "Bearer regtoken", "image",
                           "library/busybox", "tag", "latest", "digest",
                           "sha256:1111111111111111111111111111111111111111111111111111111111111111");
    char *p = json_dumps(pv, JSON_COMPACT), *i = json_dumps(im, JSON_COMPACT);
    size_t before = hf_count(web);
    char *id = run_job("P2P_PREHEAT", json_pack("{s:s,s:s}", "provider", p, "image", i), 107,
                       "Success");
    log_has(id, "Preheating image 'library/busybox:latest@sha256:1111");
    log_has(id, "Check health of preheat provider instance: Healthy");
    log_has(id, "Preheating is completed");
    assert_int_equal(hf_count(web), before + 2);
    hf_req q;
    assert_int_equal(hf_get(web, before + 1, &q), 0);
    assert_string_equal(q.target, "/registry/notifications");
    hf_req_free(&q);
    free(id), free(p), free(i);
    json_decref(pv), json_decref(im);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_job_names),
        cmocka_unit_test(test_replication_through_the_proxy),
        cmocka_unit_test(test_webhook_through_the_proxy),
        cmocka_unit_test(test_slack_through_the_proxy),
        cmocka_unit_test(test_loopback_and_no_proxy_are_direct),
        cmocka_unit_test(test_preheat),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
