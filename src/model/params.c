/* Go-compatible canonical JSON for unique keys; see params.h. */
#include "model/params.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "util/alloc.h"

/* Shortest decimal digits that round-trip, as %.Ne gives them: digits and exponent. */
static void shortest(double v, char *digits, int *exp10)
{
    char tmp[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    char *e = strchr(tmp, 'e');
    *exp10 = atoi(e + 1);
    int n = 0;
    for (char *p = tmp; p < e; p++)
        if (*p >= '0' && *p <= '9')
            digits[n++] = *p;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
}

void berth_params_format_number(double v, buf *out)
{
    if (v == 0) {
        buf_puts(out, signbit(v) ? "-0" : "0");
        return;
    }
    if (v < 0)
        buf_puts(out, "-");
    double a = fabs(v);
    char d[32];
    int x;
    shortest(a, d, &x);
    int nd = (int)strlen(d);
    if (a < 1e-6 || a >= 1e21) {
        buf_printf(out, "%c", d[0]);
        if (nd > 1)
            buf_printf(out, ".%s", d + 1);
        buf_printf(out, "e%c%s%d", x < 0 ? '-' : '+', (x > -10 && x < 10 && x >= 0) ? "0" : "",
                   x < 0 ? -x : x);
        return;
    }
    if (x >= 0) {  /* integer part has x+1 digits */
        for (int i = 0; i <= x; i++)
            buf_printf(out, "%c", i < nd ? d[i] : '0');
        if (nd > x + 1)
            buf_printf(out, ".%s", d + x + 1);
    } else {
        buf_puts(out, "0.");
        for (int i = 0; i < -x - 1; i++)
            buf_puts(out, "0");
        buf_puts(out, d);
    }
}

static void put_string(const char *s, size_t len, buf *out)
{
    static const char hex[] = "0123456789abcdef";
    buf_puts(out, "\"");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf_printf(out, "\\%c", c);
        } else if (c == '\n') {
            buf_puts(out, "\\n");
        } else if (c == '\r') {
            buf_puts(out, "\\r");
        } else if (c == '\t') {
            buf_puts(out, "\\t");
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            buf_printf(out, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
        } else if (c == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
                   ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
            buf_printf(out, "\\u202%c", (unsigned char)s[i + 2] == 0xa8 ? '8' : '9');
            i += 2;
        } else {
            buf_append(out, &s[i], 1);
        }
    }
    buf_puts(out, "\"");
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void put_value(json_t *v, buf *out);

static void put_object(json_t *o, buf *out)
{
    size_t n = json_object_size(o), i = 0;
    const char **keys = berth_calloc(n ? n : 1, sizeof *keys);
    const char *k;
    json_t *val;
    json_object_foreach(o, k, val) keys[i++] = k;
    qsort(keys, n, sizeof *keys, cmp_keys);
    buf_puts(out, "{");
    for (i = 0; i < n; i++) {
        if (i)
            buf_puts(out, ",");
        put_string(keys[i], strlen(keys[i]), out);
        buf_puts(out, ":");
        put_value(json_object_get(o, keys[i]), out);
    }
    buf_puts(out, "}");
    berth_free(keys);
}

static void put_value(json_t *v, buf *out)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: put_object(v, out); break;
    case JSON_ARRAY:
        buf_puts(out, "[");
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                buf_puts(out, ",");
            put_value(json_array_get(v, i), out);
        }
        buf_puts(out, "]");
        break;
    case JSON_STRING: put_string(json_string_value(v), json_string_length(v), out); break;
    case JSON_INTEGER: berth_params_format_number((double)json_integer_value(v), out); break;
    case JSON_REAL: berth_params_format_number(json_real_value(v), out); break;
    case JSON_TRUE: buf_puts(out, "true"); break;
    case JSON_FALSE: buf_puts(out, "false"); break;
    default: buf_puts(out, "null"); break;
    }
}

int berth_params_canonical(const char *params_json, buf *out)
{
    if (!params_json || strcmp(params_json, "null") == 0)
        return 0;
    json_t *j = json_loads(params_json, JSON_DECODE_ANY, NULL);
    if (json_is_null(j)) {
        json_decref(j);
        return 0;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return BERTH_EINVAL;
    }
    put_object(j, out);
    buf_puts(out, "\n");
    json_decref(j);
    return 0;
}

int berth_unique_key(const char *ns, const char *name, const char *params_json, buf *out)
{
    buf_printf(out, "{%s}:unique:%s:", ns, name);
    return berth_params_canonical(params_json, out);
}
