/* See job_params.h. */
#include "jobs/job_params.h"

#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "model/json_field.h"
#include "model/json_parse.h"

int job_params_load(const char *params_json, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!params_json)
        return 0;
    json_t *j = NULL;
    int rc = berth__json_parse(params_json, strlen(params_json), BERTH_JSON_MAX_DEPTH, &j,
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

const char *job_params_go_type(const json_t *v)
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

const char *job_params_str(const json_t *params, const char *key, size_t *len)
{
    const json_t *v = params ? json_object_get(params, key) : NULL;
    if (!json_is_string(v))
        return NULL;
    if (len)
        *len = json_string_length(v);
    return json_string_value(v);
}

bool job_params_true(const json_t *params, const char *key)
{
    return json_is_true(params ? json_object_get(params, key) : NULL);
}

const json_t *job_params_field(const json_t *obj, const char *field)
{
    const json_t *found = NULL;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
        if (berth__json_field_key_is(k, field))
            found = v;
    return json_is_null(found) ? NULL : found;
}

static const char *const go_kind[] = {"string", "bool", "int64", "map[string]string",
                                      "map[string]interface {}"};

static bool fits(const json_t *v, job_params_kind kind)
{
    switch (kind) {
    case JOB_PARAMS_STRING: return json_is_string(v);
    case JOB_PARAMS_BOOL: return json_is_boolean(v);
    case JOB_PARAMS_INT64: return json_is_integer(v);
    default: return json_is_object(v);
    }
}

static int type_error(const json_t *v, const char *path, const char *go_type, char *err,
                      size_t errlen)
{
    if (json_is_real(v))   /* Go names the number: "number 1.5" */
        snprintf(err, errlen, "json: cannot unmarshal number %.17g into Go struct field %s of "
                 "type %s", json_real_value(v), path, go_type);
    else
        snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field %s of type %s",
                 berth__json_field_type(v), path, go_type);
    return BERTH_EINVAL;
}

int job_params_go_field(const json_t *obj, const char *field, const char *path,
                        job_params_kind kind, void *out, char *err, size_t errlen)
{
    const json_t *v = job_params_field(obj, field);
    if (v && !fits(v, kind))
        return type_error(v, path, go_kind[kind], err, errlen);
    switch (kind) {
    case JOB_PARAMS_STRING: *(const char **)out = v ? json_string_value(v) : ""; break;
    case JOB_PARAMS_BOOL: *(bool *)out = v && json_is_true(v); break;
    case JOB_PARAMS_INT64: *(long long *)out = v ? (long long)json_integer_value(v) : 0; break;
    default: *(const json_t **)out = v; break;
    }
    if (kind == JOB_PARAMS_MAP_STRING && v) {
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)v, k, e)
            if (!json_is_string(e) && !json_is_null(e))
                return type_error(e, path, "string", err, errlen);
    }
    return 0;
}
