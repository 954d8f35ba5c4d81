/* The set of runs this node holds; see leases.h. */
#include "engine/leases.h"

#include <string.h>

#include "util/clock.h"

#define STOP_KEPT_MS 10000   /* far beyond a fetch reply's way to the fetcher */

void leases_init(leases *l)
{
    pthread_mutex_init(&l->mu, NULL);
    l->head = NULL;
    atomic_init(&l->n, 0);
    memset(l->stops, 0, sizeof l->stops);
    l->stops_next = l->stops_live = 0;
}

/* Under mu: a stop of r's job that came before r was added marks it (and is used up);
 * stops kept past STOP_KEPT_MS (another node's jobs) are dropped on the way. */
static void take_early_stop(leases *l, run *r)
{
    int64_t now = clock_mono_ms();
    for (unsigned i = 0; i < LEASES_STOPS && l->stops_live; i++) {
        if (!l->stops[i][0])
            continue;
        bool fresh = now - l->stops_ms[i] < STOP_KEPT_MS;
        bool mine = strcmp(l->stops[i], r->id) == 0;
        if (fresh && !mine)
            continue;
        if (mine && fresh)
            atomic_store(&r->stop_asked, true);
        l->stops[i][0] = '\0';
        l->stops_live--;
    }
}

/* Under mu: remembers a stop that found no held run (the oldest goes when full). */
static void keep_stop(leases *l, const char *id, size_t len)
{
    if (len == 0 || len >= LEASES_STOP_ID)
        return;   /* no job id is that long: nothing of ours to mark */
    unsigned i = l->stops_next;
    l->stops_next = (i + 1) % LEASES_STOPS;
    if (!l->stops[i][0])
        l->stops_live++;
    memcpy(l->stops[i], id, len);
    l->stops[i][len] = '\0';
    l->stops_ms[i] = clock_mono_ms();
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
    if (l->stops_live)   /* the drain's path pays this one test */
        take_early_stop(l, r);
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
    if (n == 0)
        keep_stop(l, id, len);
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
