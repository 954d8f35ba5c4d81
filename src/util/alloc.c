/* Allocation wrappers: NULL on failure, never abort, and a hook seam; see alloc.h. */
#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

#include "berth/error.h"

static berth_alloc_hooks hooks = {malloc, realloc, free};

void berth_alloc_set_hooks(const berth_alloc_hooks *h)
{
    hooks = h ? *h : (berth_alloc_hooks){malloc, realloc, free};
}

void *berth_malloc(size_t n)
{
    return hooks.malloc_fn(n ? n : 1);
}

void *berth_calloc(size_t count, size_t size)
{
    if (size && count > (size_t)-1 / size)
        return NULL;
    void *p = berth_malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *berth_realloc(void *p, size_t n)
{
    return hooks.realloc_fn(p, n ? n : 1);
}

char *berth_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    size_t len = strnlen(s, n);
    char *d = berth_malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

char *berth_strdup(const char *s)
{
    return s ? berth_strndup(s, strlen(s)) : NULL;
}

int berth_strdup_to(char **slot, const char *s)
{
    char *copy = berth_strdup(s);
    if (s && !copy)
        return BERTH_ENOMEM;
    berth_free(*slot);
    *slot = copy;
    return 0;
}

void berth_free(void *p)
{
    if (p)
        hooks.free_fn(p);
}
