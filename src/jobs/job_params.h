/* Reading a built-in job's parameters (the raw JSON object text the engine hands to
 * validate and run) the way Harbor's Go jobs read their `job.Parameters` map: parse once
 * with jansson, then look keys up exactly. Never search the raw text: a nested or quoted
 * "image" must not count as the top-level key.
 *
 * Ownership: job_params_load returns a new reference the caller drops with json_decref.
 * The other functions borrow. No state, no locking. */
#ifndef BERTH_JOBS_JOB_PARAMS_H
#define BERTH_JOBS_JOB_PARAMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Parses params_json as Go would (integers beyond int64 become reals; see
 * model/json_parse.h). NULL or JSON null → *out NULL (Go's nil map). Text that is not a JSON
 * object (the engine only stores objects, so this means corruption) → BERTH_EINVAL with a
 * message in err. */
int job_params_load(const char *params_json, json_t **out, char *err, size_t errlen);

/* The Go type name reflect.TypeOf(v).String() gives for a decoded JSON value: float64,
 * bool, string, []interface {}, map[string]interface {}; "<nil>" for JSON null. */
const char *job_params_go_type(const json_t *v);

/* The string value of key, or NULL when it is absent or not a string (Go's
 * `v, ok := params[key].(string)`). *len gets its length (strings may hold NUL). */
const char *job_params_str(const json_t *params, const char *key, size_t *len);

/* Go's `v, ok := params[key].(bool); ok && v`. */
bool job_params_true(const json_t *params, const char *key);

/* Decoding one field of a Go struct from a JSON object as encoding/json does: the key
 * matches the field's tag exactly or under Go's case folding (the last such key wins),
 * JSON null or an absent key leaves the zero value, a value of the wrong JSON type fails
 * with Go's text `json: cannot unmarshal <json type> into Go struct field
 * <Struct>.<path> of type <go type>`. */
typedef enum {
    JOB_PARAMS_STRING,      /* string → *(const char **), pointing into obj ("" when absent) */
    JOB_PARAMS_BOOL,        /* bool → *(bool *) */
    JOB_PARAMS_INT64,       /* int64 → *(long long *); a fraction or overflow fails */
    JOB_PARAMS_MAP_STRING,  /* map[string]string → *(const json_t **) (strings' object or NULL) */
    JOB_PARAMS_MAP_ANY,     /* map[string]interface {} → *(const json_t **) (object or NULL) */
} job_params_kind;

/* The value of field in obj (NULL when absent or null), Go's matching rule. */
const json_t *job_params_field(const json_t *obj, const char *field);
/* 0, or BERTH_EINVAL with Go's error in err. path is "<Struct>.<field>" for the text. */
int job_params_go_field(const json_t *obj, const char *field, const char *path,
                        job_params_kind kind, void *out, char *err, size_t errlen);

#endif
