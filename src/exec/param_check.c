/* Parameter checks of command jobs; see param_check.h. */
#include "exec/param_check.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const type_names[] = {"string", "number", "integer", "boolean",
                                         "object", "array",  "null"};
#define NTYPES (sizeof type_names / sizeof type_names[0])

unsigned exec_param_type(const char *name)
{
    for (size_t i = 0; name && i < NTYPES; i++)
        if (strcmp(name, type_names[i]) == 0)
            return 1u << i;
    return 0;
}

static unsigned type_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return EXEC_JSON_STRING;
    case JSON_INTEGER:
        return EXEC_JSON_INTEGER | EXEC_JSON_NUMBER;
    case JSON_REAL: {
        double d = json_real_value(v);
        return EXEC_JSON_NUMBER | (d == floor(d) ? EXEC_JSON_INTEGER : 0);
    }
    case JSON_TRUE:
    case JSON_FALSE:
        return EXEC_JSON_BOOLEAN;
    case JSON_OBJECT:
        return EXEC_JSON_OBJECT;
    case JSON_ARRAY:
        return EXEC_JSON_ARRAY;
    default:
        return EXEC_JSON_NULL;
    }
}

/* "a string", "an integer", ... for the value's own type. */
static const char *a_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number with a fraction";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    default:
        return "null";
    }
}

/* "a string or null" from the rule's bits. */
static void wanted(unsigned types, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < NTYPES && used < outlen; i++)
        if (types & (1u << i)) {
            bool first = used == 0;
            const char *n = type_names[i];
            bool vowel = strchr("aeiou", n[0]) != NULL;
            used += (size_t)snprintf(out + used, outlen - used, "%s%s%s", first ? "" : " or ",
                                     strcmp(n, "null") == 0 ? "" : vowel ? "an " : "a ", n);
        }
}

static int check_one(const exec_param_rule *r, const json_t *obj, char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, r->key);
    if (!v) {
        if (!r->required)
            return 0;
        snprintf(err, errlen, "parameter '%s' is required", r->key);
        return -1;
    }
    if (r->types == 0 || (type_of(v) & r->types))
        return 0;
    char want[128];
    wanted(r->types, want, sizeof want);
    snprintf(err, errlen, "parameter '%s' must be %s, got %s", r->key, want, a_type(v));
    return -1;
}

int exec_param_check(const exec_param_rule *rules, size_t n, const char *params_json,
                     char *err, size_t errlen)
{
    if (n == 0)
        return 0;
    json_t *obj = NULL;
    if (params_json) {
        obj = json_loads(params_json, JSON_DECODE_ANY, NULL);
        if (!obj || !json_is_object(obj)) {
            json_decref(obj);
            snprintf(err, errlen, "parameters must be a JSON object");
            return -1;
        }
    }
    int rc = 0;
    json_t *empty = obj ? NULL : json_object();
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = check_one(&rules[i], obj ? obj : empty, err, errlen);
    json_decref(obj);
    json_decref(empty);
    return rc;
}
