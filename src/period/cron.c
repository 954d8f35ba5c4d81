/* The cron parser and fire-time search (see cron.h; the format is in docs/cron.md).
 *
 * Parsing follows robfig/cron v3 step by step, because its error texts reach Harbor's
 * clients in 400 details and its quirks decide which specs are valid:
 *   - the spec is split into fields on runs of Go whitespace (strings.Fields: ASCII
 *     \t \n \v \f \r space plus the Unicode spaces U+0085, U+00A0, U+1680, U+2000-U+200A,
 *     U+2028, U+2029, U+202F, U+205F, U+3000);
 *   - a field is split on ',' with empty items dropped (so "1,,2" is fine and "," is an
 *     empty set that never fires);
 *   - an item is split on '/' and its first part on '-'; a first part of exactly "*" or
 *     "?" means the whole range and ignores anything after a '-' ("*-5" == "*");
 *   - numbers go through Go's strconv.Atoi ("+5" and "007" are fine), names are whole
 *     items compared after Go's strings.ToLower;
 *   - checks run in robfig's order, so the first failing check names the error.
 * Texts that echo the spec are kept valid UTF-8: an invalid byte becomes U+FFFD, as Go's
 * JSON encoder does when Harbor sends the text; inside strconv's quoted string it becomes
 * \xNN as Go's strconv.Quote writes it.
 *
 * The search keeps a broken-down UTC time (y, mo, d, h, mi, s) and fixes fields from the
 * largest down: a field that does not match jumps to its next (or previous) set bit and
 * resets the smaller fields; running off the end of a field carries into the larger one
 * and restarts. Days are one bit mask per month (dom and dow combined by the star rule),
 * so every step is a bit scan and a call costs a few dozen operations. */
#include "period/cron.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "berth/error.h"

/* ---- error text ------------------------------------------------------------------- */

/* A bounded writer into the caller's err buffer. Stops at the first piece that does
 * not fit, never splitting a UTF-8 sequence. */
typedef struct ew {
    char *p;
    size_t cap, len;
    bool full;
} ew;

static void ew_bytes(ew *w, const char *s, size_t n)
{
    if (w->full || !w->p)
        return;
    if (w->len + n >= w->cap) {  /* keep what fits, cut before a UTF-8 lead byte */
        size_t k = w->cap - 1 - w->len;
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
        memcpy(w->p + w->len, s, k);
        w->len += k;
        w->p[w->len] = '\0';
        w->full = true;
        return;
    }
    memcpy(w->p + w->len, s, n);
    w->len += n;
    w->p[w->len] = '\0';
}

static void ew_str(ew *w, const char *s) { ew_bytes(w, s, strlen(s)); }

static void ew_fmt(ew *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ew_fmt(ew *w, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        ew_bytes(w, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Decodes one UTF-8 character as Go does (no overlongs, surrogates or > U+10FFFF).
 * Returns the code point and sets *len, or -1 with *len = 1 for an invalid byte. */
static long utf8_decode(const unsigned char *p, size_t n, size_t *len)
{
    *len = 1;
    unsigned c = p[0];
    if (c < 0x80)
        return (long)c;
    size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (need == 0 || c > 0xF4 || n < need)
        return -1;
    long r = (long)(c & (0x7F >> need));
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return -1;
        r = (r << 6) | (p[i] & 0x3F);
    }
    static const long lowest[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (r < lowest[need] || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
        return -1;
    *len = need;
    return r;
}

/* Copies spec text, replacing each invalid UTF-8 byte with U+FFFD. */
static void ew_text(ew *w, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t len;
        if (utf8_decode(u + i, n - i, &len) < 0)
            ew_bytes(w, "\xEF\xBF\xBD", 3);
        else
            ew_bytes(w, s + i, len);
        i += len;
    }
}

/* Go's unicode.IsPrint for code points >= 0x80, approximately: the format, control,
 * private-use and non-character code points that can survive into a field. */
static bool go_isprint_nonascii(long r)
{
    return !((r >= 0x80 && r <= 0xA0) || r == 0xAD || (r >= 0x600 && r <= 0x605) ||
             r == 0x61C || r == 0x6DD || r == 0x70F || r == 0x180E ||
             (r >= 0x200B && r <= 0x200F) || (r >= 0x2028 && r <= 0x202E) ||
             (r >= 0x2060 && r <= 0x206F) || (r >= 0xE000 && r <= 0xF8FF) || r == 0xFEFF ||
             (r >= 0xFFF9 && r <= 0xFFFB) || r == 0xFFFE || r == 0xFFFF ||
             (r >= 0xE0000 && r <= 0xE007F) || r >= 0xF0000);
}

/* Go's strconv.Quote(s). */
static void ew_quote(ew *w, const char *s, size_t n)
{
    static const char esc[] = "\aa\bb\ff\nn\rr\tt\vv";
    const unsigned char *u = (const unsigned char *)s;
    ew_str(w, "\"");
    for (size_t i = 0; i < n;) {
        size_t len;
        long r = utf8_decode(u + i, n - i, &len);
        const char *e = r > 0 && r < 0x20 ? memchr(esc, (int)r, sizeof esc - 1) : NULL;
        if (r < 0)
            ew_fmt(w, "\\x%02x", u[i]);
        else if (r == '"' || r == '\\')
            ew_fmt(w, "\\%c", (int)r);
        else if ((r >= 0x20 && r < 0x7F) || (r >= 0x80 && go_isprint_nonascii(r)))
            ew_bytes(w, s + i, len);
        else if (e)
            ew_fmt(w, "\\%c", e[1]);
        else if (r < 0x80)
            ew_fmt(w, "\\x%02x", (unsigned)r);
        else if (r < 0x10000)
            ew_fmt(w, "\\u%04lx", r);
        else
            ew_fmt(w, "\\U%08lx", r);
        i += len;
    }
    ew_str(w, "\"");
}

/* ---- Go's text primitives ------------------------------------------------------------ */

/* Length of the Go whitespace character at p (unicode.IsSpace), or 0. */
static size_t go_space(const char *p, size_t n)
{
    unsigned char c = (unsigned char)p[0];
    if (c == ' ' || (c >= '\t' && c <= '\r'))
        return 1;
    if (c < 0x80)
        return 0;
    size_t len;
    long r = utf8_decode((const unsigned char *)p, n, &len);
    bool sp = r == 0x85 || r == 0xA0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200A) ||
              r == 0x2028 || r == 0x2029 || r == 0x202F || r == 0x205F || r == 0x3000;
    return sp ? len : 0;
}

enum { ATOI_OK, ATOI_SYNTAX, ATOI_RANGE };

/* strconv.Atoi on a 64-bit platform: optional sign, decimal digits, no underscores;
 * which of syntax/range errors wins follows Go's digit-by-digit order. */
static int go_atoi(const char *p, size_t n, int64_t *v)
{
    if (n == 0)
        return ATOI_SYNTAX;
    size_t i = p[0] == '-' || p[0] == '+';
    bool neg = p[0] == '-';
    if (i == n)
        return ATOI_SYNTAX;
    uint64_t x = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d > 9)
            return ATOI_SYNTAX;
        if (x >= UINT64_MAX / 10 + 1)
            return ATOI_RANGE;
        x *= 10;
        if (x + d < x)
            return ATOI_RANGE;
        x += d;
    }
    if (x > (uint64_t)INT64_MAX + neg)
        return ATOI_RANGE;
    *v = neg ? (x == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)x) : (int64_t)x;
    return ATOI_OK;
}

/* ---- fields ---------------------------------------------------------------------------- */

typedef struct field_def {
    const char *name;        /* for bad_field */
    unsigned min, max;
    const char *const *names; /* lower-case names for min.., or NULL */
} field_def;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

static const field_def fields[6] = {
    {"sec", 0, 59, NULL},  {"min", 0, 59, NULL},         {"hour", 0, 23, NULL},
    {"dom", 1, 31, NULL},  {"month", 1, 12, month_names}, {"dow", 0, 6, dow_names},
};

/* A slice of the spec. */
typedef struct tok {
    const char *p;
    size_t n;
} tok;

/* Index of name t (after Go's ToLower, under which only U+0130 maps into ASCII letters
 * used here) in names, offset by the field's min, or -1. */
static int name_lookup(tok t, const field_def *f)
{
    char low[4];
    size_t k = 0;
    for (size_t i = 0; i < t.n; i++) {
        unsigned char c = (unsigned char)t.p[i];
        if (k == 3)
            return -1;
        if (c == 0xC4 && i + 1 < t.n && (unsigned char)t.p[i + 1] == 0xB0) {
            low[k++] = 'i';
            i++;
        } else if (c >= 'A' && c <= 'Z') {
            low[k++] = (char)(c + 32);
        } else {
            low[k++] = (char)c;
        }
    }
    low[k] = '\0';
    for (int i = 0; f->names[i]; i++)
        if (strcmp(low, f->names[i]) == 0)
            return (int)f->min + i;
    return -1;
}

/* robfig's mustParseInt: a non-negative int or an error. */
static int parse_int(tok t, uint64_t *out, ew *w)
{
    int64_t v = 0;
    int rc = go_atoi(t.p, t.n, &v);
    if (rc != ATOI_OK) {
        ew_str(w, "failed to parse int from ");
        ew_text(w, t.p, t.n);
        ew_str(w, ": strconv.Atoi: parsing ");
        ew_quote(w, t.p, t.n);
        ew_str(w, rc == ATOI_RANGE ? ": value out of range" : ": invalid syntax");
        return -1;
    }
    if (v < 0) {
        ew_fmt(w, "negative number (%lld) not allowed: ", (long long)v);
        ew_text(w, t.p, t.n);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

static int parse_int_or_name(tok t, const field_def *f, uint64_t *out, ew *w)
{
    int v = f->names ? name_lookup(t, f) : -1;
    if (v >= 0) {
        *out = (uint64_t)v;
        return 0;
    }
    return parse_int(t, out, w);
}

/* Splits t at the first c into head (and tail after it); returns how many parts
 * strings.Split would make. */
static size_t split(tok t, char c, tok *head, tok *tail)
{
    const char *at = memchr(t.p, c, t.n);
    size_t parts = 1;
    for (size_t i = 0; i < t.n; i++)
        parts += t.p[i] == c;
    *head = (tok){t.p, at ? (size_t)(at - t.p) : t.n};
    if (tail)
        *tail = at ? (tok){at + 1, t.n - (size_t)(at - t.p) - 1} : (tok){t.p + t.n, 0};
    return parts;
}

/* robfig's range checks, in its order. */
static int check_range(tok e, const field_def *f, uint64_t start, uint64_t end, uint64_t step,
                       ew *w)
{
    unsigned long long a = start, b = end;
    if (start < f->min)
        ew_fmt(w, "beginning of range (%llu) below minimum (%u): ", a, f->min);
    else if (end > f->max)
        ew_fmt(w, "end of range (%llu) above maximum (%u): ", b, f->max);
    else if (start > end)
        ew_fmt(w, "beginning of range (%llu) beyond end of range (%llu): ", a, b);
    else if (step == 0)
        ew_str(w, "step of range should be a positive number: ");
    else
        return 0;
    ew_text(w, e.p, e.n);
    return -1;
}

/* One list item: number | name | * | ? | a-b, each optionally /step (robfig's getRange). */
static int parse_item(tok e, const field_def *f, uint64_t *bits, bool *star, ew *w)
{
    tok rs0, step_t, lo_t, hi_t;
    size_t nslash = split(e, '/', &rs0, &step_t);
    size_t nhyph = split(rs0, '-', &lo_t, &hi_t);
    uint64_t start, end, step = 1;
    bool is_star = lo_t.n == 1 && (lo_t.p[0] == '*' || lo_t.p[0] == '?');
    if (is_star) {
        start = f->min;
        end = f->max;
    } else {
        if (parse_int_or_name(lo_t, f, &start, w) != 0)
            return -1;
        end = start;
        if (nhyph == 2 && parse_int_or_name(hi_t, f, &end, w) != 0)
            return -1;
        if (nhyph > 2) {
            ew_str(w, "too many hyphens: ");
            ew_text(w, e.p, e.n);
            return -1;
        }
    }
    if (nslash == 2) {
        if (parse_int(step_t, &step, w) != 0)
            return -1;
        if (nhyph == 1)
            end = f->max;  /* "a/n" means a to the maximum, step n */
        if (step > 1)
            is_star = false;
    } else if (nslash > 2) {
        ew_str(w, "too many slashes: ");
        ew_text(w, e.p, e.n);
        return -1;
    }
    if (check_range(e, f, start, end, step, w) != 0)
        return -1;
    for (uint64_t i = start; i <= end; i += step)
        *bits |= UINT64_C(1) << i;
    *star = *star || is_star;
    return 0;
}

/* A comma-separated list; empty items are skipped as strings.FieldsFunc does. */
static int parse_field(tok t, const field_def *f, uint64_t *bits, bool *star, ew *w)
{
    const char *p = t.p, *end = t.p + t.n;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *q = c ? c : end;
        if (q > p && parse_item((tok){p, (size_t)(q - p)}, f, bits, star, w) != 0)
            return -1;
        p = q + 1;
    }
    return 0;
}

/* ---- the spec ------------------------------------------------------------------------- */

/* Zones robfig would load as UTC (or as Local, which Harbor runs as UTC). */
static bool utc_zone(tok z)
{
    static const char *const utc[] = {
        "", "UTC", "Local", "Etc/UTC", "UCT", "Etc/UCT", "Universal", "Etc/Universal",
        "Zulu", "Etc/Zulu", "GMT", "Etc/GMT", "GMT0", "Etc/GMT0", "GMT+0", "Etc/GMT+0",
        "GMT-0", "Etc/GMT-0", "Greenwich", "Etc/Greenwich", NULL};
    for (int i = 0; utc[i]; i++)
        if (strlen(utc[i]) == z.n && memcmp(utc[i], z.p, z.n) == 0)
            return true;
    return false;
}

/* Next whitespace-separated field at or after *pos, or false at the end. */
static bool next_field(const char *s, size_t n, size_t *pos, tok *out)
{
    size_t i = *pos, k;
    while (i < n && (k = go_space(s + i, n - i)) > 0)
        i += k;
    if (i == n)
        return false;
    size_t start = i;
    while (i < n && go_space(s + i, n - i) == 0)
        i++;
    *out = (tok){s + start, i - start};
    *pos = i;
    return true;
}

/* Length of s without trailing Go whitespace. */
static size_t trimmed_len(const char *s, size_t n)
{
    size_t end = 0, k;
    for (size_t i = 0; i < n; i += k ? k : 1) {
        k = go_space(s + i, n - i);
        if (!k)
            end = i + 1;
    }
    return end;
}

static int fail(const char **bad_field, const char *field)
{
    if (bad_field)
        *bad_field = field;
    return BERTH_EINVAL;
}

/* The TZ=/CRON_TZ= prefix: only zones equal to UTC are accepted. Moves *s past it. */
static int parse_tz(const char **s, ew *w, const char **bad_field)
{
    const char *sp = strchr(*s, ' ');
    const char *eq = strchr(*s, '=');
    if (!sp) {  /* robfig panics here (slice bounds); no fields follow */
        ew_str(w, "expected exactly 6 fields, found 0: []");
        return fail(bad_field, NULL);
    }
    tok zone = {eq + 1, (size_t)(sp - eq - 1)};
    if (!utc_zone(zone)) {
        ew_str(w, "provided bad location ");
        ew_text(w, zone.p, zone.n);
        ew_str(w, ": Berth computes cron times in UTC only");
        return fail(bad_field, "tz");
    }
    *s = sp;
    size_t n = strlen(sp), k;
    while (**s && (k = go_space(*s, n)) > 0) {
        *s += k;
        n -= k;
    }
    return 0;
}

int cron_parse(const char *spec, cron_schedule *out, char *err, size_t errlen,
               const char **bad_field)
{
    ew w = {err, errlen, 0, errlen == 0};
    if (err && errlen)
        err[0] = '\0';
    if (bad_field)
        *bad_field = NULL;
    memset(out, 0, sizeof *out);
    const char *s = spec ? spec : "";
    if (!*s) {
        ew_str(&w, "empty spec string");
        return fail(bad_field, NULL);
    }
    if ((strncmp(s, "TZ=", 3) == 0 || strncmp(s, "CRON_TZ=", 8) == 0) &&
        parse_tz(&s, &w, bad_field) != 0)
        return BERTH_EINVAL;
    size_t n = strlen(s);
    if (s[0] == '@') {  /* after a TZ= prefix robfig has trimmed the spec both sides */
        ew_str(&w, "parser does not accept descriptors: ");
        ew_text(&w, s, s != spec ? trimmed_len(s, n) : n);
        return fail(bad_field, NULL);
    }
    tok f[6];
    size_t count = 0, pos = 0;
    tok t;
    while (next_field(s, n, &pos, &t))
        if (count++ < 6)
            f[count - 1] = t;
    if (count != 6) {
        ew_fmt(&w, "expected exactly 6 fields, found %zu: [", count);
        for (pos = 0, count = 0; next_field(s, n, &pos, &t); count++) {
            ew_str(&w, count ? " " : "");
            ew_text(&w, t.p, t.n);
        }
        ew_str(&w, "]");
        return fail(bad_field, NULL);
    }
    uint64_t *bits[6] = {&out->sec, &out->min, &out->hour, &out->dom, &out->month, &out->dow};
    bool star[6] = {false};
    for (int i = 0; i < 6; i++) {
        if (parse_field(f[i], &fields[i], bits[i], &star[i], &w) != 0) {
            memset(out, 0, sizeof *out);
            return fail(bad_field, fields[i].name);
        }
    }
    out->dom_star = star[3];
    out->dow_star = star[5];
    return 0;
}

/* ---- calendar ------------------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (y >= 0), and back. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = y / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

typedef struct tm6 {
    int64_t y;
    int mo, d, h, mi, s;  /* h, mi, s may run one past their range or to -1 while searching */
} tm6;

static tm6 split_time(int64_t t)
{
    int64_t z = t / 86400 + 719468, sod = t % 86400;
    int64_t era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    tm6 r;
    r.d = (int)(doy - (153 * mp + 2) / 5 + 1);
    r.mo = (int)(mp < 10 ? mp + 3 : mp - 9);
    r.y = yoe + era * 400 + (r.mo <= 2);
    r.h = (int)(sod / 3600);
    r.mi = (int)(sod / 60 % 60);
    r.s = (int)(sod % 60);
    return r;
}

static int64_t join_time(const tm6 *t)
{
    return days_from_civil(t->y, t->mo, t->d) * 86400 + t->h * 3600 + t->mi * 60 + t->s;
}

static int days_in_month(int64_t y, int m)
{
    static const int dim[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m];
}

/* Bit d set for each day d of month m of year y on which s fires. */
static uint64_t day_mask(const cron_schedule *s, int64_t y, int m)
{
    int dim = days_in_month(y, m);
    uint64_t valid = ((UINT64_C(1) << (dim + 1)) - 1) & ~UINT64_C(1);
    int w1 = (int)((days_from_civil(y, m, 1) % 7 + 11) % 7);  /* weekday of the 1st */
    uint64_t week = 0;  /* bit k: day 1 + k matches dow */
    for (int k = 0; k < 7; k++)
        week |= ((s->dow >> ((w1 + k) % 7)) & 1) << k;
    uint64_t dows = (week | week << 7 | week << 14 | week << 21 | week << 28) << 1;
    uint64_t doms = s->dom;
    uint64_t days = s->dom_star || s->dow_star ? doms & dows : doms | dows;
    return days & valid;
}

/* Bits of m at or above n / at or below n (n may be out of 0..63 during the search). */
static uint64_t bits_from(uint64_t m, int n)
{
    return n <= 0 ? m : n > 63 ? 0 : m & (~UINT64_C(0) << n);
}

static uint64_t bits_upto(uint64_t m, int n)
{
    return n < 0 ? 0 : n >= 63 ? m : m & ((UINT64_C(2) << n) - 1);
}

static int lowest(uint64_t m) { return __builtin_ctzll(m); }
static int highest(uint64_t m) { return 63 - __builtin_clzll(m); }

/* ---- search --------------------------------------------------------------------------- */

static bool schedule_empty(const cron_schedule *s)
{
    return !s->sec || !s->min || !s->hour || !s->month;
}

int64_t cron_next(const cron_schedule *s, int64_t after)
{
    if (after < 0)
        after = 0;
    if (after >= CRON_T_MAX || schedule_empty(s))
        return 0;
    tm6 t = split_time(after + 1);
    int64_t last_year = t.y + CRON_YEARS;
    for (;;) {
        if (t.y > last_year)
            return 0;
        if (!((s->month >> t.mo) & 1)) {
            uint64_t later = bits_from(s->month, t.mo + 1);
            t.y += later == 0;
            t = (tm6){t.y, later ? lowest(later) : lowest(s->month), 1, 0, 0, 0};
            continue;
        }
        uint64_t days = bits_from(day_mask(s, t.y, t.mo), t.d);
        if (!days) {
            t = t.mo == 12 ? (tm6){t.y + 1, 1, 1, 0, 0, 0} : (tm6){t.y, t.mo + 1, 1, 0, 0, 0};
            continue;
        }
        if (lowest(days) != t.d)
            t = (tm6){t.y, t.mo, lowest(days), 0, 0, 0};
        uint64_t hours = bits_from(s->hour, t.h);
        if (!hours) {
            t = (tm6){t.y, t.mo, t.d + 1, 0, 0, 0};
            continue;
        }
        if (lowest(hours) != t.h)
            t = (tm6){t.y, t.mo, t.d, lowest(hours), 0, 0};
        uint64_t mins = bits_from(s->min, t.mi);
        if (!mins) {
            t = (tm6){t.y, t.mo, t.d, t.h + 1, 0, 0};
            continue;
        }
        if (lowest(mins) != t.mi)
            t = (tm6){t.y, t.mo, t.d, t.h, lowest(mins), 0};
        uint64_t secs = bits_from(s->sec, t.s);
        if (!secs) {
            t = (tm6){t.y, t.mo, t.d, t.h, t.mi + 1, 0};
            continue;
        }
        t.s = lowest(secs);
        int64_t r = join_time(&t);
        return r <= CRON_T_MAX ? r : 0;
    }
}

/* The last second of day d (or month's end when d is 0 carried from day 1). */
static tm6 day_end(int64_t y, int mo, int d)
{
    if (d < 1) {
        if (--mo < 1) {
            mo = 12;
            y--;
        }
        d = days_in_month(y, mo);
    }
    return (tm6){y, mo, d, 23, 59, 59};
}

int64_t cron_prev(const cron_schedule *s, int64_t at_or_before)
{
    if (at_or_before > CRON_T_MAX)
        at_or_before = CRON_T_MAX;
    if (at_or_before < 1 || schedule_empty(s))
        return 0;
    tm6 t = split_time(at_or_before);
    int64_t first_year = t.y - CRON_YEARS;
    for (;;) {
        if (t.y < first_year || t.y < 1970)
            return 0;
        if (!((s->month >> t.mo) & 1)) {
            uint64_t earlier = bits_upto(s->month, t.mo - 1);
            t.y -= earlier == 0;
            int mo = earlier ? highest(earlier) : highest(s->month);
            t = (tm6){t.y, mo, days_in_month(t.y, mo), 23, 59, 59};
            continue;
        }
        uint64_t days = bits_upto(day_mask(s, t.y, t.mo), t.d);
        if (!days) {
            t = day_end(t.y, t.mo, 0);
            continue;
        }
        if (highest(days) != t.d)
            t = (tm6){t.y, t.mo, highest(days), 23, 59, 59};
        uint64_t hours = bits_upto(s->hour, t.h);
        if (!hours) {
            t = day_end(t.y, t.mo, t.d - 1);
            continue;
        }
        if (highest(hours) != t.h)
            t = (tm6){t.y, t.mo, t.d, highest(hours), 59, 59};
        uint64_t mins = bits_upto(s->min, t.mi);
        if (!mins) {
            t = (tm6){t.y, t.mo, t.d, t.h - 1, 59, 59};
            continue;
        }
        if (highest(mins) != t.mi)
            t = (tm6){t.y, t.mo, t.d, t.h, highest(mins), 59};
        uint64_t secs = bits_upto(s->sec, t.s);
        if (!secs) {
            t = (tm6){t.y, t.mo, t.d, t.h, t.mi - 1, 59};
            continue;
        }
        t.s = highest(secs);
        int64_t r = join_time(&t);
        return r >= 1 ? r : 0;
    }
}

int cron_next_n(const cron_schedule *s, int64_t after, int64_t until, int64_t *out, int max)
{
    int n = 0;
    for (int64_t t = cron_next(s, after); t > 0 && t <= until && n < max; t = cron_next(s, t))
        out[n++] = t;
    return n;
}

bool cron_matches(const cron_schedule *s, int64_t t)
{
    if (t < 0 || t > CRON_T_MAX)
        return false;
    tm6 b = split_time(t);
    return ((s->month >> b.mo) & 1) && ((day_mask(s, b.y, b.mo) >> b.d) & 1) &&
           ((s->hour >> b.h) & 1) && ((s->min >> b.mi) & 1) && ((s->sec >> b.s) & 1);
}
