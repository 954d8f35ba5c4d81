/* An argument vector for hiredis' redisCommandArgv/redisAppendCommandArgv, built by
 * appending strings and integers. Batches of hundreds of jobs become one command, so the
 * vector grows; every string is copied into the vector's own storage: one block of text
 * per vector (the entries one after another, each NUL-terminated), not an allocation per
 * entry: an HTTP launch appends 13 entries, and their mallocs and frees were about a tenth
 * of berthd's instructions per launch (docs/design-notes.md, "HTTP launches, round five:
 * the instructions one launch costs"). When the block grows, the entries that point into it are moved with it; entries
 * borrowed from another vector (enqueue.c's join of coalesced launches) are left alone. */
#ifndef BERTH_STORE_ARGS_H
#define BERTH_STORE_ARGS_H

#include <stddef.h>
#include <stdint.h>

typedef struct rargs {
    int argc;
    int cap;
    char **argv;      /* each entry points into text (or, once joined, another vector's) */
    size_t *lens;
    char *text;       /* the entries' bytes, each NUL-terminated; owned by the vector */
    size_t used;      /* bytes of text in use */
    size_t room;      /* bytes of text allocated */
    int err;          /* BERTH_ENOMEM once an append could not allocate: later appends do
                         nothing and rconn_argv/rconn_eval refuse the vector, so a builder
                         checks once, at the end */
} rargs;

void rargs_init(rargs *a);
void rargs_add(rargs *a, const char *s, size_t len);
void rargs_adds(rargs *a, const char *s);            /* NUL-terminated; NULL → "" */
void rargs_addi(rargs *a, long long v);
void rargs_addf(rargs *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Overwrite entry i (must exist) with a new string (appended to the text: the old bytes
 * stay unused until the vector is reset). */
void rargs_set(rargs *a, int i, const char *s);
/* Overwrite entry i (must exist) with v's digits: a count known only after its entries. */
void rargs_seti(rargs *a, int i, long long v);
void rargs_reset(rargs *a);  /* argc = 0 and err cleared, keeps capacity */
void rargs_free(rargs *a);

#endif
