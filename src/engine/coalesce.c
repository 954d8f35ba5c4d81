/* Group commit of single launches; see coalesce.h. */
#include "engine/coalesce.h"

#include <errno.h>

void coalesce_init(coalescer *c)
{
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    pthread_cond_init(&c->scv, NULL);
    c->pending = (coalesce_queue){0};
    c->in_flight = 0;
    c->sender_running = c->sender_stop = false;
    c->idle = NULL;
    c->start = NULL;
    c->finish = NULL;
    c->started = NULL;
    c->started_h = NULL;
}

void coalesce_set_start(coalescer *c, coalesce_start_fn start, coalesce_finish_fn finish)
{
    pthread_mutex_lock(&c->mu);
    c->start = start;
    c->finish = finish;
    pthread_mutex_unlock(&c->mu);
}

void coalesce_set_idle(coalescer *c, coalesce_idle_fn idle)
{
    pthread_mutex_lock(&c->mu);
    c->idle = idle;
    pthread_mutex_unlock(&c->mu);
}

void coalesce_destroy(coalescer *c)
{
    coalesce_stop(c);
    pthread_cond_destroy(&c->scv);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
}

void coalesce_queue_push(coalesce_queue *q, coalesce_item *it)
{
    it->next = NULL;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->n++;
}

size_t coalesce_queue_take(coalesce_queue *q, coalesce_item **items)
{
    size_t n = 0;
    while (q->head && n < COALESCE_MAX) {
        items[n++] = q->head;
        q->head = q->head->next;
    }
    if (!q->head)
        q->tail = NULL;
    q->n -= n;
    return n;
}

/* A batch in flight is answered: sets done for coalesce_run's items, calls on_done for
 * coalesce_submit's (in arrival order, without the lock: they may free their item).
 * Called and returns with mu held. */
static void answered(coalescer *c, coalesce_item **batch, size_t n)
{
    size_t nasync = 0;
    for (size_t i = 0; i < n; i++) {
        if (batch[i]->on_done)
            batch[nasync++] = batch[i];
        else
            batch[i]->done = true;
    }
    c->in_flight--;
    pthread_cond_broadcast(&c->cv);
    if (c->pending.head || c->sender_stop)
        pthread_cond_signal(&c->scv);   /* the sender may go on (or end) */
    if (nasync) {
        pthread_mutex_unlock(&c->mu);
        for (size_t i = 0; i < nasync; i++)
            batch[i]->on_done(batch[i]);
        pthread_mutex_lock(&c->mu);
    }
}

/* Sends one batch of what is pending and writes the outcomes (answered). Called and
 * returns with mu held. */
static void lead(coalescer *c, coalesce_send_fn send, void *ud)
{
    coalesce_item *batch[COALESCE_MAX];
    c->in_flight++;
    size_t n = coalesce_queue_take(&c->pending, batch);
    pthread_mutex_unlock(&c->mu);
    send(batch, n, ud);
    pthread_mutex_lock(&c->mu);
    answered(c, batch, n);
}

/* The sender's part of a lone launch that coalesce_submit started: its reply. Called and
 * returns with mu held. */
static void finish_started(coalescer *c)
{
    coalesce_item *it = c->started;
    void *h = c->started_h;
    c->started = NULL;
    c->started_h = NULL;
    pthread_mutex_unlock(&c->mu);
    c->finish(&it, 1, c->send_ud, h);
    pthread_mutex_lock(&c->mu);
    answered(c, &it, 1);
}

static void append(coalescer *c, coalesce_item *it)
{
    it->done = false;
    coalesce_queue_push(&c->pending, it);
}

void coalesce_run(coalescer *c, coalesce_item *it, coalesce_send_fn send, void *ud)
{
    it->on_done = NULL;
    pthread_mutex_lock(&c->mu);
    append(c, it);
    /* Wait while another batch is in flight; when it is answered, either ours was in it
     * (done) or we are still pending and one of the pending callers leads next. */
    while (!it->done && c->in_flight >= COALESCE_IN_FLIGHT)
        pthread_cond_wait(&c->cv, &c->mu);
    while (!it->done)     /* lead: send what is pending (ours among the first COALESCE_MAX) */
        lead(c, send, ud);
    pthread_mutex_unlock(&c->mu);
}

/* Whether the sender has something to do: a started lone launch to finish, a batch to
 * send, or its end (stopping, nothing waiting, nothing in flight: a lone launch being
 * started is in flight and still needs it). Called with mu held. */
static bool sender_woken(const coalescer *c)
{
    return c->started || (c->pending.head && c->in_flight < COALESCE_IN_FLIGHT) ||
           (c->sender_stop && !c->pending.head && c->in_flight == 0);
}

/* The sender thread: finishes a started lone launch, leads whenever items are pending and
 * no batch is in flight; at stop it sends what is still pending first. After a batch,
 * when nothing waits and it is not stopping, it runs the idle work (a launch that arrives
 * meanwhile waits for it: one short round trip, and only when the idle work has something
 * to do). */
static void *sender_main(void *arg)
{
    coalescer *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!sender_woken(c))
            pthread_cond_wait(&c->scv, &c->mu);
        if (c->started)
            finish_started(c);
        else if (c->pending.head)
            lead(c, c->send, c->send_ud);
        else
            break;                  /* stopping, and nothing left */
        coalesce_idle_fn idle = c->idle;
        if (!c->pending.head && !c->started && !c->sender_stop && idle) {
            pthread_mutex_unlock(&c->mu);
            idle(c->send_ud);
            pthread_mutex_lock(&c->mu);
        }
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* A lone launch (nothing in flight or waiting): start writes its call here, in flight
 * meanwhile so that nobody else sends, and hands it to the sender. False (nothing sent,
 * in flight again as before) when start could not. Called and returns with mu held. */
static bool start_lone(coalescer *c, coalesce_item *it)
{
    if (!c->start || c->pending.head || c->in_flight > 0 || c->started)
        return false;
    c->in_flight++;
    it->next = NULL;
    it->done = false;
    coalesce_start_fn start = c->start;
    pthread_mutex_unlock(&c->mu);
    void *h = start(&it, 1, c->send_ud);
    pthread_mutex_lock(&c->mu);
    if (h) {
        c->started = it;
        c->started_h = h;
    } else {
        c->in_flight--;
        pthread_cond_broadcast(&c->cv);   /* coalesce_run callers that waited meanwhile */
    }
    return h != NULL;
}

int coalesce_submit(coalescer *c, coalesce_item *it, coalesce_send_fn send, void *ud)
{
    pthread_mutex_lock(&c->mu);
    int rc = c->sender_stop ? ESHUTDOWN : 0;
    if (rc == 0 && !c->sender_running) {
        c->send = send;
        c->send_ud = ud;
        rc = pthread_create(&c->sender, NULL, sender_main, c);
        c->sender_running = rc == 0;
    }
    if (rc == 0) {
        /* Never waited for on this thread: the caller is an HTTP thread that also serves
         * other connections, and a script held by a slow or paused Redis would stall them
         * all. A lone launch is written here (start_lone: nothing it does waits for Redis)
         * and its reply read by the sender; else it waits for the sender, which a batch in
         * flight signals when it is answered. */
        if (!start_lone(c, it))
            append(c, it);
        if (c->started || c->in_flight < COALESCE_IN_FLIGHT)
            pthread_cond_signal(&c->scv);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void coalesce_stop(coalescer *c)
{
    pthread_mutex_lock(&c->mu);
    bool join = c->sender_running && !c->sender_stop;
    c->sender_stop = true;
    pthread_cond_signal(&c->scv);
    pthread_mutex_unlock(&c->mu);
    if (join)
        pthread_join(c->sender, NULL);
}

size_t coalesce_pending(coalescer *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->pending.n;
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
