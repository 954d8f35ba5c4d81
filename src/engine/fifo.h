/* A locked FIFO between engine threads (libuv's threadpool queue, redis's bio jobs): the
 * fetcher hands runs to the workers through one (engine->ready), and workers, the fetcher
 * and job check-ins hand outcomes to the completer through another (engine->done).
 *
 * Intrusive: an element embeds an fnode and the queue links those, so pushing never
 * allocates. An element belongs to the queue from push until pop, then to the popper.
 *
 * Wake-ups are chosen, not broadcast: each popper that waits sleeps on its own condition
 * variable in a stack of sleepers, and a wake-up takes the most recently idle one (its
 * cache is warm; the others stay asleep and cost nothing). `waking` counts poppers woken
 * but not yet back from their wait, so that a burst of pushes wakes one popper per node at
 * most instead of signalling the same sleeping thread again and again (the Go scheduler's
 * "spinning" rule). A queue with `spread_us` set (engine->ready) wakes more lazily: a push
 * with fifo_push_quiet wakes nobody, fifo_attend wakes one popper when none is awake or
 * when the head has waited spread_us, and a popper that takes a node does the same check
 * for the node behind it — so short runs are handed to the few workers already awake and
 * slow ones spread over all of them (docs/design-notes.md, "Engine hot path"). The spread
 * does not depend on a pusher or a popper coming back: when attend finds nodes waiting
 * that are not due yet, the top sleeper becomes the watcher, sleeping with a deadline at
 * the head's spread_us; at it, if the head still waits, the watcher takes it itself (a
 * fetcher blocked in a slow Redis call while the awake workers run long jobs delays
 * nothing). An idle queue has no watcher: every sleeper waits without a deadline.
 * Lock rule: mu guards every field but len, which is written under mu and read anywhere;
 * nothing else is done under it. */
#ifndef BERTH_ENGINE_FIFO_H
#define BERTH_ENGINE_FIFO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fnode {
    struct fnode *next;
    int64_t at_us;           /* monotonic µs it was queued (set by the pusher; spread rule) */
} fnode;

typedef struct fsleeper fsleeper;   /* a popper asleep in fifo_pop (on its own stack) */

typedef struct fifo {
    pthread_mutex_t mu;
    fnode *head, *tail;
    atomic_size_t len;
    bool closed;             /* set by fifo_close: pops stop waiting once it is empty */
    fsleeper *sleepers;      /* most recently idle first */
    unsigned nsleepers;
    unsigned waking;         /* woken, not yet back from their wait */
    unsigned poppers;        /* threads that pop (fifo_popper): awake = poppers - nsleepers */
    int64_t spread_us;       /* 0: every push wakes a popper when one is needed */
    fsleeper *watcher;       /* the sleeper watching the head's spread, or NULL */
    unsigned long wakes;     /* wake-ups sent, for tests */
    unsigned long watches;   /* watchers named, for tests */
} fifo;

void fifo_init(fifo *q);
/* Frees what is still queued with free_node (may be NULL when nothing can be left). */
void fifo_destroy(fifo *q, void (*free_node)(fnode *));
/* Makes q lazy (see above): a node that waited spread_us wakes another popper. */
void fifo_set_spread(fifo *q, int64_t spread_us);
/* A thread that pops from q starts (+1) or stops (-1) doing so. */
void fifo_popper(fifo *q, int delta);
/* Appends n and wakes a sleeping popper when the queue holds more nodes than poppers on
 * their way. */
void fifo_push(fifo *q, fnode *n);
/* Appends n and wakes nobody: the caller calls fifo_attend after its pushes. */
void fifo_push_quiet(fifo *q, fnode *n);
/* Wakes one sleeping popper when more nodes wait than poppers on their way, and no popper
 * is awake or the head has waited spread_us (now_us: monotonic µs). True when it woke one. */
bool fifo_attend(fifo *q, int64_t now_us);
/* Wakes up to n sleeping poppers (a stopping engine: every queued run must be taken). */
void fifo_wake(fifo *q, unsigned n);
/* Waits up to ms (-1 forever); NULL on timeout, or at once when closed and empty (no
 * lost wake-up at shutdown). */
fnode *fifo_pop(fifo *q, int ms);
void fifo_close(fifo *q);
size_t fifo_len(fifo *q);

/* The element that embeds node n as member `member`. */
#define FIFO_ENTRY(n, type, member) ((type *)(void *)((char *)(n) - offsetof(type, member)))

#endif
