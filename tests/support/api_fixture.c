/* Shared fixture of the API e2e tests; see api_fixture.h. */
#include "test.h"

#include <sys/stat.h>

#include "api_fixture.h"
#include "berth/jobs.h"
#include "engine_fixture.h"
#include "model/stats_from_json.h"
#include "wait.h"

api_fixture af;
int (*api_fixture_extra_jobs)(berth_engine *e);

/* ---- fixture --------------------------------------------------------------------------- */

api_ctx api_fixture_ctx(berth_engine *e)
{
    return (api_ctx){.engine = e, .secret = API_SECRET, .redis_url = af.redis_url, .ns = "t",
                     .idle_timeout_second = 3600, .job_log_dir = af.logdir,
                     .max_retrieve_bytes = API_LOG_TAIL, .max_body = API_MAX_BODY};
}

api_server *api_fixture_server(const api_ctx *ctx)
{
    api_server *s = NULL;
    char err[256] = "";
    if (api_server_start(ctx, "127.0.0.1", 0, &s, err, sizeof err) != 0)
        fprintf(stderr, "api_server_start: %s\n", err);
    assert_non_null(s);
    assert_true(api_server_port(s) > 0);
    return s;
}

int api_fixture_setup(void **state)
{
    (void)state;
    if (redis_fixture_start(&af.rf, NULL) != 0)
        return -1;
    snprintf(af.logdir, sizeof af.logdir, "%s/logs", af.rf.dir);
    snprintf(af.redis_url, sizeof af.redis_url, "redis://127.0.0.1:%d/0", af.rf.port);
    if (mkdir(af.logdir, 0700) != 0)
        return -1;
    berth_engine_config c = engine_fixture_config(&af.rf);
    c.job_log_dir = af.logdir;
    c.periodic.enabled = true;
    char err[256];
    if (berth_engine_new(&c, &af.eng, err, sizeof err) != 0 ||
        berth_jobs_register_demo(af.eng, API_DEMO_HOLD_MS) != 0 ||
        berth_jobs_register_scheduler(af.eng) != 0 ||
        (api_fixture_extra_jobs && api_fixture_extra_jobs(af.eng) != 0) ||
        berth_engine_start(af.eng) != 0)
        return -1;
    api_ctx ctx = api_fixture_ctx(af.eng);
    if (api_server_start(&ctx, "127.0.0.1", 0, &af.api, err, sizeof err) != 0)
        return -1;
    hc_init(&af.cli, api_server_port(af.api));
    return 0;
}

int api_fixture_teardown(void **state)
{
    (void)state;
    hc_cleanup(&af.cli);
    api_server_stop(af.api);
    berth_engine_free(af.eng);
    redis_fixture_stop(&af.rf);
    return 0;
}

/* ---- helpers --------------------------------------------------------------------------- */

hc_resp af_get(const char *path)
{
    hc_resp r;
    assert_int_equal(hc_get(&af.cli, path, API_AUTH, &r), 0);
    return r;
}

hc_resp af_post(const char *path, const char *body)
{
    hc_resp r;
    assert_int_equal(hc_post(&af.cli, path, API_AUTH, body, &r), 0);
    return r;
}

/* Asserts status and exact body, then frees r. */
void af_expect(hc_resp *r, long status, const char *body)
{
    if (r->status != status || strcmp(r->body, body) != 0)
        fprintf(stderr, "got %ld %s\nwant %ld %s\n", r->status, r->body, status, body);
    assert_int_equal(r->status, status);
    assert_string_equal(r->body, body);
    hc_resp_free(r);
}

void af_expect_header(const hc_resp *r, const char *name, const char *want)
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

long long af_count_stats(void)
{
    return redis_fixture_int(&af.rf, "EVAL %s 0", "return #redis.call('keys','{t}:job_stats:*')");
}

berth_stats *af_parse_stats(const hc_resp *r)
{
    berth_stats *s = NULL;
    char err[256];
    if (berth_stats_from_json(r->body, r->len, true, &s, err, sizeof err) != 0)
        fprintf(stderr, "bad stats JSON (%s): %s\n", err, r->body);
    assert_non_null(s);
    return s;
}

/* Launches body, expects 202, returns the new job id (caller frees). */
char *af_launch(const char *body)
{
    hc_resp r = af_post("/api/v1/jobs", body);
    if (r.status != 202)
        fprintf(stderr, "launch: %ld %s\n", r.status, r.body);
    assert_int_equal(r.status, 202);
    berth_stats *s = af_parse_stats(&r);
    char *id = strdup(s->id);
    berth_stats_free(s);
    hc_resp_free(&r);
    return id;
}


char *af_job_log(const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s/log", id);
    hc_resp r = af_get(path);
    assert_true(r.status == 200 || r.status == 404);
    char *s = strdup(r.status == 200 ? r.body : "");
    hc_resp_free(&r);
    return s;
}

void af_expect_log(const char *id, const char *needle)
{
    char *log = af_job_log(id);
    if (!strstr(log, needle))
        fprintf(stderr, "log of %s lacks [%s]:\n%s\n", id, needle, log);
    assert_non_null(strstr(log, needle));
    free(log);
}

int af_count_in_log(const char *id, const char *needle)
{
    char *log = af_job_log(id);
    int n = 0;
    for (const char *p = log; (p = strstr(p, needle)); p++)
        n++;
    free(log);
    return n;
}

/* ---- waiting through the API ----------------------------------------------------------- */

void af_job_status(const char *id, char *out, size_t outlen)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", id);
    hc_resp r = af_get(path);
    assert_int_equal(r.status, 200);
    berth_stats *s = af_parse_stats(&r);
    snprintf(out, outlen, "%s", s->status ? s->status : "");
    berth_stats_free(s);
    hc_resp_free(&r);
}

typedef struct api_wait {
    const char *id, *path, *want;
    int n, got;
    char st[32];
    hc_resp r;
} api_wait;

static bool status_is(void *arg)
{
    api_wait *w = arg;
    af_job_status(w->id, w->st, sizeof w->st);
    return strcmp(w->st, w->want) == 0;
}

bool af_wait_status(const char *id, const char *want, int ms)
{
    api_wait w = {.id = id, .want = want};
    if (wait_until(status_is, &w, ms))
        return true;
    fprintf(stderr, "job %s: status %s, wanted %s\n", id, w.st, want);
    return false;
}

static bool body_has(void *arg)
{
    api_wait *w = arg;
    hc_resp_free(&w->r);
    w->r = af_get(w->path);
    return w->r.status == 200 && w->r.body && strstr(w->r.body, w->want);
}

hc_resp af_wait_get(const char *path, const char *needle, int ms)
{
    api_wait w = {.path = path, .want = needle};
    wait_until(body_has, &w, ms);
    return w.r;
}

static bool log_has(void *arg)
{
    api_wait *w = arg;
    w->got = af_count_in_log(w->id, w->want);
    return w->got >= w->n;
}

int af_wait_log_count(const char *id, const char *needle, int n, int ms)
{
    api_wait w = {.id = id, .want = needle, .n = n};
    wait_until(log_has, &w, ms);
    return w.got;
}
