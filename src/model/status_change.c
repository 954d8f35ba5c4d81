/* The hook payload both ways; see status_change.h. */
#include "model/status_change.h"

#include <string.h>

#include "berth/error.h"
#include "model/json_field.h"
#include "model/json_parse.h"
#include "model/json_write.h"
#include "model/stats_from_json.h"
#include "model/stats_json.h"
#include "util/alloc.h"

static int put(const char *job_id, const char *status, const char *check_in,
               const berth_stats *metadata, buf *out)
{
    JSON_WRITE_TRY(buf_append(out, "{", 1));
    JSON_WRITE_TRY(berth__json_write_key(out, "job_id", true));
    JSON_WRITE_TRY(berth__json_write_cstr(out, job_id));
    JSON_WRITE_TRY(berth__json_write_key(out, "status", false));
    JSON_WRITE_TRY(berth__json_write_cstr(out, status));
    if (check_in && *check_in) {
        JSON_WRITE_TRY(berth__json_write_key(out, "check_in", false));
        JSON_WRITE_TRY(berth__json_write_cstr(out, check_in));
    }
    if (metadata) {
        JSON_WRITE_TRY(berth__json_write_key(out, "metadata", false));
        JSON_WRITE_TRY(berth_stats_to_json(metadata, false, true, out));
    }
    return buf_append(out, "}", 1);
}

int berth_status_change_to_json(const char *job_id, const char *status, const char *check_in,
                                const berth_stats *metadata, buf *out)
{
    size_t len = out->len;
    int rc = put(job_id, status, check_in, metadata, out);
    if (rc && out->p) {
        out->len = len;
        out->p[len] = '\0';
    }
    return rc;
}

void berth_status_change_free(berth_status_change *c)
{
    if (!c)
        return;
    berth_free(c->job_id);
    berth_free(c->status);
    berth_free(c->check_in);
    berth_stats_free(c->metadata);
    berth_free(c);
}

static int set_metadata(berth_status_change *c, const json_t *v, bool lossy, char *err,
                        size_t errlen)
{
    berth__json_field f = {"StatusChange", "metadata", "job.StatsInfo"};
    JSON_WRITE_TRY(berth__json_field_object(v, &f, err, errlen));
    if (json_is_null(v)) {
        berth_stats_free(c->metadata);
        c->metadata = NULL;
        return 0;
    }
    if (!c->metadata)
        c->metadata = berth_stats_new();
    return berth__stats_from_tree(v, "metadata.", lossy, c->metadata, err, errlen);
}

static int member(berth_status_change *c, const char *k, const json_t *v, bool lossy,
                  char *err, size_t errlen)
{
    berth__json_field f = {"StatusChange", NULL, "string"};
    if (berth__json_field_key_is(k, "job_id")) {
        f.path = "job_id";
        return berth__json_field_str(v, &f, &c->job_id, err, errlen);
    }
    if (berth__json_field_key_is(k, "status")) {
        f.path = "status";
        return berth__json_field_str(v, &f, &c->status, err, errlen);
    }
    if (berth__json_field_key_is(k, "check_in")) {
        f.path = "check_in";
        return berth__json_field_str(v, &f, &c->check_in, err, errlen);
    }
    if (berth__json_field_key_is(k, "metadata"))
        return set_metadata(c, v, lossy, err, errlen);
    return 0;
}

static int walk(berth_status_change *c, const json_t *j, bool lossy, char *err, size_t errlen)
{
    JSON_WRITE_TRY(berth__json_field_root(j, "job.StatusChange", err, errlen));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) JSON_WRITE_TRY(member(c, k, v, lossy, err, errlen));
    if (c->check_in && !*c->check_in) {
        berth_free(c->check_in);
        c->check_in = NULL;
    }
    return 0;
}

int berth_status_change_parse(const char *text, size_t len, berth_status_change **out,
                              char *err, size_t errlen)
{
    json_t *j = NULL;
    bool lossy = false;
    JSON_WRITE_TRY(berth__json_parse(text, len, BERTH_JSON_MAX_DEPTH, &j, &lossy, err, errlen));
    berth_status_change *c = berth_calloc(1, sizeof *c);
    int rc = c ? walk(c, j, lossy, err, errlen) : BERTH_ENOMEM;
    json_decref(j);
    if (rc) {
        berth_status_change_free(c);
        return rc;
    }
    *out = c;
    return 0;
}
