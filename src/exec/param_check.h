/* The parameter check of a command job: required keys and the JSON types of keys, run as
 * the job's Validate at launch (a failure is the API's 400/10013 with this text). The rules
 * come from the config; the check parses the parameters object with jansson. */
#ifndef BERTH_EXEC_PARAM_CHECK_H
#define BERTH_EXEC_PARAM_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* JSON types a rule accepts (bits). An integer is a number without a fractional part. */
enum {
    EXEC_JSON_STRING = 1u << 0,
    EXEC_JSON_NUMBER = 1u << 1,
    EXEC_JSON_INTEGER = 1u << 2,
    EXEC_JSON_BOOLEAN = 1u << 3,
    EXEC_JSON_OBJECT = 1u << 4,
    EXEC_JSON_ARRAY = 1u << 5,
    EXEC_JSON_NULL = 1u << 6,
};

typedef struct exec_param_rule {
    char *key;          /* owned by whoever owns the rule array */
    bool required;      /* the key must be present */
    unsigned types;     /* EXEC_JSON_* bits; 0 = any type */
} exec_param_rule;

/* Checks params_json (an object's text, or NULL for no parameters) against n rules.
 * 0, or -1 with one sentence in err, e.g. "parameter 'count' must be an integer, got a
 * string". */
int exec_param_check(const exec_param_rule *rules, size_t n, const char *params_json,
                     char *err, size_t errlen);
/* "string", "number", "integer", "boolean", "object", "array" or "null" → its bit; 0 for
 * anything else. */
unsigned exec_param_type(const char *name);

#endif
