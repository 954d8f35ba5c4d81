/* The set of runs this node holds; see leases.h. */
#include "engine/leases.h"

#include <string.h>

void leases_init(leases *l)
{
    pthread_mutex_init(&l->mu, NULL);
    l->head = NULL;
    atomic_init(&l->n, 0);
}

void leases_destroy(leases *l)
{
    pthread_mutex_destroy(&l->mu);
}

void leases_add(leases *l, run *r)
{
    pthread_mutex_lock(&l->mu);
    r->lease_prev = NULL;
    r->lease_next = l->head;
    if (l->head)
        l->head->lease_prev = r;
    l->head = r;
    atomic_fetch_add(&l->n, 1);
    pthread_mutex_unlock(&l->mu);
}

void leases_remove(leases *l, run *r)
{
    pthread_mutex_lock(&l->mu);
    if (r->lease_prev)
        r->lease_prev->lease_next = r->lease_next;
    else if (l->head == r)
        l->head = r->lease_next;
    if (r->lease_next)
        r->lease_next->lease_prev = r->lease_prev;
    r->lease_prev = r->lease_next = NULL;
    atomic_fetch_sub(&l->n, 1);
    pthread_mutex_unlock(&l->mu);
}

size_t leases_mark_stop(leases *l, const char *id, size_t len)
{
    size_t n = 0;
    pthread_mutex_lock(&l->mu);
    for (run *r = l->head; r; r = r->lease_next) {
        if (strlen(r->id) == len && memcmp(r->id, id, len) == 0) {
            atomic_store(&r->stop_asked, true);
            n++;
        }
    }
    pthread_mutex_unlock(&l->mu);
    return n;
}

size_t leases_batches(leases *l, rargs *a, const char *pool, long long deadline, bool hand_back)
{
    size_t n = 0;
    uint64_t last = 0;   /* fetch numbers start at 1 */
    pthread_mutex_lock(&l->mu);
    for (run *r = l->head; r; r = r->lease_next) {
        if (hand_back)
            atomic_store(&r->handed_back, true);
        if (r->batch == last)   /* runs of one fetch sit together: most repeats go here */
            continue;
        last = r->batch;
        n++;
        if (deadline >= 0) {
            rargs_addi(a, deadline);
            rargs_addf(a, "%s:%llu", pool, (unsigned long long)r->batch);
        } else {
            rargs_addi(a, (long long)r->batch);
        }
    }
    pthread_mutex_unlock(&l->mu);
    return n;
}
