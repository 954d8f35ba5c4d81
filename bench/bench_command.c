/* make bench (second part): command jobs running /bin/true, drained with full status
 * tracking, against the same drain of a no-op built-in job, on a private redis-server (no
 * persistence, unix socket). Reports jobs/s for each, the wall-clock overhead per job of
 * spawning, supervising and reaping a process, and the CPU time per job (this process and
 * its reaped children). The floor is measured too: the same number of /bin/true run by
 * bare posix_spawn + waitpid on as many threads, no engine, no pipes; what a command job
 * costs above it is Berth's (pipes, process group, poll loop, status tracking). Issue 16
 * asks for >= 1,000 command jobs/s.
 * Usage: bench_command [jobs] [workers]   (defaults 20000, 8) */
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "exec/command.h"
#include "redis_fixture.h"

static atomic_long finished, failed;

static int noop(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx, (void)params, (void)ud;
    return 0;
}

static void on_event(const berth_status_event *ev, void *ud)
{
    (void)ud;
    if (ev->status && strcmp(ev->status, "Success") == 0)
        atomic_fetch_add(&finished, 1);
    else if (ev->status && strcmp(ev->status, "Error") == 0)
        atomic_fetch_add(&failed, 1);
}

static long long mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* CPU seconds of this process and its reaped children. */
static double cpu_s(void)
{
    struct rusage a, b;
    getrusage(RUSAGE_SELF, &a);
    getrusage(RUSAGE_CHILDREN, &b);
    double s = 0;
    for (int i = 0; i < 2; i++) {
        const struct rusage *r = i ? &b : &a;
        s += (double)r->ru_utime.tv_sec + r->ru_utime.tv_usec / 1e6 +
             (double)r->ru_stime.tv_sec + r->ru_stime.tv_usec / 1e6;
    }
    return s;
}

typedef struct drain_result {
    double rate;       /* jobs/s */
    double cpu_us;     /* CPU microseconds per job */
} drain_result;

extern char **environ;

static void *spawn_loop(void *arg)
{
    long n = *(long *)arg;
    char *av[] = {"/bin/true", NULL};
    for (long i = 0; i < n; i++) {
        pid_t pid;
        if (posix_spawn(&pid, av[0], NULL, NULL, av, environ) == 0)
            waitpid(pid, NULL, 0);
    }
    return NULL;
}

/* The floor: n bare spawns of /bin/true on `threads` threads. */
static drain_result bare_spawns(long n, unsigned threads)
{
    pthread_t t[64];
    long each = n / threads;
    threads = threads > 64 ? 64 : threads;
    double c0 = cpu_s();
    long long t0 = mono_us();
    for (unsigned i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, spawn_loop, &each);
    for (unsigned i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double secs = (double)(mono_us() - t0) / 1e6;
    long done = each * (long)threads;
    return (drain_result){.rate = (double)done / secs,
                          .cpu_us = (cpu_s() - c0) * 1e6 / (double)done};
}

/* Enqueues n jobs of name (paused engine not needed: batches are faster than the drain),
 * then waits until n more have ended. */
static drain_result drain(berth_engine *e, const char *name, long n)
{
    berth_launch batch[256];
    for (int i = 0; i < 256; i++)
        batch[i] = (berth_launch){.name = name, .params_json = "{\"k\":1}"};
    long base = atomic_load(&finished) + atomic_load(&failed);
    double c0 = cpu_s();
    long long t0 = mono_us();
    for (long done = 0; done < n; done += 256)
        berth_engine_launch_batch(e, batch, (size_t)(n - done < 256 ? n - done : 256), NULL,
                                  NULL);
    while (atomic_load(&finished) + atomic_load(&failed) < base + n &&
           mono_us() - t0 < 600 * 1000000LL) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    double secs = (double)(mono_us() - t0) / 1e6;
    return (drain_result){.rate = (double)n / secs, .cpu_us = (cpu_s() - c0) * 1e6 / (double)n};
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    unsigned workers = argc > 2 ? (unsigned)atoi(argv[2]) : 8;
    redis_fixture rf;
    const char *args[] = {"--appendonly", "no", NULL};
    if (redis_fixture_start(&rf, args) != 0)
        return 1;
    berth_engine_config c = engine_fixture_config(&rf);
    c.workers = workers;
    c.lease_ms = 30000;
    c.fetch_batch = 256;
    c.on_event = on_event;
    berth_engine *e = NULL;
    exec_job *cmd = NULL;
    char err[256];
    char *argv_true[] = {"/bin/true", NULL};
    exec_command def = {.name = "TRUE", .argv = argv_true, .max_fails = 1};
    if (berth_engine_new(&c, &e, err, sizeof err) != 0 ||
        berth_engine_register(e, &(berth_job_type){.name = "NOOP", .run = noop}) != 0 ||
        exec_job_new(e, &def, &cmd, err, sizeof err) != 0 || berth_engine_start(e) != 0) {
        fprintf(stderr, "bench_command: cannot start: %s\n", err);
        return 1;
    }
    drain(e, "NOOP", n / 10 > 0 ? n / 10 : 1);          /* warm up connections and caches */
    drain_result builtin = drain(e, "NOOP", n);
    drain_result command = drain(e, "TRUE", n);
    drain_result floor = bare_spawns(n, workers);
    long bad = atomic_load(&failed);
    berth_engine_free(e);
    exec_job_free(cmd);
    redis_fixture_stop(&rf);

    printf("jobs per drain                  %ld (workers %u)\n", n, workers);
    printf("no-op built-in job, drain       %.0f jobs/s (%.1f us CPU per job)\n", builtin.rate,
           builtin.cpu_us);
    printf("command job /bin/true, drain    %.0f jobs/s (%.1f us CPU per job, berthd side "
           "and the child)\n", command.rate, command.cpu_us);
    printf("floor: bare posix_spawn+waitpid %.0f spawns/s (%.1f us CPU per spawn, %u threads)\n",
           floor.rate, floor.cpu_us, workers);
    printf("command job over the no-op job  %.3f ms wall per job, %.1f us CPU per job\n",
           1000.0 / command.rate - 1000.0 / builtin.rate, command.cpu_us - builtin.cpu_us);
    printf("command job over the floor      %.3f ms wall per job, %.1f us CPU per job\n",
           1000.0 / command.rate - 1000.0 / floor.rate, command.cpu_us - floor.cpu_us);
    printf("failed runs                     %ld\n", bad);
    return bad == 0 ? 0 : 1;
}
