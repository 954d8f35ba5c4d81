/* Argument vectors (src/store/args.c): integers are written as Redis reads them, at the
 * edges of long long too, and a vector that ran out of memory says so once. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers_as_decimal_text),
        cmocka_unit_test(out_of_memory_is_sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
