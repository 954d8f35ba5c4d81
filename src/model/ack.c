/* ACK JSON both ways; see ack.h. */
#include "model/ack.h"

#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "model/json_field.h"
#include "model/json_parse.h"
#include "model/json_write.h"
#include "util/alloc.h"

int berth_ack_to_json(const berth_ack *a, buf *out)
{
    JSON_WRITE_TRY(buf_append(out, "{", 1));
    JSON_WRITE_TRY(berth__json_write_key(out, "status", true));
    JSON_WRITE_TRY(berth__json_write_cstr(out, a->status));
    JSON_WRITE_TRY(berth__json_write_key(out, "revision", false));
    JSON_WRITE_TRY(berth__json_write_int(out, a->revision));
    JSON_WRITE_TRY(berth__json_write_key(out, "check_in_at", false));
    JSON_WRITE_TRY(berth__json_write_int(out, a->check_in_at));
    return buf_append(out, "}", 1);
}

static int field(const char *key, const json_t *v, const char *prefix, bool lossy,
                 berth_ack *a, char *err, size_t errlen)
{
    char path[64];
    berth__json_field f = {"ACK", path, "int64"};
    if (berth__json_field_key_is(key, "status")) {
        snprintf(path, sizeof path, "%sstatus", prefix);
        f.gotype = "string";
        return berth__json_field_str(v, &f, &a->status, err, errlen);
    }
    if (berth__json_field_key_is(key, "revision")) {
        snprintf(path, sizeof path, "%srevision", prefix);
        return berth__json_field_int64(v, &f, lossy, &a->revision, err, errlen);
    }
    if (berth__json_field_key_is(key, "check_in_at")) {
        snprintf(path, sizeof path, "%scheck_in_at", prefix);
        return berth__json_field_int64(v, &f, lossy, &a->check_in_at, err, errlen);
    }
    return 0;
}

int berth__ack_from_tree(const json_t *o, const char *prefix, bool lossy, berth_ack *out,
                         char *err, size_t errlen)
{
    berth_ack a = {0};
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        int rc = field(k, v, prefix, lossy, &a, err, errlen);
        if (rc) {
            berth_free(a.status);
            return rc;
        }
    }
    if (!a.status && !(a.status = berth_strdup("")))  /* present but empty: Go's non-nil ACK */
        return BERTH_ENOMEM;
    berth_free(out->status);
    *out = a;
    return 0;
}

int berth_ack_parse(const char *text, berth_ack *out)
{
    json_t *j = NULL;
    bool lossy;
    char err[160];
    if (!text || berth__json_parse(text, strlen(text), BERTH_JSON_MAX_DEPTH, &j, &lossy, err,
                                   sizeof err) != 0)
        return BERTH_EINVAL;
    int rc = BERTH_EINVAL;
    if (json_is_object(j))
        rc = berth__ack_from_tree(j, "", lossy, out, err, sizeof err);
    json_decref(j);
    return rc;
}
