/* Allocation wrappers with an abort-on-OOM policy and a hook seam; see alloc.h. */
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static berth_alloc_hooks hooks = {malloc, realloc, free};

void berth_alloc_set_hooks(const berth_alloc_hooks *h)
{
    hooks = h ? *h : (berth_alloc_hooks){malloc, realloc, free};
}

static void *oom(size_t n)
{
    fprintf(stderr, "berth: out of memory allocating %zu bytes\n", n);
    abort();
}

void *berth_malloc(size_t n)
{
    void *p = hooks.malloc_fn(n ? n : 1);
    return p ? p : oom(n);
}

void *berth_calloc(size_t count, size_t size)
{
    if (size && count > (size_t)-1 / size)
        return oom((size_t)-1);
    void *p = berth_malloc(count * size);
    memset(p, 0, count * size);
    return p;
}

void *berth_realloc(void *p, size_t n)
{
    void *q = hooks.realloc_fn(p, n ? n : 1);
    return q ? q : oom(n);
}

char *berth_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    size_t len = strnlen(s, n);
    char *d = berth_malloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *berth_strdup(const char *s)
{
    return s ? berth_strndup(s, strlen(s)) : NULL;
}

void berth_free(void *p)
{
    if (p)
        hooks.free_fn(p);
}
