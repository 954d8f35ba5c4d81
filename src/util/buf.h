/* A growable byte buffer with a hard cap set when it is made (STYLE §7): request bodies,
 * job parameters, log lines and hook payloads all go through one. The contents are always
 * NUL-terminated (the terminator is not counted in len). */
#ifndef BERTH_UTIL_BUF_H
#define BERTH_UTIL_BUF_H

#include <stddef.h>

typedef struct buf {
    char *p;      /* data, NUL-terminated; NULL until the first append */
    size_t len;   /* bytes used, excluding the terminator */
    size_t cap;   /* bytes allocated */
    size_t max;   /* len never exceeds this; 0 means no cap */
} buf;

void buf_init(buf *b, size_t max);
/* Returns 0, or BERTH_ETOOBIG and leaves b unchanged if the append would pass max. */
int buf_append(buf *b, const void *data, size_t n);
int buf_puts(buf *b, const char *s);
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(buf *b);  /* len = 0, keeps memory */
/* Hands the data to the caller (free with berth_free) and leaves b empty. Never NULL. */
char *buf_release(buf *b);
void buf_free(buf *b);   /* frees the data; b may be reused after buf_init */

#endif
