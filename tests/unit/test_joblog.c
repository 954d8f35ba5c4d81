/* Unit tests for src/joblog without Redis: line format, FILE runs (separator per revision,
 * retries appended, mode 0600), level filtering, the per-run cap, unsafe ids, an unwritable
 * base_dir and a full disk (RLIMIT_FSIZE), getters and their id checks, follow cursors, and
 * the FILE sweeper (only old job logs, never other files). */
#include "test.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "berth/error.h"
#include "joblog/joblog.h"
#include "util/alloc.h"
#include "wait.h"

#define ID1 "0123456789abcdef01234567"
#define ID2 "89abcdef0123456789abcdef"

static char dir[64];
static char logged[4096];       /* the set's own error lines */

static void capture(berth_log_level lvl, const char *file, int line, const char *msg, void *ud)
{
    (void)lvl, (void)file, (void)line, (void)ud;
    size_t n = strlen(logged);
    snprintf(logged + n, sizeof logged - n, "%s\n", msg);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/berth-joblog-XXXXXX");
    logged[0] = '\0';
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static joblog_set *file_set(const char *base, size_t run_max, berth_log_level level, int days)
{
    joblog_backend_cfg b = {.kind = JOBLOG_FILE, .level = level, .base_dir = base,
                            .sweep_days = days};
    joblog_config c = {.backends = &b, .nbackends = 1, .run_max_bytes = run_max,
                       .log = {capture, NULL, BERTH_LOG_DEBUG}};
    joblog_set *s = NULL;
    char err[128];
    assert_int_equal(joblog_set_new(&c, &s, err, sizeof err), 0);
    return s;
}

static bool swept(void *arg)
{
    return joblog_sweep_passes(arg) > 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *p = calloc(1, 1 << 20);
    *len = fread(p, 1, (1 << 20) - 1, f);
    fclose(f);
    return p;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void test_format(void **state)
{
    (void)state;
    char out[128];
    size_t n = joblog_format(out, sizeof out, 1704164645, BERTH_LOG_INFO, "job.go", 61,
                             "Sample job starting");
    assert_string_equal(out, "2024-01-02T03:04:05Z [INFO] [job.go:61]: Sample job starting\n");
    assert_int_equal(n, strlen(out));
    joblog_format(out, sizeof out, 0, BERTH_LOG_WARNING, "f.c", 1, "ends\n");
    assert_string_equal(out, "1970-01-01T00:00:00Z [WARNING] [f.c:1]: ends\n");
    n = joblog_format(out, 20, 0, BERTH_LOG_FATAL, "f.c", 1, "a long message that is cut");
    assert_int_equal(n, 19);
    assert_int_equal(out[18], '\n');
}

static void test_file_retries_append(void **state)
{
    (void)state;
    joblog_set *s = file_set(dir, 0, BERTH_LOG_DEBUG, 0);
    assert_true(joblog_set_has_getter(s));
    joblog_run *r = joblog_run_open(s, ID1, 100, "pool1");
    joblog_run_write(r, BERTH_LOG_INFO, "a.c", 1, "first attempt");
    joblog_run_close(r, false);
    r = joblog_run_open(s, ID1, 101, "pool2");
    joblog_run_write(r, BERTH_LOG_ERROR, "a.c", 2, "second attempt");
    joblog_run_close(r, true);
    char path[128];
    snprintf(path, sizeof path, "%s/" ID1 ".log", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    size_t len = 0;
    char *text = slurp(path, &len);
    const char *a = strstr(text, "---- run of revision 100 on pool1 ----\n");
    const char *b = strstr(text, "[INFO] [a.c:1]: first attempt\n");
    const char *c = strstr(text, "---- run of revision 101 on pool2 ----\n");
    const char *d = strstr(text, "[ERROR] [a.c:2]: second attempt\n");
    assert_true(a && b && c && d && a < b && b < c && c < d);
    free(text);
    joblog_set_free(s);
    joblog_set_free(NULL);
    joblog_run_close(NULL, true);
    joblog_follow_close(NULL);
}

/* A run that writes nothing opens nothing: no file, nothing left to wait for. */
static void test_quiet_run_opens_nothing(void **state)
{
    (void)state;
    joblog_set *s = file_set(dir, 0, BERTH_LOG_DEBUG, 0);
    char path[128];
    snprintf(path, sizeof path, "%s/" ID1 ".log", dir);
    assert_null(joblog_run_end(joblog_run_open(s, ID1, 1, "p"), true));
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);
    joblog_run *r = joblog_run_open(s, ID1, 2, "p");
    joblog_run_write(r, BERTH_LOG_INFO, "a.c", 1, "one line");
    assert_int_equal(stat(path, &st), 0);              /* the first line opened it */
    assert_null(joblog_run_end(r, true));              /* FILE only: nothing unsent */
    size_t len = 0;
    char *text = slurp(path, &len);
    assert_non_null(strstr(text, "---- run of revision 2 on p ----\n"));
    assert_null(strstr(text, "revision 1"));
    free(text);
    assert_true(joblog_run_wait(NULL, 0));
    joblog_run_free(NULL);
    joblog_set_free(s);
}

static void test_levels_and_cap(void **state)
{
    (void)state;
    joblog_set *s = file_set(dir, 2000, BERTH_LOG_INFO, 0);
    joblog_run *r = joblog_run_open(s, ID2, 1, "p");
    joblog_run_write(r, BERTH_LOG_DEBUG, "a.c", 1, "hidden debug");
    for (int i = 0; i < 200; i++)
        joblog_run_write(r, BERTH_LOG_INFO, "a.c", 2, "line of some length to fill the cap");
    assert_true(joblog_run_dropped(r) > 100);
    joblog_run_close(r, true);
    char path[128];
    snprintf(path, sizeof path, "%s/" ID2 ".log", dir);
    size_t len = 0;
    char *text = slurp(path, &len);
    assert_null(strstr(text, "hidden debug"));
    assert_int_equal(count(text, "reached its cap of 2000 bytes"), 1);
    assert_true(len < 2000 + 300);           /* cap + separator + one notice */
    assert_non_null(strstr(text + len - 200, "later lines are dropped\n"));
    free(text);
    joblog_set_free(s);
}

static void test_unsafe_id_and_bad_dir(void **state)
{
    (void)state;
    joblog_set *s = file_set(dir, 0, BERTH_LOG_DEBUG, 0);
    joblog_run *r = joblog_run_open(s, "../../etc/passwd", 1, "p");
    joblog_run_write(r, BERTH_LOG_INFO, "a.c", 1, "nowhere");
    joblog_run_close(r, true);
    assert_non_null(strstr(logged, "not a safe log file name"));
    joblog_set_free(s);
    /* a base_dir that cannot exist (under a regular file): clear errors, the run goes on */
    char file[128], bad[160];
    snprintf(file, sizeof file, "%s/plain", dir);
    FILE *f = fopen(file, "w");
    fclose(f);
    snprintf(bad, sizeof bad, "%s/logs", file);
    logged[0] = '\0';
    s = file_set(bad, 0, BERTH_LOG_DEBUG, 0);
    assert_non_null(strstr(logged, "is not writable"));
    r = joblog_run_open(s, ID1, 1, "p");
    joblog_run_write(r, BERTH_LOG_INFO, "a.c", 1, "still running");
    joblog_run_close(r, true);
    assert_non_null(strstr(logged, "cannot open job log"));
    assert_non_null(strstr(logged, "Not a directory"));
    joblog_set_free(s);
}

static void test_full_disk(void **state)
{
    (void)state;
    joblog_set *s = file_set(dir, 0, BERTH_LOG_DEBUG, 0);
    struct rlimit old, lim = {4096, 4096};
    signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &old);
    lim.rlim_max = old.rlim_max;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    logged[0] = '\0';
    joblog_run *r = joblog_run_open(s, ID2, 7, "p");
    for (int i = 0; i < 200; i++)
        joblog_run_write(r, BERTH_LOG_INFO, "a.c", 1, "filling the disk up with this line");
    joblog_run_close(r, true);
    setrlimit(RLIMIT_FSIZE, &old);
    assert_int_equal(count(logged, "File too large"), 1);   /* reported once */
    assert_non_null(strstr(logged, "the job keeps running"));
    joblog_set_free(s);
}

static void test_get_and_ids(void **state)
{
    (void)state;
    assert_null(joblog_bad_id(ID1));
    assert_null(joblog_bad_id(ID1 "@1700000000"));
    assert_null(joblog_bad_id("0123456789ABCDEF01234567"));
    assert_string_equal(joblog_bad_id("abc"), "invalid length of log identify");
    assert_string_equal(joblog_bad_id("zzzzzzzzzzzzzzzzzzzzzzzz"), "invalid log identify");
    assert_true(joblog_id_safe(ID1 "@17"));
    assert_false(joblog_id_safe(ID1 "@x"));
    assert_false(joblog_id_safe("0123456789ABCDEF01234567"));
    joblog_set *s = file_set(dir, 0, BERTH_LOG_DEBUG, 0);
    joblog_data d;
    char err[128];
    assert_int_equal(joblog_get(s, ID1, 0, &d, err, sizeof err), BERTH_ENOTFOUND);
    joblog_run *r = joblog_run_open(s, ID1, 1, "p");
    joblog_run_write(r, BERTH_LOG_INFO, "a.c", 1, "0123456789");
    joblog_run_close(r, true);
    assert_int_equal(joblog_get(s, ID1, 11, &d, err, sizeof err), 0);
    assert_true(d.fd >= 0);
    char got[32] = "";
    assert_int_equal(pread(d.fd, got, d.len, (off_t)d.off), 11);
    assert_string_equal(got, "0123456789\n");
    close(d.fd);
    joblog_set_free(s);
    assert_int_equal(joblog_get(NULL, ID1, 0, &d, err, sizeof err), BERTH_ESTATE);
}

static void test_follow_file(void **state)
{
    (void)state;
    joblog_set *s = file_set(dir, 0, BERTH_LOG_DEBUG, 0);
    joblog_cursor *c = NULL;
    assert_int_equal(joblog_follow_open(s, ID2, 0, &c), 0);   /* no log yet: waits */
    char got[4096];
    assert_int_equal(joblog_follow_read(c, got, sizeof got), 0);
    joblog_run *r = joblog_run_open(s, ID2, 3, "p");
    joblog_run_write(r, BERTH_LOG_INFO, "a.c", 1, "one");
    ssize_t n = joblog_follow_read(c, got, sizeof got);
    assert_true(n > 0);
    got[n] = '\0';
    assert_non_null(strstr(got, "---- run of revision 3"));
    assert_non_null(strstr(got, "]: one\n"));
    assert_int_equal(joblog_follow_read(c, got, sizeof got), 0);
    joblog_run_write(r, BERTH_LOG_INFO, "a.c", 1, "two");
    n = joblog_follow_read(c, got, sizeof got);
    got[n > 0 ? n : 0] = '\0';
    assert_non_null(strstr(got, "]: two\n"));
    assert_null(strstr(got, "]: one\n"));
    joblog_run_close(r, true);
    joblog_follow_close(c);
    /* a tail: the cursor starts tail bytes before the end */
    assert_int_equal(joblog_follow_open(s, ID2, 4, &c), 0);
    n = joblog_follow_read(c, got, sizeof got);
    assert_int_equal(n, 4);
    assert_memory_equal(got, "two\n", 4);
    joblog_follow_close(c);
    joblog_set_free(s);
}

static void touch_old(const char *name, int days_old, bool as_dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (as_dir)
        assert_int_equal(mkdir(path, 0700), 0);
    else {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("x\n", f);
        fclose(f);
    }
    struct timeval tv[2] = {{time(NULL) - days_old * 86400L, 0}, {time(NULL) - days_old * 86400L, 0}};
    assert_int_equal(utimes(path, tv), 0);
}

static bool exists(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return lstat(path, &st) == 0;
}

static void test_sweeper(void **state)
{
    (void)state;
    touch_old(ID1 ".log", 10, false);                     /* old job log: deleted */
    touch_old(ID1 "@1700000000.log", 10, false);          /* old execution log: deleted */
    touch_old(ID2 ".log", 1, false);                      /* recent: kept */
    touch_old("berthd.log", 30, false);                   /* not a job log: kept */
    touch_old("notes.txt", 30, false);
    touch_old("0123456789ABCDEF01234567.log", 30, false); /* not our id form: kept */
    touch_old("89abcdef0123456789abcdee.log", 30, true);  /* a directory: kept */
    char target[256], link[256];
    snprintf(target, sizeof target, "%s/notes.txt", dir);
    snprintf(link, sizeof link, "%s/89abcdef0123456789abcded.log", dir);
    assert_int_equal(symlink(target, link), 0);           /* a symlink: kept */
    joblog_set *s = file_set(dir, 0, BERTH_LOG_DEBUG, 7);
    joblog_set_start(s);                                  /* sweeps once at start */
    assert_true(wait_until(swept, s, 2000));
    assert_int_equal(joblog_sweep_passes(s), 1);
    assert_false(exists(ID1 ".log"));
    assert_false(exists(ID1 "@1700000000.log"));
    assert_true(exists(ID2 ".log"));
    assert_true(exists("berthd.log"));
    assert_true(exists("notes.txt"));
    assert_true(exists("0123456789ABCDEF01234567.log"));
    assert_true(exists("89abcdef0123456789abcdee.log"));
    assert_true(exists("89abcdef0123456789abcded.log"));
    assert_int_equal(joblog_sweep_now(s, time(NULL) + 7 * 86400), 1);  /* ID2 ages out */
    assert_false(exists(ID2 ".log"));
    joblog_set_free(s);                                   /* stops the timer thread */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test_setup_teardown(test_file_retries_append, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quiet_run_opens_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_levels_and_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsafe_id_and_bad_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_and_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweeper, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
