/* The held runs (src/engine/leases.c) and stops: a stop marks the held runs of its job; a
 * stop that finds none is remembered, so that a run of that job added afterwards is marked
 * when it is added. That is the order when a fetch takes a job (still Pending) just before
 * its stop and the fetch's reply reaches the fetcher after the subscriber looked for the run:
 * without the memory the run started although its job was Stopped. */
#include "test.h"

#include <stdio.h>
#include <string.h>

#include "engine/leases.h"
#include "util/alloc.h"

static run *mk(const char *id)
{
    run *r = run_new();
    assert_non_null(r);
    r->id = berth_strdup(id);
    assert_non_null(r->id);
    return r;
}

static void test_stop_marks_held_run(void **state)
{
    (void)state;
    leases l;
    leases_init(&l);
    run *a = mk("aaaaaaaaaaaaaaaaaaaaaaaa"), *b = mk("bbbbbbbbbbbbbbbbbbbbbbbb");
    leases_add(&l, a);
    leases_add(&l, b);
    assert_int_equal(leases_mark_stop(&l, a->id, strlen(a->id)), 1);
    assert_true(atomic_load(&a->stop_asked));
    assert_false(atomic_load(&b->stop_asked));
    leases_remove(&l, a);
    leases_remove(&l, b);
    run_free(a);
    run_free(b);
    leases_destroy(&l);
}

static void test_stop_before_add_marks_the_run(void **state)
{
    (void)state;
    leases l;
    leases_init(&l);
    const char *id = "cccccccccccccccccccccccc";
    assert_int_equal(leases_mark_stop(&l, id, strlen(id)), 0);   /* not held yet */
    run *other = mk("dddddddddddddddddddddddd"), *r = mk(id), *again = mk(id);
    leases_add(&l, other);
    assert_false(atomic_load(&other->stop_asked));
    leases_add(&l, r);
    assert_true(atomic_load(&r->stop_asked));
    /* used up: a later run of the same id is not marked by the same stop */
    leases_add(&l, again);
    assert_false(atomic_load(&again->stop_asked));
    leases_remove(&l, other);
    leases_remove(&l, r);
    leases_remove(&l, again);
    run_free(other);
    run_free(r);
    run_free(again);
    leases_destroy(&l);
}

/* More stops than the memory holds: the oldest are forgotten, the newest still mark. */
static void test_stop_memory_is_bounded(void **state)
{
    (void)state;
    leases l;
    leases_init(&l);
    char id[32];
    for (int i = 0; i < LEASES_STOPS + 4; i++) {
        snprintf(id, sizeof id, "job%021d", i);
        leases_mark_stop(&l, id, strlen(id));
    }
    assert_int_equal(l.stops_live, LEASES_STOPS);
    snprintf(id, sizeof id, "job%021d", 0);
    run *old = mk(id);
    snprintf(id, sizeof id, "job%021d", LEASES_STOPS + 3);
    run *recent = mk(id);
    leases_add(&l, old);
    leases_add(&l, recent);
    assert_false(atomic_load(&old->stop_asked));
    assert_true(atomic_load(&recent->stop_asked));
    /* an id too long to be a job's is not kept */
    char longid[LEASES_STOP_ID + 8];
    memset(longid, 'x', sizeof longid);
    leases_mark_stop(&l, longid, sizeof longid);
    assert_int_equal(l.stops_live, LEASES_STOPS - 1);
    leases_remove(&l, old);
    leases_remove(&l, recent);
    run_free(old);
    run_free(recent);
    leases_destroy(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_marks_held_run),
        cmocka_unit_test(test_stop_before_add_marks_the_run),
        cmocka_unit_test(test_stop_memory_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
