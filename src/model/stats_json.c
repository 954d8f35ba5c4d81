/* berth_stats → Go-identical StatsInfo JSON; see stats_json.h.
 *
 * Written by hand, field by field in Go's struct order, instead of through a jansson tree:
 * jansson neither keeps a chosen key order per object nor escapes <>& the way Go does. */
#include "model/stats_json.h"

#include <string.h>

#include "berth/error.h"
#include "model/ack.h"
#include "model/json_parse.h"
#include "model/json_write.h"

static int put_str(buf *out, const char *key, const char *v, bool omitempty)
{
    if (omitempty && (!v || !*v))
        return 0;
    JSON_WRITE_TRY(berth__json_write_key(out, key, false));
    return berth__json_write_cstr(out, v);
}

static int put_int(buf *out, const char *key, int64_t v, bool omitempty)
{
    if (omitempty && v == 0)
        return 0;
    JSON_WRITE_TRY(berth__json_write_key(out, key, false));
    return berth__json_write_int(out, v);
}

/* "parameters": the map re-encoded; left out when absent, null or empty (Go omitempty). */
static int put_params(buf *out, const char *params)
{
    if (!params || !*params)
        return 0;
    json_t *j = NULL;
    char err[160];
    if (berth__json_parse(params, strlen(params), BERTH_JSON_MAX_DEPTH, &j, NULL, err,
                          sizeof err) != 0)
        return BERTH_EINVAL;
    int rc = 0;
    if (json_is_object(j) && json_object_size(j) > 0) {
        rc = berth__json_write_key(out, "parameters", false);
        if (rc == 0)
            rc = berth__json_write_value(out, j);
    } else if (!json_is_object(j) && !json_is_null(j)) {
        rc = BERTH_EINVAL;
    }
    json_decref(j);
    return rc;
}

static int put_head(buf *out, const berth_stats *s)
{
    JSON_WRITE_TRY(buf_append(out, "{", 1));
    JSON_WRITE_TRY(berth__json_write_key(out, "id", true));
    JSON_WRITE_TRY(berth__json_write_cstr(out, s->id));
    JSON_WRITE_TRY(put_str(out, "status", s->status, false));
    JSON_WRITE_TRY(put_str(out, "name", s->name, false));
    JSON_WRITE_TRY(put_str(out, "kind", s->kind, false));
    JSON_WRITE_TRY(berth__json_write_key(out, "unique", false));
    JSON_WRITE_TRY(buf_puts(out, s->unique ? "true" : "false"));
    JSON_WRITE_TRY(put_str(out, "ref_link", s->ref_link, true));
    JSON_WRITE_TRY(put_str(out, "cron_spec", s->cron_spec, true));
    JSON_WRITE_TRY(put_int(out, "enqueue_time", s->enqueue_time, false));
    JSON_WRITE_TRY(put_int(out, "update_time", s->update_time, false));
    return put_int(out, "run_at", s->run_at, true);
}

static int put_tail(buf *out, const berth_stats *s, bool with_check_in)
{
    if (with_check_in)
        JSON_WRITE_TRY(put_str(out, "check_in", s->check_in, true));
    JSON_WRITE_TRY(put_int(out, "check_in_at", s->check_in_at, true));
    JSON_WRITE_TRY(put_int(out, "die_at", s->die_at, true));
    JSON_WRITE_TRY(put_str(out, "web_hook_url", s->web_hook_url, true));
    JSON_WRITE_TRY(put_str(out, "upstream_job_id", s->upstream_job_id, true));
    JSON_WRITE_TRY(put_int(out, "numeric_policy_id", s->numeric_policy_id, true));
    JSON_WRITE_TRY(put_params(out, s->parameters));
    JSON_WRITE_TRY(put_int(out, "revision", s->revision, true));
    if (s->ack.status) {
        JSON_WRITE_TRY(berth__json_write_key(out, "ack", false));
        JSON_WRITE_TRY(berth_ack_to_json(&s->ack, out));
    }
    return buf_append(out, "}", 1);
}

static int put_stats(buf *out, const berth_stats *s, bool wrap, bool with_check_in)
{
    if (wrap)
        JSON_WRITE_TRY(buf_puts(out, "{\"job\":"));
    JSON_WRITE_TRY(put_head(out, s));
    JSON_WRITE_TRY(put_tail(out, s, with_check_in));
    return wrap ? buf_append(out, "}", 1) : 0;
}

/* Undo a failed append: the buf goes back to its length before the call. */
static int restore(buf *out, size_t len, int rc)
{
    if (rc && out->p) {
        out->len = len;
        out->p[len] = '\0';
    }
    return rc;
}

int berth_stats_to_json(const berth_stats *s, bool wrap, bool with_check_in, buf *out)
{
    size_t len = out->len;
    return restore(out, len, put_stats(out, s, wrap, with_check_in));
}

static int put_list(const berth_stats *const *items, size_t n, bool null_if_empty, buf *out)
{
    if (n == 0)
        return buf_puts(out, null_if_empty ? "null" : "[]");
    JSON_WRITE_TRY(buf_append(out, "[", 1));
    for (size_t i = 0; i < n; i++) {
        if (i)
            JSON_WRITE_TRY(buf_append(out, ",", 1));
        JSON_WRITE_TRY(put_stats(out, items[i], true, false));
    }
    return buf_append(out, "]", 1);
}

int berth_stats_list_to_json(const berth_stats *const *items, size_t n, bool null_if_empty,
                             buf *out)
{
    size_t len = out->len;
    return restore(out, len, put_list(items, n, null_if_empty, out));
}
