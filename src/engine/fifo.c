/* Locked intrusive FIFO; see fifo.h. */
#include "engine/fifo.h"

#include <errno.h>
#include <time.h>

#include "engine/internal.h"

void fifo_init(fifo *q)
{
    pthread_mutex_init(&q->mu, NULL);
    clock_cond_init(&q->cv);
    q->head = q->tail = NULL;
    q->len = 0;
    q->closed = false;
}

void fifo_destroy(fifo *q, void (*free_node)(fnode *))
{
    fnode *n = q->head;
    while (n) {
        fnode *next = n->next;
        if (free_node)
            free_node(n);
        n = next;
    }
    q->head = q->tail = NULL;
    q->len = 0;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
}

void fifo_push(fifo *q, fnode *n)
{
    n->next = NULL;
    pthread_mutex_lock(&q->mu);
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
    q->len++;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

fnode *fifo_pop(fifo *q, int ms)
{
    struct timespec deadline;
    if (ms >= 0)
        clock_deadline(&deadline, ms);
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->closed) {
        int rc = ms < 0 ? pthread_cond_wait(&q->cv, &q->mu)
                        : pthread_cond_timedwait(&q->cv, &q->mu, &deadline);
        if (rc == ETIMEDOUT)
            break;
    }
    fnode *n = q->head;
    if (n) {
        q->head = n->next;
        if (!q->head)
            q->tail = NULL;
        q->len--;
        n->next = NULL;
    }
    pthread_mutex_unlock(&q->mu);
    return n;
}

size_t fifo_len(fifo *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->len;
    pthread_mutex_unlock(&q->mu);
    return n;
}

void fifo_close(fifo *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}
