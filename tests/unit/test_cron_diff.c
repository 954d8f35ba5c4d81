/* Differential test of src/period/cron against python3-croniter.
 *
 * tests/cron/oracle.tsv (committed, made by tests/cron/croniter_oracle.py) holds random
 * robfig-valid specs, start times and croniter's answers; this test checks cron_next and
 * cron_prev against every line. croniter looks 10 years ahead and robfig only to the end
 * of year(start + 1) + 5, so a croniter answer past robfig's limit means "none" here.
 *
 * With BERTH_CRON_LIVE=1 it also runs the generator now, with seed BERTH_CRON_SEED
 * (default 2) and BERTH_CRON_COUNT specs (default 1000), through popen; that part is
 * skipped when the script cannot run (no /usr/bin/python3 or no croniter). */
#include "test.h"

#include <inttypes.h>
#include <time.h>

#include "period/cron.h"

typedef struct diff_stats {
    int lines, specs_with_none, mismatches;
    char last_spec[256];
} diff_stats;

static int year_of(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    return tm.tm_year + 1900;
}

/* "-" or a number. */
static int64_t field_time(const char *s) { return strcmp(s, "-") == 0 ? 0 : strtoll(s, NULL, 10); }

static void report(diff_stats *st, const char *what, const char *spec, int64_t start,
                   int64_t got, int64_t want)
{
    if (++st->mismatches <= 20)
        print_error("%s mismatch: \"%s\" start %" PRId64 ": got %" PRId64 ", croniter says %"
                    PRId64 "\n", what, spec, start, got, want);
}

/* One "spec \t start \t next \t prev" line. */
static void check_line(diff_stats *st, char *line)
{
    char *f[4] = {line};
    int n = 1;
    line[strcspn(line, "\n")] = '\0';
    for (char *p = line; n < 4 && (p = strchr(p, '\t')) != NULL; *p++ = '\0')
        f[n++] = p + 1;
    if (n != 4)
        fail_msg("malformed oracle line %d", st->lines + 1);
    st->lines++;
    cron_schedule s;
    char err[256];
    if (cron_parse(f[0], &s, err, sizeof err, NULL) != 0)
        fail_msg("oracle spec \"%s\" rejected: %s", f[0], err);
    int64_t start = strtoll(f[1], NULL, 10);
    int64_t want_next = field_time(f[2]), want_prev = field_time(f[3]);
    if (want_next && year_of(want_next) > year_of(start + 1) + CRON_YEARS)
        want_next = 0;
    if (want_prev && year_of(want_prev) < year_of(start) - CRON_YEARS)
        want_prev = 0;
    if (!want_next || !want_prev)
        st->specs_with_none++;
    int64_t got = cron_next(&s, start);
    if (got != want_next)
        report(st, "next", f[0], start, got, want_next);
    got = cron_prev(&s, start);
    if (got != want_prev)
        report(st, "prev", f[0], start, got, want_prev);
}

static void check_stream(diff_stats *st, FILE *in)
{
    char line[1024];
    while (fgets(line, sizeof line, in))
        if (line[0] != '#' && line[0] != '\n')
            check_line(st, line);
}

static void test_committed_oracle(void **state)
{
    (void)state;
    const char *src = getenv("BERTH_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/cron/oracle.tsv", src ? src : ".");
    FILE *in = fopen(path, "r");
    if (!in)
        fail_msg("cannot open %s (set BERTH_SOURCE_DIR to the repository root)", path);
    diff_stats st = {0};
    check_stream(&st, in);
    fclose(in);
    print_message("oracle.tsv: %d cases, %d with no fire within robfig's limit, %d mismatches\n",
                  st.lines, st.specs_with_none, st.mismatches);
    assert_true(st.lines >= 1000);
    assert_int_equal(st.mismatches, 0);
}

static void test_live_oracle(void **state)
{
    (void)state;
    const char *live = getenv("BERTH_CRON_LIVE");
    if (!live || strcmp(live, "1") != 0)
        skip();
    const char *src = getenv("BERTH_SOURCE_DIR");
    const char *seed = getenv("BERTH_CRON_SEED");
    const char *count = getenv("BERTH_CRON_COUNT");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s/tests/cron/croniter_oracle.py' --count 0 >/dev/null 2>&1",
             src ? src : ".");
    if (system(cmd) != 0) {
        print_message("croniter oracle cannot run (python3 or python3-croniter missing): skipped\n");
        skip();
    }
    snprintf(cmd, sizeof cmd, "'%s/tests/cron/croniter_oracle.py' --seed %d --count %d",
             src ? src : ".", seed ? atoi(seed) : 2, count ? atoi(count) : 1000);
    FILE *in = popen(cmd, "r");
    assert_non_null(in);
    diff_stats st = {0};
    check_stream(&st, in);
    assert_int_equal(pclose(in), 0);
    print_message("live croniter: %d cases, %d mismatches\n", st.lines, st.mismatches);
    assert_true(st.lines > 0);
    assert_int_equal(st.mismatches, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_committed_oracle),
        cmocka_unit_test(test_live_oracle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
