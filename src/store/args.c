/* Argument vectors for Redis commands; see args.h. */
#include "store/args.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
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

/* First size of a vector's text: a single launch's dozen entries fit (about 170 bytes). */
#define TEXT_FIRST 256

/* Room for n more bytes of text; false (and a->err set) when memory ran out. The block is
 * copied to a new one, not realloc'ed, so that the entries pointing into the old one can
 * be moved by their offset while it is still valid. */
static bool text_room(rargs *a, size_t n)
{
    if (a->room - a->used >= n)
        return true;
    size_t room = a->room ? a->room : TEXT_FIRST;
    while (room - a->used < n) {
        if (room > SIZE_MAX / 2) {
            a->err = BERTH_ENOMEM;
            return false;
        }
        room *= 2;
    }
    char *text = berth_malloc(room);
    if (!text) {
        a->err = BERTH_ENOMEM;
        return false;
    }
    if (a->used)
        memcpy(text, a->text, a->used);
    uintptr_t lo = (uintptr_t)a->text, hi = lo + a->used;
    for (int i = 0; i < a->argc; i++) {
        uintptr_t at = (uintptr_t)a->argv[i];
        if (at >= lo && at < hi)   /* its own; a borrowed entry stays where it is */
            a->argv[i] = text + (at - lo);
    }
    berth_free(a->text);
    a->text = text;
    a->room = room;
    return true;
}

/* Copies s (len bytes) to the end of the text and returns the copy, or NULL (a->err). */
static char *text_put(rargs *a, const char *s, size_t len)
{
    if (len >= SIZE_MAX - a->room || !text_room(a, len + 1))
        return NULL;
    char *copy = a->text + a->used;
    memcpy(copy, s, len);
    copy[len] = '\0';
    a->used += len + 1;
    return copy;
}

void rargs_add(rargs *a, const char *s, size_t len)
{
    char *copy = room(a) ? text_put(a, s, len) : NULL;
    if (!copy) {
        a->err = BERTH_ENOMEM;
        return;
    }
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

/* Entry i (which must exist) becomes a copy of s (len bytes). */
static void set_entry(rargs *a, int i, const char *s, size_t len)
{
    if (a->err || i >= a->argc)
        return;
    char *copy = text_put(a, s, len);
    if (!copy)
        return;
    a->argv[i] = copy;
    a->lens[i] = len;
}

void rargs_set(rargs *a, int i, const char *s)
{
    set_entry(a, i, s, strlen(s));
}

void rargs_seti(rargs *a, int i, long long v)
{
    char tmp[BUF_DECIMAL_MAX];
    size_t n = 0;
    const char *p = buf_decimal(tmp, v, &n);
    set_entry(a, i, p, n);
}

void rargs_reset(rargs *a)
{
    a->argc = 0;
    a->used = 0;
    a->err = 0;   /* an empty vector again: a loop that reuses it must not stay refused */
}

void rargs_free(rargs *a)
{
    berth_free(a->text);
    berth_free(a->argv);
    berth_free(a->lens);
    *a = (rargs){0};
}
