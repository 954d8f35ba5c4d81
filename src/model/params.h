/* Job parameters as Go re-encodes them. Harbor decodes parameters into a
 * map[string]interface{} and encodes that map again wherever it writes them: sorted keys,
 * every number through float64 (1.0 → 1, 123456789012345678 → 123456789012345680),
 * HTML-safe string escaping (json_write.h).
 *
 *  - the canonical form inside unique-job keys (spec §3.9) is json.Encoder output, which
 *    ends with "\n";
 *  - the compact form (stats JSON, the stats hash, hook payloads) is json.Marshal output,
 *    with no newline.
 * Both read the number -0 as Go does, as a negative zero (berth_params_signed_zeros).
 * Input is JSON text: an object, or NULL / "" / "null" meaning "no parameters". */
#ifndef BERTH_MODEL_PARAMS_H
#define BERTH_MODEL_PARAMS_H

#include <stdbool.h>

#include "util/buf.h"

/* Appends the canonical form (with "\n") of params_json to out; nothing for no parameters.
 * 0; BERTH_EINVAL for text that is not a JSON object or null; BERTH_ETOOBIG at out's cap. */
int berth_params_canonical(const char *params_json, buf *out);
/* As berth_params_canonical, without the trailing newline (json.Marshal). */
int berth_params_compact(const char *params_json, buf *out);
/* Appends Go's float64 text for v (strconv 'f'/-1, or 'e' outside [1e-6, 1e21)).
 * BERTH_EINVAL for NaN/Inf. */
int berth_params_format_number(double v, buf *out);
/* Appends text[0..len) to out with every number token -0 (no fraction, no exponent) spelled
 * -0.0, strings copied as they are. Go reads -0 into a float64 −0 and writes it back as -0;
 * jansson reads it as the integer 0 and loses the sign, but keeps it for -0.0. 0, or
 * BERTH_ETOOBIG at out's cap. */
int berth_params_signed_zeros(const char *text, size_t len, buf *out);
/* True when text, Go's compact encoding of a JSON object as the request parser writes it
 * (berth__json_write_value: no whitespace, valid UTF-8, sorted unique keys), is byte for
 * byte what the engine stores for it — jansson's compact form of it, or the text itself
 * when an integer passes int64: it holds no escape and no number with a fraction, an
 * exponent or a negative zero (those jansson writes otherwise: 0.1 as 0.10000000000000001,
 * "\u003c" as "<", -0 as -0.0). Not a validator: for other text the answer means nothing. */
bool berth_params_stored_as_is(const char *text, size_t len);
/* Checks that text is a JSON object and sets *out (malloc'd, free with free) to the text the
 * engine stores for it: jansson's compact form, or the text itself where that would turn
 * integers past int64 into reals; the number -0 read as Go reads it, a negative zero (stored
 * as -0.0). With go_encoded (text from the request parser) and text that is already that
 * form (berth_params_stored_as_is), the text without a parse. 0, BERTH_EINVAL with a message
 * for text that is not an object, BERTH_ENOMEM. */
int berth_params_stored(const char *text, bool go_encoded, char **out, char *err,
                        size_t errlen);
/* Appends {ns}:unique:<name>:<canonical> — ns without braces (they are added here).
 * Same errors as berth_params_canonical; on error out may hold a partial key. */
int berth_unique_key(const char *ns, const char *name, const char *params_json, buf *out);

#endif
