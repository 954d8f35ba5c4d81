/* RESP encoding of a command vector; see resp.h. */
#include "store/resp.h"

#include <string.h>

#include "util/alloc.h"

static size_t digits(size_t n)
{
    size_t d = 1;
    while (n >= 10)
        n /= 10, d++;
    return d;
}

/* Writes c, n and CRLF at p; returns the end. */
static char *head(char *p, char c, size_t n)
{
    size_t d = digits(n);
    *p++ = c;
    for (size_t i = d; i > 0; i--, n /= 10)
        p[i - 1] = (char)('0' + n % 10);
    p += d;
    *p++ = '\r';
    *p++ = '\n';
    return p;
}

long resp_format_argv(char **out, int argc, const char *const *argv, const size_t *lens)
{
    size_t n = (size_t)(argc > 0 ? argc : 0), total = 3 + digits(n);
    for (size_t i = 0; i < n; i++)
        total += 5 + digits(lens[i]) + lens[i];
    char *p = *out = berth_malloc(total + 1);
    if (!p)
        return -1;
    p = head(p, '*', n);
    for (size_t i = 0; i < n; i++) {
        p = head(p, '$', lens[i]);
        memcpy(p, argv[i], lens[i]);
        p += lens[i];
        *p++ = '\r';
        *p++ = '\n';
    }
    *p = '\0';
    return (long)total;
}
