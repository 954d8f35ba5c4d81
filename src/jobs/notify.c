/* See notify.h. Harbor's order is kept: the parameters are read, the request is built
 * (URL, then headers), the payload is logged, then sent; any failure is logged as
 * `exit <word> job, error: <err>` and becomes the run's failure. */
#include "jobs/notify.h"

#include <stdio.h>

#include "berth/error.h"
#include "jobs/job_params.h"
#include "util/alloc.h"
#include "util/buf.h"

#define REPLY_CAP 4096     /* reply body kept for the error (the run's error is cut at 1 KiB) */
#define ERR_CAP 8192

int notify_check_params(const json_t *params, char *err, size_t errlen)
{
    static const char *const keys[] = {"payload", "address"};
    for (size_t i = 0; i < 2; i++) {
        const json_t *v = params ? json_object_get(params, keys[i]) : NULL;
        if (!v) {
            snprintf(err, errlen, "missing job parameter '%s'", keys[i]);
            return BERTH_EINVAL;
        }
        if (!json_is_string(v)) {
            snprintf(err, errlen, "malformed job parameter '%s', expecting string but got %s",
                     keys[i], job_params_go_type(v));
            return BERTH_EINVAL;
        }
    }
    return 0;
}

static int post(berth_ctx *ctx, const notify_job *job, const json_t *p, buf *err)
{
    size_t plen = 0;
    const char *payload = job_params_str(p, "payload", &plen);
    const char *address = job_params_str(p, "address", NULL);
    char why[1024] = "";
    jhttp_header *h = NULL;
    size_t nh = 0;
    json_t *keep = NULL;
    if (jhttp_check_url(address, why, sizeof why) != 0) {
        buf_printf(err, "error to generate request: %s", why);
        return BERTH_EINVAL;
    }
    int hrc = job->headers(p, &h, &nh, &keep, why, sizeof why);
    if (hrc != 0) {
        buf_puts(err, why);
        berth_free(h);
        json_decref(keep);
        return hrc == BERTH_ENOMEM ? hrc : BERTH_EINVAL;
    }
    BERTH_JINFO(ctx, "send request to remote endpoint, body: %s", payload);
    const berth_jobs_http *c = job->cfg;
    bool insecure = job_params_true(p, "skip_cert_verify");
    /* Harbor's shared secure transport carries the internal certificate, its insecure
     * one does not (common/http/transport.go) */
    jhttp_req r = {.method = "POST", .url = address, .body = payload, .body_len = plen,
                   .headers = h, .n_headers = nh, .insecure = insecure, .internal_tls = !insecure,
                   .timeout_ms = c->timeout_ms, .http_proxy = c->http_proxy,
                   .https_proxy = c->https_proxy, .no_proxy = c->no_proxy,
                   .max_reply = REPLY_CAP, .ctx = ctx};
    jhttp_resp resp;
    int rc = jhttp_do(&r, &resp, why, sizeof why);
    berth_free(h);
    json_decref(keep);
    if (rc == 0 && (resp.status < 200 || resp.status > 299)) {
        buf_printf(err, "abnormal response code: %ld, body: %s", resp.status,
                   resp.body.p ? resp.body.p : "");
        rc = BERTH_EIO;
    } else if (rc != 0 && rc != JHTTP_STOPPED) {
        buf_printf(err, "error to send request: %s", why);
    }
    jhttp_resp_free(&resp);
    return rc;
}

int notify_run(berth_ctx *ctx, const notify_job *job, const char *params_json)
{
    json_t *p = NULL;
    buf err;
    buf_init(&err, ERR_CAP);
    char why[512] = "";
    BERTH_JINFO(ctx, "start to run %s job", job->word);
    int rc = job_params_load(params_json, &p, why, sizeof why);
    if (rc != 0)
        buf_puts(&err, why);
    else if ((rc = notify_check_params(p, why, sizeof why)) != 0)
        buf_puts(&err, why);   /* Harbor's WEBHOOK panics here; the result is the same Error */
    else
        rc = post(ctx, job, p, &err);
    json_decref(p);
    if (rc == JHTTP_STOPPED) {
        BERTH_JINFO(ctx, "exit %s job: stopped before the remote endpoint answered", job->word);
        buf_free(&err);
        return 0;
    }
    const char *msg = err.p ? err.p : berth_strerror(rc);
    if (rc != 0)
        BERTH_JERROR(ctx, "exit %s job, error: %s", job->word, msg);
    else
        BERTH_JINFO(ctx, "success to run %s job", job->word);
    if (job->pause_ms)
        berth_ctx_sleep(ctx, job->pause_ms);   /* SLACK: Slack's rate limit, either way */
    if (rc != 0)
        rc = berth_ctx_fail(ctx, "%s", msg);
    buf_free(&err);
    return rc;
}
