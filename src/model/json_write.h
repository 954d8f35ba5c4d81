/* Go-compatible JSON encoding: writing JSON exactly as Go's encoding/json does (spec §2.4: compact, HTML-safe), so that
 * Berth's replies, hook payloads and unique keys are byte-identical to Harbor's.
 *
 * Every function appends to a caller's buf and returns 0, or BERTH_ETOOBIG when the buf's cap
 * is reached (the buf then holds a truncated prefix: callers discard it). */
#ifndef BERTH_MODEL_JSON_WRITE_H
#define BERTH_MODEL_JSON_WRITE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Return early from the calling function when x fails. */
#define JSON_WRITE_TRY(x)                                                                    \
    do {                                                                                     \
        int json_write_rc_ = (x);                                                            \
        if (json_write_rc_)                                                                  \
            return json_write_rc_;                                                           \
    } while (0)

/* A quoted string: `"` `\` escaped, \b \f \n \r \t (Go >= 1.22), other controls and <>& as
 * \u00XX, U+2028/U+2029 as \u2028/\u2029, each byte of invalid UTF-8 as \ufffd. */
int berth__json_write_str(buf *out, const char *s, size_t len);
/* berth__json_write_str of a C string; NULL is written as "". */
int berth__json_write_cstr(buf *out, const char *s);
/* Length (2..4) of the valid UTF-8 sequence at s by Go's utf8.DecodeRune rules, 0 if the
 * bytes there are not one (ASCII included: callers test < 0x80 first). */
size_t berth__json_write_utf8_len(const unsigned char *s, size_t n);
/* A float64 as Go writes it: shortest round-trip digits, 'f' format, or 'e' format when
 * |v| < 1e-6 or |v| >= 1e21 with Go's exponent cleanup (1e-07 → 1e-7, 1e+21 kept).
 * NaN and infinities are not JSON: BERTH_EINVAL. */
int berth__json_write_float(buf *out, double v);
/* An int64 in decimal. */
int berth__json_write_int(buf *out, int64_t v);
/* `"key":` — the key escaped like a string, for hand-built objects. `first` false adds a
 * leading comma. */
int berth__json_write_key(buf *out, const char *key, bool first);
/* A decoded JSON value the way Go re-encodes an interface{}: objects as maps (keys sorted
 * bytewise), every number as float64, strings escaped as above. */
int berth__json_write_value(buf *out, const json_t *v);

#endif
