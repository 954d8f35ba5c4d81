/* ActionRequest both ways; see action.h. */
#include "model/action.h"

#include "berth/error.h"
#include "model/json_field.h"
#include "model/json_parse.h"
#include "model/json_write.h"
#include "util/alloc.h"

static int walk(const json_t *j, char **action, char *err, size_t errlen)
{
    JSON_WRITE_TRY(berth__json_field_root(j, "job.ActionRequest", err, errlen));
    berth__json_field f = {"ActionRequest", "action", "string"};
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        if (berth__json_field_key_is(k, "action"))
            JSON_WRITE_TRY(berth__json_field_str(v, &f, action, err, errlen));
    }
    return 0;
}

int berth_action_parse(const char *text, size_t len, char **action, char *err, size_t errlen)
{
    json_t *j = NULL;
    char *a = NULL;
    JSON_WRITE_TRY(berth__json_parse(text, len, BERTH_JSON_MAX_DEPTH, &j, NULL, err, errlen));
    int rc = walk(j, &a, err, errlen);
    json_decref(j);
    if (rc) {
        berth_free(a);
        return rc;
    }
    *action = a ? a : berth_strdup("");
    return *action ? 0 : BERTH_ENOMEM;
}

int berth_action_to_json(const char *action, buf *out)
{
    size_t len = out->len;
    int rc = buf_puts(out, "{\"action\":");
    if (rc == 0)
        rc = berth__json_write_cstr(out, action);
    if (rc == 0)
        rc = buf_append(out, "}", 1);
    if (rc && out->p) {
        out->len = len;
        out->p[len] = '\0';
    }
    return rc;
}
