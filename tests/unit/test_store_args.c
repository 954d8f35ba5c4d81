/* Argument vectors (src/store/args.c): integers are written as Redis reads them, at the
 * edges of long long too, a vector that ran out of memory says so once, and the entries
 * keep their bytes while the vector's one block of text grows under them (entries
 * borrowed from another vector, as enqueue.c's join, are left pointing where they were). */
#include "test.h"

#include <limits.h>

#include "berth/error.h"
#include "store/args.h"
#include "util/alloc.h"

static void integers_as_decimal_text(void **state)
{
    (void)state;
    const long long vs[] = {0, 7, -1, 10, -10, 1234567890123LL, LLONG_MAX, LLONG_MIN};
    const char *want[] = {"0", "7", "-1", "10", "-10", "1234567890123",
                          "9223372036854775807", "-9223372036854775808"};
    rargs a;
    rargs_init(&a);
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
        rargs_addi(&a, vs[i]);
    assert_int_equal(a.err, 0);
    assert_int_equal(a.argc, (int)(sizeof vs / sizeof vs[0]));
    for (int i = 0; i < a.argc; i++) {
        assert_string_equal(a.argv[i], want[i]);
        assert_int_equal(a.lens[i], strlen(want[i]));
    }
    rargs_free(&a);
}

static void *no_malloc(size_t n)
{
    (void)n;
    return NULL;
}

static void *no_realloc(void *p, size_t n)
{
    (void)p;
    (void)n;
    return NULL;
}

static void out_of_memory_is_sticky(void **state)
{
    (void)state;
    rargs a;
    rargs_init(&a);
    berth_alloc_hooks h = {no_malloc, no_realloc, free};
    berth_alloc_set_hooks(&h);
    rargs_addi(&a, 42);
    berth_alloc_set_hooks(NULL);
    rargs_addi(&a, 43);   /* memory is back, but the vector is already incomplete */
    assert_int_equal(a.err, BERTH_ENOMEM);
    assert_int_equal(a.argc, 0);
    rargs_free(&a);
}

/* Entry i's expected text in grows_and_keeps_every_entry: lengths 0..99, so the block
 * grows several times (past its first 256 bytes to 8 KiB). */
static void entry_text(int i, char *out)
{
    for (int k = 0; k < i % 100; k++)
        out[k] = (char)('a' + (i + k) % 26);
    out[i % 100] = '\0';
}

static void grows_and_keeps_every_entry(void **state)
{
    (void)state;
    rargs a, b;
    rargs_init(&a);
    rargs_init(&b);
    rargs_adds(&b, "borrowed");
    char want[128];
    for (int i = 0; i < 150; i++) {
        entry_text(i, want);
        rargs_adds(&a, want);
        if (i == 0) {   /* a borrowed entry, as join_waits makes: not moved with a's text */
            rargs_adds(&a, "x");
            a.argv[1] = b.argv[0];
            a.lens[1] = b.lens[0];
        }
    }
    rargs_seti(&a, 2, -1234567);   /* an entry overwritten after its neighbours */
    rargs_set(&a, 3, "three");
    assert_int_equal(a.err, 0);
    assert_int_equal(a.argc, 151);
    assert_ptr_equal(a.argv[1], b.argv[0]);
    assert_string_equal(a.argv[2], "-1234567");
    assert_int_equal(a.lens[2], 8);
    assert_string_equal(a.argv[3], "three");
    for (int i = 4; i < a.argc; i++) {
        entry_text(i - 1, want);
        assert_string_equal(a.argv[i], want);
        assert_int_equal(a.lens[i], strlen(want));
    }
    rargs_reset(&a);   /* reused: the same block, from its start */
    rargs_addi(&a, 7);
    assert_int_equal(a.argc, 1);
    assert_string_equal(a.argv[0], "7");
    rargs_free(&a);
    rargs_free(&b);
    rargs_free(&a);   /* a freed vector is an empty one */
}

/* A growth of the text that cannot allocate refuses the vector and keeps what it had. */
static void out_of_memory_while_growing(void **state)
{
    (void)state;
    rargs a;
    rargs_init(&a);
    char big[300];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    rargs_adds(&a, "first");
    berth_alloc_hooks h = {no_malloc, no_realloc, free};
    berth_alloc_set_hooks(&h);
    rargs_adds(&a, big);
    berth_alloc_set_hooks(NULL);
    assert_int_equal(a.err, BERTH_ENOMEM);
    assert_int_equal(a.argc, 1);
    assert_string_equal(a.argv[0], "first");
    rargs_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers_as_decimal_text),
        cmocka_unit_test(out_of_memory_is_sticky),
        cmocka_unit_test(grows_and_keeps_every_entry),
        cmocka_unit_test(out_of_memory_while_growing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
