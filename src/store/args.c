/* Argument vectors for Redis commands; see args.h. */
#include "store/args.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "util/alloc.h"
#include "util/buf.h"

void rargs_init(rargs *a)
{
    *a = (rargs){0};
}

/* Room for one more entry; false (and a->err set) when memory ran out. */
static bool room(rargs *a)
{
    if (a->err)
        return false;
    if (a->argc < a->cap)
        return true;
    int cap = a->cap ? a->cap * 2 : 16;
    char **argv = berth_realloc(a->argv, (size_t)cap * sizeof *argv);
    if (argv)
        a->argv = argv;
    size_t *lens = argv ? berth_realloc(a->lens, (size_t)cap * sizeof *lens) : NULL;
    if (lens)
        a->lens = lens;
    if (!argv || !lens) {
        a->err = BERTH_ENOMEM;
        return false;
    }
    a->cap = cap;
    return true;
}

void rargs_add(rargs *a, const char *s, size_t len)
{
    char *copy = room(a) ? berth_malloc(len + 1) : NULL;
    if (!copy) {
        a->err = BERTH_ENOMEM;
        return;
    }
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

/* Digits by hand: a batch of enqueues adds several integers per job, and snprintf costs
 * several times as much as the rest of the append. */
void rargs_addi(rargs *a, long long v)
{
    char tmp[BUF_DECIMAL_MAX];
    size_t n = 0;
    const char *p = buf_decimal(tmp, v, &n);
    rargs_add(a, p, n);
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
    if (a->err || i >= a->argc)
        return;
    if (berth_strdup_to(&a->argv[i], s) != 0)
        a->err = BERTH_ENOMEM;
    else
        a->lens[i] = strlen(s);
}

void rargs_seti(rargs *a, int i, long long v)
{
    char num[24];
    snprintf(num, sizeof num, "%lld", v);
    rargs_set(a, i, num);
}

void rargs_reset(rargs *a)
{
    for (int i = 0; i < a->argc; i++)
        berth_free(a->argv[i]);
    a->argc = 0;
    a->err = 0;   /* an empty vector again: a loop that reuses it must not stay refused */
}

void rargs_free(rargs *a)
{
    rargs_reset(a);
    berth_free(a->argv);
    berth_free(a->lens);
    *a = (rargs){0};
}
