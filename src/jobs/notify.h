/* The delivery WEBHOOK and SLACK share (Harbor's notification/http_helper.go and the
 * execute step of both jobs, spec harbor-jobs §5.2 and §6.2): choose TLS verification from
 * `skip_cert_verify`, POST `payload` to `address` with the job's header set, and turn the
 * outcome into Harbor's log lines and error texts.
 *
 * The job supplies its header set through a callback; everything else is common. No state
 * of its own: cfg is the registration's (borrowed for the engine's life). */
#ifndef BERTH_JOBS_NOTIFY_H
#define BERTH_JOBS_NOTIFY_H

#include <jansson.h>

#include "berth/jobs.h"
#include "jobs/jhttp.h"

/* Fills *out (an array the caller frees with berth_free; NULL when empty) and *n with the
 * request's headers from the parameters. The strings point into params, into *keep (a
 * document the callback decoded; the caller drops it with json_decref after the request;
 * may stay NULL) or are static. Returns 0, or non-zero with the error (Harbor's text) in
 * err. */
typedef int (*notify_headers_fn)(const json_t *params, jhttp_header **out, size_t *n,
                                 json_t **keep, char *err, size_t errlen);

typedef struct notify_job {
    const char *word;              /* "webhook" or "slack": Harbor's log and error words */
    notify_headers_fn headers;
    unsigned pause_ms;             /* wait after the post, success or not (SLACK) */
    const berth_jobs_http *cfg;
} notify_job;

/* `payload` and `address` present and strings, with SLACK's launch-time texts
 * (`missing job parameter 'payload'`, `malformed job parameter 'address', expecting string
 * but got float64`, ...). 0 or BERTH_EINVAL with err filled. */
int notify_check_params(const json_t *params, char *err, size_t errlen);

/* The run: 0 on a 2xx (or when stopped), else berth_ctx_fail's non-zero with the reason. */
int notify_run(berth_ctx *ctx, const notify_job *job, const char *params_json);

#endif
