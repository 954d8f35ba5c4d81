/* Unit tests for src/util: capped buffer, allocation hooks, log levels, error strings. */
#include "test.h"

#include <limits.h>

#include "berth/error.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"

static void test_buf_cap(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 8);
    assert_int_equal(buf_puts(&b, "abcd"), 0);
    assert_int_equal(buf_printf(&b, "%d", 123), 0);
    assert_string_equal(b.p, "abcd123");
    assert_int_equal(buf_puts(&b, "xy"), BERTH_ETOOBIG);
    assert_string_equal(b.p, "abcd123"); /* unchanged after a refused append */
    assert_int_equal(buf_printf(&b, "%s", "zz"), BERTH_ETOOBIG);
    assert_int_equal(buf_puts(&b, "x"), 0);
    assert_int_equal(b.len, 8);
    char *s = buf_release(&b);
    assert_string_equal(s, "abcd123x");
    assert_int_equal(b.len, 0);
    assert_int_equal(b.max, 8);
    berth_free(s);
    buf_free(&b);
    buf_free(&b); /* double free of an empty buf is a no-op */
}

/* buf_reserve makes the room at once (appends within it move nothing) and never past the
 * cap: a capped buffer still refuses what passes its cap. */
static void test_buf_reserve(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_puts(&b, "ab"), 0);
    assert_int_equal(buf_reserve(&b, 300), 0);
    assert_true(b.cap >= 303);
    char *at = b.p;
    for (int i = 0; i < 300; i++)
        assert_int_equal(buf_puts(&b, "x"), 0);
    assert_ptr_equal(b.p, at);
    assert_int_equal(b.len, 302);
    buf_free(&b);
    buf_init(&b, 10);
    assert_int_equal(buf_puts(&b, "abc"), 0);
    assert_int_equal(buf_reserve(&b, 1000), 0);
    assert_true(b.cap >= 11 && b.cap < 1000);
    assert_int_equal(buf_puts(&b, "defghij"), 0);
    assert_int_equal(buf_puts(&b, "k"), BERTH_ETOOBIG);
    assert_string_equal(b.p, "abcdefghij");
    buf_free(&b);
}

/* buf_puti writes what printf's %lld writes, at the edges of long long too. */
static void test_buf_puti(void **state)
{
    (void)state;
    const long long vs[] = {0, 7, -1, 10, -10, 1234567890123LL, LLONG_MAX, LLONG_MIN};
    buf b, want;
    buf_init(&b, 0);
    buf_init(&want, 0);
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
        assert_int_equal(buf_puti(&b, vs[i]), 0);
        assert_int_equal(buf_puts(&b, ","), 0);
        assert_int_equal(buf_printf(&want, "%lld,", vs[i]), 0);
    }
    assert_string_equal(b.p, want.p);
    buf_free(&b);
    buf_free(&want);
    buf_init(&b, 3);   /* the cap holds: nothing of a number that does not fit */
    assert_int_equal(buf_puti(&b, 12), 0);
    assert_int_equal(buf_puti(&b, 345), BERTH_ETOOBIG);
    assert_string_equal(b.p, "12");
    buf_free(&b);
}

static void test_buf_grows(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(buf_printf(&b, "%03d", i % 1000), 0);
    assert_int_equal(b.len, 3000);
    assert_memory_equal(b.p + 2997, "999", 3);
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.p, "");
    buf_free(&b);
}

static int counted;
static void *count_malloc(size_t n) { counted++; return malloc(n); }
static void *count_realloc(void *p, size_t n) { counted++; return realloc(p, n); }

static void test_alloc_hooks(void **state)
{
    (void)state;
    berth_alloc_hooks h = {count_malloc, count_realloc, free};
    berth_alloc_set_hooks(&h);
    counted = 0;
    char *s = berth_strdup("hello");
    char *t = berth_strndup("hello", 3);
    berth_alloc_set_hooks(NULL);
    assert_int_equal(counted, 2);
    assert_string_equal(s, "hello");
    assert_string_equal(t, "hel");
    assert_null(berth_strdup(NULL));
    berth_free(s);
    berth_free(t);
    berth_free(NULL);
    int *z = berth_calloc(4, sizeof(int));
    assert_int_equal(z[0] | z[1] | z[2] | z[3], 0);
    berth_free(z);
}

static int lines;
static char last[256];
static void sink(berth_log_level l, const char *f, int ln, const char *m, void *ud)
{
    (void)l; (void)f; (void)ln; (void)ud;
    lines++;
    snprintf(last, sizeof last, "%s", m);
}

static void test_log(void **state)
{
    (void)state;
    berth_logger lg = {sink, NULL, BERTH_LOG_INFO};
    lines = 0;
    BLOG_DEBUG(&lg, "hidden %d", 1);
    BLOG_WARN(&lg, "shown %d", 2);
    assert_int_equal(lines, 1);
    assert_string_equal(last, "shown 2");
    BLOG_INFO(NULL, "no logger"); /* must not crash */
    berth_log_level lv;
    assert_int_equal(berth_log_level_parse("warning", &lv), 0);
    assert_int_equal(lv, BERTH_LOG_WARNING);
    assert_int_equal(berth_log_level_parse("LOUD", &lv), BERTH_EINVAL);
    assert_string_equal(berth_log_level_name(BERTH_LOG_FATAL), "FATAL");
    assert_string_equal(berth_strerror(BERTH_EDUP), "duplicate unique job");
    assert_string_equal(berth_strerror(12345), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_buf_reserve),
        cmocka_unit_test(test_buf_puti),
        cmocka_unit_test(test_buf_grows),
        cmocka_unit_test(test_alloc_hooks),
        cmocka_unit_test(test_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
