/* P2P_PREHEAT (spec harbor-jobs §11; Harbor's pkg/p2p/preheat/job.go): preheats one image
 * into a P2P distribution provider. Step for step as Harbor: log what is preheated where,
 * pick the vendor's driver, check the provider's health, send the preheat request, and —
 * unless the provider finished at once (Kraken) — poll its progress every check interval
 * until it succeeds, fails or the polling times out. A stop is honoured at Harbor's
 * checkpoints and also wakes the waits and aborts a request in flight; a stopped run
 * returns success and the job stays Stopped. Every failure is logged and returned as
 * `preheat job running error: <cause>`. MaxFails 1, never retried. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "berth/error.h"
#include "berth/jobs.h"
#include "jobs/jhttp.h"
#include "jobs/preheat_driver.h"
#include "util/alloc.h"
#include "util/clock.h"

static const berth_jobs_preheat harbor = {.check_interval_ms = 10000,
                                          .check_timeout_ms = 1801000,
                                          .http_timeout_ms = 30000};

typedef struct run {
    berth_ctx *ctx;
    const berth_jobs_preheat *cfg;
    ph_params p;
    ph_client cl;
    const ph_driver *drv;
    char err[2048];
} run;

static bool preheat_should_retry(void *ud)
{
    (void)ud;
    return false;
}

static int preheat_validate(const char *params, char *err, size_t errlen, void *ud)
{
    (void)ud;
    ph_params p;
    int rc = ph_params_parse(params, &p, err, errlen);
    ph_params_free(&p);
    return rc;
}

static bool should_stop(const run *r)
{
    return berth_ctx_op_command(r->ctx) != NULL;
}

/* Harbor's preheatJobRunningError: log the cause, fail with it wrapped. */
static int failed(run *r)
{
    BERTH_JERROR(r->ctx, "%s", r->err);
    return berth_ctx_fail(r->ctx, "preheat job running error: %s", r->err);
}

/* A driver call's outcome: 0 go on, JHTTP_STOPPED stopped, else failed. */
static int health(run *r)
{
    char url[4096], checked[4096];
    ph_endpoint_url(&r->p.provider, r->drv->health_path, url, sizeof url);
    int rc = ph_client_check_url(url, checked, sizeof checked, r->err, sizeof r->err);
    buf reply;
    if (rc == 0)
        rc = ph_client_call(&r->cl, checked, NULL, &reply, r->err, sizeof r->err);
    if (rc == 0)
        buf_free(&reply);
    return rc;
}

/* The polling loop of step 9: one check per interval until a final state or the timeout. */
static int poll(run *r, const char *task_id)
{
    BERTH_JINFO(r->ctx, "Start to loop check the preheating status until it's success or "
                        "timeout(30m)");
    long long start = clock_mono_ms(), deadline = start + r->cfg->check_timeout_ms;
    long long next = start + r->cfg->check_interval_ms;
    for (;;) {
        long long until = next < deadline ? next : deadline;
        if (berth_ctx_sleep(r->ctx, (unsigned)(until > clock_mono_ms() ? until - clock_mono_ms() : 0)))
            return JHTTP_STOPPED;
        if (next >= deadline) {
            char d[64];
            ph_go_duration(r->cfg->check_timeout_ms, d, sizeof d);
            snprintf(r->err, sizeof r->err, "status check timeout: %s", d);
            return BERTH_EIO;
        }
        next += r->cfg->check_interval_ms;
        ph_status st;
        ph_status_init(&st);
        bool done = false;
        int rc = r->drv->check(&r->cl, &r->p, task_id, &st, r->err, sizeof r->err);
        if (rc == 0) {
            buf s;
            /* no cap: a status parsed from one reply of at most REPLY_CAP bytes */
            buf_init(&s, 0);
            ph_status_string(&st, &s);
            BERTH_JINFO(r->ctx, "Check preheat progress: %s", s.p);
            if (!strcmp(st.status, PH_FAIL)) {
                snprintf(r->err, sizeof r->err, "preheat failed: %s", s.p);
                rc = BERTH_EIO;
            } else if (!strcmp(st.status, PH_SUCCESS)) {
                if (st.message.len)
                    BERTH_JINFO(r->ctx, "Preheat job finished, message from provider: \n%s",
                                st.message.p);
                done = true;
            }
            buf_free(&s);
        }
        ph_status_free(&st);
        if (rc != 0 || done)
            return rc;
        if (should_stop(r))
            return JHTTP_STOPPED;
    }
}

/* Steps 3 to 9 once the parameters are known. */
static int preheat(run *r)
{
    const ph_provider *pv = &r->p.provider;
    r->drv = ph_driver_find(pv->vendor);
    if (!r->drv) {
        snprintf(r->err, sizeof r->err, "No driver registered for provider %s", pv->vendor);
        return BERTH_EINVAL;
    }
    BERTH_JINFO(r->ctx, "Get preheat provider driver: %s", pv->vendor);
    int rc = health(r);
    if (rc != 0)
        return rc;
    BERTH_JINFO(r->ctx, "Check health of preheat provider instance: Healthy");
    if (should_stop(r))
        return JHTTP_STOPPED;
    ph_status st;
    ph_status_init(&st);
    rc = r->drv->preheat(&r->cl, &r->p, &st, r->err, sizeof r->err);
    if (rc == 0) {
        BERTH_JINFO(r->ctx, "Sending preheat request is successfully done");
        if (!strcmp(st.status, PH_SUCCESS)) {
            BERTH_JINFO(r->ctx, "Preheating is completed");
        } else if (!strcmp(st.status, PH_FAIL)) {
            snprintf(r->err, sizeof r->err, "preheating is failed");
            rc = BERTH_EIO;
        } else if (should_stop(r)) {
            rc = JHTTP_STOPPED;
        } else {
            rc = poll(r, st.task_id);
        }
    }
    ph_status_free(&st);
    return rc;
}

static int preheat_run(berth_ctx *ctx, const char *params, void *ud)
{
    run *r = berth_calloc(1, sizeof *r);
    if (!r)
        return berth_ctx_fail(ctx, "out of memory starting the preheat");
    r->ctx = ctx;
    r->cfg = ud;
    int rc = ph_params_parse(params, &r->p, r->err, sizeof r->err);   /* validated at launch */
    if (rc == 0) {
        const ph_image *im = &r->p.image;
        const ph_provider *pv = &r->p.provider;
        BERTH_JINFO(ctx, "Preheating image '%s:%s@%s' to the target preheat provider: %s %s:%s",
                    im->image, im->tag, im->digest, pv->vendor, pv->name, pv->endpoint);
        r->cl = (ph_client){.provider = pv, .timeout_ms = r->cfg->http_timeout_ms, .ctx = ctx};
        rc = should_stop(r) ? JHTTP_STOPPED : preheat(r);
    }
    if (rc == JHTTP_STOPPED)
        BERTH_JINFO(ctx, "Preheating stopped");
    rc = rc == JHTTP_STOPPED || rc == 0 ? 0 : failed(r);
    ph_params_free(&r->p);
    berth_free(r);
    return rc;
}

int berth_jobs_register_preheat(berth_engine *e, const berth_jobs_preheat *cfg)
{
    berth_job_type t = {.name = "P2P_PREHEAT", .max_fails = 1, .max_concurrency = 0,
                        .priority = 1000, .should_retry = preheat_should_retry,
                        .validate = preheat_validate, .run = preheat_run,
                        .userdata = (void *)(cfg ? cfg : &harbor)};
    return berth_engine_register(e, &t);
}
