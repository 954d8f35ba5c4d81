/* Argument vectors for Redis commands; see args.h. */
#include "store/args.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

void rargs_init(rargs *a)
{
    *a = (rargs){0};
}

void rargs_add(rargs *a, const char *s, size_t len)
{
    if (a->argc == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->argv = berth_realloc(a->argv, (size_t)a->cap * sizeof *a->argv);
        a->lens = berth_realloc(a->lens, (size_t)a->cap * sizeof *a->lens);
    }
    char *copy = berth_malloc(len + 1);
    memcpy(copy, s, len);
    copy[len] = '\0';
    a->argv[a->argc] = copy;
    a->lens[a->argc] = len;
    a->argc++;
}

void rargs_adds(rargs *a, const char *s)
{
    s = s ? s : "";
    rargs_add(a, s, strlen(s));
}

void rargs_addi(rargs *a, long long v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lld", v);
    rargs_add(a, tmp, (size_t)n);
}

void rargs_addf(rargs *a, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof tmp)
        n = sizeof tmp - 1;
    rargs_add(a, tmp, (size_t)n);
}

void rargs_set(rargs *a, int i, const char *s)
{
    berth_free(a->argv[i]);
    a->argv[i] = berth_strdup(s);
    a->lens[i] = strlen(s);
}

void rargs_reset(rargs *a)
{
    for (int i = 0; i < a->argc; i++)
        berth_free(a->argv[i]);
    a->argc = 0;
}

void rargs_free(rargs *a)
{
    rargs_reset(a);
    berth_free(a->argv);
    berth_free(a->lens);
    *a = (rargs){0};
}
