/* See jparams.h. */
#include "jobs/jparams.h"

#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "model/jsonin.h"

int jparams_load(const char *params_json, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!params_json)
        return 0;
    json_t *j = NULL;
    int rc = berth__jsonin_load(params_json, strlen(params_json), BERTH_JSON_MAX_DEPTH, &j,
                                NULL, err, errlen);
    if (rc != 0)
        return rc;
    if (json_is_null(j)) {
        json_decref(j);
        return 0;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        snprintf(err, errlen, "invalid job parameters: not a JSON object");
        return BERTH_EINVAL;
    }
    *out = j;
    return 0;
}

const char *jparams_go_type(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT: return "map[string]interface {}";
    case JSON_ARRAY: return "[]interface {}";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "float64";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    default: return "<nil>";
    }
}

const char *jparams_str(const json_t *params, const char *key, size_t *len)
{
    const json_t *v = params ? json_object_get(params, key) : NULL;
    if (!json_is_string(v))
        return NULL;
    if (len)
        *len = json_string_length(v);
    return json_string_value(v);
}

bool jparams_true(const json_t *params, const char *key)
{
    return json_is_true(params ? json_object_get(params, key) : NULL);
}
