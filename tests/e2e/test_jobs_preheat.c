/* P2P_PREHEAT through the API (spec harbor-jobs §11) against a Dragonfly-shaped and a
 * Kraken-shaped provider. No Dragonfly or Kraken runs here (Debian has neither), so each is
 * a fake (tests/support/http_fake, real HTTP on loopback) that speaks the endpoints Harbor
 * calls: Dragonfly's manager `GET /healthy`, `POST /oapi/v1/jobs`, `GET /oapi/v1/jobs/{id}`
 * (PENDING, then SUCCESS with per-peer results or FAILURE with job-state errors), and
 * Kraken's `GET /health`, `POST /registry/notifications`. Checked: the requests Harbor's
 * drivers send (auth header per auth mode, Accept/Content-Type, the JSON bodies), the
 * polling (interval, first check after one interval, the timeout), the log lines and
 * statuses, a preheat that fails and one that never finishes, a stop while polling,
 * Harbor's launch-time validation texts, and bad runs (unknown vendor, unhealthy or
 * unreachable provider, invalid scope, a 208, an unknown auth mode) each an Error with its
 * reason in the log and no retry (MaxFails 1). Interval and timeout are shortened for the
 * test (Harbor: 10 s and 30m1s). */
#include "test.h"

#include <jansson.h>
#include <pthread.h>

#include "api_fixture.h"
#include "berth/jobs.h"
#include "engine_fixture.h"
#include "http_fake.h"
#include "wait.h"

#define INTERVAL_MS 200u
#define TIMEOUT_MS 1500u

static const berth_jobs_preheat cfg = {.check_interval_ms = INTERVAL_MS,
                                       .check_timeout_ms = TIMEOUT_MS, .http_timeout_ms = 3000};

static int reg(berth_engine *e)
{
    return berth_jobs_register_preheat(e, &cfg);
}

static int setup(void **state)
{
    api_fixture_extra_jobs = reg;
    return api_fixture_setup(state);
}

/* ---- the provider fakes ---------------------------------------------------------------- */

typedef enum { DF_SUCCESS, DF_FAILURE, DF_FOREVER } df_end;

typedef struct provider_fake {
    pthread_mutex_t mu;
    df_end end;
    int pendings;         /* progress checks answered PENDING before the end state */
    int checks;           /* progress checks seen */
    int health_status;    /* 0 → 200 */
    int post_status;      /* 0 → 200 */
} provider_fake;

static void dragonfly(const hf_req *req, hf_reply *out, void *ud)
{
    provider_fake *f = ud;
    pthread_mutex_lock(&f->mu);
    out->content_type = "application/json";
    if (!strcmp(req->method, "GET") && !strcmp(req->target, "/healthy")) {
        out->status = f->health_status;
        snprintf(out->body, sizeof out->body, "%s", f->health_status ? "down" : "");
    } else if (!strcmp(req->method, "POST") && !strcmp(req->target, "/oapi/v1/jobs")) {
        out->status = f->post_status;
        snprintf(out->body, sizeof out->body, "{\"id\":7,\"created_at\":\"2024-01-01T00:00:00Z\","
                 "\"updated_at\":\"2024-01-01T00:00:00Z\",\"state\":\"PENDING\"}");
    } else if (!strcmp(req->method, "GET") && !strcmp(req->target, "/oapi/v1/jobs/7")) {
        bool pending = f->end == DF_FOREVER || f->checks < f->pendings;
        f->checks++;
        if (pending)
            snprintf(out->body, sizeof out->body, "{\"id\":7,\"created_at\":"
                     "\"2024-01-01T00:00:00Z\",\"updated_at\":\"2024-01-01T00:00:10Z\","
                     "\"state\":\"PENDING\"}");
        else if (f->end == DF_SUCCESS)
            snprintf(out->body, sizeof out->body, "{\"id\":7,\"created_at\":"
                     "\"2024-01-01T00:00:00.5Z\",\"updated_at\":\"2024-01-01T00:01:30Z\","
                     "\"state\":\"SUCCESS\",\"result\":{\"job_states\":[{\"results\":[{"
                     "\"scheduler_cluster_id\":1,\"success_tasks\":[{\"url\":\"http://r/b1\","
                     "\"hostname\":\"peer-a\",\"ip\":\"10.0.0.1\"}],\"failure_tasks\":[{"
                     "\"url\":\"http://r/b2\",\"hostname\":\"peer-b\",\"ip\":\"10.0.0.2\","
                     "\"description\":\"disk full\"}]}]}]}}");
        else
            snprintf(out->body, sizeof out->body, "{\"id\":7,\"state\":\"FAILURE\",\"result\":"
                     "{\"job_states\":[{\"error\":\"peer unreachable\"},{\"error\":\"timeout\"}"
                     "]}}");
    } else {
        out->status = 404;
    }
    pthread_mutex_unlock(&f->mu);
}

static void kraken(const hf_req *req, hf_reply *out, void *ud)
{
    provider_fake *f = ud;
    pthread_mutex_lock(&f->mu);
    if (!strcmp(req->method, "GET") && !strcmp(req->target, "/health"))
        out->status = f->health_status;
    else if (!strcmp(req->method, "POST") && !strcmp(req->target, "/registry/notifications"))
        out->status = f->post_status;
    else
        out->status = 404;
    pthread_mutex_unlock(&f->mu);
}

/* ---- helpers --------------------------------------------------------------------------- */

static const char *const DIGEST =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";
static const char *const IMAGE_URL = "https://harbor.example.com/v2/library/busybox/manifests/"
                                     "latest";

/* The `provider` document core sends (an instance row as JSON). */
static char *provider_doc(const char *vendor, const char *endpoint, const char *mode,
                          json_t *auth_info)
{
    json_t *p = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:i}", "id", 1, "name", "p1",
                          "description", "", "vendor", vendor, "endpoint", endpoint,
                          "auth_mode", mode, "status", "Unknown", "enabled", 1, "default", 1,
                          "insecure", 0, "setup_timestamp", 1700000000);
    if (auth_info)
        json_object_set_new(p, "auth_info", auth_info);
    char *s = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    return s;
}

/* The `image` document core sends; extra (stolen, may be NULL) is extra_attrs. */
static char *image_doc(json_t *extra)
{
    json_t *i = json_pack("{s:s,s:s,s:{s:s,s:i},s:s,s:s,s:s}", "type", "image", "url",
                          IMAGE_URL, "headers", "Authorization", "Bearer regtoken", "X-Num", 5,
                          "image", "library/busybox", "tag", "latest", "digest", DIGEST);
    if (extra)
        json_object_set_new(i, "extra_attrs", extra);
    char *s = json_dumps(i, JSON_COMPACT);
    json_decref(i);
    return s;
}

/* The launch body core sends (unique: true), with both documents (freed here). */
static char *launch_body(char *provider, char *image)
{
    json_t *b = json_pack("{s:{s:s,s:{s:s,s:s},s:{s:s,s:b}}}", "job", "name", "P2P_PREHEAT",
                          "parameters", "provider", provider, "image", image, "metadata",
                          "kind", "Generic", "unique", 1);
    char *s = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    free(provider);
    free(image);
    return s;
}

static char *launch(char *provider, char *image)
{
    char *body = launch_body(provider, image);
    char *id = af_launch(body);
    free(body);
    return id;
}

/* Waits for a final status; MaxFails 1: the job ran exactly once. */
static void expect_final(const char *id, const char *want)
{
    assert_true(engine_fixture_wait_status(af.eng, id, want, 15000));
    wait_sleep_ms(100);   /* a negative check: no second run follows */
    char *log = af_job_log(id);
    int runs = 0;
    for (const char *p = log; (p = strstr(p, "Preheating image '")); p++)
        runs++;
    assert_int_equal(runs, 1);
    free(log);
}

static http_fake *start(hf_handler h, provider_fake *f, char *endpoint, size_t len)
{
    *f = (provider_fake){.pendings = 1};
    pthread_mutex_init(&f->mu, NULL);
    http_fake *s = hf_start(NULL, NULL, h, f);
    assert_non_null(s);
    snprintf(endpoint, len, "http://127.0.0.1:%d/", hf_port(s));   /* core keeps a '/' */
    return s;
}

static void stop(http_fake *s, provider_fake *f)
{
    hf_stop(s);
    pthread_mutex_destroy(&f->mu);
}

static int fake_checks(provider_fake *f)
{
    pthread_mutex_lock(&f->mu);
    int n = f->checks;
    pthread_mutex_unlock(&f->mu);
    return n;
}

static bool checked(void *arg)
{
    return fake_checks(arg) >= 1;
}

/* ---- Dragonfly ------------------------------------------------------------------------- */

static void test_dragonfly_success(void **state)
{
    (void)state;
    provider_fake f;
    char ep[64];
    http_fake *s = start(dragonfly, &f, ep, sizeof ep);
    json_t *extra = json_pack("{s:s,s:[i,i]}", "scope", "all_peers", "cluster_ids", 1, 2);
    char *id = launch(provider_doc("dragonfly", ep, "OAUTH", json_pack("{s:s}", "token", "tok")),
                      image_doc(extra));
    expect_final(id, "Success");
    assert_int_equal(hf_count(s), 4);          /* health, preheat, PENDING, SUCCESS */
    hf_req r;
    hf_get(s, 0, &r);
    assert_string_equal(r.method, "GET");
    assert_string_equal(r.target, "/healthy");
    assert_int_equal(hf_header_count(&r, "Authorization", "Bearer tok"), 1);
    assert_int_equal(hf_header_count(&r, "Accept", "application/json"), 1);
    hf_req_free(&r);
    hf_get(s, 1, &r);
    assert_string_equal(r.method, "POST");
    assert_string_equal(r.target, "/oapi/v1/jobs");
    assert_int_equal(hf_header_count(&r, "Content-Type", "application/json"), 1);
    assert_int_equal(hf_header_count(&r, "Authorization", "Bearer tok"), 1);
    /* Harbor's request: string headers only, the scope and clusters of extra_attrs */
    assert_string_equal(r.body, "{\"type\":\"preheat\",\"args\":{\"type\":\"image\",\"url\":\""
                                "https://harbor.example.com/v2/library/busybox/manifests/latest"
                                "\",\"tag\":\"\",\"filtered_query_params\":\"\",\"headers\":{"
                                "\"Authorization\":\"Bearer regtoken\"},\"scope\":\"all_peers\","
                                "\"concurrent_count\":0,\"timeout\":0},"
                                "\"scheduler_cluster_ids\":[1,2]}");
    hf_req_free(&r);
    hf_get(s, 2, &r);
    assert_string_equal(r.target, "/oapi/v1/jobs/7");
    hf_req first_check;
    hf_get(s, 1, &first_check);
    long long gap = r.t_ms - first_check.t_ms;
    fprintf(stderr, "first progress check %lld ms after the preheat request\n", gap);
    assert_true(gap >= INTERVAL_MS - 20);      /* the first check waits one interval */
    hf_req_free(&first_check);
    hf_req_free(&r);
    af_expect_log(id, "Preheating image 'library/busybox:latest@sha256:1111111111111111111111111111"
                   "111111111111111111111111111111111111' to the target preheat provider: "
                   "dragonfly p1:http://127.0.0.1:");
    af_expect_log(id, "Get preheat provider driver: dragonfly");
    af_expect_log(id, "Check health of preheat provider instance: Healthy");
    af_expect_log(id, "Sending preheat request is successfully done");
    af_expect_log(id, "Start to loop check the preheating status until it's success or "
                   "timeout(30m)");
    af_expect_log(id, "Check preheat progress: Task [7] is running, start time=2024-01-01T00:00:00Z");
    af_expect_log(id, "Check preheat progress: Task [7] is success with duration: 1m30s");
    af_expect_log(id, "Preheat job finished, message from provider: \n"
                   "+-------------+----------+----------+------------+---------+---------------+\n"
                   "|  BLOB URL   | HOSTNAME |    IP    | CLUSTER ID |  STATE  | ERROR MESSAGE |\n"
                   "+-------------+----------+----------+------------+---------+---------------+\n"
                   "| http://r/b1 | peer-a   | 10.0.0.1 |          1 | SUCCESS |               |\n"
                   "| http://r/b2 | peer-b   | 10.0.0.2 |          1 | FAILURE | disk full     |\n"
                   "+-------------+----------+----------+------------+---------+---------------+\n");
    free(id);
    stop(s, &f);
}

static void test_dragonfly_failure(void **state)
{
    (void)state;
    provider_fake f;
    char ep[64];
    http_fake *s = start(dragonfly, &f, ep, sizeof ep);
    f.end = DF_FAILURE;
    char *id = launch(provider_doc("dragonfly", ep, "NONE", NULL), image_doc(NULL));
    expect_final(id, "Error");
    af_expect_log(id, "]: preheat failed: Task [7] is fail with error: "
                   "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"peer unreachable\"},"
                   "{\"code\":\"UNKNOWN\",\"message\":\"timeout\"}]}");
    hf_req r;
    hf_get(s, 1, &r);                          /* no scope, no clusters: Harbor's zero values */
    assert_non_null(strstr(r.body, "\"scope\":\"\",\"concurrent_count\":0,\"timeout\":0},"
                                   "\"scheduler_cluster_ids\":null}"));
    char v[64];
    assert_null(hf_header(&r, "Authorization", v, sizeof v));   /* NONE: no auth header */
    hf_req_free(&r);
    free(id);
    stop(s, &f);
}

/* A preheat that never finishes: Error at the polling timeout, after about timeout/interval
 * checks. */
static void test_dragonfly_never_finishes(void **state)
{
    (void)state;
    provider_fake f;
    char ep[64];
    http_fake *s = start(dragonfly, &f, ep, sizeof ep);
    f.end = DF_FOREVER;
    long long t0 = wait_now_ms();
    char *id = launch(provider_doc("dragonfly", ep, "NONE", NULL), image_doc(NULL));
    expect_final(id, "Error");
    long long took = wait_now_ms() - t0;
    int checks = fake_checks(&f);
    fprintf(stderr, "never-finishing preheat: Error after %lld ms, %d checks\n", took, checks);
    assert_true(took >= TIMEOUT_MS && took < TIMEOUT_MS + 3000);
    assert_true(checks >= (int)(TIMEOUT_MS / INTERVAL_MS) - 2 &&
                checks <= (int)(TIMEOUT_MS / INTERVAL_MS));
    af_expect_log(id, "]: status check timeout: 1.5s");
    free(id);
    stop(s, &f);
}

/* A stop while polling: Stopped at once, and no check after it. */
static void test_dragonfly_stop_while_polling(void **state)
{
    (void)state;
    provider_fake f;
    char ep[64];
    http_fake *s = start(dragonfly, &f, ep, sizeof ep);
    f.end = DF_FOREVER;
    char *id = launch(provider_doc("dragonfly", ep, "NONE", NULL), image_doc(NULL));
    assert_true(wait_until(checked, &f, 10000));
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", id);
    hc_resp r = af_post(path, "{\"action\":\"stop\"}");
    af_expect(&r, 204, "");
    assert_true(engine_fixture_wait_status(af.eng, id, "Stopped", 2000));
    wait_sleep_ms(100);               /* a check in flight at the stop ends */
    int after = fake_checks(&f);
    wait_sleep_ms(3 * INTERVAL_MS);   /* a negative check: no status check after the stop */
    assert_int_equal(fake_checks(&f), after);
    assert_true(engine_fixture_wait_status(af.eng, id, "Stopped", 100));
    free(id);
    stop(s, &f);
}

/* ---- Kraken ---------------------------------------------------------------------------- */

static void test_kraken(void **state)
{
    (void)state;
    provider_fake f;
    char ep[64];
    http_fake *s = start(kraken, &f, ep, sizeof ep);
    char *id = launch(provider_doc("kraken", ep, "BASIC", json_pack("{s:s}", "user", "pw")),
                      image_doc(NULL));
    expect_final(id, "Success");
    assert_int_equal(hf_count(s), 2);          /* health and the notification: no polling */
    hf_req r;
    hf_get(s, 0, &r);
    assert_string_equal(r.target, "/health");
    assert_int_equal(hf_header_count(&r, "Authorization", "Basic dXNlcjpwdw=="), 1);
    hf_req_free(&r);
    hf_get(s, 1, &r);
    assert_string_equal(r.target, "/registry/notifications");
    json_error_t je;
    json_t *n = json_loads(r.body, 0, &je);
    assert_non_null(n);
    json_t *ev = json_array_get(json_object_get(n, "Events"), 0);
    assert_int_equal(json_array_size(json_object_get(n, "Events")), 1);
    const char *evid = json_string_value(json_object_get(ev, "Id"));
    assert_int_equal(strlen(evid), 32);
    assert_int_equal(strspn(evid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
                     32);
    assert_string_equal(json_string_value(json_object_get(ev, "Action")), "push");
    assert_non_null(strstr(json_string_value(json_object_get(ev, "TimeStamp")), "Z"));
    json_t *t = json_object_get(ev, "Target");
    assert_string_equal(json_string_value(json_object_get(t, "MediaType")),
                        "application/vnd.docker.distribution.manifest.v2+json");
    assert_string_equal(json_string_value(json_object_get(t, "Digest")), DIGEST);
    assert_string_equal(json_string_value(json_object_get(t, "Repository")), "library/busybox");
    assert_string_equal(json_string_value(json_object_get(t, "Url")), IMAGE_URL);
    assert_string_equal(json_string_value(json_object_get(t, "Tag")), "latest");
    assert_true(json_is_null(json_object_get(ev, "Request")));
    assert_true(json_is_null(json_object_get(ev, "Actor")));
    json_decref(n);
    hf_req_free(&r);
    af_expect_log(id, "Preheating is completed");
    free(id);
    stop(s, &f);
}

/* ---- launch-time validation ------------------------------------------------------------ */

static void expect_400(const char *params, const char *details_head)
{
    char body[2048];
    snprintf(body, sizeof body, "{\"job\":{\"name\":\"P2P_PREHEAT\",\"parameters\":%s,"
             "\"metadata\":{\"kind\":\"Generic\",\"unique\":true}}}", params);
    long long stats = af_count_stats();
    hc_resp r = af_post("/api/v1/jobs", body);
    char want[1024];
    snprintf(want, sizeof want, "{\"code\":10013,\"message\":\"bad request\",\"details\":\"%s",
             details_head);
    if (r.status != 400 || strncmp(r.body, want, strlen(want)))
        fprintf(stderr, "got %ld %s\nwant 400 %s...\n", r.status, r.body, want);
    assert_int_equal(r.status, 400);
    assert_memory_equal(r.body, want, strlen(want));
    hc_resp_free(&r);
    assert_int_equal(af_count_stats(), stats);
}

/* {"provider":<p>,"image":<i>} with both given as raw JSON texts to embed as strings. */
static char *params2(const char *provider, const char *image)
{
    json_t *p = json_object();
    if (provider)
        json_object_set_new(p, "provider", json_string(provider));
    if (image)
        json_object_set_new(p, "image", json_string(image));
    char *s = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    return s;
}

static void test_validation(void **state)
{
    (void)state;
    char *good_p = provider_doc("dragonfly", "http://d:1", "NONE", NULL);
    char *good_i = image_doc(NULL);
    expect_400("{}", "missing job parameter 'provider'");
    expect_400("{\"provider\":null}", "missing job parameter 'provider'");
    expect_400("{\"provider\":\"\"}", "bad job parameter 'provider'");
    expect_400("{\"provider\":5}", "bad job parameter 'provider'");
    static const struct { const char *provider, *image, *want; } cases[] = {
        {"{", NULL, "parse job parameter error: construct preheat instance error: "},
        {"[1]", NULL, "parse job parameter error: construct preheat instance error: json: cannot "
                      "unmarshal array into Go value of type provider.Instance"},
        {"{\"vendor\":5}", NULL, "parse job parameter error: construct preheat instance error: "
                                 "json: cannot unmarshal number into Go struct field "
                                 "Instance.vendor of type string"},
        {"{\"vendor\":\"dragonfly\",\"auth_mode\":\"NONE\",\"endpoint\":\"http://d\","
         "\"insecure\":\"yes\"}", NULL, "parse job parameter error: construct preheat instance "
                                        "error: json: cannot unmarshal string into Go struct "
                                        "field Instance.insecure of type bool"},
        {"{\"endpoint\":\"http://d\",\"auth_mode\":\"NONE\"}", NULL,
         "missing vendor of preheat provider"},
        {"{\"vendor\":\"kraken\",\"endpoint\":\"http://d\",\"auth_mode\":\"BASIC\"}", NULL,
         "missing auth info for 'BASIC' auth mode"},
        {"{\"vendor\":\"kraken\",\"endpoint\":\"http://d\"}", NULL,
         "missing auth info for '' auth mode"},
        {"{\"VENDOR\":\"kraken\",\"Auth_Mode\":\"NONE\"}", NULL,
         "missing endpoint of preheat provider"},   /* Go matches keys without case */
        {NULL, NULL, "missing job parameter 'image'"},
        {NULL, "{\"type\":\"file\",\"image\":\"a\",\"tag\":\"t\",\"headers\":{\"a\":\"b\"}}",
         "parse job parameter error: unsupported type 'file'"},
        {NULL, "{\"type\":\"image\",\"image\":\"a\",\"headers\":{\"a\":\"b\"}}",
         "parse job parameter error: missing image repository or tag"},
        {NULL, "{\"type\":\"cnai\",\"image\":\"a\",\"tag\":\"t\",\"headers\":{}}",
         "parse job parameter error: missing required headers"},
        {NULL, "{\"type\":\"image\",\"image\":\"a\",\"tag\":\"t\",\"headers\":{\"a\":1},"
               "\"url\":\"http://h/%zz\"}",
         "parse job parameter error: malformed registry URL: parse \\\"http://h/%zz\\\": "
         "invalid URL escape \\\"%zz\\\""},
        {NULL, "{\"type\":\"image\",\"headers\":[]}", "parse job parameter error: construct "
         "preheating image error: json: cannot unmarshal array into Go struct field "
         "PreheatImage.headers of type map[string]interface {}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *prov = cases[i].provider ? cases[i].provider : good_p;
        const char *img = cases[i].image ? cases[i].image
                        : cases[i].provider ? good_i : NULL;
        char *p = params2(prov, img);
        expect_400(p, cases[i].want);
        free(p);
    }
    free(good_p);
    free(good_i);
}

/* ---- bad runs: accepted at launch, Error at run time, once --------------------------------- */

static void test_bad_runs(void **state)
{
    (void)state;
    provider_fake f;
    char ep[64], dead_ep[64], want[512];
    http_fake *s = start(dragonfly, &f, ep, sizeof ep);
    snprintf(dead_ep, sizeof dead_ep, "http://127.0.0.1:%d", redis_fixture_free_port());
    char *id = launch(provider_doc("acme", ep, "NONE", NULL), image_doc(NULL));
    expect_final(id, "Error");
    af_expect_log(id, "]: No driver registered for provider acme");
    free(id);
    id = launch(provider_doc("dragonfly", ep, "TOKEN", json_pack("{s:s}", "k", "v")),
                image_doc(NULL));
    expect_final(id, "Error");
    af_expect_log(id, "]: no auth handler registered for mode: TOKEN");
    free(id);
    id = launch(provider_doc("dragonfly", dead_ep, "NONE", NULL), image_doc(NULL));
    expect_final(id, "Error");
    snprintf(want, sizeof want, "]: Get \"%s/healthy\": ", dead_ep);
    af_expect_log(id, want);
    free(id);
    id = launch(provider_doc("dragonfly", ep, "NONE", NULL),
                image_doc(json_pack("{s:s}", "scope", "everywhere")));
    expect_final(id, "Error");
    af_expect_log(id, "]: specify the invalid scope: invalid scope: "
                   "everywhere");
    free(id);
    pthread_mutex_lock(&f.mu);
    f.post_status = 208;
    pthread_mutex_unlock(&f.mu);
    id = launch(provider_doc("dragonfly", ep, "NONE", NULL), image_doc(NULL));
    expect_final(id, "Error");
    af_expect_log(id, "]: http error: code 208, message status already "
                   "reported");
    free(id);
    pthread_mutex_lock(&f.mu);
    f.health_status = 503;
    pthread_mutex_unlock(&f.mu);
    id = launch(provider_doc("dragonfly", ep, "NONE", NULL), image_doc(NULL));
    expect_final(id, "Error");
    snprintf(want, sizeof want, "]: GET \"http://127.0.0.1:%d/healthy\" "
             "error: 503 Service Unavailable down", hf_port(s));
    af_expect_log(id, want);
    free(id);
    hc_resp r = af_get("/api/v1/stats");       /* the service is unharmed */
    assert_int_equal(r.status, 200);
    hc_resp_free(&r);
    stop(s, &f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dragonfly_success),
        cmocka_unit_test(test_dragonfly_failure),
        cmocka_unit_test(test_dragonfly_never_finishes),
        cmocka_unit_test(test_dragonfly_stop_while_polling),
        cmocka_unit_test(test_kraken),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_bad_runs),
    };
    return cmocka_run_group_tests(tests, setup, api_fixture_teardown);
}
