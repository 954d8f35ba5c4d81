/* Capped growable buffer; see buf.h. */
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "util/alloc.h"

void buf_init(buf *b, size_t max)
{
    *b = (buf){.max = max};
}

/* Makes room for need bytes and the terminator; on failure frees the data (see buf.h). */
static int grow(buf *b, size_t need)
{
    if (b->err)
        return b->err;
    if (need + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need + 1)
        cap *= 2;
    char *p = berth_realloc(b->p, cap);
    if (!p) {
        berth_free(b->p);
        *b = (buf){.max = b->max, .err = BERTH_ENOMEM};
        return BERTH_ENOMEM;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

int buf_append(buf *b, const void *data, size_t n)
{
    if (b->max && (n > b->max || b->len > b->max - n))
        return BERTH_ETOOBIG;
    if (grow(b, b->len + n) != 0)
        return BERTH_ENOMEM;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int buf_reserve(buf *b, size_t n)
{
    if (b->max && (n > b->max || b->len > b->max - n))
        n = b->max - b->len;
    return grow(b, b->len + n);
}

int buf_puts(buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

char *buf_decimal(char tmp[BUF_DECIMAL_MAX], long long v, size_t *len)
{
    char *p = tmp + BUF_DECIMAL_MAX;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    *len = (size_t)(tmp + BUF_DECIMAL_MAX - p);
    return p;
}

int buf_puti(buf *b, long long v)
{
    char tmp[BUF_DECIMAL_MAX];
    size_t n = 0;
    const char *p = buf_decimal(tmp, v, &n);
    return buf_append(b, p, n);
}

int buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return BERTH_EINVAL;
    if (b->max && ((size_t)n > b->max || b->len > b->max - (size_t)n))
        return BERTH_ETOOBIG;
    if (grow(b, b->len + (size_t)n) != 0)
        return BERTH_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void buf_reset(buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

char *buf_release(buf *b)
{
    char *p = b->err ? NULL : b->p ? b->p : berth_strdup("");
    size_t max = b->max;
    buf_init(b, max);
    return p;
}

void buf_free(buf *b)
{
    berth_free(b->p);
    buf_init(b, b->max);
}
