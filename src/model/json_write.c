/* Go-compatible JSON output; see json_write.h.
 *
 * Strings: Go's encodeState.string with HTML escaping. Numbers: Go's floatEncoder, which
 * asks strconv for the shortest digits that parse back to the same float64. We find those
 * digits by trying 1..17 significant digits with printf's correctly rounded %.*e; at each
 * length the nearest candidate and its two neighbours are checked with strtod, which is
 * what makes the result agree with Go's at powers of two, where the rounding interval of
 * a float64 is lopsided. */
#include "model/json_write.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "util/alloc.h"

static const char hexdig[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at s (Go's utf8.DecodeRune rules), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 2;
    else if (c >= 0xe0 && c <= 0xef) need = 3;
    else if (c >= 0xf0 && c <= 0xf4) need = 4;
    else return 0;
    if (c == 0xe0) lo = 0xa0;
    else if (c == 0xed) hi = 0x9f;
    else if (c == 0xf0) lo = 0x90;
    else if (c == 0xf4) hi = 0x8f;
    if (n < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return need;
}

size_t berth__json_write_utf8_len(const unsigned char *s, size_t n)
{
    return utf8_len(s, n);
}

static int put_ascii_escape(buf *out, unsigned char c)
{
    char e[7] = {'\\', 0, 0, 0, 0, 0, 0};
    switch (c) {
    case '"': case '\\': e[1] = (char)c; return buf_append(out, e, 2);
    case '\b': e[1] = 'b'; return buf_append(out, e, 2);
    case '\f': e[1] = 'f'; return buf_append(out, e, 2);
    case '\n': e[1] = 'n'; return buf_append(out, e, 2);
    case '\r': e[1] = 'r'; return buf_append(out, e, 2);
    case '\t': e[1] = 't'; return buf_append(out, e, 2);
    default:
        memcpy(e + 1, "u00", 3);
        e[4] = hexdig[c >> 4];
        e[5] = hexdig[c & 15];
        return buf_append(out, e, 6);
    }
}

static bool ascii_safe(unsigned char c)
{
    return c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&';
}

int berth__json_write_str(buf *out, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, start = 0;
    JSON_WRITE_TRY(buf_append(out, "\"", 1));
    while (i < len) {
        if (u[i] < 0x80 && ascii_safe(u[i])) {
            i++;
            continue;
        }
        size_t n = u[i] < 0x80 ? 1 : utf8_len(u + i, len - i);
        bool ls = n == 3 && u[i] == 0xe2 && u[i + 1] == 0x80 && (u[i + 2] & 0xfe) == 0xa8;
        if (n > 1 && !ls) {
            i += n;
            continue;
        }
        JSON_WRITE_TRY(buf_append(out, s + start, i - start));
        if (n == 1)
            JSON_WRITE_TRY(put_ascii_escape(out, u[i]));
        else if (ls)
            JSON_WRITE_TRY(buf_puts(out, u[i + 2] == 0xa8 ? "\\u2028" : "\\u2029"));
        else
            JSON_WRITE_TRY(buf_puts(out, "\\ufffd"));
        i += n ? n : 1;
        start = i;
    }
    JSON_WRITE_TRY(buf_append(out, s + start, len - start));
    return buf_append(out, "\"", 1);
}

int berth__json_write_cstr(buf *out, const char *s)
{
    return berth__json_write_str(out, s ? s : "", s ? strlen(s) : 0);
}

int berth__json_write_int(buf *out, int64_t v)
{
    return buf_printf(out, "%" PRId64, v);
}

/* Does mantissa m (decimal digits) times 10^e10 parse back to v? */
static bool round_trips(uint64_t m, int e10, double v)
{
    char t[48];
    snprintf(t, sizeof t, "%" PRIu64 "e%d", m, e10);
    return strtod(t, NULL) == v;
}

/* Shortest digits of a finite v > 0: *m with *e10 so that v ≈ m * 10^e10, m minimal. */
static void shortest(double v, uint64_t *m, int *e10)
{
    for (int prec = 0; prec <= 16; prec++) {
        char t[48];
        snprintf(t, sizeof t, "%.*e", prec, v);
        char *e = strchr(t, 'e');
        uint64_t mm = 0;
        for (char *p = t; p < e; p++)
            if (*p >= '0' && *p <= '9')
                mm = mm * 10 + (uint64_t)(*p - '0');
        int ex = atoi(e + 1) - prec;
        uint64_t cand[3] = {mm, mm + 1, mm - 1};
        for (int i = 0; i < 3; i++) {
            if (cand[i] == 0 || !round_trips(cand[i], ex, v))
                continue;
            *m = cand[i];
            *e10 = ex;
            return;
        }
    }
    *m = 0; /* unreachable: 17 digits always round-trip */
    *e10 = 0;
}

static int put_digits_e(buf *out, const char *d, int nd, int x)
{
    JSON_WRITE_TRY(buf_append(out, d, 1));
    if (nd > 1) {
        JSON_WRITE_TRY(buf_append(out, ".", 1));
        JSON_WRITE_TRY(buf_append(out, d + 1, (size_t)nd - 1));
    }
    if (x < 0)
        return buf_printf(out, "e-%d", -x);
    return buf_printf(out, "e+%02d", x);
}

static int put_digits_f(buf *out, const char *d, int nd, int x)
{
    if (x < 0) {
        JSON_WRITE_TRY(buf_puts(out, "0."));
        for (int i = 0; i < -x - 1; i++)
            JSON_WRITE_TRY(buf_append(out, "0", 1));
        return buf_append(out, d, (size_t)nd);
    }
    for (int i = 0; i <= x; i++)
        JSON_WRITE_TRY(buf_append(out, i < nd ? d + i : "0", 1));
    if (nd > x + 1) {
        JSON_WRITE_TRY(buf_append(out, ".", 1));
        JSON_WRITE_TRY(buf_append(out, d + x + 1, (size_t)(nd - x - 1)));
    }
    return 0;
}

int berth__json_write_float(buf *out, double v)
{
    if (!isfinite(v))
        return BERTH_EINVAL;
    if (v == 0)
        return buf_puts(out, signbit(v) ? "-0" : "0");
    if (v < 0)
        JSON_WRITE_TRY(buf_append(out, "-", 1));
    double a = fabs(v);
    /* An integer below 2^53 (the usual parameter) is its own shortest form, written as
     * Go's 'f' format writes it: its digits (the search below is ~20 printf calls). */
    if (a < 9007199254740992.0 && a == (double)(uint64_t)a) {
        char t[24];
        size_t n = sizeof t;
        for (uint64_t u = (uint64_t)a; u; u /= 10)
            t[--n] = (char)('0' + u % 10);
        return buf_append(out, t + n, sizeof t - n);
    }
    uint64_t m;
    int e10;
    shortest(a, &m, &e10);
    while (m % 10 == 0) {
        m /= 10;
        e10++;
    }
    char d[24];
    int nd = snprintf(d, sizeof d, "%" PRIu64, m);
    int x = e10 + nd - 1; /* exponent of the first digit */
    if (a < 1e-6 || a >= 1e21)
        return put_digits_e(out, d, nd, x);
    return put_digits_f(out, d, nd, x);
}

int berth__json_write_key(buf *out, const char *key, bool first)
{
    if (!first)
        JSON_WRITE_TRY(buf_append(out, ",", 1));
    JSON_WRITE_TRY(berth__json_write_cstr(out, key));
    return buf_append(out, ":", 1);
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int put_object(buf *out, const json_t *o)
{
    size_t n = json_object_size(o), i = 0;
    const char **keys = berth_calloc(n ? n : 1, sizeof *keys);
    if (!keys)
        return BERTH_ENOMEM;
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)o, k, val) keys[i++] = k;
    qsort(keys, n, sizeof *keys, cmp_keys);
    int rc = buf_append(out, "{", 1);
    for (i = 0; i < n && rc == 0; i++) {
        rc = berth__json_write_key(out, keys[i], i == 0);
        if (rc == 0)
            rc = berth__json_write_value(out, json_object_get(o, keys[i]));
    }
    berth_free(keys);
    return rc ? rc : buf_append(out, "}", 1);
}

static int put_array(buf *out, const json_t *a)
{
    JSON_WRITE_TRY(buf_append(out, "[", 1));
    for (size_t i = 0; i < json_array_size(a); i++) {
        if (i)
            JSON_WRITE_TRY(buf_append(out, ",", 1));
        JSON_WRITE_TRY(berth__json_write_value(out, json_array_get(a, i)));
    }
    return buf_append(out, "]", 1);
}

int berth__json_write_value(buf *out, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return put_object(out, v);
    case JSON_ARRAY: return put_array(out, v);
    case JSON_STRING:
        return berth__json_write_str(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: return berth__json_write_float(out, (double)json_integer_value(v));
    case JSON_REAL: return berth__json_write_float(out, json_real_value(v));
    case JSON_TRUE: return buf_puts(out, "true");
    case JSON_FALSE: return buf_puts(out, "false");
    default: return buf_puts(out, "null");
    }
}
