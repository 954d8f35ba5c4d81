/* Go's re-encoding of job parameters; see params.h. */
#include "model/params.h"

#include <jansson.h>
#include <string.h>

#include "berth/error.h"
#include "model/gojson.h"
#include "model/jsonin.h"

static int encode(const char *params_json, bool newline, buf *out)
{
    if (!params_json || !*params_json)
        return 0;
    json_t *j = NULL;
    char err[160];
    if (berth__jsonin_load(params_json, strlen(params_json), BERTH_JSON_MAX_DEPTH, &j, NULL, err,
                           sizeof err) != 0)
        return BERTH_EINVAL;
    int rc = 0;
    if (json_is_object(j)) {
        rc = berth__gojson_value(out, j);
        if (rc == 0 && newline)
            rc = buf_append(out, "\n", 1);
    } else if (!json_is_null(j)) {
        rc = BERTH_EINVAL;
    }
    json_decref(j);
    return rc;
}

int berth_params_canonical(const char *params_json, buf *out)
{
    return encode(params_json, true, out);
}

int berth_params_compact(const char *params_json, buf *out)
{
    return encode(params_json, false, out);
}

int berth_params_format_number(double v, buf *out)
{
    return berth__gojson_float(out, v);
}

int berth_unique_key(const char *ns, const char *name, const char *params_json, buf *out)
{
    int rc = buf_printf(out, "{%s}:unique:%s:", ns ? ns : "", name ? name : "");
    return rc ? rc : berth_params_canonical(params_json, out);
}
