/* SimpleStatusChange both ways; see simple_change.h. */
#include "model/simple_change.h"

#include "berth/error.h"
#include "model/json_field.h"
#include "model/json_parse.h"
#include "model/json_write.h"
#include "util/alloc.h"

static int put(const berth_simple_change *c, buf *out)
{
    JSON_WRITE_TRY(buf_append(out, "{", 1));
    JSON_WRITE_TRY(berth__json_write_key(out, "job_id", true));
    JSON_WRITE_TRY(berth__json_write_cstr(out, c->job_id));
    JSON_WRITE_TRY(berth__json_write_key(out, "target_status", false));
    JSON_WRITE_TRY(berth__json_write_cstr(out, c->target_status));
    JSON_WRITE_TRY(berth__json_write_key(out, "revision", false));
    JSON_WRITE_TRY(berth__json_write_int(out, c->revision));
    return buf_append(out, "}", 1);
}

int berth_simple_change_to_json(const berth_simple_change *c, buf *out)
{
    size_t len = out->len;
    int rc = put(c, out);
    if (rc && out->p) {
        out->len = len;
        out->p[len] = '\0';
    }
    return rc;
}

void berth_simple_change_free(berth_simple_change *c)
{
    if (!c)
        return;
    berth_free(c->job_id);
    berth_free(c->target_status);
    berth_free(c);
}

static int member(berth_simple_change *c, const char *k, const json_t *v, bool lossy,
                  char *err, size_t errlen)
{
    berth__json_field f = {"SimpleStatusChange", NULL, "string"};
    if (berth__json_field_key_is(k, "job_id")) {
        f.path = "job_id";
        return berth__json_field_str(v, &f, &c->job_id, err, errlen);
    }
    if (berth__json_field_key_is(k, "target_status")) {
        f.path = "target_status";
        return berth__json_field_str(v, &f, &c->target_status, err, errlen);
    }
    if (berth__json_field_key_is(k, "revision")) {
        f.path = "revision", f.gotype = "int64";
        return berth__json_field_int64(v, &f, lossy, &c->revision, err, errlen);
    }
    return 0;
}

static int walk(berth_simple_change *c, const json_t *j, bool lossy, char *err, size_t errlen)
{
    JSON_WRITE_TRY(berth__json_field_root(j, "job.SimpleStatusChange", err, errlen));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) JSON_WRITE_TRY(member(c, k, v, lossy, err, errlen));
    return 0;
}

int berth_simple_change_parse(const char *text, size_t len, berth_simple_change **out,
                              char *err, size_t errlen)
{
    json_t *j = NULL;
    bool lossy = false;
    JSON_WRITE_TRY(berth__json_parse(text, len, BERTH_JSON_MAX_DEPTH, &j, &lossy, err, errlen));
    berth_simple_change *c = berth_calloc(1, sizeof *c);
    int rc = c ? walk(c, j, lossy, err, errlen) : BERTH_ENOMEM;
    json_decref(j);
    if (rc) {
        berth_simple_change_free(c);
        return rc;
    }
    *out = c;
    return 0;
}
