/* Scanning raw JSON text without parsing it, to find one value: the hot path keeps job JSON as
 * text (ARCHITECTURE §2) and only needs to cut out the "args" object. */
#ifndef BERTH_UTIL_JSON_SCAN_H
#define BERTH_UTIL_JSON_SCAN_H

#include <stddef.h>

/* Length of the JSON value starting at p (object, array, string or scalar), or 0 if it is
 * malformed or runs past n. Does not validate the contents beyond bracket/quote balance. */
size_t json_scan_value(const char *p, size_t n);

/* Finds the value of top-level-looking key `key` in obj (first occurrence of "key":).
 * Sets *len and returns a pointer into obj, or NULL if absent or malformed. */
const char *json_scan_member(const char *obj, const char *key, size_t *len);

#endif
