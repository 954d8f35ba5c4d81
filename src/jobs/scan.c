/* IMAGE_SCAN, step for step as Harbor v2.16 (spec harbor-jobs §8.3): log the registration,
 * the request (credentials hidden) and the report types; make the registry authorization
 * the adapter will use (the robot's Basic, or a Bearer token from core's /service/token);
 * submit the scan; poll each report type until the adapter stops answering 302 (waiting
 * Refresh-After seconds each time); then store each report: a vulnerability report into
 * scan_report / vulnerability_record / report_vulnerability_record in one transaction, an
 * SBOM pushed as an accessory and summarised in sbom_report.
 *
 * Harbor polls the report types in parallel goroutines; here one loop serves them in turn,
 * each on its own schedule, which sends the same requests at the same times without
 * threads. A stop (or the engine's shutdown) is seen within about 100 ms: the waits are
 * berth_ctx_sleep and the adapter and registry requests poll it too; a stopped run stores
 * nothing and returns success (the job stays Stopped). */
#include "jobs/scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth/error.h"
#include "berth/job.h"
#include "jobs/jhttp.h"
#include "jobs/jobs_db.h"
#include "jobs/scan_auth.h"
#include "jobs/scan_params.h"
#include "jobs/scan_sbom.h"
#include "jobs/scan_store.h"
#include "jobs/scan_vuln.h"
#include "scanner/scanner.h"
#include "util/alloc.h"
#include "util/clock.h"

#define HARBOR_FIRST_CHECK_MS 2000u
#define HARBOR_CHECK_TIMEOUT_MS (30u * 60u * 1000u)
#define ERR_MAX 4096


typedef struct poller {
    const char *mime;
    long long due, deadline;     /* CLOCK_MONOTONIC ms */
    bool done, failed;
    char *report;                /* the raw report once done (not failed) */
    size_t len;
    char err[ERR_MAX];
} poller;

typedef struct run {
    berth_ctx *ctx;
    const scan_config *cfg;
    scan_params p;
    scanner *sc;
    char id[260];                /* the adapter's scan request id */
    poller *pl;
    time_t started;
    char err[ERR_MAX];
} run;

/* Puts pre in front of the text in s (Harbor's errors.Wrap), truncating its end. */
static void prefix(char *s, size_t n, const char *pre)
{
    size_t pl = strlen(pre), sl = strnlen(s, n - 1);
    if (pl >= n)
        return;
    if (pl + sl >= n)
        sl = n - 1 - pl;
    memmove(s + pl, s, sl);
    memcpy(s, pre, pl);
    s[pl + sl] = '\0';
}

static bool stopping(const run *r)
{
    return berth_ctx_stop_reason(r->ctx) != BERTH_STOP_NONE;
}

static bool stop_cb(void *ud)
{
    return stopping(ud);
}

static bool scan_should_retry(void *ud)
{
    (void)ud;
    return false;
}

static int scan_validate(const char *params, char *err, size_t errlen, void *ud)
{
    (void)ud;
    scan_params p;
    char why[2048];
    int rc = scan_params_parse(params, &p, why, sizeof why);
    if (rc != 0)
        snprintf(err, errlen, "%s%s", p.params ? "job validate: " : "", why);
    scan_params_free(&p);
    return rc;
}

/* Harbor's logAndWrapError: `<what>: <cause>` logged and returned as the failure. */
static int fail(run *r, const char *what, const char *cause)
{
    BERTH_JERROR(r->ctx, "%s: %s", what, cause);
    return berth_ctx_fail(r->ctx, "%s: %s", what, cause);
}

static void log_params(run *r)
{
    char *reg = scan_params_reg_log(&r->p), *req = scan_params_req_log(&r->p);
    BERTH_JINFO(r->ctx, "registration:\n");
    BERTH_JINFO(r->ctx, "%s\n", reg ? reg : "");
    BERTH_JINFO(r->ctx, "scanRequest:\n");
    BERTH_JINFO(r->ctx, "%s\n", req ? req : "");
    free(reg);
    free(req);
    char mimes[2048] = "[";
    for (size_t i = 0; i < r->p.nmimes; i++)
        snprintf(mimes + strlen(mimes), sizeof mimes - strlen(mimes), "%s%s", i ? " " : "",
                 r->p.mimes[i]);
    BERTH_JINFO(r->ctx, "Report mime types: %s]\n", mimes);
}

static int client(run *r)
{
    const scan_reg *g = &r->p.reg;
    scanner_settings s = {.url = g->url, .auth = g->auth_kind, .credential = g->credential,
                          .insecure = g->skip_cert_verify,
                          .timeout_ms = r->cfg->http_timeout_ms,
                          .max_reply = r->cfg->report_max, .http_proxy = getenv("HTTP_PROXY"),
                          .https_proxy = getenv("HTTPS_PROXY"), .no_proxy = getenv("NO_PROXY"),
                          .stop = stop_cb, .stop_ud = r};
    return scanner_new(&s, &r->sc, r->err, sizeof r->err);
}

/* Steps 5 to 7: the registry authorization, then the submit. */
static int submit(run *r)
{
    char *auth = NULL;
    int rc = scan_auth_make(&r->p, r->cfg->core_url, r->ctx, &auth, r->err, sizeof r->err);
    if (rc == JHTTP_STOPPED)
        return SCANNER_STOPPED;
    if (rc != 0)
        BERTH_JERROR(r->ctx, "scan job: make authorization: %s", r->err);
    if (stopping(r)) {
        free(auth);
        return SCANNER_STOPPED;
    }
    char *body = scan_params_request(&r->p, auth ? auth : "");
    free(auth);
    rc = scanner_submit(r->sc, body, r->id, sizeof r->id, r->err, sizeof r->err);
    free(body);
    if (rc < 0)
        return fail(r, "scan job: submit scan request", r->err);
    return rc;
}

/* One report request of poller p; reschedules it when the report is not ready. */
static void poll_once(run *r, poller *p)
{
    char warn[256];
    int after = 0;
    const char *q = strcmp(p->mime, SCAN_MIME_SBOM) ? NULL
                                                    : "sbom_media_type=application%2Fspdx%2Bjson";
    int rc = scanner_report(r->sc, r->id, p->mime, q, &p->report, &p->len, &after, warn,
                            sizeof warn, p->err, sizeof p->err);
    if (rc == SCANNER_STOPPED)
        return;
    if (warn[0])
        BERTH_JERROR(r->ctx, "%s", warn);
    if (rc == SCANNER_NOT_READY) {
        BERTH_JINFO(r->ctx, "Report with mime type %s is not ready yet, retry after %d "
                    "seconds", p->mime, after);
        p->due = clock_mono_ms() + (after < 1 ? 1 : after) * 1000LL;   /* no tight loop on 0 */
        if (p->due > p->deadline)
            p->due = p->deadline;        /* then it times out (poll_all) */
        return;
    }
    p->done = true;
    if (rc == 0 && (!strcmp(p->mime, SCAN_MIME_VULN) || !strcmp(p->mime, SCAN_MIME_VULN_NATIVE))) {
        scan_vuln_report v;
        rc = scan_vuln_parse(p->report, p->len, &v, p->err, sizeof p->err);
        scan_vuln_free(&v);
    }
    if (rc != 0) {
        char pre[1100];
        snprintf(pre, sizeof pre, "scan job: fetch scan report, mimetype %s: ", p->mime);
        prefix(p->err, sizeof p->err, pre);
        p->failed = true;
    }
}

/* Step 8: every report type polled on its own schedule until done, failed or stopped. */
static void poll_all(run *r)
{
    long long t0 = clock_mono_ms();
    unsigned tmo = r->cfg->report_timeout_ms ? r->cfg->report_timeout_ms
                                             : HARBOR_CHECK_TIMEOUT_MS;
    for (size_t i = 0; i < r->p.nmimes; i++) {
        r->pl[i] = (poller){.mime = r->p.mimes[i], .due = t0 + r->cfg->first_check_ms,
                            .deadline = t0 + tmo};
        BERTH_JINFO(r->ctx, "Get report for mime type: %s", r->pl[i].mime);
    }
    for (;;) {
        poller *next = NULL;
        for (size_t i = 0; i < r->p.nmimes; i++)
            if (!r->pl[i].done && (!next || r->pl[i].due < next->due))
                next = &r->pl[i];
        if (!next)
            return;
        long long wait = next->due - clock_mono_ms();
        if (wait > 0 && berth_ctx_sleep(r->ctx, (unsigned)wait))
            return;
        if (stopping(r))
            return;
        if (clock_mono_ms() >= next->deadline) {
            snprintf(next->err, sizeof next->err, "check scan report timeout");
            next->done = next->failed = true;
            continue;
        }
        poll_once(r, next);
    }
}

/* Step 9: Harbor joins the errors as `<earlier>: <later>`. */
static int poll_result(run *r)
{
    r->err[0] = '\0';
    for (size_t i = 0; i < r->p.nmimes; i++) {
        if (!r->pl[i].failed)
            continue;
        size_t n = strlen(r->err);
        snprintf(r->err + n, sizeof r->err - n, "%s%s", n ? ": " : "", r->pl[i].err);
    }
    if (!r->err[0])
        return 0;
    BERTH_JERROR(r->ctx, "%s", r->err);
    return berth_ctx_fail(r->ctx, "%s", r->err);
}

/* The database for this run (settings fixed, or asked of core now). */
static int pool_of(run *r, db_pool **pool)
{
    *pool = NULL;
    if (!r->cfg->db) {
        snprintf(r->err, sizeof r->err, "no database configured (postgresql settings)");
        return BERTH_ECONFIG;
    }
    return jobs_db_pool(r->cfg->db, pool, NULL, r->err, sizeof r->err);
}

static int store_vuln(run *r, const poller *p)
{
    scan_vuln_report v;
    char uuid[65] = "";
    int rc = scan_vuln_parse(p->report, p->len, &v, r->err, sizeof r->err);
    if (rc != 0) {
        prefix(r->err, sizeof r->err, "Error when toSchema V1 report to V2: ");
    } else {
        db_pool *pool;
        rc = pool_of(r, &pool);
        if (rc == 0)
            rc = scan_store_vuln(pool, r->p.digest, r->p.reg.uuid, p->mime, &v, uuid,
                             r->err, sizeof r->err);
    }
    size_t n = v.n;
    scan_vuln_free(&v);
    if (rc != 0) {
        BERTH_JERROR(r->ctx, "Failed to update report data for report %s, error %s",
                     uuid[0] ? uuid : "(none)", r->err);
        return berth_ctx_fail(r->ctx, "%s", r->err);
    }
    BERTH_JINFO(r->ctx, "Report %s of mime type %s stored: %zu vulnerabilities", uuid, p->mime,
                n);
    return 0;
}

static void rfc3339(time_t t, char *out, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Harbor's registry client for the accessory: the robot's Basic through the registry's
 * challenge, certificate not verified, plain HTTP when registry.url says http://. */
static int sbom_client(run *r, reg_client **c)
{
    const char *u = r->p.registry_url;
    bool http = !strncmp(u, "http://", 7);
    const char *host = http ? u + 7 : !strncmp(u, "https://", 8) ? u + 8 : u;
    if (!*host) {
        snprintf(r->err, sizeof r->err, "empty registry server");
        return BERTH_EINVAL;
    }
    char url[2048];
    snprintf(url, sizeof url, "%s://%s", http ? "http" : "https", host);
    reg_settings s = {.url = url, .username = r->p.robot_name, .password = r->p.robot_secret,
                      .insecure = true, .timeout_s = r->cfg->registry_timeout_s,
                      .stop = stop_cb, .stop_ud = r};
    return reg_client_new(&s, c, r->err, sizeof r->err);
}

/* Steps 2 to 4 of §8.5: the SBOM out of the report, pushed as the accessory. */
static int sbom_push(run *r, const poller *p, char digest[REG_DIGEST_MAX], json_t **who)
{
    char *sbom = NULL, created[64];
    int rc = scan_sbom_content(p->report, p->len, &sbom, who, r->err, sizeof r->err);
    reg_client *c = NULL;
    if (rc == 0)
        rc = sbom_client(r, &c);
    if (rc == 0) {
        rfc3339((time_t)clock_wall_s(), created, sizeof created);
        scan_subject sub = {r->p.mime_type, r->p.size, r->p.digest};
        rc = scan_sbom_push(c, r->p.repository, sbom, &sub, created, digest);
        if (rc != 0)
            snprintf(r->err, sizeof r->err, "%s", reg_client_error(c));
        if (rc != 0)
            BERTH_JERROR(r->ctx, "error when create accessory from image %s", r->err);
    }
    reg_client_free(c);
    free(sbom);
    return rc;
}

static int store_sbom(run *r, const poller *p)
{
    int64_t row = 0;
    char uuid[65] = "", digest[REG_DIGEST_MAX] = "", start[64], end[64];
    json_t *who = NULL;
    db_pool *pool;
    int rc = pool_of(r, &pool);
    if (rc == 0)
        rc = scan_store_sbom_find(pool, r->p.repository, r->p.digest, r->p.reg.uuid, &row, uuid,
                                  r->err, sizeof r->err);
    if (rc == 0)
        rc = sbom_push(r, p, digest, &who);
    if (rc == 0 && stopping(r))
        rc = SCANNER_STOPPED;
    if (rc == 0) {
        time_t now = (time_t)clock_wall_s();
        rfc3339(r->started, start, sizeof start);
        rfc3339(now, end, sizeof end);
        char *sum = scan_sbom_summary((long long)(now - r->started), start, end, digest,
                                      r->p.repository, who);
        rc = scan_store_sbom_save(pool, row, sum, r->err, sizeof r->err);
        free(sum);
    }
    json_decref(who);
    if (rc < 0) {
        BERTH_JERROR(r->ctx, "handler failed at PostScan, report %s, error %s",
                     uuid[0] ? uuid : "(none)", r->err);
        return berth_ctx_fail(r->ctx, "%s", r->err);
    }
    if (rc == 0)
        BERTH_JINFO(r->ctx, "SBOM of %s@%s pushed as %s and stored in report %s",
                    r->p.repository, r->p.digest, digest, uuid);
    return rc;
}

static int store(run *r)
{
    for (size_t i = 0; i < r->p.nmimes; i++) {
        const poller *p = &r->pl[i];
        int rc = strcmp(p->mime, SCAN_MIME_SBOM) ? store_vuln(r, p) : store_sbom(r, p);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int scan(run *r)
{
    log_params(r);
    if (stopping(r))
        return SCANNER_STOPPED;
    if (client(r) != 0)
        return fail(r, "scan job: get client", r->err);
    int rc = submit(r);
    if (rc != 0)
        return rc;
    if (!(r->pl = berth_calloc(r->p.nmimes + 1, sizeof *r->pl)))
        return berth_ctx_fail(r->ctx, "scan job: out of memory");
    poll_all(r);
    if (stopping(r))
        return SCANNER_STOPPED;
    rc = poll_result(r);
    return rc ? rc : store(r);
}

static int scan_run(berth_ctx *ctx, const char *params, const scan_config *cfg)
{
    run *r = berth_calloc(1, sizeof *r);
    if (!r)
        return berth_ctx_fail(ctx, "scan job: out of memory");
    r->ctx = ctx;
    r->cfg = cfg;
    r->started = (time_t)clock_wall_s();
    int rc = scan_params_parse(params, &r->p, r->err, sizeof r->err);  /* validated at launch */
    rc = rc != 0 ? fail(r, "job validate", r->err) : scan(r);
    if (rc == SCANNER_STOPPED) {
        BERTH_JINFO(ctx, "scan job being stopped");
        rc = 0;
    }
    for (size_t i = 0; r->pl && i < r->p.nmimes; i++)
        berth_free(r->pl[i].report);
    berth_free(r->pl);
    scanner_free(r->sc);
    scan_params_free(&r->p);
    berth_free(r);
    return rc;
}

/* userdata: a scan_config (tests, embedders). */
static int scan_run_cfg(berth_ctx *ctx, const char *params, void *ud)
{
    return scan_run(ctx, params, ud);
}

/* userdata: the node's berth_jobs_db; every other setting is Harbor's. */
static int scan_run_harbor(berth_ctx *ctx, const char *params, void *ud)
{
    scan_config cfg = {.db = ud, .first_check_ms = HARBOR_FIRST_CHECK_MS};
    return scan_run(ctx, params, &cfg);
}

static int reg(berth_engine *e, int (*run_fn)(berth_ctx *, const char *, void *), void *ud)
{
    berth_job_type t = {.name = "IMAGE_SCAN", .max_fails = 1, .max_concurrency = 0,
                        .priority = 1000, .should_retry = scan_should_retry,
                        .validate = scan_validate, .run = run_fn, .userdata = ud};
    return berth_engine_register(e, &t);
}

int scan_register(berth_engine *e, const scan_config *cfg)
{
    return reg(e, scan_run_cfg, (void *)cfg);
}

int berth_jobs_register_scan(berth_engine *e, berth_jobs_db *d)
{
    return reg(e, scan_run_harbor, d);
}
