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
    int err;      /* BERTH_ENOMEM once an allocation failed: the data is freed (p NULL)
                     and every later append fails too, so a caller may check only the
                     end result (buf_release) instead of every append (as curl's dynbuf) */
} buf;

void buf_init(buf *b, size_t max);
/* Returns 0, BERTH_ETOOBIG leaving b unchanged if the append would pass max, or
 * BERTH_ENOMEM (sticky, see err). */
int buf_append(buf *b, const void *data, size_t n);
int buf_puts(buf *b, const char *s);
/* Makes room for n more bytes at once (no more than max allows), so that a writer that
 * knows its size about does not grow b step by step: 0 or BERTH_ENOMEM (sticky). */
int buf_reserve(buf *b, size_t n);
/* Appends v in decimal (as printf's %lld, without its cost: a launch appends a few). */
int buf_puti(buf *b, long long v);
/* Writes v in decimal at the end of tmp (not NUL-terminated) and returns where it starts;
 * *len gets its length. The digits of buf_puti, for callers without a buf. */
#define BUF_DECIMAL_MAX 24   /* 20 digits and a sign, rounded up */
char *buf_decimal(char tmp[BUF_DECIMAL_MAX], long long v, size_t *len);
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(buf *b);  /* len = 0, keeps memory */
/* Hands the data to the caller (free with berth_free; "" when nothing was appended) and
 * leaves b empty. NULL only when memory ran out (now or at an earlier append). */
char *buf_release(buf *b);
void buf_free(buf *b);   /* frees the data and clears err; b may be reused */

#endif
