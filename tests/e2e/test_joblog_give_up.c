/* The REDIS job-log sink's limits (src/joblog/redis_sink.c; docs/logs.md), driven through
 * the job-log API on a real redis-server:
 *   - give-up: Redis killed while a run that ended still has lines unsent. Its wait ends
 *     once Redis has been away for the set's give_up_ms (1.5 s here; 60 s in berthd), not
 *     before; the report names the run's key and exactly the bytes of the lines it dropped,
 *     and when Redis is back the outage's total is that same count. The line flushed before
 *     the kill is in the key once (AOF, appendfsync always); a run still running through
 *     the outage keeps its lines and they arrive once Redis is back. berthd's /metrics
 *     (src/server/metrics_server.c, over HTTP, for an engine configured with the set) counts
 *     exactly those bytes and lines in berth_joblog_dropped_{bytes,lines}_total, 0 before.
 *   - a flush script stopped at a key other than the first: three runs flush together and
 *     the second key's APPEND fails (the key sits at proto-max-bulk-len: "string exceeds
 *     maximum allowed size", an error the script does not skip the way it skips WRONGTYPE).
 *     The key before it is written once; it and the keys after it are retried and written
 *     once the key is mended; every run's lines are in its key once each, in order.
 *     Nothing is lost there: the dropped counters do not move. */
#include "test.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "http_client.h"
#include "joblog/joblog.h"
#include "joblog_check.h"
#include "redis_fixture.h"
#include "server/metrics_server.h"
#include "wait.h"

#define GIVE_UP_MS 1500

static const char *const aof[] = {"--appendonly", "yes", "--appendfsync", "always", NULL};
static redis_fixture rf;
static redis_fixture ef;   /* the engine's own Redis, which stays up while rf is killed */

/* What the set said through its logger (one text, lines appended). */
static pthread_mutex_t said_mu = PTHREAD_MUTEX_INITIALIZER;
static char said_text[8192];

static void on_log(berth_log_level lvl, const char *file, int line, const char *msg, void *ud)
{
    (void)lvl, (void)file, (void)line, (void)ud;
    pthread_mutex_lock(&said_mu);
    size_t n = strlen(said_text);
    snprintf(said_text + n, sizeof said_text - n, "%s\n", msg);
    pthread_mutex_unlock(&said_mu);
}

/* A copy of the first said line holding needle, or NULL (the caller frees). */
static char *said_line(const char *needle)
{
    pthread_mutex_lock(&said_mu);
    const char *at = strstr(said_text, needle);
    while (at && at > said_text && at[-1] != '\n')
        at--;
    char *line = at ? strndup(at, strcspn(at, "\n")) : NULL;
    pthread_mutex_unlock(&said_mu);
    return line;
}

/* Prints what the set said (a failing check's context). */
static void print_said(void)
{
    pthread_mutex_lock(&said_mu);
    fprintf(stderr, "the set said:\n%s", said_text);
    pthread_mutex_unlock(&said_mu);
}

static bool said(void *needle)
{
    char *line = said_line(needle);
    free(line);
    return line != NULL;
}

static joblog_set *new_set(int give_up_ms)
{
    pthread_mutex_lock(&said_mu);
    said_text[0] = '\0';
    pthread_mutex_unlock(&said_mu);
    rtarget t = {.unix_path = rf.sock};
    joblog_backend_cfg b = {.kind = JOBLOG_REDIS, .level = BERTH_LOG_DEBUG};
    joblog_set *s = NULL;
    char err[256];
    assert_int_equal(joblog_set_new(&(joblog_config){.backends = &b, .nbackends = 1,
                                                     .redis = &t, .ns = "t",
                                                     .log = {.fn = on_log,
                                                             .min = BERTH_LOG_DEBUG},
                                                     .give_up_ms = give_up_ms},
                                    &s, err, sizeof err), 0);
    joblog_set_start(s);
    return s;
}

/* The set served as berthd serves it: an engine configured with it, its /metrics. */
typedef struct served {
    berth_engine *e;
    metrics_server *m;
} served;

static served serve(joblog_set *s)
{
    berth_engine_config c = engine_fixture_config(&ef);
    c.job_logs = s;
    served v = {engine_fixture_start(&c, NULL), NULL};
    char err[256];
    assert_int_equal(metrics_server_start(&(metrics_ctx){.engine = v.e, .path = "/metrics",
                                                         .workers = c.workers},
                                          "127.0.0.1", 0, &v.m, err, sizeof err), 0);
    return v;
}

static void unserve(served *v)
{
    metrics_server_stop(v->m);
    berth_engine_free(v->e);
}

/* The value of the sample `name ` in one scrape of v's /metrics over HTTP; -1 if absent. */
static long long scraped(const served *v, const char *name)
{
    hc cli;
    hc_init(&cli, metrics_server_port(v->m));
    hc_resp r;
    hc_do(&cli, "GET", "/metrics", NULL, NULL, 0, 0, &r);
    hc_cleanup(&cli);
    char needle[96];
    snprintf(needle, sizeof needle, "\n%s ", name);
    const char *at = r.status == 200 ? strstr(r.body, needle) : NULL;
    long long n = at ? strtoll(at + strlen(needle), NULL, 10) : -1;
    if (!at)
        fprintf(stderr, "no %s in /metrics (%ld):\n%s", name, r.status, r.body);
    hc_resp_free(&r);
    return n;
}

/* Writes "<prefix> <n>" to r; returns the line's length as the run formats it. */
static size_t line(joblog_run *r, const char *prefix, int n)
{
    char msg[64], text[256];
    snprintf(msg, sizeof msg, "%s %d", prefix, n);
    joblog_run_write(r, BERTH_LOG_INFO, "give_up.c", 1, msg);
    return joblog_format(text, sizeof text, time(NULL), BERTH_LOG_INFO, "give_up.c", 1, msg);
}

static void wait_line(const char *id, const char *prefix, int n)
{
    char needle[64];
    snprintf(needle, sizeof needle, "]: %s %d\n", prefix, n);
    assert_true(wait_until(jl_key_holds, &(jl_key_has){&rf, id, needle}, 10000));
}

static void assert_key_lines(const char *id, const char *prefix, int last)
{
    char *log = jl_key_text(&rf, id);
    jl_assert_lines(log, prefix, last);
    free(log);
}

/* The byte count said in line after `after` (e.g. "(" or ", "). */
static size_t said_bytes(const char *line, const char *after)
{
    const char *p = line ? strstr(line, after) : NULL;
    return p ? strtoull(p + strlen(after), NULL, 10) : (size_t)-1;
}

static void give_up_after_the_set_time(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    joblog_set *s = new_set(GIVE_UP_MS);
    served v = serve(s);
    assert_int_equal(scraped(&v, "berth_joblog_dropped_bytes_total"), 0);
    assert_int_equal(scraped(&v, "berth_joblog_dropped_lines_total"), 0);
    const char *ended = "aaaaaaaaaaaaaaaaaaaaaaa1", *kept = "aaaaaaaaaaaaaaaaaaaaaaa2";
    joblog_run *a = joblog_run_open(s, ended, 1, "pool"), *k = joblog_run_open(s, kept, 1, "pool");
    assert_non_null(a);
    assert_non_null(k);
    line(a, "given line", 1);
    line(k, "kept line", 1);
    wait_line(ended, "given line", 1);
    wait_line(kept, "kept line", 1);
    long long t0 = wait_now_ms();
    redis_fixture_kill(&rf);
    size_t dropped = line(a, "given line", 2) + line(a, "given line", 3);
    line(k, "kept line", 2);
    a = joblog_run_end(a, true);
    assert_non_null(a);                        /* bytes unsent: Redis is away */
    assert_false(joblog_run_wait(a, GIVE_UP_MS / 3));   /* not given up early */
    assert_true(joblog_run_wait(a, 20 * GIVE_UP_MS));
    long long waited = wait_now_ms() - t0;
    joblog_run_free(a);
    char *gave = said_line("Redis has been away for 1.5 s");
    if (!gave || waited < GIVE_UP_MS) {
        fprintf(stderr, "given up after %lld ms\n", waited);
        print_said();
    }
    assert_non_null(gave);
    assert_true(waited >= GIVE_UP_MS);
    assert_non_null(strstr(gave, ended));
    assert_int_equal(said_bytes(gave, "more), "), dropped);
    free(gave);
    assert_int_equal(scraped(&v, "berth_joblog_dropped_bytes_total"), (long long)dropped);
    assert_int_equal(scraped(&v, "berth_joblog_dropped_lines_total"), 2);
    /* Redis back: the running run's next flush succeeds and the total is said */
    assert_int_equal(redis_fixture_restart(&rf, aof), 0);
    line(k, "kept line", 3);
    assert_true(wait_until(said, "job logs reach Redis again", 10000));
    char *again = said_line("job logs reach Redis again");
    assert_int_equal(said_bytes(again, "("), dropped);
    free(again);
    joblog_run_close(k, true);
    assert_key_lines(ended, "given line", 1);  /* flushed before the kill: there, once */
    char *log = jl_key_text(&rf, ended);
    assert_null(strstr(log, "given line 2"));
    free(log);
    assert_key_lines(kept, "kept line", 3);    /* running through the outage: all of it */
    assert_int_equal(scraped(&v, "berth_joblog_dropped_bytes_total"), (long long)dropped);
    unserve(&v);
    joblog_set_free(s);
}

static void script_stopped_at_second_key(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    joblog_set *s = new_set(0);
    served v = serve(s);
    /* opened in this order, they are flushed newest first: c, b, a (b is the second key) */
    const char *ids[3] = {"bbbbbbbbbbbbbbbbbbbbbbb1", "bbbbbbbbbbbbbbbbbbbbbbb2",
                          "bbbbbbbbbbbbbbbbbbbbbbb3"};
    joblog_run *r[3];
    for (int i = 0; i < 3; i++) {
        r[i] = joblog_run_open(s, ids[i], 1, "pool");
        assert_non_null(r[i]);
        line(r[i], "stop line", 1);
    }
    for (int i = 0; i < 3; i++)
        wait_line(ids[i], "stop line", 1);
    /* b's key filled to the largest string Redis takes: its next APPEND fails */
    char *b_text = jl_key_text(&rf, ids[1]);
    size_t cap = 1 << 20, fill = cap - strlen(b_text);
    char *filler = malloc(fill + 1);
    assert_non_null(filler);
    memset(filler, 'x', fill);
    filler[fill] = '\0';
    redis_fixture_ok(&rf, "CONFIG SET proto-max-bulk-len %d", (int)cap);   /* no %zu in hiredis */
    redis_fixture_ok(&rf, "APPEND {t}:berth:joblog:%s %s", ids[1], filler);
    free(filler);
    for (int i = 3; i-- > 0;)   /* c, b, a: however a flush splits them, a waits behind b */
        line(r[i], "stop line", 2);
    assert_true(wait_until(said, "string exceeds maximum allowed size", 10000));
    wait_line(ids[2], "stop line", 2);         /* the key before b: written */
    char *a_log = jl_key_text(&rf, ids[0]);
    if (strstr(a_log, "stop line 2")) {
        fprintf(stderr, "a's line 2 was written while b's key refused\n");
        print_said();
    }
    assert_null(strstr(a_log, "stop line 2"));  /* after b: retried, not written */
    free(a_log);
    /* b's key mended: the retries write b and a */
    redis_fixture_ok(&rf, "SET {t}:berth:joblog:%s %s", ids[1], b_text);
    redis_fixture_ok(&rf, "CONFIG SET proto-max-bulk-len %d", 512 << 20);
    free(b_text);
    assert_true(wait_until(said, "job logs reach Redis again", 10000));
    for (int i = 0; i < 3; i++) {
        line(r[i], "stop line", 3);
        joblog_run_close(r[i], true);
        assert_key_lines(ids[i], "stop line", 3);   /* once each, in order */
    }
    assert_int_equal(scraped(&v, "berth_joblog_dropped_bytes_total"), 0);   /* all retried */
    assert_int_equal(scraped(&v, "berth_joblog_dropped_lines_total"), 0);
    unserve(&v);
    joblog_set_free(s);
}

int main(void)
{
    /* a write to the killed Redis must not end the test: berth_engine_new ignores SIGPIPE
     * for its host (engine/setup.c), and a job-log set always runs beside an engine */
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(give_up_after_the_set_time),
        cmocka_unit_test(script_stopped_at_second_key),
    };
    int rc = redis_fixture_start(&rf, aof) == 0 && redis_fixture_start(&ef, NULL) == 0
                 ? cmocka_run_group_tests(tests, NULL, NULL)
                 : 1;
    redis_fixture_stop(&ef);
    redis_fixture_stop(&rf);
    return rc;
}
