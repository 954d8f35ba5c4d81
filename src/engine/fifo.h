/* A locked FIFO between engine threads (libuv's threadpool queue, redis's bio jobs): the
 * fetcher hands runs to the workers through one (engine->ready), and workers, the fetcher
 * and job check-ins hand outcomes to the completer through another (engine->done).
 *
 * Intrusive: an element embeds an fnode and the queue links those, so pushing never
 * allocates. An element belongs to the queue from push until pop, then to the popper.
 * Lock rule: mu guards head, tail, len and closed; nothing else is done under it. */
#ifndef BERTH_ENGINE_FIFO_H
#define BERTH_ENGINE_FIFO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct fnode {
    struct fnode *next;
} fnode;

typedef struct fifo {
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* signalled on push and close */
    fnode *head, *tail;
    size_t len;
    bool closed;             /* set by fifo_close: pops stop waiting once it is empty */
} fifo;

void fifo_init(fifo *q);
/* Frees what is still queued with free_node (may be NULL when nothing can be left). */
void fifo_destroy(fifo *q, void (*free_node)(fnode *));
void fifo_push(fifo *q, fnode *n);
/* Waits up to ms (-1 forever); NULL on timeout, or at once when closed and empty (no
 * lost wake-up at shutdown). */
fnode *fifo_pop(fifo *q, int ms);
void fifo_close(fifo *q);
size_t fifo_len(fifo *q);

/* The element that embeds node n as member `member`. */
#define FIFO_ENTRY(n, type, member) ((type *)(void *)((char *)(n) - offsetof(type, member)))

#endif
