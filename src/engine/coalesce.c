/* Group commit of single launches; see coalesce.h. */
#include "engine/coalesce.h"

void coalesce_init(coalescer *c)
{
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->head = c->tail = NULL;
    c->in_flight = 0;
}

void coalesce_destroy(coalescer *c)
{
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
}

/* Takes up to COALESCE_MAX pending items, oldest first. Called with mu held. */
static size_t take(coalescer *c, coalesce_item **batch)
{
    size_t n = 0;
    while (c->head && n < COALESCE_MAX) {
        batch[n++] = c->head;
        c->head = c->head->next;
    }
    if (!c->head)
        c->tail = NULL;
    return n;
}

void coalesce_run(coalescer *c, coalesce_item *it, coalesce_send_fn send, void *ud)
{
    coalesce_item *batch[COALESCE_MAX];
    it->next = NULL;
    it->done = false;
    pthread_mutex_lock(&c->mu);
    if (c->tail)
        c->tail->next = it;
    else
        c->head = it;
    c->tail = it;
    /* Wait while another batch is in flight; when it is answered, either ours was in it
     * (done) or we are still pending and one of the pending callers leads next. */
    while (!it->done && c->in_flight >= COALESCE_IN_FLIGHT)
        pthread_cond_wait(&c->cv, &c->mu);
    while (!it->done) {   /* lead: send what is pending (ours among the first COALESCE_MAX) */
        c->in_flight++;
        size_t n = take(c, batch);
        pthread_mutex_unlock(&c->mu);
        send(batch, n, ud);
        pthread_mutex_lock(&c->mu);
        for (size_t i = 0; i < n; i++)
            batch[i]->done = true;
        c->in_flight--;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
}

size_t coalesce_pending(coalescer *c)
{
    size_t n = 0;
    pthread_mutex_lock(&c->mu);
    for (const coalesce_item *it = c->head; it; it = it->next)
        n++;
    pthread_mutex_unlock(&c->mu);
    return n;
}

bool coalesce_in_flight(coalescer *c)
{
    pthread_mutex_lock(&c->mu);
    bool busy = c->in_flight > 0;
    pthread_mutex_unlock(&c->mu);
    return busy;
}
