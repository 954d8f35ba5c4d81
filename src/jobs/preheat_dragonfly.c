/* The Dragonfly driver (Harbor's preheat/provider/dragonfly.go, spec harbor-jobs §11.3):
 * `POST <endpoint>/oapi/v1/jobs` with a preheat job for the image, then
 * `GET <endpoint>/oapi/v1/jobs/<id>` until its state is SUCCESS or FAILURE. On success the
 * per-peer results become a text table in tablewriter's default layout (what Harbor logs);
 * on failure the job states' errors are joined as Harbor's errors.Errors JSON. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "jobs/jhttp.h"
#include "jobs/job_params.h"
#include "jobs/preheat_driver.h"
#include "model/json_field.h"
#include "model/json_parse.h"

#define JOBS_PATH "/oapi/v1/jobs"
#define ZERO_TIME "0001-01-01T00:00:00Z"

/* extra_attrs decoded as Harbor's dragonflyExtraAttrs {scope string; cluster_ids []uint}. */
static int extra_attrs(const json_t *ea, const char **scope, json_t **ids, char *err,
                       size_t errlen)
{
    char why[512];
    static const char pre[] = "failed to unmarshal extra attributes: ";
    *ids = json_null();
    if (job_params_go_field(ea, "scope", "dragonflyExtraAttrs.scope", JOB_PARAMS_STRING, scope, why,
                            sizeof why) != 0) {
        snprintf(err, errlen, "%s%s", pre, why);
        return BERTH_EINVAL;
    }
    const json_t *v = job_params_field(ea, "cluster_ids");
    if (!v)
        return 0;
    const json_t *bad = json_is_array(v) ? NULL : v;
    size_t i;
    const json_t *e;
    json_array_foreach(v, i, e)
        if (!bad && !json_is_null(e) && !(json_is_integer(e) && json_integer_value(e) >= 0))
            bad = e;
    if (bad) {
        snprintf(err, errlen, "%sjson: cannot unmarshal %s into Go struct field "
                 "dragonflyExtraAttrs.cluster_ids of type %s", pre, berth__json_field_type(bad),
                 bad == v ? "[]uint" : "uint");
        return BERTH_EINVAL;
    }
    json_decref(*ids);
    *ids = json_array_size(v) ? json_deep_copy(v) : json_null();
    return 0;
}

/* Harbor's headerToMapString: only the string values, keys sorted as Go marshals a map. */
static json_t *string_headers(const json_t *h)
{
    json_t *out = json_object();
    const char *keys[256];
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)h, k, v)
        if (json_is_string(v) && n < 256)
            keys[n++] = k;
    for (size_t i = 1; i < n; i++)               /* insertion sort: a handful of headers */
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *t = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++)
        json_object_set(out, keys[i], json_object_get(h, keys[i]));
    return out;
}

static int scope_ok(const char *s)
{
    return !strcmp(s, "single_seed_peer") || !strcmp(s, "all_seed_peers") ||
           !strcmp(s, "all_peers");
}

/* A time of the reply as Go's Format(RFC3339) prints it (fraction dropped). */
static int go_time(const json_t *o, const char *key, char *out, size_t outlen, char *err,
                   size_t errlen)
{
    const json_t *v = job_params_field(o, key);
    if (!v) {
        snprintf(out, outlen, ZERO_TIME);
        return 0;
    }
    const char *s = json_string_value(v);
    int n = 0, y, mo, d, h, mi, se;
    if (!s) {
        snprintf(err, errlen, "Time.UnmarshalJSON: input is not a JSON string");
        return BERTH_EINVAL;
    }
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6) {
        snprintf(err, errlen, "parsing time \"%.64s\" as \"2006-01-02T15:04:05Z07:00\": "
                 "cannot parse", s);
        return BERTH_EINVAL;
    }
    const char *zone = s + n;
    if (*zone == '.')
        zone += 1 + strspn(zone + 1, "0123456789");
    snprintf(out, outlen, "%.*s%s", n, s, zone);
    return 0;
}

/* The job reply {"id","created_at","updated_at","state","result"}: fills st's task, times. */
static int parse_job(const buf *reply, json_t **doc, ph_status *st, char *err, size_t errlen)
{
    char why[512];
    if (berth__json_parse(reply->p ? reply->p : "", reply->len, BERTH_JSON_MAX_DEPTH, doc, NULL,
                          why, sizeof why) != 0) {
        snprintf(err, errlen, "%s", why);
        return BERTH_EINVAL;
    }
    if (!json_is_object(*doc)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type "
                 "provider.dragonflyJobResponse", berth__json_field_type(*doc));
        return BERTH_EINVAL;
    }
    long long id = 0;
    int rc = job_params_go_field(*doc, "id", "dragonflyJobResponse.id", JOB_PARAMS_INT64, &id, err,
                                 errlen);
    if (rc == 0)
        rc = go_time(*doc, "created_at", st->start, sizeof st->start, err, errlen);
    if (rc == 0)
        rc = go_time(*doc, "updated_at", st->finish, sizeof st->finish, err, errlen);
    snprintf(st->task_id, sizeof st->task_id, "%lld", id);
    return rc;
}

static int df_preheat(const ph_client *c, const ph_params *p, ph_status *st, char *err,
                      size_t errlen)
{
    const char *scope = "";
    json_t *ids = NULL;
    int rc = extra_attrs(p->image.extra_attrs, &scope, &ids, err, errlen);
    if (rc == 0 && *scope && !scope_ok(scope)) {
        snprintf(err, errlen, "specify the invalid scope: invalid scope: %s", scope);
        rc = BERTH_EINVAL;
    }
    if (rc != 0) {
        json_decref(ids);
        return rc;
    }
    json_t *req = json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:o,s:s,s:i,s:i},s:o}", "type", "preheat",
                            "args", "type", "image", "url", p->image.url, "tag", "",
                            "filtered_query_params", "", "headers",
                            string_headers(p->image.headers), "scope", scope,
                            "concurrent_count", 0, "timeout", 0, "scheduler_cluster_ids", ids);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    char url[4096];
    ph_endpoint_url(&p->provider, JOBS_PATH, url, sizeof url);
    buf reply;
    json_t *doc = NULL;
    rc = ph_client_call(c, url, body, &reply, err, errlen);
    free(body);
    if (rc == 0)
        rc = parse_job(&reply, &doc, st, err, errlen);
    st->status = PH_PENDING;
    json_decref(doc);
    buf_free(&reply);
    return rc;
}

/* ---- the result table (tablewriter v0.0.5 defaults: borders, centred upper-case header,
 * numbers right-aligned, text left-aligned) ---------------------------------------------- */

#define COLS 6
typedef struct table {
    json_t *rows;             /* array of arrays of COLS strings */
    size_t w[COLS];
} table;

static const char *const heads[COLS] = {"BLOB URL", "HOSTNAME", "IP", "CLUSTER ID", "STATE",
                                        "ERROR MESSAGE"};

static const char *cell_str(const json_t *o, const char *k)
{
    const char *s = json_string_value(job_params_field(o, k));
    return s ? s : "";
}

static void table_add(table *t, const json_t *task, long long cluster, const char *state,
                      const char *desc)
{
    char cid[32];
    snprintf(cid, sizeof cid, "%lld", cluster);
    const char *cells[COLS] = {cell_str(task, "url"), cell_str(task, "hostname"),
                               cell_str(task, "ip"), cid, state, desc};
    json_t *row = json_array();
    for (int i = 0; i < COLS; i++) {
        json_array_append_new(row, json_string(cells[i]));
        size_t n = strlen(cells[i]);
        t->w[i] = n > t->w[i] ? n : t->w[i];
    }
    json_array_append_new(t->rows, row);
}

static void table_line(const table *t, buf *out)
{
    buf_puts(out, "+");
    for (int i = 0; i < COLS; i++) {
        for (size_t k = 0; k < t->w[i] + 2; k++)
            buf_puts(out, "-");
        buf_puts(out, "+");
    }
    buf_puts(out, "\n");
}

/* tablewriter's decimal and percent patterns: such cells are right-aligned. */
static bool is_number(const char *s)
{
    s += *s == '-';
    size_t d = strspn(s, "0123456789");
    if (d == 0)
        return false;
    s += d;
    while (*s == ',' && strspn(s + 1, "0123456789") == 3)   /* 1,234,567 */
        s += 4;
    if (*s == '.' && isdigit((unsigned char)s[1]))
        s += 1 + strspn(s + 1, "0123456789");
    return *s == '\0' || (*s == '%' && s[1] == '\0');
}

static void table_render(const table *t, buf *out)
{
    table_line(t, out);
    buf_puts(out, "|");
    for (int i = 0; i < COLS; i++) {
        size_t gap = t->w[i] - strlen(heads[i]), l = gap / 2;
        buf_printf(out, " %*s%s%*s |", (int)l, "", heads[i], (int)(gap - l), "");
    }
    buf_puts(out, "\n");
    table_line(t, out);
    size_t r;
    json_t *row;
    json_array_foreach(t->rows, r, row) {
        buf_puts(out, "|");
        for (int i = 0; i < COLS; i++) {
            const char *s = json_string_value(json_array_get(row, (size_t)i));
            int w = (int)t->w[i];
            buf_printf(out, is_number(s) ? " %*s |" : " %-*s |", w, s);
        }
        buf_puts(out, "\n");
    }
    table_line(t, out);
}

static void success_table(const json_t *doc, buf *out)
{
    table t = {.rows = json_array()};
    for (int i = 0; i < COLS; i++)
        t.w[i] = strlen(heads[i]);
    const json_t *states = job_params_field(job_params_field(doc, "result"), "job_states");
    size_t i, j, k;
    json_t *js, *res, *task;
    json_array_foreach((json_t *)states, i, js) {
        json_array_foreach(job_params_field(js, "results"), j, res) {
            long long cid = json_integer_value(job_params_field(res, "scheduler_cluster_id"));
            json_array_foreach(job_params_field(res, "success_tasks"), k, task)
                table_add(&t, task, cid, "SUCCESS", "");
            json_array_foreach(job_params_field(res, "failure_tasks"), k, task)
                table_add(&t, task, cid, "FAILURE", cell_str(task, "description"));
        }
    }
    table_render(&t, out);
    json_decref(t.rows);
}

/* Harbor's errors.Errors text of the job states' errors. */
static void failure_errors(const json_t *doc, buf *out)
{
    const json_t *states = job_params_field(job_params_field(doc, "result"), "job_states");
    if (json_array_size(states) == 0)
        return;
    json_t *list = json_array();
    size_t i;
    json_t *js;
    json_array_foreach((json_t *)states, i, js)
        json_array_append_new(list, json_pack("{s:s,s:s}", "code", "UNKNOWN", "message",
                                              cell_str(js, "error")));
    json_t *wrap = json_pack("{s:o}", "errors", list);
    char *s = json_dumps(wrap, JSON_COMPACT);
    buf_puts(out, s);
    free(s);
    json_decref(wrap);
}

static int df_check(const ph_client *c, const ph_params *p, const char *task_id, ph_status *st,
                    char *err, size_t errlen)
{
    char url[4096];
    ph_endpoint_url(&p->provider, JOBS_PATH "/", url, sizeof url);
    strncat(url, task_id, sizeof url - strlen(url) - 1);
    buf reply;
    json_t *doc = NULL;
    int rc = ph_client_call(c, url, NULL, &reply, err, errlen);
    if (rc == 0)
        rc = parse_job(&reply, &doc, st, err, errlen);
    const char *state = rc == 0 ? json_string_value(job_params_field(doc, "state")) : NULL;
    if (rc == 0 && state && !strcmp(state, "PENDING")) {
        st->status = PH_RUNNING;
    } else if (rc == 0 && state && !strcmp(state, "SUCCESS")) {
        st->status = PH_SUCCESS;
        success_table(doc, &st->message);
    } else if (rc == 0 && state && !strcmp(state, "FAILURE")) {
        st->status = PH_FAIL;
        failure_errors(doc, &st->error);
    } else if (rc == 0) {
        st->status = PH_FAIL;
        buf_printf(&st->error, "unknown state: %s", state ? state : "");
    }
    json_decref(doc);
    buf_free(&reply);
    return rc;
}

const ph_driver ph_dragonfly = {.vendor = "dragonfly", .health_path = "/healthy",
                                .preheat = df_preheat, .check = df_check};
