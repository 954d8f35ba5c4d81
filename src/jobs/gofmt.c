/* Go %v shapes for Harbor's log lines (gofmt.h). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/gofmt.h"
#include "util/alloc.h"

/* The shortest digits that read back as d ("%.*e" with growing precision). */
static int shortest_e(double d, char *out, size_t n)
{
    for (int p = 0; p < 17; p++) {
        snprintf(out, n, "%.*e", p, d);
        if (strtod(out, NULL) == d)
            return p;
    }
    snprintf(out, n, "%.16e", d);
    return 16;
}

/* strconv.FormatFloat(d, 'g', -1, 64): %e form when exp < -4 or exp >= eprec. */
static void go_float(buf *b, double d)
{
    if (isnan(d) || isinf(d)) {
        buf_puts(b, isnan(d) ? "NaN" : d > 0 ? "+Inf" : "-Inf");
        return;
    }
    char e[64];
    int nd = shortest_e(d, e, sizeof e) + 1;
    int exp = atoi(strchr(e, 'e') + 1);
    int eprec = 6;
    if (eprec > nd && nd >= exp + 1)
        eprec = nd;
    if (exp < -4 || exp >= eprec) {
        char *m = e, *x = strchr(e, 'e');
        buf_printf(b, "%.*se%c%02d", (int)(x - m), m, exp < 0 ? '-' : '+', abs(exp));
        return;
    }
    int frac = nd - 1 - exp;
    buf_printf(b, "%.*f", frac > 0 ? frac : 0, d);
}

static int by_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void go_map(buf *b, const json_t *o)
{
    size_t n = json_object_size(o), i = 0;
    const char **keys = berth_calloc(n ? n : 1, sizeof *keys);
    const char *k;
    json_t *v;
    if (!keys)
        return;
    json_object_foreach((json_t *)o, k, v)
        keys[i++] = k;
    qsort(keys, n, sizeof *keys, by_key);
    buf_puts(b, "map[");
    for (i = 0; i < n; i++) {
        buf_printf(b, "%s%s:", i ? " " : "", keys[i]);
        gofmt_value(b, json_object_get(o, keys[i]));
    }
    buf_puts(b, "]");
    berth_free(keys);
}

void gofmt_value(buf *b, const json_t *v)
{
    size_t i;
    json_t *e;
    switch (v ? json_typeof(v) : JSON_OBJECT) {
    case JSON_OBJECT:
        if (!v) {
            buf_puts(b, "map[]");
            return;
        }
        go_map(b, v);
        return;
    case JSON_ARRAY:
        buf_puts(b, "[");
        json_array_foreach((json_t *)v, i, e) {
            if (i)
                buf_puts(b, " ");
            gofmt_value(b, e);
        }
        buf_puts(b, "]");
        return;
    case JSON_STRING:
        buf_append(b, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
    case JSON_REAL:
        go_float(b, json_number_value(v));
        return;
    case JSON_TRUE:
        buf_puts(b, "true");
        return;
    case JSON_FALSE:
        buf_puts(b, "false");
        return;
    default:
        buf_puts(b, "<nil>");
    }
}

void gofmt_strings(buf *b, char *const *v, size_t n)
{
    buf_puts(b, "[");
    for (size_t i = 0; i < n; i++)
        buf_printf(b, "%s%s", i ? " " : "", v[i]);
    buf_puts(b, "]");
}

/* "<int>.<frac>" with the fraction's trailing zeros dropped (Go's fmtFrac + fmtInt). */
static void frac(buf *b, uint64_t v, int prec, const char *unit)
{
    uint64_t p = 1;
    for (int i = 0; i < prec; i++)
        p *= 10;
    uint64_t f = v % p;
    buf_printf(b, "%" PRIu64, v / p);
    if (f) {
        char digits[24];
        snprintf(digits, sizeof digits, "%0*" PRIu64, prec, f);
        size_t n = strlen(digits);
        while (n && digits[n - 1] == '0')
            n--;
        buf_printf(b, ".%.*s", (int)n, digits);
    }
    buf_puts(b, unit);
}

void gofmt_duration(buf *b, int64_t ns)
{
    uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    if (ns < 0)
        buf_puts(b, "-");
    if (u == 0) {
        buf_puts(b, "0s");
    } else if (u < 1000) {
        buf_printf(b, "%" PRIu64 "ns", u);
    } else if (u < 1000000) {
        frac(b, u, 3, "µs");
    } else if (u < 1000000000) {
        frac(b, u, 6, "ms");
    } else {
        uint64_t s = u / 1000000000, h = s / 3600, m = s / 60 % 60;
        if (h)
            buf_printf(b, "%" PRIu64 "h", h);
        if (h || m)
            buf_printf(b, "%" PRIu64 "m", m);
        frac(b, u % 60000000000ull, 9, "s");
    }
}
