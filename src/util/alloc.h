/* One allocation wrapper with one out-of-memory policy.
 *
 * Policy: the library never aborts and never prints. Every wrapper returns NULL when memory
 * runs out, and the caller passes BERTH_ENOMEM up: the public entry points (engine create,
 * register, launch, stats, ...) return it to the host, and engine threads treat it like a
 * failed Redis round (drop the round, back off, try again).
 *
 * The seam for tests is berth_alloc_set_hooks(): a test routes allocations through its own
 * functions, e.g. to count them or to make the n-th one fail (tests/redis/test_oom.c checks
 * that an injected failure comes back as BERTH_ENOMEM, never as a crash). */
#ifndef BERTH_UTIL_ALLOC_H
#define BERTH_UTIL_ALLOC_H

#include <stddef.h>

typedef struct berth_alloc_hooks {
    void *(*malloc_fn)(size_t);
    void *(*realloc_fn)(void *, size_t);
    void (*free_fn)(void *);
} berth_alloc_hooks;

/* Replace the allocator process-wide (NULL restores libc). Call while no engine thread runs. */
void berth_alloc_set_hooks(const berth_alloc_hooks *hooks);

/* NULL when memory runs out (also for a count * size that overflows). A zero size
 * allocates one byte, so NULL always means failure. Free with berth_free. */
void *berth_malloc(size_t n);
void *berth_calloc(size_t count, size_t size);
/* On failure p is left allocated and unchanged. */
void *berth_realloc(void *p, size_t n);
char *berth_strdup(const char *s);             /* NULL in → NULL out */
char *berth_strndup(const char *s, size_t n);  /* copies at most n bytes, always terminated */
void berth_free(void *p);                      /* NULL is a no-op */

/* Replaces *slot with a copy of s (NULL s → NULL). 0, or BERTH_ENOMEM with *slot unchanged. */
int berth_strdup_to(char **slot, const char *s);

#endif
