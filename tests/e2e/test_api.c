/* Black-box tests of the REST API (spec §2): a private redis-server, an engine with the
 * DEMO and SCHEDULER jobs, the API server on 127.0.0.1 port 0, and real HTTP through
 * libcurl. Every route, Harbor's error codes and texts, auth, the body cap, keep-alive,
 * timeouts, and the deliberate differences of docs/compat.md. */
#include "test.h"

#include <sys/stat.h>
#include <unistd.h>

#include "berth/berth.h"
#include "berth/jobs.h"
#include "engine_fixture.h"
#include "http_client.h"
#include "model/stats_from_json.h"
#include "server/api.h"

#define SECRET "s3cr3t-for-tests"
#define AUTH "Harbor-Secret " SECRET
#define MAX_BODY 65536
#define LOG_TAIL 4096

static redis_fixture rf;
static berth_engine *eng;
static api_server *api;
static hc cli;
static char logdir[256];
static char redis_url[64];

/* ---- fixture --------------------------------------------------------------------------- */

static api_ctx base_ctx(berth_engine *e)
{
    return (api_ctx){.engine = e, .secret = SECRET, .redis_url = redis_url, .ns = "t",
                     .idle_timeout_second = 3600, .job_log_dir = logdir,
                     .max_retrieve_bytes = LOG_TAIL, .max_body = MAX_BODY};
}

static api_server *start_api(const api_ctx *ctx)
{
    api_server *s = NULL;
    char err[256] = "";
    if (api_server_start(ctx, "127.0.0.1", 0, &s, err, sizeof err) != 0)
        fprintf(stderr, "api_server_start: %s\n", err);
    assert_non_null(s);
    assert_true(api_server_port(s) > 0);
    return s;
}

static int setup(void **state)
{
    (void)state;
    if (redis_fixture_start(&rf, NULL) != 0)
        return -1;
    snprintf(logdir, sizeof logdir, "%s/logs", rf.dir);
    snprintf(redis_url, sizeof redis_url, "redis://127.0.0.1:%d/0", rf.port);
    if (mkdir(logdir, 0700) != 0)
        return -1;
    berth_engine_config c = engine_fixture_config(&rf);
    c.job_log_dir = logdir;
    char err[256];
    if (berth_engine_new(&c, &eng, err, sizeof err) != 0 ||
        berth_jobs_register_demo(eng, 300) != 0 || berth_jobs_register_scheduler(eng) != 0 ||
        berth_engine_start(eng) != 0)
        return -1;
    api_ctx ctx = base_ctx(eng);
    if (api_server_start(&ctx, "127.0.0.1", 0, &api, err, sizeof err) != 0)
        return -1;
    hc_init(&cli, api_server_port(api));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hc_cleanup(&cli);
    api_server_stop(api);
    berth_engine_free(eng);
    redis_fixture_stop(&rf);
    return 0;
}

/* ---- helpers --------------------------------------------------------------------------- */

static hc_resp get(const char *path)
{
    hc_resp r;
    assert_int_equal(hc_get(&cli, path, AUTH, &r), 0);
    return r;
}

static hc_resp post(const char *path, const char *body)
{
    hc_resp r;
    assert_int_equal(hc_post(&cli, path, AUTH, body, &r), 0);
    return r;
}

/* Asserts status and exact body, then frees r. */
static void expect(hc_resp *r, long status, const char *body)
{
    if (r->status != status || strcmp(r->body, body) != 0)
        fprintf(stderr, "got %ld %s\nwant %ld %s\n", r->status, r->body, status, body);
    assert_int_equal(r->status, status);
    assert_string_equal(r->body, body);
    hc_resp_free(r);
}

static void expect_header(const hc_resp *r, const char *name, const char *want)
{
    char v[256];
    const char *got = hc_header(r, name, v, sizeof v);
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
}

static long long count_stats(void)
{
    return redis_fixture_int(&rf, "EVAL %s 0", "return #redis.call('keys','{t}:job_stats:*')");
}

static berth_stats *parse_stats(const hc_resp *r)
{
    berth_stats *s = NULL;
    char err[256];
    if (berth_stats_from_json(r->body, r->len, true, &s, err, sizeof err) != 0)
        fprintf(stderr, "bad stats JSON (%s): %s\n", err, r->body);
    assert_non_null(s);
    return s;
}

/* Launches body, expects 202, returns the new job id (caller frees). */
static char *launch(const char *body)
{
    hc_resp r = post("/api/v1/jobs", body);
    if (r.status != 202)
        fprintf(stderr, "launch: %ld %s\n", r.status, r.body);
    assert_int_equal(r.status, 202);
    berth_stats *s = parse_stats(&r);
    char *id = strdup(s->id);
    berth_stats_free(s);
    hc_resp_free(&r);
    return id;
}

/* ---- auth (spec §2.2) ---------------------------------------------------------------- */

static void expect_401(const char *path, const char *auth, const char *why)
{
    hc_resp r;
    assert_int_equal(hc_get(&cli, path, auth, &r), 0);
    expect_header(&r, "Content-Type", "text/plain; charset=utf-8");
    char body[256];
    snprintf(body, sizeof body, "{\"code\":10011,\"message\":\"unauthorized\",\"details\":\"%s\"}",
             why);
    expect(&r, 401, body);
}

static void test_auth_failures(void **state)
{
    (void)state;
    expect_401("/api/v1/jobs/abc", NULL, "header 'Authorization' missing");
    expect_401("/api/v1/jobs/abc", "", "header 'Authorization' missing");
    expect_401("/api/v1/jobs/abc", "Bearer " SECRET,
               "'Authorization' should start with 'Harbor-Secret'");
    expect_401("/api/v1/jobs/abc", "harbor-secret " SECRET,
               "'Authorization' should start with 'Harbor-Secret'");
    expect_401("/api/v1/jobs/abc", "Harbor-Secret", "empty secret is not allowed");
    expect_401("/api/v1/jobs/abc", "Harbor-Secret wrong", "unauthorized");
    expect_401("/api/v1/jobs/abc", "Harbor-Secret " SECRET "x", "unauthorized");
    expect_401("/api/v1/jobs/abc", "Harbor-Secret " SECRET " x", "unauthorized");
    /* auth comes before routing: unknown paths, bad methods and unclean paths are 401 */
    expect_401("/nope", NULL, "header 'Authorization' missing");
    expect_401("/api/v1//jobs", NULL, "header 'Authorization' missing");
    expect_401("/api/v1/stats?x=1", NULL, "header 'Authorization' missing");
    expect_401("/api/v1/stats/", NULL, "header 'Authorization' missing");
    expect_401("/api/v1/config", "Harbor-Secret nope", "unauthorized");
}

static void test_auth_passes(void **state)
{
    (void)state;
    hc_resp r;
    /* no space is needed after the prefix; surrounding blanks are trimmed */
    assert_int_equal(hc_get(&cli, "/api/v1/jobs/nosuchjob", "Harbor-Secret" SECRET, &r), 0);
    expect(&r, 404, "{\"code\":10010,\"message\":\"object is not found\",\"details\":\"nosuchjob\"}");
    assert_int_equal(hc_get(&cli, "/api/v1/jobs/nosuchjob", "Harbor-Secret \t " SECRET "\t", &r),
                     0);
    assert_int_equal(r.status, 404);
    hc_resp_free(&r);
    /* exactly /api/v1/stats and /healthz need none */
    assert_int_equal(hc_get(&cli, "/api/v1/stats", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    hc_resp_free(&r);
    assert_int_equal(hc_get(&cli, "/healthz", NULL, &r), 0);
    expect(&r, 200, "ok\n");
    r = get("/api/v1/stats?x=1");
    assert_int_equal(r.status, 200);
    hc_resp_free(&r);
}

static void test_auth_empty_secret(void **state)
{
    (void)state;
    api_ctx ctx = base_ctx(eng);
    ctx.secret = "";
    api_server *s = start_api(&ctx);
    hc c;
    hc_init(&c, api_server_port(s));
    hc_resp r;
    assert_int_equal(hc_get(&c, "/api/v1/jobs/x", "Harbor-Secret " SECRET, &r), 0);
    expect(&r, 401, "{\"code\":10011,\"message\":\"unauthorized\",\"details\":\"unauthorized\"}");
    assert_int_equal(hc_get(&c, "/api/v1/jobs/x", "Harbor-Secret ", &r), 0);
    expect(&r, 401, "{\"code\":10011,\"message\":\"unauthorized\","
                    "\"details\":\"empty secret is not allowed\"}");
    assert_int_equal(hc_get(&c, "/api/v1/stats", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    hc_resp_free(&r);
    hc_cleanup(&c);
    api_server_stop(s);
}

/* ---- routing (spec §2.4) ------------------------------------------------------------- */

static void test_unknown_routes(void **state)
{
    (void)state;
    hc_resp r = get("/nope");
    expect_header(&r, "Content-Type", "text/plain; charset=utf-8");
    expect_header(&r, "X-Content-Type-Options", "nosniff");
    expect(&r, 404, "404 page not found\n");
    r = get("/api/v1/jobs/");            /* empty {job_id} */
    expect(&r, 404, "404 page not found\n");
    r = get("/api/v1/jobs/a/b");
    expect(&r, 404, "404 page not found\n");
    r = get("/api/v1/jobs/a%2Fb/log");   /* a decoded '/' never sits in a job id */
    expect(&r, 404, "404 page not found\n");
    r = get("/api/v1/stats/");
    expect(&r, 404, "404 page not found\n");
}

static void test_wrong_methods(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"DELETE", "/api/v1/jobs"}, {"PUT", "/api/v1/jobs/abc"},
        {"POST", "/api/v1/stats"}, {"POST", "/api/v1/jobs/abc/log"},
        {"POST", "/api/v1/jobs/abc/executions"}, {"DELETE", "/api/v1/config"},
        {"POST", "/healthz"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hc_resp r;
        assert_int_equal(hc_do(&cli, cases[i][0], cases[i][1], AUTH, "{}", 2, 0, &r), 0);
        expect_header(&r, "Content-Type", NULL);
        expect(&r, 405, "");
    }
}

static void test_unclean_paths_redirect(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"/api/v1//jobs?page_size=2", "/api/v1/jobs?page_size=2"},
        {"/api/v1/jobs/../stats", "/api/v1/stats"},
        {"/api/v1/./config", "/api/v1/config"},
        {"/api/v1/jobs/x/..//", "/api/v1/jobs/"},
        {"/../../api/v1/stats", "/api/v1/stats"},
        {"/api/v1/jobs/a%20b/./log", "/api/v1/jobs/a%20b/log"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hc_resp r = get(cases[i][0]);
        expect_header(&r, "Location", cases[i][1]);
        expect(&r, 301, "");
    }
}

static void test_keep_alive(void **state)
{
    (void)state;
    hc c;
    hc_init(&c, api_server_port(api));
    hc_resp r;
    assert_int_equal(hc_get(&c, "/api/v1/stats", NULL, &r), 0);
    assert_int_equal(r.num_connects, 1);
    hc_resp_free(&r);
    assert_int_equal(hc_get(&c, "/api/v1/config", AUTH, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.num_connects, 0);   /* same connection */
    hc_resp_free(&r);
    /* a POST with a body, and an error reply, keep it too */
    assert_int_equal(hc_post(&c, "/api/v1/jobs/nosuch", AUTH, "{\"action\":\"stop\"}", &r), 0);
    assert_int_equal(r.status, 404);
    assert_int_equal(r.num_connects, 0);
    hc_resp_free(&r);
    assert_int_equal(hc_get(&c, "/api/v1/jobs/x", NULL, &r), 0);
    assert_int_equal(r.status, 401);
    assert_int_equal(r.num_connects, 0);
    hc_resp_free(&r);
    assert_int_equal(hc_get(&c, "/api/v1/jobs/x", AUTH, &r), 0);
    assert_int_equal(r.num_connects, 0);
    hc_resp_free(&r);
    hc_cleanup(&c);
}

static void test_idle_timeout(void **state)
{
    (void)state;
    api_ctx ctx = base_ctx(eng);
    ctx.idle_timeout_s = 1;
    api_server *s = start_api(&ctx);
    hc c;
    hc_init(&c, api_server_port(s));
    hc_resp r;
    assert_int_equal(hc_get(&c, "/healthz", NULL, &r), 0);
    hc_resp_free(&r);
    assert_int_equal(hc_get(&c, "/healthz", NULL, &r), 0);
    assert_int_equal(r.num_connects, 0);
    hc_resp_free(&r);
    engine_fixture_sleep_ms(2500);        /* idle past 1 s: the server closed it */
    assert_int_equal(hc_get(&c, "/healthz", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.num_connects, 1);
    hc_resp_free(&r);
    hc_cleanup(&c);
    api_server_stop(s);
}

/* ---- launch (spec §2.5) -------------------------------------------------------------- */

static void expect_400(const char *body, const char *details)
{
    hc_resp r = post("/api/v1/jobs", body);
    char want[512];
    snprintf(want, sizeof want, "{\"code\":10013,\"message\":\"bad request\",\"details\":\"%s\"}",
             details);
    expect(&r, 400, want);
}

static void test_launch_validation(void **state)
{
    (void)state;
    long long before = count_stats();
    expect_400("{}", "empty job request is not allowed");
    expect_400("null", "empty job request is not allowed");
    expect_400("{\"job\":{\"name\":\"  \",\"metadata\":{\"kind\":\"Generic\"}}}",
               "name of job must be specified");
    expect_400("{\"job\":{\"name\":\"DEMO\"}}", "metadata of job is missing");
    expect_400("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"generic\"}}}",
               "job kind 'generic' is not supported, only support "
               "'Generic','Scheduled','Periodic'");
    expect_400("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Scheduled\"}}}",
               "'schedule_delay' must be specified for Scheduled job");
    expect_400("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Periodic\"}}}",
               "'cron_spec' must be specified for the Periodic job");
    expect_400("{\"job\":{\"name\":\"NOPE\",\"metadata\":{\"kind\":\"Generic\"}}}",
               "job with name 'NOPE' is unknown");
    expect_400("{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"nginx\"},"
               "\"metadata\":{\"kind\":\"Generic\"}}}",
               "expected 'demo *' but got 'nginx'");
    expect_400("{\"job\":{\"name\":\"SCHEDULER\",\"metadata\":{\"kind\":\"Periodic\","
               "\"cron_spec\":\"0 0 0 * * *\"}}}",
               "periodic jobs are not supported yet");
    assert_int_equal(count_stats(), before);
}

static void test_launch_malformed_json(void **state)
{
    (void)state;
    long long dbsize = redis_fixture_int(&rf, "DBSIZE"), stats = count_stats();
    hc_resp r = post("/api/v1/jobs", "not-json");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "{\"code\":10001,\"message\":\"handle json data failed with "
                                    "error\",\"details\":\""));
    hc_resp_free(&r);
    r = post("/api/v1/jobs", "{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Scheduled\","
                             "\"schedule_delay\":-1}}}");
    expect(&r, 400, "{\"code\":10001,\"message\":\"handle json data failed with error\","
                    "\"details\":\"json: cannot unmarshal number -1 into Go struct field "
                    "Metadata.job.metadata.schedule_delay of type uint64\"}");
    r = post("/api/v1/jobs", "");
    assert_int_equal(r.status, 400);
    hc_resp_free(&r);
    assert_int_equal(redis_fixture_int(&rf, "DBSIZE"), dbsize);
    assert_int_equal(count_stats(), stats);
}

static void test_body_cap(void **state)
{
    (void)state;
    size_t n = MAX_BODY + 1;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    const char *job = "{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Generic\"}}}";
    memcpy(big, job, strlen(job));
    big[n] = '\0';
    long long stats = count_stats();
    const char *want = "{\"code\":10000,\"message\":\"read request body failed with error\","
                       "\"details\":\"request body is larger than 65536 bytes\"}";
    hc c;
    hc_init(&c, api_server_port(api));
    hc_resp r;
    assert_int_equal(hc_do(&c, "POST", "/api/v1/jobs", AUTH, big, n, 0, &r), 0);
    expect(&r, 413, want);
    /* chunked: no length up front; read, dropped, answered, and the connection kept */
    assert_int_equal(hc_do(&c, "POST", "/api/v1/jobs", AUTH, big, n, 1, &r), 0);
    expect(&r, 413, want);
    assert_int_equal(hc_get(&c, "/api/v1/config", AUTH, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.num_connects, 0);
    hc_resp_free(&r);
    /* exactly at the cap is fine (a valid launch padded with blanks) */
    assert_int_equal(hc_do(&c, "POST", "/api/v1/jobs", AUTH, big, MAX_BODY, 1, &r), 0);
    assert_int_equal(r.status, 202);
    berth_stats *s = parse_stats(&r);
    assert_true(engine_fixture_wait_status(eng, s->id, "Success", 15000));
    berth_stats_free(s);
    hc_resp_free(&r);
    assert_int_equal(count_stats(), stats + 1);
    hc_cleanup(&c);
    free(big);
}

/* A DEMO job from launch to Success, with every field Harbor returns. */
static void test_demo_success(void **state)
{
    (void)state;
    hc_resp r = post("/api/v1/jobs", "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":"
                                     "\"demo:latest\"},\"metadata\":{\"kind\":\"Generic\","
                                     "\"unique\":false},\"status_hook\":\"\"}}");
    assert_int_equal(r.status, 202);
    expect_header(&r, "Content-Type", "application/json");
    expect_header(&r, "Accept", "application/json");
    berth_stats *s = parse_stats(&r);
    char *id = strdup(s->id);
    char want[512];
    snprintf(want, sizeof want, "{\"job\":{\"id\":\"%s\",\"status\":\"Pending\",\"name\":"
             "\"DEMO\",\"kind\":\"Generic\",\"unique\":false,\"ref_link\":\"/api/v1/jobs/%s\","
             "\"enqueue_time\":%lld,\"update_time\":%lld,\"parameters\":{\"image\":"
             "\"demo:latest\"}}}", id, id, (long long)s->enqueue_time,
             (long long)s->update_time);
    assert_string_equal(r.body, want);   /* no revision in the launch reply */
    assert_true(s->enqueue_time > 1700000000);
    berth_stats_free(s);
    hc_resp_free(&r);
    assert_true(engine_fixture_wait_status(eng, id, "Success", 15000));
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", id);
    r = get(path);
    assert_int_equal(r.status, 200);
    expect_header(&r, "Content-Type", "application/json");
    assert_null(strstr(r.body, "\"check_in\":"));   /* GET never returns check_in */
    s = parse_stats(&r);
    assert_string_equal(s->id, id);
    assert_string_equal(s->status, "Success");
    assert_string_equal(s->name, "DEMO");
    assert_string_equal(s->kind, "Generic");
    assert_false(s->unique);
    assert_string_equal(s->ref_link, path);
    assert_true(s->check_in_at >= s->enqueue_time);
    assert_true(s->update_time >= s->enqueue_time);
    assert_true(s->revision > 0);
    assert_string_equal(s->parameters, "{\"image\":\"demo:latest\"}");
    berth_stats_free(s);
    hc_resp_free(&r);
    /* stopping a finished job changes nothing and is 204 */
    r = post(path, "{\"action\":\"stop\"}");
    expect(&r, 204, "");
    char st[32];
    engine_fixture_status(eng, id, st, sizeof st);
    assert_string_equal(st, "Success");
    free(id);
}

static void test_stop_running_demo(void **state)
{
    (void)state;
    char *id = launch("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Generic\"}}}");
    assert_true(engine_fixture_wait_status(eng, id, "Running", 10000));
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", id);
    hc_resp r = post(path, "{\"action\":\"stop\"}");
    expect(&r, 204, "");
    assert_true(engine_fixture_wait_status(eng, id, "Stopped", 5000));
    engine_fixture_sleep_ms(1500);   /* the run ends and must not overwrite Stopped */
    r = get(path);
    berth_stats *s = parse_stats(&r);
    assert_string_equal(s->status, "Stopped");
    berth_stats_free(s);
    hc_resp_free(&r);
    free(id);
}

static void test_scheduled_unique_and_list(void **state)
{
    (void)state;
    const char *body = "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo:u\"},"
                       "\"metadata\":{\"kind\":\"Scheduled\",\"schedule_delay\":90,"
                       "\"unique\":true},\"status_hook\":\"http://core:8080/x\"}}";
    hc_resp r = post("/api/v1/jobs", body);
    assert_int_equal(r.status, 202);
    berth_stats *s = parse_stats(&r);
    char *id = strdup(s->id);
    assert_string_equal(s->status, "Scheduled");
    assert_string_equal(s->kind, "Scheduled");
    assert_true(s->unique);
    assert_int_equal(s->run_at, s->enqueue_time + 90);
    assert_string_equal(s->web_hook_url, "http://core:8080/x");
    berth_stats_free(s);
    hc_resp_free(&r);
    /* the same unique job again: Harbor's 500/10003 text first */
    r = post("/api/v1/jobs", body);
    assert_int_equal(r.status, 500);
    const char *head = "{\"code\":10003,\"message\":\"launch job failed with error\",\"details\":"
                       "\"job 'DEMO' can not be enqueued, please check the job metatdata";
    assert_memory_equal(r.body, head, strlen(head));
    assert_non_null(strstr(r.body, id));   /* Berth names the holder */
    hc_resp_free(&r);
    /* kind=Scheduled lists the scheduled set with Total-Count, 20 a page */
    r = get("/api/v1/jobs?kind=Scheduled");
    assert_int_equal(r.status, 200);
    expect_header(&r, "Total-Count", "1");
    expect_header(&r, "Next-Cursor", NULL);
    assert_non_null(strstr(r.body, id));
    assert_int_equal(r.body[0], '[');
    hc_resp_free(&r);
    r = get("/api/v1/jobs?kind=Scheduled&page_number=2");
    expect_header(&r, "Total-Count", "1");
    expect(&r, 200, "[]");
    /* stop it: Stopped, gone from the scheduled set */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", id);
    r = post(path, "{\"action\":\"stop\"}");
    expect(&r, 204, "");
    r = get(path);
    s = parse_stats(&r);
    assert_string_equal(s->status, "Stopped");
    berth_stats_free(s);
    hc_resp_free(&r);
    r = get("/api/v1/jobs?kind=Scheduled");
    expect_header(&r, "Total-Count", "0");
    expect(&r, 200, "[]");
    free(id);
}

/* Walks the SCAN cursor to the end; returns whether id was seen. */
static int scan_finds(const char *id, const char *extra)
{
    char path[256], next[32] = "0";
    int found = 0, rounds = 0;
    do {
        snprintf(path, sizeof path, "/api/v1/jobs?page_size=3&cursor=%s%s", next, extra);
        hc_resp r = get(path);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body[0], '[');
        assert_non_null(hc_header(&r, "Next-Cursor", next, sizeof next));
        expect_header(&r, "Total-Count", NULL);
        found |= strstr(r.body, id) != NULL;
        hc_resp_free(&r);
        assert_true(++rounds < 1000);
    } while (strcmp(next, "0") != 0);
    return found;
}

static void test_list_jobs_scan(void **state)
{
    (void)state;
    char *id = launch("{\"job\":{\"name\":\"SCHEDULER\",\"metadata\":{\"kind\":\"Generic\"}}}");
    assert_true(scan_finds(id, ""));
    assert_true(scan_finds(id, "&kind=Generic"));   /* any other kind: SCAN */
    hc_resp r = get("/api/v1/jobs?cursor=junk&page_size=100000");  /* junk cursor = 0 */
    assert_int_equal(r.status, 200);
    hc_resp_free(&r);
    assert_true(engine_fixture_wait_status(eng, id, "Success", 10000));
    free(id);
}

static void test_get_and_action_errors(void **state)
{
    (void)state;
    hc_resp r = get("/api/v1/jobs/doesnotexist");
    expect(&r, 404, "{\"code\":10010,\"message\":\"object is not found\","
                    "\"details\":\"doesnotexist\"}");
    r = post("/api/v1/jobs/doesnotexist", "{\"action\":\"stop\"}");
    expect(&r, 404, "{\"code\":10010,\"message\":\"object is not found\","
                    "\"details\":\"doesnotexist\"}");
    r = post("/api/v1/jobs/doesnotexist", "{\"action\":\"retry\"}");
    expect(&r, 501, "{\"code\":10008,\"message\":\"unknown job action name\","
                    "\"details\":\"command: retry\"}");
    r = post("/api/v1/jobs/doesnotexist", "{\"action\":\"STOP\"}");
    expect(&r, 501, "{\"code\":10008,\"message\":\"unknown job action name\","
                    "\"details\":\"command: STOP\"}");
    r = post("/api/v1/jobs/doesnotexist", "{}");
    expect(&r, 501, "{\"code\":10008,\"message\":\"unknown job action name\","
                    "\"details\":\"command: \"}");
    r = post("/api/v1/jobs/doesnotexist", "{\"action\":");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"code\":10001"));
    hc_resp_free(&r);
}

/* ---- log (spec §2.8) ----------------------------------------------------------------- */

static void write_file(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
}

static void test_job_log(void **state)
{
    (void)state;
    char *id = launch("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Generic\"}}}");
    assert_true(engine_fixture_wait_status(eng, id, "Success", 15000));
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s/log", id);
    hc_resp r = get(path);
    assert_int_equal(r.status, 200);
    expect_header(&r, "Content-Type", "text/plain; charset=utf-8");
    assert_non_null(strstr(r.body, "Sample job starting"));
    assert_non_null(strstr(r.body, "Sample job exit"));
    hc_resp_free(&r);
    free(id);
    /* only the last max_retrieve_bytes are sent; execution ids (<id>@<epoch>) are fine */
    const char *big_id = "0123456789abcdef01234567@1700000000";
    char file[512];
    snprintf(file, sizeof file, "%s/%s.log", logdir, big_id);
    size_t n = LOG_TAIL * 3;
    char *text = malloc(n);
    for (size_t i = 0; i < n; i++)
        text[i] = (char)('a' + i % 26);
    write_file(file, text, n);
    snprintf(path, sizeof path, "/api/v1/jobs/%s/log", big_id);
    r = get(path);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, LOG_TAIL);
    assert_memory_equal(r.body, text + n - LOG_TAIL, LOG_TAIL);
    hc_resp_free(&r);
    free(text);
}

static void test_job_log_errors(void **state)
{
    (void)state;
    hc_resp r = get("/api/v1/jobs/a..b/log");
    expect_header(&r, "Content-Type", "text/plain; charset=utf-8");
    expect(&r, 400, "invalid Job ID: a..b");
    r = get("/api/v1/jobs/abc/log");
    expect(&r, 500, "{\"code\":10009,\"message\":\"failed to get the job log\","
                    "\"details\":\"invalid length of log identify\"}");
    r = get("/api/v1/jobs/zzzzzzzzzzzzzzzzzzzzzzzz/log");
    expect(&r, 500, "{\"code\":10009,\"message\":\"failed to get the job log\","
                    "\"details\":\"invalid log identify\"}");
    r = get("/api/v1/jobs/0123456789abcdef0123ffff/log");
    expect(&r, 404, "{\"code\":10010,\"message\":\"object is not found\","
                    "\"details\":\"0123456789abcdef0123ffff\"}");
    /* no log directory: as Harbor with only STD_OUTPUT */
    api_ctx ctx = base_ctx(eng);
    ctx.job_log_dir = NULL;
    api_server *s = start_api(&ctx);
    hc c;
    hc_init(&c, api_server_port(s));
    assert_int_equal(hc_get(&c, "/api/v1/jobs/0123456789abcdef0123ffff/log", AUTH, &r), 0);
    expect(&r, 500, "{\"code\":10009,\"message\":\"failed to get the job log\","
                    "\"details\":\"no log data getter is configured\"}");
    hc_cleanup(&c);
    api_server_stop(s);
}

/* ---- executions (spec §2.9) ---------------------------------------------------------- */

#define POLICY "c0ffee00c0ffee00c0ffee00"

static void add_execution(long long epoch, long long score, int with_stats)
{
    if (with_stats)
        assert_true(redis_fixture_int(&rf, "HSET {t}:job_stats:" POLICY "@%lld id "
                                      POLICY "@%lld name SCHEDULER kind Scheduled status "
                                      "Scheduled unique 0 enqueue_time %lld update_time "
                                      "%lld run_at %lld upstream_job_id " POLICY
                                      " revision %lld", epoch, epoch, epoch, epoch, epoch,
                                      epoch) > 0);
    assert_int_equal(redis_fixture_int(&rf, "ZADD {t}:executions:" POLICY " %lld " POLICY
                                       "@%lld", score, epoch), 1);
}

static void test_executions(void **state)
{
    (void)state;
    assert_true(redis_fixture_int(&rf, "HSET {t}:job_stats:" POLICY " id " POLICY " name "
                                  "SCHEDULER kind Periodic status Scheduled unique 0 "
                                  "cron_spec %s enqueue_time 1 update_time 1 revision 1",
                                  "0 0 0 * * *") > 0);
    hc_resp r = get("/api/v1/jobs/" POLICY "/executions");
    expect_header(&r, "Total-Count", "0");
    expect(&r, 200, "[]");   /* Harbor: null */
    add_execution(1700000100, -1, 1);           /* finished */
    add_execution(1700000200, 1700000200, 1);
    add_execution(1700000300, 1700000300, 0);   /* stats gone: skipped */
    add_execution(1700000400, 1700000400, 1);
    r = get("/api/v1/jobs/" POLICY "/executions?page_number=1&page_size=2");
    assert_int_equal(r.status, 200);
    expect_header(&r, "Total-Count", "4");
    expect_header(&r, "Content-Type", "application/json");
    const char *a = strstr(r.body, "@1700000400"), *b = strstr(r.body, "@1700000300");
    assert_non_null(a);   /* newest first; the page held 400 and 300 (skipped) */
    assert_null(b);
    assert_null(strstr(r.body, "@1700000200"));
    hc_resp_free(&r);
    r = get("/api/v1/jobs/" POLICY "/executions?page_number=2&page_size=2");
    expect_header(&r, "Total-Count", "4");
    assert_non_null(strstr(r.body, "@1700000200"));
    assert_non_null(strstr(r.body, "@1700000100"));
    assert_true(strstr(r.body, "@1700000200") < strstr(r.body, "@1700000100"));
    hc_resp_free(&r);
    r = get("/api/v1/jobs/" POLICY "/executions?non_dead_only=true");
    expect_header(&r, "Total-Count", "3");
    assert_null(strstr(r.body, "@1700000100"));
    assert_non_null(strstr(r.body, "@1700000200"));
    hc_resp_free(&r);
    r = get("/api/v1/jobs/" POLICY "/executions?non_dead_only=false");   /* Harbor: empty */
    expect_header(&r, "Total-Count", "4");
    assert_non_null(strstr(r.body, "@1700000100"));
    hc_resp_free(&r);
    r = get("/api/v1/jobs/" POLICY "/executions?page_number=4294967295&page_size=4294967295");
    expect_header(&r, "Total-Count", "4");
    expect(&r, 200, "[]");
}

static void test_executions_errors(void **state)
{
    (void)state;
    hc_resp r = get("/api/v1/jobs/doesnotexist/executions");
    expect(&r, 404, "{\"code\":10010,\"message\":\"object is not found\","
                    "\"details\":\"doesnotexist\"}");
    char *id = launch("{\"job\":{\"name\":\"SCHEDULER\",\"metadata\":{\"kind\":\"Generic\"}}}");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s/executions", id);
    r = get(path);
    expect(&r, 500, "{\"code\":10015,\"message\":\"failed to get periodic executions\","
                    "\"details\":\"only periodic job has executions: Generic kind is received\"}");
    assert_true(engine_fixture_wait_status(eng, id, "Success", 10000));
    free(id);
}

/* ---- stats, config (spec §2.11, §2.12) ----------------------------------------------- */

static void test_stats(void **state)
{
    (void)state;
    hc_resp r;
    assert_int_equal(hc_get(&cli, "/api/v1/stats", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    expect_header(&r, "Content-Type", "application/json");
    expect_header(&r, "Accept", "application/json");
    char want[256];
    snprintf(want, sizeof want, "{\"worker_pools\":[{\"worker_pool_id\":\"%s\",\"started_at\":",
             berth_engine_pool_id(eng));
    assert_memory_equal(r.body, want, strlen(want));
    assert_non_null(strstr(r.body, "\"job_names\":[\"DEMO\",\"IMAGE_GC\","));
    assert_non_null(strstr(r.body, "\"SCHEDULER\"],\"concurrency\":4,\"status\":\"Healthy\"}"));
    hc_resp_free(&r);
    /* a pool whose heartbeat is old is Dead; one without heartbeat_at is left out */
    redis_fixture_int(&rf, "SADD {t}:worker_pools 000000000000000000000000 ffffffffffffffffffffffff");
    redis_fixture_int(&rf, "HSET {t}:worker_pools:000000000000000000000000 heartbeat_at 1000 "
                      "started_at 900 job_names B,A concurrency 2");
    redis_fixture_int(&rf, "HSET {t}:worker_pools:ffffffffffffffffffffffff started_at 900");
    assert_int_equal(hc_get(&cli, "/api/v1/stats", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    const char *dead = "{\"worker_pools\":[{\"worker_pool_id\":\"000000000000000000000000\","
                       "\"started_at\":900,\"heartbeat_at\":1000,\"job_names\":[\"A\",\"B\"],"
                       "\"concurrency\":2,\"status\":\"Dead\"},{";
    assert_memory_equal(r.body, dead, strlen(dead));
    assert_null(strstr(r.body, "ffffffffffffffffffffffff"));
    hc_resp_free(&r);
    redis_fixture_int(&rf, "SREM {t}:worker_pools 000000000000000000000000 ffffffffffffffffffffffff");
}

static void test_stats_no_pools(void **state)
{
    (void)state;
    berth_engine_config c = engine_fixture_config(&rf);
    c.ns = "empty";
    berth_engine *e = NULL;
    char err[256];
    assert_int_equal(berth_engine_new(&c, &e, err, sizeof err), 0);   /* not started */
    api_ctx ctx = base_ctx(e);
    api_server *s = start_api(&ctx);
    hc h;
    hc_init(&h, api_server_port(s));
    hc_resp r;
    assert_int_equal(hc_get(&h, "/api/v1/stats", NULL, &r), 0);
    expect(&r, 500, "{\"code\":10004,\"message\":\"check stats of server failed with error\","
                    "\"details\":\"failed to get stats of worker pools\"}");
    hc_cleanup(&h);
    api_server_stop(s);
    berth_engine_free(e);
}

static void test_config(void **state)
{
    (void)state;
    hc_resp r = get("/api/v1/config");
    expect_header(&r, "Content-Type", "application/json");
    expect_header(&r, "Accept", "application/json");
    char want[256];
    snprintf(want, sizeof want, "{\"redis_pool_config\":{\"RedisURL\":\"%s\",\"Namespace\":"
             "\"t\",\"IdleTimeoutSecond\":3600}}", redis_url);
    expect(&r, 200, want);
    api_ctx ctx = base_ctx(eng);
    ctx.redis_url = NULL;
    api_server *s = start_api(&ctx);
    hc h;
    hc_init(&h, api_server_port(s));
    assert_int_equal(hc_get(&h, "/api/v1/config", AUTH, &r), 0);
    expect(&r, 500, "{\"code\":10001,\"message\":\"handle json data failed with error\","
                    "\"details\":\"no configuration\"}");
    hc_cleanup(&h);
    api_server_stop(s);
}

/* With Redis unreachable every Redis-backed route answers its 500 code. */
static void test_redis_down(void **state)
{
    (void)state;
    berth_engine_config c = {.redis_host = "127.0.0.1", .redis_port = 1, .ns = "t"};
    berth_engine *e = NULL;
    char err[256];
    assert_int_equal(berth_engine_new(&c, &e, err, sizeof err), 0);
    assert_int_equal(berth_jobs_register_demo(e, 10), 0);
    api_ctx ctx = base_ctx(e);
    api_server *s = start_api(&ctx);
    hc h;
    hc_init(&h, api_server_port(s));
    static const struct { const char *method, *path, *body; long status; const char *head; }
    cases[] = {
        {"POST", "/api/v1/jobs", "{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Generic\"}}}",
         500, "{\"code\":10003,\"message\":\"launch job failed with error\",\"details\":"},
        {"GET", "/api/v1/jobs/x", NULL, 500,
         "{\"code\":10005,\"message\":\"get job stats failed with error\",\"details\":"},
        {"POST", "/api/v1/jobs/x", "{\"action\":\"stop\"}", 500,
         "{\"code\":10006,\"message\":\"stop job failed with error\",\"details\":"},
        {"GET", "/api/v1/jobs/x/executions", NULL, 500,
         "{\"code\":10015,\"message\":\"failed to get periodic executions\",\"details\":"},
        {"GET", "/api/v1/jobs?cursor=7&kind=Other", NULL, 500,
         "{\"code\":10014,\"message\":\"failed to get scheduled jobs, q={\\\"Cursor\\\":7,"
         "\\\"Kind\\\":\\\"Other\\\"}\",\"details\":"},
        {"GET", "/api/v1/jobs?kind=Scheduled&non_dead_only=1", NULL, 500,
         "{\"code\":10014,\"message\":\"failed to get scheduled jobs, q={\\\"Kind\\\":"
         "\\\"Scheduled\\\",\\\"NonDeadOnly\\\":true}\",\"details\":"},
        {"GET", "/api/v1/stats", NULL, 500,
         "{\"code\":10004,\"message\":\"check stats of server failed with error\",\"details\":"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hc_resp r;
        const char *b = cases[i].body;
        assert_int_equal(hc_do(&h, cases[i].method, cases[i].path, AUTH, b, b ? strlen(b) : 0,
                               0, &r), 0);
        if (r.status != cases[i].status || strncmp(r.body, cases[i].head, strlen(cases[i].head)))
            fprintf(stderr, "%s %s: %ld %s\n", cases[i].method, cases[i].path, r.status, r.body);
        assert_int_equal(r.status, cases[i].status);
        assert_memory_equal(r.body, cases[i].head, strlen(cases[i].head));
        hc_resp_free(&r);
    }
    hc_cleanup(&h);
    api_server_stop(s);
    berth_engine_free(e);
}

static void test_start_errors(void **state)
{
    (void)state;
    api_ctx ctx = base_ctx(eng);
    api_server *s = NULL;
    char err[256] = "";
    assert_int_equal(api_server_start(&ctx, "127.0.0.1", api_server_port(api), &s, err,
                                      sizeof err), BERTH_EIO);   /* port in use */
    assert_null(s);
    assert_true(strlen(err) > 0);
    assert_int_equal(api_server_start(&ctx, "no.such.host.invalid", 0, &s, err, sizeof err),
                     BERTH_EINVAL);
    ctx.engine = NULL;
    assert_int_equal(api_server_start(&ctx, "127.0.0.1", 0, &s, err, sizeof err), BERTH_EINVAL);
    api_server_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_failures),
        cmocka_unit_test(test_auth_passes),
        cmocka_unit_test(test_auth_empty_secret),
        cmocka_unit_test(test_unknown_routes),
        cmocka_unit_test(test_wrong_methods),
        cmocka_unit_test(test_unclean_paths_redirect),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_launch_validation),
        cmocka_unit_test(test_launch_malformed_json),
        cmocka_unit_test(test_body_cap),
        cmocka_unit_test(test_demo_success),
        cmocka_unit_test(test_stop_running_demo),
        cmocka_unit_test(test_scheduled_unique_and_list),
        cmocka_unit_test(test_list_jobs_scan),
        cmocka_unit_test(test_get_and_action_errors),
        cmocka_unit_test(test_job_log),
        cmocka_unit_test(test_job_log_errors),
        cmocka_unit_test(test_executions),
        cmocka_unit_test(test_executions_errors),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_stats_no_pools),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_redis_down),
        cmocka_unit_test(test_start_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
