/* The common launch body read in one pass; see launch_scan.h.
 *
 * A recursive-descent reader of the JSON subset launch_scan.h lists: every function
 * returns false to decline, and the caller frees what was built. The parameters are
 * collected as (key, value) spans of the input, sorted by key (Go writes a map's keys in
 * byte order) and written out once: every value the scanner accepts is written by Go with
 * the same bytes it was read with (a plain string, \" and \\ included; an integer of at
 * most 15 digits, exact as a float64 and written by Go without exponent; true, false,
 * null), so no value is decoded and encoded again. */
#include "model/launch_scan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

#define MAX_PARAMS 64
#define MAX_DIGITS 15

/* What a string may hold. */
enum { STR_PLAIN = 0, STR_ESCAPES = 1, STR_NO_HTML = 2 };

typedef struct span {
    const char *p;
    size_t n;
} span;

typedef struct member {
    span key, value;
} member;

typedef struct scan {
    const char *p, *end;
    berth_request *r;
    unsigned seen;            /* fields read so far in the current object (bits) */
} scan;

/* ---- tokens ------------------------------------------------------------------------ */

static void skip_ws(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool eat(scan *s, char c)
{
    skip_ws(s);
    if (s->p == s->end || *s->p != c)
        return false;
    s->p++;
    return true;
}

static bool eat_word(scan *s, const char *w)
{
    size_t n = strlen(w);
    skip_ws(s);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
        return false;
    s->p += n;
    return true;
}

/* A string of printable ASCII; its bytes between the quotes (escapes as written). */
static bool string(scan *s, int how, span *out)
{
    if (!eat(s, '"'))
        return false;
    const char *start = s->p;
    for (; s->p < s->end; s->p++) {
        unsigned char c = (unsigned char)*s->p;
        if (c == '"') {
            *out = (span){start, (size_t)(s->p++ - start)};
            return true;
        }
        if (c < 0x20 || c > 0x7e)
            return false;
        if ((how & STR_NO_HTML) && (c == '<' || c == '>' || c == '&'))
            return false;
        if (c == '\\') {
            if (!(how & STR_ESCAPES) || s->end - s->p < 2 || (s->p[1] != '"' && s->p[1] != '\\'))
                return false;
            s->p++;
        }
    }
    return false;
}

/* -?(0|[1-9][0-9]*) with at most MAX_DIGITS digits and no -0; a fraction or exponent after
 * it fails the caller's next token. */
static bool integer(scan *s, span *out)
{
    skip_ws(s);
    const char *start = s->p, *d;
    if (s->p < s->end && *s->p == '-')
        s->p++;
    d = s->p;
    if (s->p < s->end && *s->p == '0')
        s->p++;
    else
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9' && s->p - d < MAX_DIGITS + 1)
            s->p++;
    size_t nd = (size_t)(s->p - d);
    if (nd == 0 || nd > MAX_DIGITS || (*d == '0' && d > start))
        return false;
    *out = (span){start, (size_t)(s->p - start)};
    return true;
}

static bool is(span k, const char *name)
{
    return k.n == strlen(name) && memcmp(k.p, name, k.n) == 0;
}

/* Marks field bit `bit` read; false when it was already (a key twice). */
static bool first_time(scan *s, unsigned bit)
{
    if (s->seen & bit)
        return false;
    s->seen |= bit;
    return true;
}

static bool str_field(scan *s, char **dst)
{
    span v;
    if (!string(s, STR_PLAIN, &v))
        return false;
    *dst = berth_strndup(v.p, v.n);
    return *dst != NULL;
}

/* ---- the parameters ---------------------------------------------------------------- */

/* One parameter value: a plain string, a small integer, true, false or null. */
static bool param_value(scan *s, span *out)
{
    skip_ws(s);
    if (s->p == s->end)
        return false;
    const char *start = s->p;
    if (*s->p == '"') {
        if (!string(s, STR_ESCAPES | STR_NO_HTML, out))
            return false;
        *out = (span){start, (size_t)(s->p - start)};   /* with its quotes */
        return true;
    }
    if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
        return integer(s, out);
    if (!eat_word(s, "true") && !eat_word(s, "false") && !eat_word(s, "null"))
        return false;
    *out = (span){start, (size_t)(s->p - start)};
    return true;
}

static int cmp_members(const void *a, const void *b)
{
    const span *x = &((const member *)a)->key, *y = &((const member *)b)->key;
    int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* {"k":v,...} with the keys sorted, into a new string; NULL on a repeated key or no memory. */
static char *write_params(member *m, size_t n)
{
    size_t size = 3;
    qsort(m, n, sizeof *m, cmp_members);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && cmp_members(&m[i - 1], &m[i]) == 0)
            return NULL;
        size += m[i].key.n + m[i].value.n + 4;
    }
    char *out = berth_malloc(size), *w = out;
    if (!out)
        return NULL;
    *w++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            *w++ = ',';
        *w++ = '"';
        memcpy(w, m[i].key.p, m[i].key.n), w += m[i].key.n;
        *w++ = '"', *w++ = ':';
        memcpy(w, m[i].value.p, m[i].value.n), w += m[i].value.n;
    }
    *w++ = '}', *w = '\0';
    return out;
}

static bool parameters(scan *s)
{
    if (eat_word(s, "null"))
        return true;
    member m[MAX_PARAMS];
    size_t n = 0;
    if (!eat(s, '{'))
        return false;
    if (!eat(s, '}')) {
        do {
            if (n == MAX_PARAMS || !string(s, STR_NO_HTML, &m[n].key) || !eat(s, ':') ||
                !param_value(s, &m[n].value))
                return false;
            n++;
        } while (eat(s, ','));
        if (!eat(s, '}'))
            return false;
    }
    s->r->parameters = write_params(m, n);
    return s->r->parameters != NULL;
}

/* ---- the objects ------------------------------------------------------------------- */

/* Reads {"key":value,...}, each member through fn; the field bits start afresh. */
static bool object(scan *s, bool (*fn)(scan *s, span key))
{
    unsigned outer = s->seen;
    s->seen = 0;
    if (!eat(s, '{'))
        return false;
    if (!eat(s, '}')) {
        do {
            span k;
            if (!string(s, STR_PLAIN, &k) || !eat(s, ':') || !fn(s, k))
                return false;
        } while (eat(s, ','));
        if (!eat(s, '}'))
            return false;
    }
    s->seen = outer;
    return true;
}

static bool meta_member(scan *s, span k)
{
    berth_request *r = s->r;
    span v;
    if (is(k, "kind"))
        return first_time(s, 1) && str_field(s, &r->kind);
    if (is(k, "cron_spec"))
        return first_time(s, 2) && str_field(s, &r->cron_spec);
    if (is(k, "schedule_delay")) {
        if (!first_time(s, 4) || !integer(s, &v) || *v.p == '-')
            return false;
        for (size_t i = 0; i < v.n; i++)
            r->schedule_delay = r->schedule_delay * 10 + (uint64_t)(v.p[i] - '0');
        return true;
    }
    if (is(k, "unique")) {
        if (!first_time(s, 8))
            return false;
        r->unique = eat_word(s, "true");
        return r->unique || eat_word(s, "false");
    }
    return false;
}

static bool job_member(scan *s, span k)
{
    if (is(k, "name"))
        return first_time(s, 1) && str_field(s, &s->r->name);
    if (is(k, "status_hook"))
        return first_time(s, 2) && str_field(s, &s->r->status_hook);
    if (is(k, "parameters"))
        return first_time(s, 4) && parameters(s);
    if (is(k, "metadata"))
        return first_time(s, 8) && (s->r->has_metadata = true) && object(s, meta_member);
    return false;
}

static bool root_member(scan *s, span k)
{
    return is(k, "job") && first_time(s, 1) && (s->r->has_job = true) && object(s, job_member);
}

int berth__launch_scan(const char *body, size_t len, berth_request **out)
{
    if (!body)
        return BERTH_LAUNCH_SCAN_DECLINED;
    scan s = {.p = body, .end = body + len, .r = berth_calloc(1, sizeof(berth_request))};
    if (!s.r)
        return BERTH_LAUNCH_SCAN_DECLINED;
    bool ok = object(&s, root_member);
    skip_ws(&s);
    if (!ok || s.p != s.end) {
        berth_request_free(s.r);
        return BERTH_LAUNCH_SCAN_DECLINED;
    }
    *out = s.r;
    return 0;
}
