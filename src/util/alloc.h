/* One allocation wrapper with one out-of-memory policy.
 *
 * Policy: allocation failure is not recoverable in a job runner that must keep its Redis
 * state consistent, so the wrappers call the OOM handler, which by default aborts with a
 * message (like redis's zmalloc). The seam for tests is berth_alloc_set_hooks(): a test can
 * route allocations through its own functions, e.g. to count them. */
#ifndef BERTH_UTIL_ALLOC_H
#define BERTH_UTIL_ALLOC_H

#include <stddef.h>

typedef struct berth_alloc_hooks {
    void *(*malloc_fn)(size_t);
    void *(*realloc_fn)(void *, size_t);
    void (*free_fn)(void *);
} berth_alloc_hooks;

/* Replace the allocator process-wide (NULL restores libc). Call before any other thread runs. */
void berth_alloc_set_hooks(const berth_alloc_hooks *hooks);

/* Never return NULL for a non-zero size: they abort on OOM. Free with berth_free. */
void *berth_malloc(size_t n);
void *berth_calloc(size_t count, size_t size);
void *berth_realloc(void *p, size_t n);
char *berth_strdup(const char *s);             /* NULL in → NULL out */
char *berth_strndup(const char *s, size_t n);  /* copies at most n bytes, always terminated */
void berth_free(void *p);                      /* NULL is a no-op */

#endif
