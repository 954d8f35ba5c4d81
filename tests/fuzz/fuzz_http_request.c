/* libFuzzer target for berthd's request handling above the socket: any bytes as one
 * request, "METHOD\nTARGET\nName: value\n...\n\nBODY", driven through what berthd runs on
 * it — auth_request (Harbor-Secret, the exempt targets), router_dispatch with Harbor's
 * route table (clean-path redirects, 405, 404, {job_id} capture), the query readers
 * (api_query_uint/bool), the error replies that echo the job id, and the body parsers of
 * the two POST routes (launch request + validation, job action).
 *
 * The seam: http.c and its two servers (http_mhd.c, http_loop*.c) are not linked. This
 * file supplies http_req_query and http_req_header over the parsed input, and
 * percent-decodes the path with MHD's own
 * MHD_http_unescape as MHD does before calling Berth. Route handlers are stubs that record
 * the match, then the handler's pure part runs here (the engine needs Redis).
 *
 * Checks beyond sanitizer reports: every response has a status in Harbor's set and its
 * body is valid JSON when it is an error body; a 401 never passes through to a handler; a
 * route that needs auth never runs without the secret; a {job_id} is non-empty without
 * '/'; router_clean_path is idempotent and rooted. */
#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "berth/period.h"
#include "fuzz_check.h"
#include "model/action.h"
#include "model/api_error.h"
#include "model/params.h"
#include "model/request.h"
#include "server/api_internal.h"
#include "server/auth.h"
#include "server/router.h"
#include "util/alloc.h"

#define SECRET "fuzz-secret"
#define MAX_HEADERS 32

/* The parsed input; http_req.conn_ points at it. */
typedef struct fake_conn {
    char *hname[MAX_HEADERS], *hvalue[MAX_HEADERS];
    size_t nheaders;
    char *query;            /* after '?', NUL-terminated, or NULL */
} fake_conn;

/* ---- the seam: what http.c does with MHD ----------------------------------------------- */

const char *http_req_header(const http_req *req, const char *name)
{
    const fake_conn *c = req->conn_;
    for (size_t i = 0; i < c->nheaders; i++)
        if (strcasecmp(c->hname[i], name) == 0)
            return c->hvalue[i];
    return NULL;
}

/* The first name=value of the query, decoded as MHD decodes arguments. */
const char *http_req_query(const http_req *req, const char *name)
{
    static __thread char val[512];
    const fake_conn *c = req->conn_;
    size_t nlen = strlen(name);
    for (const char *p = c->query; p && *p;) {
        const char *end = p + strcspn(p, "&");
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0) {
            size_t vl = (size_t)(end - eq - 1);
            if (vl >= sizeof val)
                vl = sizeof val - 1;
            memcpy(val, eq + 1, vl);
            val[vl] = '\0';
            MHD_http_unescape(val);
            return val;
        }
        p = *end ? end + 1 : end;
    }
    return NULL;
}

/* ---- stub handlers: record which route ran ---------------------------------------------- */

typedef struct hit {
    const char *route;
    char *job_id;
} hit;

#define STUB(fn)                                                          \
    static void fn(const http_req *req, http_resp *resp, void *ctx)       \
    {                                                                     \
        hit *h = ctx;                                                     \
        h->route = #fn;                                                   \
        h->job_id = req->job_id ? berth_strdup(req->job_id) : NULL;        \
        resp->status = 200;                                               \
    }
STUB(launch)
STUB(list_jobs)
STUB(get_job)
STUB(job_action)
STUB(job_log)
STUB(executions)
STUB(stats)
STUB(config)
STUB(healthz)

/* Harbor's table as api.c registers it (docs/api.md). */
static const route routes[] = {
    {"POST", "/api/v1/jobs", launch},
    {"GET", "/api/v1/jobs", list_jobs},
    {"GET", "/api/v1/jobs/{job_id}", get_job},
    {"POST", "/api/v1/jobs/{job_id}", job_action},
    {"GET", "/api/v1/jobs/{job_id}/log", job_log},
    {"GET", "/api/v1/jobs/{job_id}/executions", executions},
    {"GET", "/api/v1/stats", stats},
    {"GET", "/api/v1/config", config},
    {"GET", "/healthz", healthz},
};

/* ---- the pure parts of the real handlers ------------------------------------------------ */

static bool known(const char *name, void *ud)
{
    (void)ud;
    return strcmp(name, "DEMO") == 0 || strcmp(name, "SCHEDULER") == 0;
}

static int params_ok(const char *name, const char *params, char *err, size_t errlen, void *ud)
{
    (void)ud;
    buf key;
    buf_init(&key, 1 << 20);
    int rc = berth_unique_key("t", name, params, &key);
    buf_free(&key);
    if (rc != 0)
        snprintf(err, errlen, "parameters cannot form a unique key");
    return rc;
}

static int cron_ok(const char *spec, char *err, size_t errlen, void *ud)
{
    (void)ud;
    return berth_period_check_cron(spec, err, errlen);
}

static void run_launch(const http_req *req)
{
    berth_request *r = NULL;
    char err[1024];
    if (berth_request_parse(req->body, req->body_len, &r, err, sizeof err) != 0) {
        CHECK(err[0] != '\0');
        return;
    }
    berth_validate_hooks hooks = {.known_job = known, .validate_params = params_ok,
                                  .cron_check = cron_ok};
    if (berth_request_validate(r, &hooks, err, sizeof err) != 0)
        CHECK(err[0] != '\0');
    berth_request_free(r);
}

static void run_action(const http_req *req)
{
    char *action = NULL, err[512];
    if (berth_action_parse(req->body, req->body_len, &action, err, sizeof err) == 0) {
        CHECK(action != NULL);
        berth_free(action);
    }
}

/* An error reply that echoes the id must stay valid JSON whatever the id holds. */
static void run_error_reply(const char *id)
{
    http_resp resp;
    http_resp_init(&resp);
    api_error(&resp, BERTH_API_NOT_FOUND, id);
    CHECK(resp.status == 404);
    json_t *j = json_loadb(resp.body.p, resp.body.len, 0, NULL);
    CHECK(j != NULL);
    json_decref(j);
    http_resp_clear(&resp);
}

static void run_queries(const http_req *req)
{
    static const char *const names[] = {"page_number", "page_size", "cursor", "kind",
                                        "non_dead_only"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        uint64_t v = 0;
        bool b = false;
        if (api_query_uint(req, names[i], 32, &v))
            CHECK(v <= UINT32_MAX);
        (void)api_query_uint(req, names[i], 64, &v);
        (void)api_query_bool(req, names[i], &b);
    }
}

/* ---- input → request -------------------------------------------------------------------- */

/* Cuts the next '\n'-terminated line out of *p (NUL-terminating it in place). */
static char *next_line(char **p, char *end)
{
    if (*p >= end)
        return NULL;
    char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));
    if (!nl)
        nl = end;
    *nl = '\0';
    *p = nl + 1;
    return line;
}

static void check_clean(const char *path)
{
    char *c1 = router_clean_path(path);
    CHECK(c1[0] == '/');
    CHECK(strstr(c1, "//") == NULL);
    char *c2 = router_clean_path(c1);
    CHECK(strcmp(c1, c2) == 0);
    berth_free(c1);
    berth_free(c2);
}

static void dispatch(http_req *req)
{
    http_resp resp;
    http_resp_init(&resp);
    hit h = {0};
    bool authed = auth_request(req, SECRET, &resp);
    if (authed)
        router_dispatch(routes, sizeof routes / sizeof routes[0], req, &resp, &h);
    else
        CHECK(resp.status == 401 && resp.body.len > 0);
    CHECK(resp.status == 200 || resp.status == 301 || resp.status == 401 ||
          resp.status == 404 || resp.status == 405);
    if (h.route) {
        const char *auth = http_req_header(req, "Authorization");
        CHECK(auth_exempt(req->uri) || (auth && strstr(auth, SECRET)));
        if (h.job_id) {
            CHECK(h.job_id[0] != '\0' && strchr(h.job_id, '/') == NULL);
            run_error_reply(h.job_id);
        }
        if (strcmp(h.route, "launch") == 0)
            run_launch(req);
        else if (strcmp(h.route, "job_action") == 0)
            run_action(req);
        else
            run_queries(req);
    }
    berth_free(h.job_id);
    http_resp_clear(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    char *in = malloc(size + 1);
    memcpy(in, data, size);
    in[size] = '\0';
    char *p = in, *end = in + size;
    fake_conn c = {0};
    char *method = next_line(&p, end), *target = next_line(&p, end), *line;
    while ((line = next_line(&p, end)) && *line && c.nheaders < MAX_HEADERS) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        c.hname[c.nheaders] = line;
        c.hvalue[c.nheaders++] = colon + 1 + strspn(colon + 1, " \t");
    }
    if (method && target) {
        char *uri = berth_strdup(target);
        char *q = strchr(target, '?');
        if (q) {
            *q = '\0';
            c.query = q + 1;
        }
        MHD_http_unescape(target);   /* MHD hands Berth the decoded path */
        check_clean(target);
        size_t blen = p < end ? (size_t)(end - p) : 0;
        http_req req = {.method = method, .path = target, .uri = uri,
                        .body = blen ? p : "", .body_len = blen, .conn_ = &c};
        dispatch(&req);
        berth_free(uri);
    }
    free(in);
    return 0;
}
