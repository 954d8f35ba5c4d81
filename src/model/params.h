/* The canonical parameter encoding used in unique-job keys (spec §3.9): exactly what Go's
 * json.Encoder writes for a map[string]interface{} decoded from the parameters — keys
 * sorted, <>& and U+2028/9 escaped, numbers re-encoded from float64, trailing newline. */
#ifndef BERTH_MODEL_PARAMS_H
#define BERTH_MODEL_PARAMS_H

#include "util/buf.h"

/* Appends the canonical form of params_json (an object, or NULL/"null" → nothing) to out.
 * 0, or BERTH_EINVAL for text that is not a JSON object or null. */
int berth_params_canonical(const char *params_json, buf *out);
/* Appends Go's float64 text for v (strconv 'f'/-1, or 'e' outside [1e-6, 1e21)). */
void berth_params_format_number(double v, buf *out);
/* {ns}:unique:<name>:<canonical> — ns without braces. 0 or BERTH_EINVAL. */
int berth_unique_key(const char *ns, const char *name, const char *params_json, buf *out);

#endif
