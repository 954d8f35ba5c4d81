/* The RESP encoder of command vectors (src/store/resp.c) against hiredis's own
 * redisFormatCommandArgv, the encoder it replaces: the same bytes for vectors with empty,
 * binary and long arguments, and lengths across every digit boundary. */
#include "test.h"

#include <hiredis/hiredis.h>

#include "store/resp.h"
#include "util/alloc.h"

static void same_as_hiredis(int argc, const char **argv, const size_t *lens)
{
    char *want = NULL, *got = NULL;
    int wlen = redisFormatCommandArgv(&want, argc, argv, lens);
    long glen = resp_format_argv(&got, argc, argv, lens);
    assert_true(wlen > 0);
    assert_int_equal(glen, wlen);
    assert_memory_equal(got, want, (size_t)wlen);
    assert_int_equal(got[glen], '\0');
    redisFreeCommand(want);
    berth_free(got);
}

static void test_small_vectors(void **state)
{
    (void)state;
    const char *argv[] = {"EVALSHA", "", "0", "{t}:", "a\0b\r\n"};
    size_t lens[] = {7, 0, 1, 4, 5};
    for (int n = 0; n <= 5; n++)
        same_as_hiredis(n, argv, lens);
}

static void test_length_boundaries(void **state)
{
    (void)state;
    static char big[100001];
    memset(big, 'x', sizeof big);
    const size_t sizes[] = {9, 10, 99, 100, 999, 1000, 9999, 10000, 99999, 100000, 100001};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        const char *argv[] = {"SET", "k", big};
        size_t lens[] = {3, 1, sizes[i]};
        same_as_hiredis(3, argv, lens);
    }
    /* argument counts across digit boundaries too */
    enum { N = 1001 };
    const char **argv = calloc(N, sizeof *argv);
    size_t *lens = calloc(N, sizeof *lens);
    for (int i = 0; i < N; i++)
        argv[i] = big, lens[i] = (size_t)i % 13;
    const int counts[] = {9, 10, 99, 100, 999, 1000, 1001};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        same_as_hiredis(counts[i], argv, lens);
    free(argv);
    free(lens);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_vectors),
        cmocka_unit_test(test_length_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
