/* Chaos: the embedded Redis (AOF on) goes away mid-drain. One real berthd runs its own
 * redis-server; CHAOS jobs are launched over HTTP all along; the test stops the
 * redis-server with SIGTERM several times (berthd's supervisor starts it again from its
 * AOF), and in a second run kills it with SIGKILL under appendfsync always. Afterwards
 * every job that was answered 202 is Success, none is left Pending or Running, launches
 * during the outage were refused with a 5xx (never a 202 that is then lost), and berthd
 * said it lost Redis once per outage instead of logging in a loop.
 * Sizes: BERTH_CHAOS_SCALE=full (make test-chaos) 10,000 jobs and 6 outages per run; the
 * default (CI) 2,000 jobs and 3 outages. Prints: jobs, outages, refused launches, log
 * lines, lost 0. */
#include "test.h"

#include <dirent.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "cluster.h"
#include "wait.h"

typedef struct plan {
    int jobs;
    int rate;        /* launches per second */
    int outages;
} plan;

static cluster cl;
static plan pl;
static char (*ids)[40];
static atomic_int accepted, refused;
static atomic_long bad_status;  /* a launch answered below 500 while Redis was away: the
                                   launcher stops; the test asserts after joining it */

/* The redis-server child of berthd (pid), or 0. */
static pid_t embedded_pid(pid_t berthd)
{
    DIR *d = opendir("/proc");
    pid_t found = 0;
    struct dirent *de;
    while (d && !found && (de = readdir(d))) {
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(buf, sizeof buf, f)) {
            /* pid (comm) state ppid ... */
            const char *p = strrchr(buf, ')');
            int ppid = 0;
            char st;
            if (strstr(buf, "(redis-server)") && p && sscanf(p + 1, " %c %d", &st, &ppid) == 2 &&
                ppid == berthd)
                found = (pid_t)atoi(de->d_name);
        }
        fclose(f);
    }
    if (d)
        closedir(d);
    return found;
}

/* The node's supervisor runs a redis-server other than *old. */
static bool redis_replaced(void *arg)
{
    pid_t np = embedded_pid(cl.nodes[0].pid);
    return np > 0 && np != *(pid_t *)arg;
}

static void *launcher(void *arg)
{
    (void)arg;
    hc cli;
    hc_init(&cli, cl.nodes[0].port);
    long long t0 = cluster_now_ms();
    unsigned seed = 5;
    while (atomic_load(&accepted) < pl.jobs) {
        int n = atomic_load(&accepted);
        cluster_pace(t0, n, pl.rate);
        long st = cluster_launch(&cli, 5 + rand_r(&seed) % 40, NULL, ids[n], sizeof ids[n]);
        if (st == 202) {
            atomic_fetch_add(&accepted, 1);
            continue;
        }
        if (st < 500) {
            atomic_store(&bad_status, st ? st : -1);
            break;
        }
        atomic_fetch_add(&refused, 1);
        wait_sleep_ms(20);
    }
    hc_cleanup(&cli);
    return NULL;
}

typedef struct drain_wait {
    const char *sock;
    int stuck;   /* accepted jobs not Success at the last poll */
} drain_wait;

static bool all_success(void *arg)
{
    drain_wait *w = arg;
    redisContext *c = redisConnectUnix(w->sock);
    int ok = c && !c->err ? cluster_count_status(c, ids, pl.jobs, "Success") : -1;
    w->stuck = ok < 0 ? pl.jobs : pl.jobs - ok;
    if (c)
        redisFree(c);
    return w->stuck == 0;
}

/* Polls until every accepted job is Success; returns how many are not, after ms. */
static int wait_drained(const char *sock, int ms)
{
    drain_wait w = {sock, pl.jobs};
    wait_until_every(all_success, &w, ms, 250);   /* reads every job's status */
    return w.stuck;
}

/* Jobs that ran more than once (a finish Redis did not take in time is re-run: at least
 * once). The node never died, so each job's last run ended; an earlier one may not have:
 * an outage longer than the lease lets the node's own reaper requeue a running job, whose
 * start Redis then answers "lost", and that run is stopped and handed back (completer.c). */
static int reruns(void)
{
    chaos_run *runs = NULL;
    long n = cluster_trace_read(&cl, &runs);
    assert_true(n >= pl.jobs);
    int twice = 0;
    for (long k = 0; k < n; k++) {   /* sorted by job, then start */
        bool later = k + 1 < n && strcmp(runs[k].id, runs[k + 1].id) == 0;
        if (runs[k].end_ms == 0 && !later)
            fail_msg("job %s: its last run (pid %d, started %lld) never ended", runs[k].id,
                     runs[k].pid, runs[k].start_ms);
        twice += k > 0 && strcmp(runs[k].id, runs[k - 1].id) == 0;
    }
    free(runs);
    return twice;
}

static void run(const char *fsync, int sig)
{
    pl = cluster_full_scale() ? (plan){10000, 500, 6} : (plan){2000, 400, 3};
    atomic_store(&accepted, 0);
    atomic_store(&refused, 0);
    ids = calloc((size_t)pl.jobs, sizeof *ids);
    cluster_opts o = {.nodes = 1, .workers = 16, .lease_seconds = 2, .appendfsync = fsync};
    assert_int_equal(cluster_init(&cl, &o), 0);
    assert_int_equal(cluster_start(&cl, 0), 0);
    char sock[200];
    snprintf(sock, sizeof sock, "%s/redis/redis.sock", cl.nodes[0].data);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, launcher, NULL), 0);
    long long t0 = cluster_now_ms();
    int spacing = pl.jobs * 1000 / pl.rate / (pl.outages + 1);
    for (int k = 0; k < pl.outages; k++) {
        wait_sleep_ms(spacing);
        pid_t rp = embedded_pid(cl.nodes[0].pid);
        assert_true(rp > 0);
        assert_int_equal(kill(rp, sig), 0);
        /* wait for the supervisor's new redis-server before the next outage */
        assert_true(wait_until(redis_replaced, &rp, 20000));
    }
    pthread_join(th, NULL);
    if (atomic_load(&bad_status))
        fail_msg("launch answered %ld while Redis was away", atomic_load(&bad_status));
    int stuck = wait_drained(sock, cluster_full_scale() ? 300000 : 120000);
    long long drained = cluster_now_ms() - t0;
    int lost_lines = cluster_log_count(&cl, 0, "lost the connection to redis");
    int back_lines = cluster_log_count(&cl, 0, "redis is back");
    int warn_lines = cluster_log_count(&cl, 0, "[WARNING]");
    fprintf(stderr, "chaos redis %s (appendfsync %s): %d jobs accepted, %d outages, %d launches "
                    "refused during outages, drained in %lld ms; log: %d 'lost', %d 'back', "
                    "%d warning lines in all; %d jobs ran twice; lost jobs %d\n",
            sig == SIGKILL ? "kill -9" : "stop", fsync, pl.jobs, pl.outages,
            atomic_load(&refused), drained, lost_lines, back_lines, warn_lines,
            stuck ? -1 : reruns(), stuck);
    if (stuck)
        cluster_stop(&cl, 1);
    assert_int_equal(stuck, 0);
    if (lost_lines > pl.outages || back_lines > pl.outages || warn_lines > pl.outages * 3) {
        fprintf(stderr, "redis deaths the supervisor saw: %d; the warnings:\n",
                cluster_log_count(&cl, 0, "embedded redis-server exited"));
        cluster_log_print(&cl, 0, "[WARNING]");
    }
    /* said once per outage (each connection that notices says nothing more), not a loop */
    assert_in_range(lost_lines, 1, pl.outages);
    assert_in_range(back_lines, 1, pl.outages);
    assert_true(warn_lines <= pl.outages * 3);   /* lost, back, and at most one more */
    cluster_stop(&cl, 0);
    free(ids);
}

static void test_redis_stopped_mid_drain(void **state)
{
    (void)state;
    run("everysec", SIGTERM);   /* a stopped Redis writes its AOF out: nothing is lost */
}

static void test_redis_killed_mid_drain(void **state)
{
    (void)state;
    run("always", SIGKILL);     /* kill -9 loses nothing only when every write is fsynced */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redis_stopped_mid_drain),
        cmocka_unit_test(test_redis_killed_mid_drain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
