/* The engine's hand-off queue (src/engine/fifo.c): chosen wake-ups, no lost one.
 *  - many producers and consumers, every node popped exactly once (eager pushes, and the
 *    lazy ready-queue pushes with fifo_attend): no wake-up is lost; a stress under TSan;
 *  - a push wakes one sleeper, the most recently idle one; the others are never woken;
 *  - the spread rule: a node queued behind an awake popper wakes nobody until it waited
 *    spread_us, then one sleeper;
 *  - the watcher: with nobody calling attend again (a fetcher blocked in Redis), a sleeper
 *    takes a node queued behind an awake popper once it waited spread_us; a watch whose
 *    node was taken meanwhile ends, and the sleeper sleeps on without a deadline;
 *  - close wakes every sleeper and pops return NULL once it is empty. */
#include "test.h"

#include <pthread.h>
#include <stdatomic.h>

#include "engine/fifo.h"
#include "util/clock.h"
#include "wait.h"

#define PRODUCERS 4
#define CONSUMERS 6
#define PER_PRODUCER 20000

typedef struct item {
    fnode node;
    int seen;                /* times popped: must end 1 */
} item;

typedef struct stress {
    fifo q;
    item *items;
    bool lazy;
    atomic_int next_producer;
    atomic_long popped;
} stress;

static void *producer(void *arg)
{
    stress *s = arg;
    int p = atomic_fetch_add(&s->next_producer, 1);
    for (int i = 0; i < PER_PRODUCER; i++) {
        item *it = &s->items[p * PER_PRODUCER + i];
        it->node.at_us = clock_mono_us();
        if (s->lazy) {   /* the fetcher's way: quiet pushes, then one attend */
            fifo_push_quiet(&s->q, &it->node);
            if (i % 16 == 15 || i == PER_PRODUCER - 1)
                fifo_attend(&s->q, clock_mono_us());
        } else {
            fifo_push(&s->q, &it->node);
        }
    }
    return NULL;
}

static void *consumer(void *arg)
{
    stress *s = arg;
    fifo_popper(&s->q, 1);
    fnode *n;
    while ((n = fifo_pop(&s->q, -1))) {   /* NULL: closed and empty */
        FIFO_ENTRY(n, item, node)->seen++;
        atomic_fetch_add(&s->popped, 1);
    }
    fifo_popper(&s->q, -1);
    return NULL;
}

static bool all_popped(void *arg)
{
    stress *s = arg;
    return atomic_load(&s->popped) == (long)PRODUCERS * PER_PRODUCER;
}

static void run_stress(bool lazy)
{
    stress s = {.lazy = lazy};
    fifo_init(&s.q);
    if (lazy)
        fifo_set_spread(&s.q, 1000);
    s.items = calloc(PRODUCERS * PER_PRODUCER, sizeof *s.items);
    assert_non_null(s.items);
    atomic_init(&s.next_producer, 0);
    atomic_init(&s.popped, 0);
    pthread_t c[CONSUMERS], p[PRODUCERS];
    for (int i = 0; i < CONSUMERS; i++)
        assert_int_equal(pthread_create(&c[i], NULL, consumer, &s), 0);
    for (int i = 0; i < PRODUCERS; i++)
        assert_int_equal(pthread_create(&p[i], NULL, producer, &s), 0);
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(p[i], NULL);
    /* every node is popped without any further push or kick: no wake-up was lost */
    bool done = wait_until(all_popped, &s, 60000);
    fifo_close(&s.q);
    for (int i = 0; i < CONSUMERS; i++)
        pthread_join(c[i], NULL);
    assert_true(done);
    for (int i = 0; i < PRODUCERS * PER_PRODUCER; i++)
        assert_int_equal(s.items[i].seen, 1);
    assert_int_equal(fifo_len(&s.q), 0);
    fifo_destroy(&s.q, NULL);
    free(s.items);
}

static void test_no_lost_wakeup_eager(void **state)
{
    (void)state;
    run_stress(false);
}

static void test_no_lost_wakeup_lazy(void **state)
{
    (void)state;
    run_stress(true);
}

/* ---- which sleeper is woken ------------------------------------------------------------ */

typedef struct sleeper_arg {
    fifo *q;
    int index;
    atomic_int got;          /* index of the node it popped, -1 none yet, -2 NULL */
} sleeper_arg;

static void *sleeper(void *arg)
{
    sleeper_arg *a = arg;
    fifo_popper(a->q, 1);
    fnode *n = fifo_pop(a->q, -1);
    atomic_store(&a->got, n ? (int)FIFO_ENTRY(n, item, node)->seen : -2);
    return NULL;
}

typedef struct count_want {
    fifo *q;
    unsigned sleepers;
} count_want;

static bool sleepers_are(void *arg)
{
    count_want *w = arg;
    pthread_mutex_lock(&w->q->mu);
    bool ok = w->q->nsleepers == w->sleepers;
    pthread_mutex_unlock(&w->q->mu);
    return ok;
}

typedef struct got_want {
    sleeper_arg *a;
    int n;
    int done;                /* how many have popped something (or NULL) */
} got_want;

static bool popped_are(void *arg)
{
    got_want *w = arg;
    int d = 0;
    for (int i = 0; i < w->n; i++)
        d += atomic_load(&w->a[i].got) != -1;
    return d == w->done;
}

/* Three sleepers, put to sleep in order; each push of one node wakes exactly one, the last
 * to fall asleep first. */
static void test_push_wakes_most_recent_sleeper(void **state)
{
    (void)state;
    fifo q;
    fifo_init(&q);
    sleeper_arg a[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        a[i] = (sleeper_arg){.q = &q, .index = i};
        atomic_init(&a[i].got, -1);
        assert_int_equal(pthread_create(&t[i], NULL, sleeper, &a[i]), 0);
        assert_true(wait_until(sleepers_are, &(count_want){&q, (unsigned)i + 1}, 10000));
    }
    item it[2] = {{.seen = 100}, {.seen = 101}};
    fifo_push(&q, &it[0].node);
    assert_true(wait_until(popped_are, &(got_want){a, 3, 1}, 10000));
    assert_int_equal(atomic_load(&a[2].got), 100);   /* the last asleep took it */
    assert_int_equal(atomic_load(&a[0].got), -1);
    assert_int_equal(atomic_load(&a[1].got), -1);
    /* the other two were never woken (not woken and gone back to sleep) */
    pthread_mutex_lock(&q.mu);
    assert_int_equal(q.nsleepers, 2);
    assert_int_equal(q.waking, 0);
    assert_int_equal(q.wakes, 1);
    pthread_mutex_unlock(&q.mu);
    fifo_push(&q, &it[1].node);
    assert_true(wait_until(popped_are, &(got_want){a, 3, 2}, 10000));
    assert_int_equal(atomic_load(&a[1].got), 101);
    fifo_close(&q);   /* wakes the last one: closed and empty, its pop returns NULL */
    assert_true(wait_until(popped_are, &(got_want){a, 3, 3}, 10000));
    assert_int_equal(atomic_load(&a[0].got), -2);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    fifo_destroy(&q, NULL);
}

/* The lazy queue: with a popper awake (registered, not asleep) a quiet push and an attend
 * wake nobody until the node waited spread_us; then one sleeper. With nobody awake the
 * first attend wakes one. */
static void test_spread_rule(void **state)
{
    (void)state;
    fifo q;
    fifo_init(&q);
    fifo_set_spread(&q, 1000);
    sleeper_arg a = {.q = &q};
    atomic_init(&a.got, -1);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, sleeper, &a), 0);
    assert_true(wait_until(sleepers_are, &(count_want){&q, 1}, 10000));
    fifo_popper(&q, 1);   /* this thread: a popper awake (as a worker in a run) */
    item it = {.seen = 7};
    /* far ahead: the watcher named below waits for that; this test gives attend its now */
    it.node.at_us = clock_mono_us() + 600 * 1000000LL;
    fifo_push_quiet(&q, &it.node);
    assert_false(fifo_attend(&q, it.node.at_us + 999));
    assert_int_equal(atomic_load(&a.got), -1);
    assert_true(fifo_attend(&q, it.node.at_us + 1000));
    assert_true(wait_until(popped_are, &(got_want){&a, 1, 1}, 10000));
    assert_int_equal(atomic_load(&a.got), 7);
    pthread_join(t, NULL);
    /* nobody awake now but this thread's registration: drop it, a new sleeper, a push */
    fifo_popper(&q, -1);
    atomic_store(&a.got, -1);
    assert_int_equal(pthread_create(&t, NULL, sleeper, &a), 0);
    assert_true(wait_until(sleepers_are, &(count_want){&q, 1}, 10000));
    fifo_popper(&q, -1);   /* the first sleeper's registration (it returned) */
    item it2 = {.seen = 8};
    it2.node.at_us = clock_mono_us();
    fifo_push_quiet(&q, &it2.node);
    assert_true(fifo_attend(&q, it2.node.at_us));   /* nobody awake: woken at once */
    assert_true(wait_until(popped_are, &(got_want){&a, 1, 1}, 10000));
    assert_int_equal(atomic_load(&a.got), 8);
    pthread_join(t, NULL);
    fifo_destroy(&q, NULL);
}

/* ---- the watcher ------------------------------------------------------------------------ */

typedef struct timed_sleeper {
    fifo *q;
    atomic_int got;              /* as sleeper_arg's */
    _Atomic int64_t popped_us;   /* when its pop returned */
} timed_sleeper;

static void *timed_sleeper_main(void *arg)
{
    timed_sleeper *a = arg;
    fifo_popper(a->q, 1);
    fnode *n = fifo_pop(a->q, -1);
    atomic_store(&a->popped_us, clock_mono_us());
    atomic_store(&a->got, n ? (int)FIFO_ENTRY(n, item, node)->seen : -2);
    fifo_popper(a->q, -1);
    return NULL;
}

static bool timed_popped(void *arg)
{
    return atomic_load(&((timed_sleeper *)arg)->got) != -1;
}

static bool no_watcher(void *arg)
{
    fifo *q = arg;
    pthread_mutex_lock(&q->mu);
    bool none = q->watcher == NULL;
    pthread_mutex_unlock(&q->mu);
    return none;
}

/* A queue with spread_us, one sleeper (a), this thread an awake popper (a worker in a long
 * run), and node it pushed quietly and attended once while fresh: nobody is woken, the
 * sleeper is named the watcher. */
typedef struct watch_scene {
    fifo q;
    timed_sleeper a;
    pthread_t t;
    item it;
} watch_scene;

static void watch_scene_start(watch_scene *w, int64_t spread_us, int seen)
{
    fifo_init(&w->q);
    fifo_set_spread(&w->q, spread_us);
    w->a = (timed_sleeper){.q = &w->q};
    atomic_init(&w->a.got, -1);
    atomic_init(&w->a.popped_us, 0);
    assert_int_equal(pthread_create(&w->t, NULL, timed_sleeper_main, &w->a), 0);
    assert_true(wait_until(sleepers_are, &(count_want){&w->q, 1}, 10000));
    fifo_popper(&w->q, 1);
    w->it = (item){.seen = seen};
    w->it.node.at_us = clock_mono_us();
    fifo_push_quiet(&w->q, &w->it.node);
    assert_false(fifo_attend(&w->q, w->it.node.at_us));
}

/* Joins the sleeper once it popped (or got NULL) and checks the watchers named and the
 * wake-ups sent. */
static void watch_scene_end(watch_scene *w, unsigned long watches, unsigned long wakes)
{
    assert_true(wait_until(timed_popped, &w->a, 10000));
    pthread_join(w->t, NULL);
    assert_int_equal(w->q.watches, watches);
    assert_int_equal(w->q.wakes, wakes);
    assert_null(w->q.watcher);
    fifo_popper(&w->q, -1);
    fifo_destroy(&w->q, NULL);
}

/* Nothing happens after the attend: the sleeper takes the node, not before it waited
 * spread_us. Without the watcher it would sleep until the next attend. */
static void test_watcher_takes_due_head(void **state)
{
    (void)state;
    watch_scene w;
    watch_scene_start(&w, 1000, 5);
    assert_true(wait_until(timed_popped, &w.a, 10000));
    assert_int_equal(atomic_load(&w.a.got), 5);
    assert_true(atomic_load(&w.a.popped_us) >= w.it.node.at_us + 1000);
    watch_scene_end(&w, 1, 0);   /* it woke itself: no wake-up was sent */
}

/* The watched node is taken by the awake popper before it falls due: the watch ends and the
 * sleeper sleeps on (without a deadline: an idle queue costs nothing) until the close. */
static void test_watch_ends_when_node_taken(void **state)
{
    (void)state;
    watch_scene w;
    watch_scene_start(&w, 20000, 6);
    assert_ptr_equal(fifo_pop(&w.q, 0), &w.it.node);   /* the awake popper takes it */
    assert_true(wait_until(no_watcher, &w.q, 10000));
    assert_int_equal(atomic_load(&w.a.got), -1);
    assert_true(sleepers_are(&(count_want){&w.q, 1}));
    fifo_close(&w.q);
    assert_true(wait_until(timed_popped, &w.a, 10000));
    assert_int_equal(atomic_load(&w.a.got), -2);
    watch_scene_end(&w, 1, 1);   /* the close's */
}

/* A timed pop returns NULL at its deadline and leaves no sleeper behind. */
static void test_timed_pop_leaves_no_sleeper(void **state)
{
    (void)state;
    fifo q;
    fifo_init(&q);
    assert_null(fifo_pop(&q, 5));
    assert_null(fifo_pop(&q, 0));
    pthread_mutex_lock(&q.mu);
    assert_int_equal(q.nsleepers, 0);
    assert_null(q.sleepers);
    pthread_mutex_unlock(&q.mu);
    item it = {.seen = 3};
    fifo_push(&q, &it.node);
    assert_ptr_equal(fifo_pop(&q, 5), &it.node);
    fifo_destroy(&q, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_lost_wakeup_eager),
        cmocka_unit_test(test_no_lost_wakeup_lazy),
        cmocka_unit_test(test_push_wakes_most_recent_sleeper),
        cmocka_unit_test(test_spread_rule),
        cmocka_unit_test(test_watcher_takes_due_head),
        cmocka_unit_test(test_watch_ends_when_node_taken),
        cmocka_unit_test(test_timed_pop_leaves_no_sleeper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
