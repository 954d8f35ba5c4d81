/* Parsing JSON text as Go accepts it, on top of jansson; see json_parse.h.
 *
 * One pass over the text copies it into a scratch buffer, tracking whether it is inside a
 * string (to know which bytes are escapes) and the bracket depth outside strings. Bytes
 * that are not valid UTF-8 become U+FFFD, unpaired surrogate escapes become \ufffd;
 * everything else is copied, and jansson then does the real parsing and syntax errors. */
#include "model/json_parse.h"

#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "model/json_write.h"
#include "util/buf.h"
#include "util/hex.h"

typedef struct scan {
    const char *p;   /* input */
    size_t n, i;     /* length, position */
    buf out;         /* sanitized copy */
    int depth, max;  /* current and allowed nesting */
} scan;

static int hex4(const char *p, size_t n)
{
    int v = 0;
    if (n < 6 || p[0] != '\\' || p[1] != 'u')
        return -1;
    for (int k = 2; k < 6; k++) {
        int d = hex_digit((unsigned char)p[k]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* At a backslash inside a string: copy the escape, fixing unpaired surrogates. */
static void escape(scan *s)
{
    const char *p = s->p + s->i;
    size_t left = s->n - s->i;
    int u = hex4(p, left);
    if (u < 0xd800 || u > 0xdfff) {  /* not a surrogate (or not \u at all): copy */
        size_t k = u >= 0 ? 6 : (left >= 2 ? 2 : 1);
        buf_append(&s->out, p, k);
        s->i += k;
        return;
    }
    int lo = u <= 0xdbff ? hex4(p + 6, left - 6) : -1;
    if (lo >= 0xdc00 && lo <= 0xdfff) {
        buf_append(&s->out, p, 12);
        s->i += 12;
        return;
    }
    buf_puts(&s->out, "\\ufffd");
    s->i += 6;
}

/* At a byte >= 0x80: copy a valid sequence or replace one bad byte. */
static void multibyte(scan *s)
{
    const unsigned char *u = (const unsigned char *)s->p + s->i;
    size_t k = berth__json_write_utf8_len(u, s->n - s->i);
    if (k) {
        buf_append(&s->out, u, k);
        s->i += k;
    } else {
        buf_append(&s->out, "\xef\xbf\xbd", 3);
        s->i++;
    }
}

/* Plain bytes are copied in runs (from..i), not one append each. */
static int run(scan *s)
{
    bool in_str = false;
    size_t from = s->i;
    while (s->i < s->n) {
        unsigned char c = (unsigned char)s->p[s->i];
        if (c >= 0x80 || (in_str && c == '\\')) {
            buf_append(&s->out, s->p + from, s->i - from);
            if (c >= 0x80)
                multibyte(s);
            else
                escape(s);
            from = s->i;
            continue;
        }
        if (c == '"') {
            in_str = !in_str;
        } else if (!in_str && (c == '{' || c == '[')) {
            if (++s->depth > s->max)
                return BERTH_ETOOBIG;
        } else if (!in_str && (c == '}' || c == ']')) {
            s->depth--;
        }
        s->i++;
    }
    buf_append(&s->out, s->p + from, s->i - from);
    return 0;
}

static json_t *parse(const buf *b, size_t flags, json_error_t *je)
{
    return json_loadb(b->p ? b->p : "", b->len, flags | JSON_DECODE_ANY | JSON_ALLOW_NUL, je);
}

int berth__json_parse(const char *text, size_t len, int max_depth, json_t **out, bool *lossy,
                      char *err, size_t errlen)
{
    scan s = {.p = text ? text : "", .n = text ? len : 0, .max = max_depth};
    buf_init(&s.out, 0);  /* no cap: at most 3 bytes per input byte (a bad byte becomes U+FFFD) */
    if (lossy)
        *lossy = false;
    if (run(&s) != 0) {
        snprintf(err, errlen, "invalid JSON: nests deeper than %d levels", max_depth);
        buf_free(&s.out);
        return BERTH_EINVAL;
    }
    if (s.out.err) {
        snprintf(err, errlen, "out of memory reading JSON");
        return BERTH_ENOMEM;
    }
    json_error_t je;
    json_t *j = parse(&s.out, 0, &je);
    if (!j && json_error_code(&je) == json_error_numeric_overflow) {
        j = parse(&s.out, JSON_DECODE_INT_AS_REAL, &je);
        if (j && lossy)
            *lossy = true;
    }
    buf_free(&s.out);
    if (!j) {
        snprintf(err, errlen, "invalid JSON: %s at line %d, column %d", je.text, je.line,
                 je.column);
        return BERTH_EINVAL;
    }
    *out = j;
    return 0;
}
