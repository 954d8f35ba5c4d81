/* Parsing JSON text into a jansson tree, accepting what Go's encoding/json accepts.
 * The JSON family: json_parse (text → tree), model/json_field.h (typed fields out of the
 * tree with Go's error texts), model/json_write.h (Go-compatible encoding), util/json_scan.h
 * (finding a member in raw text without parsing it).
 *
 * jansson and Go differ on a few inputs Harbor's clients may send; berth__json_parse
 * closes the gaps before jansson sees the text:
 *   - invalid UTF-8 inside strings: Go replaces each bad byte with U+FFFD, jansson rejects
 *     the document → we replace the byte first;
 *   - a \u escape of an unpaired UTF-16 surrogate: Go decodes U+FFFD, jansson rejects →
 *     we rewrite the escape as \ufffd;
 *   - "\u0000" inside strings: Go accepts → JSON_ALLOW_NUL (object keys with NUL are
 *     still refused by jansson: a documented difference);
 *   - integers beyond int64: Go decodes them into float64 for interface{} values,
 *     jansson fails → we retry with JSON_DECODE_INT_AS_REAL and say so in *lossy.
 * It also enforces Berth's nesting cap (the caller's max_depth), which Go does not have. */
#ifndef BERTH_MODEL_JSON_PARSE_H
#define BERTH_MODEL_JSON_PARSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nesting cap for every JSON document Berth reads from outside. */
#define BERTH_JSON_MAX_DEPTH 64

/* Parses text[0..len) (any top-level value). On success *out is a new reference (the
 * caller's: json_decref) and *lossy (may be NULL) tells whether integers were decoded as
 * reals because one of them did not fit int64. Errors: BERTH_EINVAL with a message in err
 * ("invalid JSON: ..." or "JSON nests deeper than N levels"), BERTH_ENOMEM. */
int berth__json_parse(const char *text, size_t len, int max_depth, json_t **out, bool *lossy,
                      char *err, size_t errlen);

#endif
