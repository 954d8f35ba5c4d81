/* berthd's HTTP/1.1 request reader (see http_parse.h), RFC 9112 with Go's net/http server
 * as the reference wherever the RFC leaves a choice, since Harbor core's Go client talked
 * to a Go server before Berth.
 *
 * The head is read in two steps. First the end of the head is found: the first empty line
 * after a non-empty one. That scan resumes where the last call stopped (*scanned), so a
 * head trickling in a byte at a time is read about once; whether the lines before a line
 * start were all empty (the leading empty lines RFC 9112 §2.2 lets a server skip) is read
 * from the one line just before it, because a non-empty line followed by an empty one
 * would already have ended the head. Then the complete head is parsed and checked line by
 * line without writing; only when every check passed are the NULs written, so an error
 * leaves the caller's bytes as they were.
 *
 * Choices, each Go's unless said otherwise:
 *   - lines end in CR LF or a bare LF; a CR anywhere else is malformed (400);
 *   - the request line is method SP target SP "HTTP/" DIGIT "." DIGIT, single spaces; the
 *     target is origin-form ("/...") or "*" for OPTIONS (RFC 9112 §3.2.4), and any byte
 *     below 0x21 or 0x7f in it is 400; a version other than 1.0 or 1.1 is 505;
 *   - a header name is a token followed at once by ':' (whitespace before the colon, an
 *     obs-fold continuation line or an empty name is 400); a value may hold HTAB, SP,
 *     visible ASCII and bytes from 0x80, nothing else;
 *   - an HTTP/1.1 request needs exactly one Host field, an HTTP/1.0 one at most one;
 *   - Content-Length is digits only, at most 2^63-1 (Go's ParseUint(s, 10, 63)), and its
 *     repeats must be the same string (Go compares the trimmed strings, so "5" and "05"
 *     disagree);
 *   - Transfer-Encoding, all its fields together, must be exactly "chunked" (case
 *     ignored), else 501 (Go accepts only that one coding too); with Content-Length it is
 *     400, and in an HTTP/1.0 request 400 (RFC 9112 §6.1: faulty framing; Go would ignore
 *     it and read the chunks as the next request);
 *   - "Connection: close" ends an HTTP/1.1 connection, "keep-alive" keeps an HTTP/1.0 one,
 *     close winning when both are listed;
 *   - "Expect: 100-continue" counts in HTTP/1.1 only (RFC 9110 §10.1.1); other
 *     expectations are ignored (the RFC's MAY of 417 is not taken).
 *
 * The chunked decoder is a byte-at-a-time state machine, so any split of the input gives
 * the same data. Size lines follow Go's chunked reader: hex digits, optional spaces/tabs,
 * an optional ';' extension that is dropped; the data must be followed by CR LF.
 *
 * The target decoders reproduce libmicrohttpd's MHD_http_unescape (a '%' with two hex
 * digits becomes that byte, anything else is copied) and its query parsing (arguments
 * split on '&', name and value each get '+' as space and then %xx decoded, the first
 * matching name wins, an argument without '=' has no value). */
#include "server/http_parse.h"

#include <string.h>
#include <strings.h>

#include "util/hex.h"

#define CHUNK_LINE_MAX 4096
#define CL_MAX 0x7fffffffffffffffULL

/* ---- characters -------------------------------------------------------------------- */

static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
        return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

static bool is_value_byte(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool span_ieq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* ---- finding the end of the head --------------------------------------------------- */

/* Whether the line that ends just before `at` (a line start, at > 0) is empty. */
static bool prev_line_empty(const char *buf, size_t at)
{
    if (at == 1 || buf[at - 2] == '\n')
        return true;
    return buf[at - 2] == '\r' && (at == 2 || buf[at - 3] == '\n');
}

/* Scans lines from *scanned for the empty line that ends the head: its end goes to *end
 * and 1 is returned; 0 when lim bytes hold none. Then *scanned is left at the last byte
 * (the start of the unfinished line when that has at most one byte), so the next call
 * reads each byte once more at most: resuming inside a line means the line has bytes
 * before the resume point, and a line with a byte before its last can only be empty as
 * "\r" plus the LF still to come, which the one-byte rule keeps at the line's start. */
static int find_head_end(const char *buf, size_t lim, size_t *scanned, size_t *end)
{
    size_t pos = *scanned;
    bool inside = pos > 0 && buf[pos - 1] != '\n';
    for (;;) {
        const char *nl = memchr(buf + pos, '\n', lim - pos);
        if (!nl) {
            *scanned = lim > pos + 1 ? lim - 1 : pos;
            return 0;
        }
        size_t eol = (size_t)(nl - buf);
        bool empty = !inside && (eol == pos || (eol == pos + 1 && buf[pos] == '\r'));
        if (empty && pos > 0 && !prev_line_empty(buf, pos)) {
            *end = eol + 1;
            return 1;
        }
        pos = eol + 1;
        inside = false;
    }
}

/* ---- lines of the complete head --------------------------------------------------- */

/* One line of the complete head: [p, end) without its CR LF or LF. */
typedef struct line {
    char *p, *end;
} line;

/* The parse of a complete head [buf, head_end): the cursor and what the fields said. */
typedef struct head_ctx {
    char *pos, *head_end;
    http_head *out;
    char *target_end, *method_end;
    size_t nhost, ncl;
    const char *cl;           /* the first Content-Length value and its length */
    size_t cl_len;
    bool has_te, te_ok, conn_close, conn_keep;
} head_ctx;

/* Cuts the next line (the head is complete, so it has its LF). A CR left inside the line
 * is refused by the checks of whatever the line holds (no token, target or value byte is
 * a CR). */
static void take_line(head_ctx *x, line *l)
{
    char *nl = memchr(x->pos, '\n', (size_t)(x->head_end - x->pos));
    l->p = x->pos;
    l->end = nl > x->pos && nl[-1] == '\r' ? nl - 1 : nl;
    x->pos = nl + 1;
}

/* ---- the request line -------------------------------------------------------------- */

/* "HTTP/" DIGIT "." DIGIT: 0 for 1.0 and 1.1 (minor to *minor), -505 for other versions,
 * -400 for anything else. */
static int parse_version(const char *p, const char *end, unsigned *minor)
{
    if (end - p != 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.' || p[5] < '0' ||
        p[5] > '9' || p[7] < '0' || p[7] > '9')
        return -400;
    if (p[5] != '1' || p[7] > '1')
        return -505;
    *minor = (unsigned)(p[7] - '0');
    return 0;
}

/* The target runs to the next space; origin-form or "*" (OPTIONS only). */
static int parse_target(head_ctx *x, char *p, const char *end)
{
    char *t = p;
    while (p < end && *p != ' ') {
        unsigned char c = (unsigned char)*p;
        if (c < 0x21 || c == 0x7f)
            return -400;
        p++;
    }
    if (p == end || p == t)
        return -400;
    bool star = p - t == 1 && *t == '*';
    if (*t != '/' && !(star && x->method_end - x->out->method == 7 &&
                       memcmp(x->out->method, "OPTIONS", 7) == 0))
        return -400;
    x->out->target = t;
    x->target_end = p;
    return 0;
}

static int parse_request_line(head_ctx *x, const line *l)
{
    char *p = l->p;
    while (p < l->end && is_tchar((unsigned char)*p))
        p++;
    if (p == l->p || p == l->end || *p != ' ')
        return -400;
    x->out->method = l->p;
    x->method_end = p;
    int rc = parse_target(x, p + 1, l->end);
    if (rc == 0)
        rc = parse_version(x->target_end + 1, l->end, &x->out->minor);
    return rc;
}

/* ---- header fields ----------------------------------------------------------------- */

/* The next element of a comma-separated list in [*p, end), spaces and tabs around it
 * dropped and empty elements skipped; false at the end. */
static bool list_next(const char **p, const char *end, const char **tok, size_t *len)
{
    const char *q = *p;
    for (;;) {
        while (q < end && (*q == ' ' || *q == '\t' || *q == ','))
            q++;
        if (q == end) {
            *p = q;
            return false;
        }
        const char *e = memchr(q, ',', (size_t)(end - q));
        const char *next = e ? e + 1 : end;
        if (!e)
            e = end;
        while (e > q && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        *tok = q;
        *len = (size_t)(e - q);
        *p = next;
        return true;
    }
}

static bool list_has(const char *v, const char *end, const char *lit)
{
    const char *tok;
    size_t len;
    while (list_next(&v, end, &tok, &len))
        if (span_ieq(tok, len, lit))
            return true;
    return false;
}

/* Transfer-Encoding: every coding across its fields; te_ok while the only one seen is a
 * single "chunked". */
static void note_te(head_ctx *x, const char *v, const char *end)
{
    const char *tok;
    size_t len;
    if (!x->has_te)
        x->te_ok = true;
    x->has_te = true;
    bool any = false;
    while (list_next(&v, end, &tok, &len)) {
        any = true;
        if (!span_ieq(tok, len, "chunked") || x->out->chunked)
            x->te_ok = false;
        x->out->chunked = true;
    }
    if (!any)
        x->te_ok = false;
}

static int note_cl(head_ctx *x, const char *v, const char *end)
{
    size_t len = (size_t)(end - v);
    if (x->ncl++ > 0)
        return len == x->cl_len && memcmp(v, x->cl, len) == 0 ? 0 : -400;
    x->cl = v;
    x->cl_len = len;
    if (len == 0)
        return -400;
    uint64_t n = 0;
    for (; v < end; v++) {
        if (*v < '0' || *v > '9' || n > (CL_MAX - (uint64_t)(*v - '0')) / 10)
            return -400;
        n = n * 10 + (uint64_t)(*v - '0');
    }
    x->out->has_length = true;
    x->out->content_length = n;
    return 0;
}

/* What the fields that frame the message or the connection say (most fields are none of
 * them: the length and first letter rule them out before any comparison). */
static int note_field(head_ctx *x, const char *name, size_t nlen, const char *v,
                      const char *end)
{
    switch (nlen) {
    case 4:
        if (span_ieq(name, nlen, "Host"))
            x->nhost++;
        break;
    case 6:
        if (span_ieq(name, nlen, "Expect"))
            x->out->expect_continue |= list_has(v, end, "100-continue");
        break;
    case 10:
        if (span_ieq(name, nlen, "Connection")) {
            x->conn_close |= list_has(v, end, "close");
            x->conn_keep |= list_has(v, end, "keep-alive");
        }
        break;
    case 14:
        if (span_ieq(name, nlen, "Content-Length"))
            return note_cl(x, v, end);
        break;
    case 17:
        if (span_ieq(name, nlen, "Transfer-Encoding"))
            note_te(x, v, end);
        break;
    default:
        break;
    }
    return 0;
}

/* name ":" OWS value OWS */
static int parse_field(head_ctx *x, const line *l)
{
    char *p = l->p, *v, *e = l->end;
    while (p < e && is_tchar((unsigned char)*p))
        p++;
    if (p == l->p || p == e || *p != ':')
        return -400;
    for (v = p + 1; v < e && (*v == ' ' || *v == '\t'); v++)
        ;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    for (const char *q = v; q < e; q++)
        if (!is_value_byte((unsigned char)*q))
            return -400;
    if (x->out->nhdr == HTTP_PARSE_MAX_HEADERS)
        return -431;
    x->out->hdr[x->out->nhdr++] = (http_header){.name = l->p, .value = v};
    return note_field(x, l->p, (size_t)(p - l->p), v, e);
}

/* ---- the whole head ---------------------------------------------------------------- */

/* The framing rules once every field is read. */
static int check_framing(head_ctx *x)
{
    http_head *h = x->out;
    if (h->minor == 1 ? x->nhost != 1 : x->nhost > 1)
        return -400;
    if (x->has_te) {
        if (x->ncl > 0 || h->minor == 0)
            return -400;
        if (!x->te_ok)
            return -501;
    }
    h->keep_alive = h->minor == 1 ? !x->conn_close : x->conn_keep && !x->conn_close;
    if (h->minor == 0)
        h->expect_continue = false;
    return 0;
}

/* Writes the NULs after the method, the target, each name and each value. */
static void terminate(head_ctx *x)
{
    http_head *h = x->out;
    *x->method_end = '\0';
    *x->target_end = '\0';
    for (size_t i = 0; i < h->nhdr; i++) {
        char *v = (char *)h->hdr[i].value;
        char *e = memchr(v, '\n', (size_t)(x->head_end - v));
        if (e > v && e[-1] == '\r')
            e--;
        while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        *e = '\0';
        *(char *)memchr(h->hdr[i].name, ':', (size_t)(v - h->hdr[i].name)) = '\0';
    }
}

static int parse_head(char *buf, size_t head_len, http_head *out)
{
    head_ctx x = {.pos = buf, .head_end = buf + head_len, .out = out};
    line l;
    *out = (http_head){.head_len = head_len};
    while (*x.pos == '\n' || (x.pos[0] == '\r' && x.pos[1] == '\n'))
        x.pos += *x.pos == '\n' ? 1 : 2;
    take_line(&x, &l);
    int rc = parse_request_line(&x, &l);
    while (rc == 0) {
        take_line(&x, &l);
        if (l.p == l.end)
            break;
        rc = parse_field(&x, &l);
    }
    if (rc == 0)
        rc = check_framing(&x);
    if (rc != 0)
        return rc;
    terminate(&x);
    return HTTP_PARSE_DONE;
}

int http_parse_head(char *buf, size_t len, size_t max_head, size_t *scanned, http_head *out)
{
    size_t lim = len < max_head ? len : max_head, end = 0;
    if (*scanned > lim)
        *scanned = 0;
    if (!find_head_end(buf, lim, scanned, &end))
        return len >= max_head ? -431 : HTTP_PARSE_MORE;
    return parse_head(buf, end, out);
}

const char *http_head_get(const http_head *h, const char *name)
{
    for (size_t i = 0; i < h->nhdr; i++)
        if (strcasecmp(h->hdr[i].name, name) == 0)
            return h->hdr[i].value;
    return NULL;
}

/* ---- chunked bodies ---------------------------------------------------------------- */

enum {
    CK_SIZE0,       /* the first hex digit of a size line */
    CK_SIZE,        /* more hex digits */
    CK_SIZE_WS,     /* spaces or tabs after the digits */
    CK_EXT,         /* a chunk extension, dropped */
    CK_SIZE_LF,     /* the LF after the size line's CR */
    CK_DATA,        /* data bytes */
    CK_DATA_CR,     /* the CR after the data */
    CK_DATA_LF,     /* the LF after that CR */
    CK_TRAILER0,    /* the start of a trailer line (or the final empty line) */
    CK_TRAILER,     /* inside a trailer line, dropped */
    CK_TRAILER_LF,  /* the LF after a trailer line's CR */
    CK_END_LF,      /* the LF after the final empty line's CR */
    CK_DONE,
};

void http_chunked_init(http_chunked *c)
{
    *c = (http_chunked){.state = CK_SIZE0};
}

/* The size line ended: data follows, or the trailers after the last chunk. */
static int size_line_end(http_chunked *c)
{
    c->line = 0;
    return c->left ? CK_DATA : CK_TRAILER0;
}

/* One byte of a size line: the next state, or -400. */
static int size_byte(http_chunked *c, unsigned char b)
{
    int h = hex_digit(b);
    if (c->state == CK_SIZE0 || c->state == CK_SIZE) {
        if (h >= 0) {
            if (c->left > (UINT64_MAX >> 4))
                return -400;
            c->left = c->left << 4 | (uint64_t)h;
            return CK_SIZE;
        }
        if (c->state == CK_SIZE0)
            return -400;
    }
    if (c->state == CK_EXT && b != '\r' && b != '\n')
        return is_value_byte(b) ? CK_EXT : -400;
    if (b == ' ' || b == '\t')
        return CK_SIZE_WS;
    if (b == ';')
        return CK_EXT;
    if (b == '\r')
        return CK_SIZE_LF;
    return b == '\n' ? size_line_end(c) : -400;
}

/* One byte of a trailer line or of the final empty line: the next state, or -400. */
static int trailer_byte(http_chunked *c, unsigned char b)
{
    switch (c->state) {
    case CK_TRAILER0:
        if (b == '\r')
            return CK_END_LF;
        if (b == '\n')
            return CK_DONE;
        return is_value_byte(b) ? CK_TRAILER : -400;
    case CK_TRAILER:
        if (b == '\r')
            return CK_TRAILER_LF;
        if (b == '\n')
            return c->line = 0, CK_TRAILER0;
        return is_value_byte(b) ? CK_TRAILER : -400;
    case CK_TRAILER_LF:
        return b == '\n' ? (c->line = 0, CK_TRAILER0) : -400;
    default: /* CK_END_LF */
        return b == '\n' ? CK_DONE : -400;
    }
}

/* One byte outside the data: the next state, or -400. */
static int framing_byte(http_chunked *c, unsigned char b)
{
    switch (c->state) {
    case CK_SIZE_LF:
        return b == '\n' ? size_line_end(c) : -400;
    case CK_DATA_CR:
        return b == '\r' ? CK_DATA_LF : -400;
    case CK_DATA_LF:
        return b == '\n' ? (c->line = 0, CK_SIZE0) : -400;
    case CK_SIZE0: case CK_SIZE: case CK_SIZE_WS: case CK_EXT:
        return size_byte(c, b);
    default:
        return trailer_byte(c, b);
    }
}

int http_chunked_decode(http_chunked *c, char *buf, size_t len, size_t *consumed,
                        size_t *data_len)
{
    size_t i = 0, w = 0;
    while (i < len && c->state != CK_DONE) {
        if (c->state == CK_DATA) {
            size_t n = len - i < c->left ? len - i : (size_t)c->left;
            memmove(buf + w, buf + i, n);
            w += n, i += n;
            c->left -= n;
            if (c->left == 0)
                c->state = CK_DATA_CR;
            continue;
        }
        unsigned char b = (unsigned char)buf[i++];
        bool counted = c->state != CK_DATA_CR && c->state != CK_DATA_LF && b != '\r' &&
                       b != '\n';   /* a line's own bytes, not its end */
        if (counted && ++c->line > CHUNK_LINE_MAX)
            return -400;
        int next = framing_byte(c, b);
        if (next < 0)
            return next;
        c->state = next;
    }
    *consumed = i;
    *data_len = w;
    return c->state == CK_DONE ? HTTP_PARSE_DONE : HTTP_PARSE_MORE;
}

/* ---- the request target ------------------------------------------------------------ */

/* MHD_http_unescape over [s, end) into dst (room checked by the caller): the length. */
static size_t unescape(const char *s, const char *end, char *dst, bool plus)
{
    size_t w = 0;
    while (s < end) {
        int hi, lo;
        if (*s == '%' && end - s >= 3 && (hi = hex_digit((unsigned char)s[1])) >= 0 &&
            (lo = hex_digit((unsigned char)s[2])) >= 0) {
            dst[w++] = (char)(hi << 4 | lo);
            s += 3;
        } else {
            dst[w++] = plus && *s == '+' ? ' ' : *s;
            s++;
        }
    }
    dst[w] = '\0';
    return w;
}

long http_target_path(const char *target, char *dst, size_t dstlen)
{
    size_t n = strcspn(target, "?#");
    if (n >= dstlen)
        return -1;
    return (long)unescape(target, target + n, dst, false);
}

/* Whether [p, end), '+' and %xx decoded, is name (without writing anywhere). */
static bool arg_name_is(const char *p, const char *end, const char *name)
{
    while (p < end) {
        int hi, lo;
        char c = *p == '+' ? ' ' : *p;
        size_t step = 1;
        if (*p == '%' && end - p >= 3 && (hi = hex_digit((unsigned char)p[1])) >= 0 &&
            (lo = hex_digit((unsigned char)p[2])) >= 0)
            c = (char)(hi << 4 | lo), step = 3;
        if (*name++ != c || c == '\0')
            return false;
        p += step;
    }
    return *name == '\0';
}

const char *http_target_query(const char *target, const char *name, char *dst, size_t dstlen)
{
    const char *q = strchr(target, '?');
    if (!q)
        return NULL;
    const char *end = q + 1 + strcspn(q + 1, "#");
    for (const char *p = q + 1; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *aend = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(aend - p));
        if (arg_name_is(p, eq ? eq : aend, name)) {
            if (!eq || (size_t)(aend - eq - 1) >= dstlen)
                return NULL;
            unescape(eq + 1, aend, dst, true);
            return dst;
        }
        p = aend + (amp != NULL);
    }
    return NULL;
}
