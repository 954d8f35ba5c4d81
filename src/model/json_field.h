/* Reading fields from a decoded (jansson) JSON object: Go's key matching, and one field into
 * a C value with Go's rules and Go's error text, so that a type mismatch reads like Harbor's:
 *   json: cannot unmarshal string into Go struct field Metadata.job.metadata.schedule_delay
 *   of type uint64
 * JSON null leaves the destination unchanged and is not an error (Go does the same). */
#ifndef BERTH_MODEL_JSON_FIELD_H
#define BERTH_MODEL_JSON_FIELD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Go's struct-field match of an object key: exact, or equal under Unicode simple case
 * folding (ASCII letters, plus U+212A KELVIN SIGN ~ k and U+017F LONG S ~ s). */
bool berth__json_field_key_is(const char *key, const char *field);

/* The JSON type word Go uses in UnmarshalTypeError: object, array, string, number, bool. */
const char *berth__json_field_type(const json_t *v);

typedef struct berth__json_field {
    const char *strct;   /* Go struct holding the field, e.g. "Metadata" */
    const char *path;    /* dotted JSON path from the root, e.g. "job.metadata.kind" */
    const char *gotype;  /* Go type of the field, e.g. "uint64" */
} berth__json_field;

/* Writes the UnmarshalTypeError text for v (what overrides the JSON type word, e.g.
 * "number -1") and returns BERTH_EINVAL. */
int berth__json_field_mismatch(const json_t *v, const char *what, const berth__json_field *f,
                               char *err, size_t errlen);
/* A string → *dst replaced by a copy (the old value freed; free the result with berth_free). */
int berth__json_field_str(const json_t *v, const berth__json_field *f, char **dst, char *err,
                          size_t errlen);
int berth__json_field_bool(const json_t *v, const berth__json_field *f, bool *dst, char *err,
                           size_t errlen);
/* Integers only (1.0 and 1e3 are refused, as Go refuses them), unless lossy (the document
 * was decoded with integers as reals), when integral reals in range are taken. */
int berth__json_field_int64(const json_t *v, const berth__json_field *f, bool lossy,
                            int64_t *dst, char *err, size_t errlen);
int berth__json_field_uint64(const json_t *v, const berth__json_field *f, bool lossy,
                             uint64_t *dst, char *err, size_t errlen);
/* 0 when v is an object or null, else the mismatch error. */
int berth__json_field_object(const json_t *v, const berth__json_field *f, char *err,
                             size_t errlen);

/* The document root: 0 when j is an object or null, else Go's "json: cannot unmarshal
 * <type> into Go value of type <gotype>" and BERTH_EINVAL. */
int berth__json_field_root(const json_t *j, const char *gotype, char *err, size_t errlen);

#endif
