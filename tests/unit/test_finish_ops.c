/* The completer's wire form of a batch for finish.lua (finish_ops_add, completer.c): the
 * consecutive runs that started and succeeded within the batch go as groups ('G', fetch
 * batch, name, count, then id and revision per run) of one job name and fetch batch; a
 * periodic execution, a failed run, a start written alone, a check-in and a unique-lock
 * release stay one op each (seven arguments); the order is the batch's, since finish.lua
 * answers in it; a merged STARTED adds nothing. */
#include "test.h"

#include <stdio.h>
#include <string.h>

#include "engine/internal.h"
#include "util/alloc.h"

static run *mk(const char *id, const char *name, uint64_t batch, int rc)
{
    run *r = run_new();
    assert_non_null(r);
    r->id = berth_strdup(id);
    r->name = berth_strdup(name);
    r->batch = batch;
    r->revision = 100 + (int64_t)batch;
    r->rc = rc;   /* no type: a failed run has no retry entry (retry_json) */
    return r;
}

/* The arguments of a from its first, space-joined. */
static void joined(const rargs *a, char *out, size_t len)
{
    out[0] = 0;
    for (int i = 0; i < a->argc; i++)
        snprintf(out + strlen(out), len - strlen(out), "%s%.*s", i ? " " : "",
                 (int)a->lens[i], a->argv[i]);
}

static void test_groups_in_batch_order(void **state)
{
    (void)state;
    run *r[6] = {mk("a1", "A", 1, 0), mk("a2", "A", 1, 0), mk("a3", "A", 2, 0),
                 mk("p@7", "A", 2, 0), mk("b1", "B", 2, 0), mk("e1", "B", 2, 1)};
    outcome *s[6], *f[6];
    for (int i = 0; i < 6; i++) {
        s[i] = outcome_started(r[i]);
        f[i] = outcome_finished(r[i]);
        s[i]->merged = f[i]->merged = i != 4;   /* b1's start goes alone: 'R', then 'S' */
    }
    outcome *batch[] = {s[0], s[1], f[0], s[2], f[1], f[2], s[3], f[3], s[4], f[4], s[5], f[5]};
    rargs a;
    rargs_init(&a);
    assert_int_equal(finish_ops_add(NULL, &a, batch, 12), 6);
    char got[1024];
    joined(&a, got, sizeof got);
    assert_string_equal(got, "G 1 A 2 a1 101 a2 101 "      /* one name, one fetch batch */
                             "G 2 A 1 a3 102 "             /* another fetch batch */
                             "RS p@7 A 102   2 "           /* a periodic execution */
                             "R b1 B 102   2 "             /* a start written alone */
                             "S b1 B 102   2 "
                             "RE e1 B 102   2");           /* failed */
    /* a lone merged success is a group of one; nothing but merged starts adds no op */
    rargs_reset(&a);
    assert_int_equal(finish_ops_add(NULL, &a, (outcome *[]){s[0], s[1]}, 2), 0);
    assert_int_equal(a.argc, 0);
    rargs_free(&a);
    for (int i = 0; i < 6; i++) {
        outcome_free(s[i]);
        outcome_free(f[i]);   /* frees the run */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_in_batch_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
