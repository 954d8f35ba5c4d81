/* The coalescer: concurrent single launches (API threads calling berth_engine_launch at
 * once) share one enqueue script call instead of one round trip each — a group commit.
 * A caller whose launch finds no batch in flight sends at once (a lone launch waits for
 * nobody, so light load pays nothing); launches that arrive while a batch is in flight
 * queue up, and the first of them sends them all together when that batch is answered.
 *
 * Owner: each item belongs to its caller, on its stack, until coalesce_run returns (or,
 * queued by coalesce_submit, until its on_done is called); the caller that sends a batch
 * (the leader: a coalesce_run caller or the sender thread) writes every item's outcome
 * through the send function; a lone coalesce_submit caller writes its call (start) and the
 * sender reads the reply and writes the outcome (finish), the hand-over under mu. Lock
 * rule: mu guards the pending list, in_flight, the sender's fields, the started launch
 * and every item's done flag; send, start, finish, idle and on_done run without it. */
#ifndef BERTH_ENGINE_COALESCE_H
#define BERTH_ENGINE_COALESCE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define COALESCE_MAX 256   /* launches per script call: bounds one script's run time */
/* Batches sent at once. One: measured with 8 launching threads, Redis spent 18 µs per job
 * with one batch in flight, 23 µs with two, 38 µs with eight (= no coalescing), and Redis's
 * CPU is what every node shares; a lone launch is sent at once either way. */
#define COALESCE_IN_FLIGHT 1

typedef struct coalesce_item {
    struct coalesce_item *next;
    bool done;               /* its batch was answered (or failed): the outcome is written */
    /* Asynchronous items (coalesce_submit): called once the outcome is written, on the
     * thread that sent the batch, without the lock; the item may be freed by it. NULL for
     * coalesce_run's items. */
    void (*on_done)(struct coalesce_item *it);
} coalesce_item;

/* Items waiting to be sent, oldest first, with their count: the coalescer's pending list
 * and a launcher's queue (engine/launcher.c), the one shape both take their batches from.
 * No lock of its own: its owner's rule applies (the coalescer's mu, the launcher's thread). */
typedef struct coalesce_queue {
    coalesce_item *head, *tail;  /* NULL, NULL when empty */
    size_t n;                    /* items queued */
} coalesce_queue;

/* Appends it (its next is set here). */
void coalesce_queue_push(coalesce_queue *q, coalesce_item *it);
/* Takes up to COALESCE_MAX items off the front into items, oldest first; returns how many. */
size_t coalesce_queue_take(coalesce_queue *q, coalesce_item **items);

/* Sends items[0..n) as one batch and writes each one's outcome into the struct that
 * embeds it. Runs on the leader's thread without the lock. */
typedef void (*coalesce_send_fn)(coalesce_item **items, size_t n, void *ud);
/* Run by the sender thread when a batch is answered and nothing waits, with the send
 * function's ud, without the lock: work that would otherwise cost a launch a round trip on
 * its own thread (the memory back-pressure reading), done while no launch waits for it. */
typedef void (*coalesce_idle_fn)(void *ud);
/* A lone launch's hand-off without the thread hop in front of Redis: start writes the
 * batch's script call on the submitting thread without waiting for anything (no dial, no
 * reply: NULL when it cannot, and then nothing was sent and the batch goes the usual way),
 * and returns what finish needs; finish, on the sender thread, reads the reply and writes
 * the outcomes like send. The sender's wake-up then overlaps Redis's work. */
typedef void *(*coalesce_start_fn)(coalesce_item **items, size_t n, void *ud);
typedef void (*coalesce_finish_fn)(coalesce_item **items, size_t n, void *ud, void *started);

typedef struct coalescer {
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* broadcast when a batch is answered */
    coalesce_queue pending;  /* waiting to be sent, in arrival order */
    unsigned in_flight;      /* batches being sent (at most COALESCE_IN_FLIGHT) */
    /* The sender thread of asynchronous items (coalesce_submit), started by the first one */
    pthread_cond_t scv;      /* wakes the sender: an item queued, a batch answered, stop */
    pthread_t sender;
    bool sender_running, sender_stop;
    coalesce_send_fn send;   /* the sender's send function and its ud */
    void *send_ud;
    coalesce_idle_fn idle;   /* NULL: none (set before the first coalesce_submit) */
    coalesce_start_fn start; /* NULL: a lone launch is sent by the sender too */
    coalesce_finish_fn finish;
    coalesce_item *started;  /* a lone launch written by coalesce_submit, to be finished */
    void *started_h;         /* start's result for it */
} coalescer;

void coalesce_init(coalescer *c);
void coalesce_destroy(coalescer *c);
/* The sender's idle work (coalesce_idle_fn); before the first coalesce_submit. */
void coalesce_set_idle(coalescer *c, coalesce_idle_fn idle);
/* The lone launch's start and finish (both or neither); before the first coalesce_submit. */
void coalesce_set_start(coalescer *c, coalesce_start_fn start, coalesce_finish_fn finish);
/* Launches waiting for a batch (not the one in flight): for tests and monitoring. */
size_t coalesce_pending(coalescer *c);
/* True while a batch is being sent (tests). */
bool coalesce_in_flight(coalescer *c);
/* Returns once it has been sent, alone or in a batch, by this thread or another. */
void coalesce_run(coalescer *c, coalesce_item *it, coalesce_send_fn send, void *ud);
/* Queues it without waiting for a batch in flight (a launch held by a suspended HTTP
 * request: no thread waits for it). The coalescer's sender thread, started here the first
 * time, sends it in the next batch (with coalesce_run's items too) and then calls
 * it->on_done, never on the calling thread (an HTTP thread must not wait on Redis: its
 * other connections would wait with it). A lone launch (nothing in flight, nothing
 * waiting) is written by start on the calling thread when one is set, and only its reply
 * is left to the sender. send and ud must be the same on every call. 0, or an errno value
 * when the sender thread cannot start or is stopped (on_done is then never called). */
int coalesce_submit(coalescer *c, coalesce_item *it, coalesce_send_fn send, void *ud);
/* Sends what is still queued, then stops the sender thread; later coalesce_submit calls
 * fail. Before coalesce_destroy, while send still works. */
void coalesce_stop(coalescer *c);

#endif
