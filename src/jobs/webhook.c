/* WEBHOOK (spec harbor-jobs §5; Harbor's notification/webhook_job.go): POST `payload` to
 * `address`. `header`, when it is a string, is a JSON object of string arrays and is the
 * *whole* header set (one line per array element, names as given, sorted as Go writes
 * them); absent or not a string → no headers at all. No launch-time validation; MaxFails
 * from JOBSERVICE_WEBHOOK_JOB_MAX_RETRY, always retried, no concurrency limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "jobs/job_params.h"
#include "jobs/notify.h"
#include "model/json_field.h"
#include "model/json_parse.h"
#include "util/alloc.h"

static bool webhook_should_retry(void *ud)
{
    (void)ud;
    return true;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The element of v Go's decoder trips on first, and the Go type it wanted; NULL when v
 * fits []string (null elements decode as ""; a null value as no lines). */
static const json_t *header_misfit(const json_t *v, const char **want)
{
    if (json_is_null(v))
        return NULL;
    *want = "[]string";
    if (!json_is_array(v))
        return v;
    *want = "string";
    size_t i;
    const json_t *e;
    json_array_foreach(v, i, e)
        if (!json_is_null(e) && !json_is_string(e))
            return e;
    return NULL;
}

/* Counts the lines of h, or fails with Go's type error. */
static int count_lines(const json_t *h, size_t *n, char *err, size_t errlen)
{
    const char *k;
    json_t *v;
    *n = 0;
    json_object_foreach((json_t *)h, k, v) {
        const char *want = NULL;
        const json_t *bad = header_misfit(v, &want);
        if (bad) {
            snprintf(err, errlen, "error to unmarshal header: json: cannot unmarshal %s into "
                     "Go value of type %s", berth__json_field_type(bad), want);
            return BERTH_EINVAL;
        }
        *n += json_is_array(v) ? json_array_size(v) : 0;
    }
    return 0;
}

/* The lines of h in Go's order (names sorted, a name's values in order); the strings
 * point into h. 0 or BERTH_ENOMEM. */
static int fill_lines(const json_t *h, jhttp_header *out)
{
    size_t nk = json_object_size(h), n = 0, j = 0;
    const char **keys = berth_calloc(nk ? nk : 1, sizeof *keys);
    if (!keys)
        return BERTH_ENOMEM;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)h, k, v)
        keys[j++] = k;
    qsort(keys, nk, sizeof *keys, by_name);
    for (j = 0; j < nk; j++) {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(h, keys[j]), i, e)
            out[n++] = (jhttp_header){keys[j], json_is_string(e) ? json_string_value(e) : ""};
    }
    berth_free(keys);
    return 0;
}

static int webhook_headers(const json_t *params, jhttp_header **out, size_t *n, json_t **keep,
                           char *err, size_t errlen)
{
    size_t len = 0;
    const char *text = job_params_str(params, "header", &len);
    *out = NULL;
    *n = 0;
    if (!text)
        return 0;                        /* absent or not a string: no headers at all */
    char why[512];
    if (berth__json_parse(text, len, BERTH_JSON_MAX_DEPTH, keep, NULL, why, sizeof why)) {
        snprintf(err, errlen, "error to unmarshal header: %s", why);
        return BERTH_EINVAL;
    }
    if (json_is_null(*keep))
        return 0;
    if (!json_is_object(*keep)) {
        snprintf(err, errlen, "error to unmarshal header: json: cannot unmarshal %s into Go "
                 "value of type http.Header", berth__json_field_type(*keep));
        return BERTH_EINVAL;
    }
    int rc = count_lines(*keep, n, err, errlen);
    if (rc == 0 && *n && (!(*out = berth_calloc(*n, sizeof **out)) ||
                          fill_lines(*keep, *out) != 0)) {
        snprintf(err, errlen, "out of memory");
        rc = BERTH_ENOMEM;   /* the caller frees *out */
    }
    return rc;
}

static int webhook_run(berth_ctx *ctx, const char *params, void *ud)
{
    notify_job job = {.word = "webhook", .headers = webhook_headers, .cfg = ud};
    return notify_run(ctx, &job, params);
}

int berth_jobs_register_webhook(berth_engine *e, const berth_jobs_http *cfg)
{
    berth_job_type t = {.name = "WEBHOOK", .max_fails = cfg->max_fails, .max_concurrency = 0,
                        .priority = 1000, .should_retry = webhook_should_retry,
                        .run = webhook_run, .userdata = (void *)cfg};
    return berth_engine_register(e, &t);
}
