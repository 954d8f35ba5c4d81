/* Launches from event loops: berth_launcher (the loop's own batch and connection) against
 * berth_engine_launch_async (the coalescer's sender thread, and an eventfd back to the
 * loop), under the same load, on a private redis-server (no persistence, unix socket).
 *
 * Each of T loop threads (default 2, berthd's loop threads) stands for C/T keep-alive
 * connections (default C = 32, `make bench`'s wrk): a connection has one launch
 * outstanding and adds the next in the loop turn after its answer, as an HTTP client
 * does. The loop polls the launcher's socket and an eventfd (answers given on another
 * thread land there, as http_defer_ready's do) and flushes once per turn. Printed per
 * way: launches/s, this process's CPU and redis-server's CPU per launch, and, paced at
 * 200 launches/s on one connection, the launch-to-answer latency p50 / p99 / max.
 * Usage: launcher_bench [seconds] [connections] [threads]   (defaults 5, 32, 2) */
#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "berth/berth.h"
#include "berth/launcher.h"
#include "engine_fixture.h"
#include "redis_fixture.h"

typedef struct loop loop;

typedef struct conn {
    loop *lp;
    long long t0_us;          /* when its launch was added */
} conn;

struct loop {
    berth_engine *e;
    bool use_launcher;
    bool paced;                /* the paced run launches by its schedule, not on answers */
    int nconn;
    conn *conns;
    pthread_t self;
    int efd;                   /* answers from other threads */
    int lfd;                   /* the launcher's socket, -1 none */
    unsigned levents;
    pthread_mutex_t mu;        /* guards ready (answers from other threads) */
    int *ready;                /* connections whose answer came: their next launch is due */
    int nready;
    long long done, failed;    /* answers (under mu) */
    long long *lat_us;         /* paced run: latencies */
    long nlat, maxlat;
};

static atomic_bool stop_all;

static long long mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_watch(int old_fd, int fd, unsigned events, void *ud)
{
    (void)old_fd;
    loop *lp = ud;
    lp->lfd = fd;
    lp->levents = events;
}

static void on_done(int rc, berth_stats *s, const char *err, void *ud)
{
    (void)err;
    conn *c = ud;
    loop *lp = c->lp;
    berth_stats_free(s);
    long long lat = mono_us() - c->t0_us;
    pthread_mutex_lock(&lp->mu);
    lp->done++;
    lp->failed += rc != 0;
    if (lp->lat_us && lp->nlat < lp->maxlat)
        lp->lat_us[lp->nlat++] = lat;
    lp->ready[lp->nready++] = (int)(c - lp->conns);
    pthread_mutex_unlock(&lp->mu);
    if (!pthread_equal(pthread_self(), lp->self)) {
        uint64_t one = 1;
        (void)!write(lp->efd, &one, sizeof one);   /* wake the loop, as http_defer_ready */
    }
}

static void launch(loop *lp, berth_launcher *lr, int i)
{
    static const berth_launch l = {.name = "NOOP", .params_json = "{\"k\":1}"};
    lp->conns[i].t0_us = mono_us();
    if (lr)
        berth_launcher_add(lr, &l, on_done, &lp->conns[i]);
    else
        berth_engine_launch_async(lp->e, &l, on_done, &lp->conns[i]);
}

/* One loop turn: wait for the launcher's socket or the eventfd, then io, the launches
 * that are due, and the flush. */
static void turn(loop *lp, berth_launcher *lr, int wait_ms)
{
    struct pollfd p[2] = {{.fd = lp->efd, .events = POLLIN},
                          {.fd = lp->lfd, .events = (short)lp->levents}};
    int t = lr ? berth_launcher_timeout_ms(lr) : -1;
    t = t < 0 || t > wait_ms ? wait_ms : t;
    (void)poll(p, lp->lfd >= 0 ? 2 : 1, t);
    if (p[0].revents & POLLIN) {
        uint64_t v;
        (void)!read(lp->efd, &v, sizeof v);
    }
    if (lr)
        berth_launcher_io(lr);
    int due[1024], n;
    pthread_mutex_lock(&lp->mu);
    n = lp->nready;
    memcpy(due, lp->ready, (size_t)n * sizeof *due);
    lp->nready = 0;
    pthread_mutex_unlock(&lp->mu);
    for (int i = 0; i < n && !lp->paced && !atomic_load(&stop_all); i++)
        launch(lp, lr, due[i]);
    if (lr)
        berth_launcher_flush(lr);
}

static void *loop_main(void *arg)
{
    loop *lp = arg;
    lp->self = pthread_self();
    berth_launcher *lr = NULL;
    if (lp->use_launcher && berth_launcher_new(lp->e, on_watch, lp, &lr) != 0)
        exit(1);
    for (int i = 0; i < lp->nconn; i++)
        launch(lp, lr, i);
    if (lr)
        berth_launcher_flush(lr);
    while (!atomic_load(&stop_all))
        turn(lp, lr, 10);
    berth_launcher_free(lr);
    return NULL;
}

static double cpu_s(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void loop_init(loop *lp, berth_engine *e, bool use_launcher, int nconn)
{
    memset(lp, 0, sizeof *lp);
    lp->e = e;
    lp->use_launcher = use_launcher;
    lp->nconn = nconn;
    lp->conns = calloc((size_t)nconn, sizeof *lp->conns);
    lp->ready = calloc(1024, sizeof *lp->ready);
    for (int i = 0; i < nconn; i++)
        lp->conns[i].lp = lp;
    lp->efd = eventfd(0, EFD_NONBLOCK);
    lp->lfd = -1;
    pthread_mutex_init(&lp->mu, NULL);
}

static void loop_free(loop *lp)
{
    close(lp->efd);
    pthread_mutex_destroy(&lp->mu);
    free(lp->conns);
    free(lp->ready);
    free(lp->lat_us);
}

/* The closed-loop run: nconn connections over nthreads loops for secs. */
static void run_load(redis_fixture *rf, berth_engine *e, bool use_launcher, int secs, int nconn,
                     int nthreads)
{
    loop lps[16];
    pthread_t th[16];
    atomic_store(&stop_all, false);
    for (int i = 0; i < nthreads; i++)
        loop_init(&lps[i], e, use_launcher, nconn / nthreads + (i < nconn % nthreads));
    double cpu0 = cpu_s(RUSAGE_SELF), r0 = redis_fixture_cpu_s(rf);
    long long t0 = mono_us();
    for (int i = 0; i < nthreads; i++)
        pthread_create(&th[i], NULL, loop_main, &lps[i]);
    sleep((unsigned)secs);
    atomic_store(&stop_all, true);
    for (int i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    double wall = (double)(mono_us() - t0) / 1e6;
    double cpu = cpu_s(RUSAGE_SELF) - cpu0, rcpu = redis_fixture_cpu_s(rf) - r0;
    long long done = 0, failed = 0;
    for (int i = 0; i < nthreads; i++) {
        done += lps[i].done;
        failed += lps[i].failed;
        loop_free(&lps[i]);
    }
    printf("%-9s %d conns, %d loops: %8.0f launches/s  client %5.1f us + redis %5.1f us CPU "
           "per launch  (%lld launches, %lld failed)\n",
           use_launcher ? "launcher" : "async", nconn, nthreads, (double)done / wall,
           cpu * 1e6 / (double)(done ? done : 1), rcpu * 1e6 / (double)(done ? done : 1), done,
           failed);
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* One connection, one launch every 5 ms (200/s, absolute schedule), n counted. */
static void run_paced(berth_engine *e, bool use_launcher, int n)
{
    loop lp;
    loop_init(&lp, e, use_launcher, 1);
    lp.self = pthread_self();
    lp.paced = true;
    lp.lat_us = calloc((size_t)n + 10, sizeof *lp.lat_us);
    lp.maxlat = n + 10;
    berth_launcher *lr = NULL;
    if (use_launcher)
        berth_launcher_new(e, on_watch, &lp, &lr);
    long long next = mono_us();
    for (int i = 0; i < n + 10; i++) {
        while (mono_us() < next)
            turn(&lp, lr, (int)((next - mono_us()) / 1000) + 1);
        pthread_mutex_lock(&lp.mu);
        long long sent = lp.done;   /* before: an answer on the sender may come at once */
        pthread_mutex_unlock(&lp.mu);
        launch(&lp, lr, 0);
        if (lr)
            berth_launcher_flush(lr);
        while (1) {
            pthread_mutex_lock(&lp.mu);
            bool got = lp.done > sent;
            pthread_mutex_unlock(&lp.mu);
            if (got)
                break;
            turn(&lp, lr, 10);
        }
        next += 5000;
    }
    berth_launcher_free(lr);
    long long *l = lp.lat_us + 10;   /* the first 10 warm up */
    long m = lp.nlat - 10;
    qsort(l, (size_t)m, sizeof *l, cmp_ll);
    printf("%-9s paced 200/s, 1 conn: p50 %.3f ms  p99 %.3f ms  max %.3f ms  (%ld launches)\n",
           use_launcher ? "launcher" : "async", (double)l[m / 2] / 1000,
           (double)l[(m * 99 + 99) / 100 - 1] / 1000, (double)l[m - 1] / 1000, m);
    loop_free(&lp);
}

int main(int argc, char **argv)
{
    int secs = argc > 1 ? atoi(argv[1]) : 5;
    int nconn = argc > 2 ? atoi(argv[2]) : 32;
    int nthreads = argc > 3 ? atoi(argv[3]) : 2;
    if (secs < 1 || nconn < 1 || nconn > 1024 || nthreads < 1 || nthreads > 16) {
        fprintf(stderr, "usage: launcher_bench [seconds] [connections <= 1024] [threads <= 16]\n");
        return 2;
    }
    redis_fixture rf;
    const char *args[] = {"--save", "", "--appendonly", "no", NULL};
    if (redis_fixture_start(&rf, args) != 0)
        return 1;
    berth_engine_config cfg = engine_fixture_config(&rf);
    cfg.hooks_disabled = true;
    berth_engine *e = NULL;
    char err[256];
    berth_job_type t = {.name = "NOOP", .run = engine_fixture_noop};
    if (berth_engine_new(&cfg, &e, err, sizeof err) != 0 || berth_engine_register(e, &t) != 0) {
        fprintf(stderr, "engine: %s\n", err);
        return 1;
    }
    berth_launch warm = {.name = "NOOP"};
    berth_engine_launch(e, &warm, NULL, err, sizeof err);   /* a pooled connection, loaded */
    for (int round = 0; round < 2; round++) {
        run_load(&rf, e, false, secs, nconn, nthreads);
        run_load(&rf, e, true, secs, nconn, nthreads);
        redis_fixture_flush(&rf);
    }
    run_paced(e, false, 2000);
    run_paced(e, true, 2000);
    berth_engine_free(e);
    redis_fixture_stop(&rf);
    return 0;
}
