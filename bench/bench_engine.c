/* make bench: enqueue and drain no-op jobs with the engine against a private
 * redis-server (no persistence, unix socket), and report what issue 3 asks for:
 * enqueue rates, drain rate with full status tracking, enqueue→start latency at 500 and
 * 5,000 jobs/s (paced as the peer harness's W3), script calls per job, Redis bytes per
 * queued job and process RSS.
 * Usage: bench_engine [jobs] [workers] [fetch batch]   (defaults 200000, 4, 256; 0 → the
 * engine's default) */
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "hook_receiver.h"
#include "joblog/joblog.h"
#include "redis_fixture.h"

static atomic_long finished;
static long long *lat_us;
static atomic_long nlat;

static long long real_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* BENCH_JOB_US (sweep only): each job waits that long, as one waiting on I/O would. */
static long job_wait_us;

static int noop(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx;
    (void)ud;
    if (job_wait_us > 0) {
        struct timespec ts = {job_wait_us / 1000000, (job_wait_us % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    const char *p = params ? strstr(params, "\"t0\":") : NULL;
    if (p) {
        long i = atomic_fetch_add(&nlat, 1);
        lat_us[i] = real_us() - atoll(p + 5);
    }
    return 0;
}

static void on_event(const berth_status_event *ev, void *ud)
{
    (void)ud;
    if (ev->status && strcmp(ev->status, "Success") == 0)
        atomic_fetch_add(&finished, 1);
}

static long long info_field(redis_fixture *rf, const char *section, const char *field)
{
    redisContext *c = redisConnectUnix(rf->sock);
    redisReply *r = redisCommand(c, "INFO %s", section);
    long long v = 0;
    char *p = r && r->str ? strstr(r->str, field) : NULL;
    if (p)
        v = atoll(p + strlen(field));
    freeReplyObject(r);
    redisFree(c);
    return v;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = atol(line + 6);
    if (f)
        fclose(f);
    return kib;
}

/* An engine on c with the NOOP job registered (exits on failure). */
static berth_engine *new_engine(const berth_engine_config *c)
{
    berth_engine *e = NULL;
    char err[256];
    if (berth_engine_new(c, &e, err, sizeof err) != 0) {
        fprintf(stderr, "engine: %s\n", err);
        exit(1);
    }
    berth_job_type t = {.name = "NOOP", .run = noop};
    berth_engine_register(e, &t);
    return e;
}

static berth_engine *make_engine(redis_fixture *rf, unsigned workers, unsigned fetch_batch)
{
    berth_engine_config c = engine_fixture_config(rf);
    c.workers = workers;
    c.lease_ms = 30000;
    c.fetch_batch = fetch_batch;
    c.on_event = on_event;
    return new_engine(&c);
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static double secs_since(long long t0)
{
    return (double)(real_us() - t0) / 1e6;
}

/* ---- Redis memory per finished job, drain with hooks and REDIS job logs ---------------- */

/* What the stats helpers measure (issue 18 targets 4 and 7), printed at the end. */
static struct {
    double hash_plain, all_plain;   /* finished job, no hook: MEMORY USAGE / used_memory */
    double hash_hooked, all_hooked; /* with a status hook, a check-in and the acks */
    long logged_n;                  /* drain with hooks and REDIS job logs */
    double logged_rate, logged_cpu_us;
    double hooked_rate, hooked_cpu_us;  /* the same with hooks only, for comparison */
    double quiet_rate, quiet_cpu_us;    /* hooks + REDIS job log, jobs that write no line */
} fin;

static atomic_long fin_done;

/* A job that checks in when its parameters ask for it and writes three job-log lines
 * (none when they ask for quiet). */
static int fin_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ud;
    if (params && strstr(params, "checkin"))
        berth_ctx_checkin(ctx, "progress data: %50");
    for (int i = 0; i < 3 && !(params && strstr(params, "quiet")); i++)
        BERTH_JINFO(ctx, "step %d of 3", i + 1);
    return 0;
}

static void fin_event(const berth_status_event *ev, void *ud)
{
    (void)ud;
    if (ev->status && strcmp(ev->status, "Success") == 0)
        atomic_fetch_add(&fin_done, 1);
}

/* An engine of n workers on its own namespace, with the FIN job type; not started. */
static berth_engine *fin_engine(redis_fixture *rf, const char *ns, joblog_set *logs)
{
    berth_engine_config c = engine_fixture_config(rf);
    c.ns = ns;
    c.workers = 4;
    c.lease_ms = 30000;
    c.on_event = fin_event;
    c.job_logs = logs;
    return engine_fixture_new(&c, (berth_job_type[]){{.name = "FIN", .run = fin_run}, {0}});
}

/* With BENCH_CMDSTATS set: resets redis-server's command counts, or prints them (what a
 * drain cost, command by command). */
static void fin_cmdstats(redis_fixture *rf, bool print)
{
    if (!getenv("BENCH_CMDSTATS"))
        return;
    redisContext *c = redisConnectUnix(rf->sock);
    redisReply *r = redisCommand(c, print ? "INFO commandstats" : "CONFIG RESETSTAT");
    if (print)
        fprintf(stderr, "%s\n", r && r->str ? r->str : "");
    freeReplyObject(r);
    redisFree(c);
}

/* Launches n jobs (batches of 256), starts e and waits until all succeeded and, with hooks,
 * every event was delivered and acked. Returns the seconds from the start to the last
 * Success; *cpu_us (if not NULL) gets redis-server's CPU per job over that time. */
static double fin_drain(redis_fixture *rf, berth_engine *e, const berth_launch *l, long n,
                        double *cpu_us)
{
    berth_launch batch[256];
    for (int i = 0; i < 256; i++)
        batch[i] = *l;
    atomic_store(&fin_done, 0);
    for (long done = 0; done < n; done += 256)
        berth_engine_launch_batch(e, batch, (size_t)(n - done < 256 ? n - done : 256), NULL, NULL);
    fin_cmdstats(rf, false);
    double cpu0 = redis_fixture_cpu_s(rf);
    long long t0 = real_us();
    berth_engine_start(e);
    while (atomic_load(&fin_done) < n && secs_since(t0) < 300) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    double s = secs_since(t0);
    fin_cmdstats(rf, true);
    if (cpu_us)
        *cpu_us = (redis_fixture_cpu_s(rf) - cpu0) * 1e6 / (double)n;
    berth_hook_counts hc = {.pending = 1};
    while (l->status_hook && secs_since(t0) < 300 &&
           (berth_engine_hook_counts(e, &hc) != 0 || hc.pending > 0)) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    return s;
}

/* Average MEMORY USAGE of the namespace's stats hashes. */
static double stats_hash_bytes(redis_fixture *rf, const char *ns)
{
    redisContext *c = redisConnectUnix(rf->sock);
    unsigned long long cursor = 0, keys = 0, bytes = 0;
    do {
        redisReply *r = redisCommand(c, "SCAN %llu MATCH {%s}:job_stats:* COUNT 1000", cursor, ns);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            freeReplyObject(r);
            break;
        }
        cursor = strtoull(r->element[0]->str, NULL, 10);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            redisReply *m = redisCommand(c, "MEMORY USAGE %s SAMPLES 0", r->element[1]->element[i]->str);
            if (m && m->type == REDIS_REPLY_INTEGER)
                bytes += (unsigned long long)m->integer, keys++;
            freeReplyObject(m);
        }
        freeReplyObject(r);
    } while (cursor != 0);
    redisFree(c);
    return keys ? (double)bytes / (double)keys : 0;
}

/* Redis bytes a finished job keeps for its TTL: its stats hash (MEMORY USAGE), and all it
 * leaves (used_memory before the launches and after the drain, its hooks settled: the
 * stats hash, its expiry entry, the check-in list {ns}:berth:checkins:<id>, ...). */
static void fin_memory(redis_fixture *rf, const char *ns, const berth_launch *l, long n,
                       double *hash, double *all)
{
    berth_engine *e = fin_engine(rf, ns, NULL);
    long long mem0 = info_field(rf, "memory", "used_memory:");
    fin_drain(rf, e, l, n, NULL);
    berth_engine_stop(e);   /* its threads' buffers out of the picture */
    long long mem1 = info_field(rf, "memory", "used_memory:");
    *hash = stats_hash_bytes(rf, ns);
    *all = (double)(mem1 - mem0) / (double)n;
    berth_engine_free(e);
}

/* Every job has a status hook (delivered and acked), with or without the REDIS job log. */
static double fin_hooked_drain(redis_fixture *rf, hook_receiver *hr, const char *ns,
                               joblog_set *logs, const char *params, long n, double *cpu_us)
{
    berth_engine *e = fin_engine(rf, ns, logs);
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", hr_port(hr));
    double s = fin_drain(rf, e, &(berth_launch){.name = "FIN", .params_json = params,
                                               .status_hook = url}, n, cpu_us);
    berth_engine_free(e);
    return (double)n / s;
}

/* The hidden costs on: every job has a status hook (delivered and acked) and writes three
 * lines to the REDIS job log; and the same without the job log. */
static void fin_logged_drain(redis_fixture *rf, hook_receiver *hr, long n)
{
    fin.hooked_rate = fin_hooked_drain(rf, hr, "hh", NULL, "{\"k\":1}", n, &fin.hooked_cpu_us);
    rtarget t = {.unix_path = rf->sock};
    joblog_backend_cfg b = {.kind = JOBLOG_REDIS, .level = BERTH_LOG_INFO};
    joblog_set *logs = NULL;
    char err[256];
    if (joblog_set_new(&(joblog_config){.backends = &b, .nbackends = 1, .redis = &t, .ns = "hl"},
                       &logs, err, sizeof err) != 0) {
        fprintf(stderr, "job logs: %s\n", err);
        return;
    }
    joblog_set_start(logs);
    fin.logged_n = n;
    fin.logged_rate = fin_hooked_drain(rf, hr, "hl", logs, "{\"k\":1}", n, &fin.logged_cpu_us);
    joblog_set_free(logs);
    logs = NULL;   /* the same set on another namespace, for jobs that write nothing */
    joblog_set_new(&(joblog_config){.backends = &b, .nbackends = 1, .redis = &t, .ns = "hq"},
                   &logs, err, sizeof err);
    if (logs) {
        joblog_set_start(logs);
        fin.quiet_rate = fin_hooked_drain(rf, hr, "hq", logs, "{\"quiet\":1}", n,
                                          &fin.quiet_cpu_us);
        joblog_set_free(logs);
    }
}

/* Bytes per finished job, without and with a hook and a check-in (min(n, 5000) jobs each). */
static void finished_bytes(redis_fixture *rf, hook_receiver *hr, long n)
{
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", hr_port(hr));
    long m = n < 5000 ? n : 5000;
    fin_memory(rf, "fp", &(berth_launch){.name = "FIN", .params_json = "{\"k\":1}"}, m,
               &fin.hash_plain, &fin.all_plain);
    fin_memory(rf, "fh", &(berth_launch){.name = "FIN", .params_json = "{\"k\":1,\"checkin\":1}",
                                         .status_hook = url}, m,
               &fin.hash_hooked, &fin.all_hooked);
}

static void bench_finished(redis_fixture *rf, long n)
{
    hook_receiver *hr = hr_start();
    finished_bytes(rf, hr, n);
    fin_logged_drain(rf, hr, n);
    hr_stop(hr);
}

static void print_finished_bytes(void)
{
    printf("redis bytes per finished job %.0f (stats hash; %.0f with its expiry and the rest it "
           "leaves)\n", fin.hash_plain, fin.all_plain);
    printf("  with hook and check-in     %.0f (stats hash; %.0f with the check-in list and the "
           "rest)\n", fin.hash_hooked, fin.all_hooked);
}

static void print_finished(void)
{
    print_finished_bytes();
    printf("drain, hooks + REDIS job log %.0f jobs/s (%ld jobs, 3 log lines each; redis CPU "
           "%.2f us per job while draining, hook delivery included)\n", fin.logged_rate,
           fin.logged_n, fin.logged_cpu_us);
    printf("  hooks only, same jobs      %.0f jobs/s (redis CPU %.2f us per job)\n",
           fin.hooked_rate, fin.hooked_cpu_us);
    printf("  hooks + REDIS job log, jobs writing no line %.0f jobs/s (redis CPU %.2f us per "
           "job)\n", fin.quiet_rate, fin.quiet_cpu_us);
}

/* The enqueue part: rates, and redis-server's CPU per enqueued job (the figure that holds
 * on a loaded machine). */
typedef struct enq_result {
    double rate;           /* jobs/s */
    double redis_us;       /* redis-server CPU per job */
    double per_call;       /* jobs per enqueue script call */
} enq_result;

typedef struct enq_meter {
    long long t0, calls0;
    double cpu0;
} enq_meter;

static enq_meter enq_start(redis_fixture *rf)
{
    return (enq_meter){real_us(), info_field(rf, "commandstats", "cmdstat_evalsha:calls="),
                       redis_fixture_cpu_s(rf)};
}

static enq_result enq_stop(redis_fixture *rf, const enq_meter *m, long jobs)
{
    double s = secs_since(m->t0);
    long long calls = info_field(rf, "commandstats", "cmdstat_evalsha:calls=") - m->calls0;
    return (enq_result){(double)jobs / s, (redis_fixture_cpu_s(rf) - m->cpu0) * 1e6 / (double)jobs,
                        calls > 0 ? (double)jobs / (double)calls : 0};
}

typedef struct lat_result {
    long got, behind;        /* jobs measured; launches more than one interval late */
    double p50_ms, p99_ms, max_ms;
} lat_result;

static void pace_until(long long due_us)
{
    long long left = due_us - real_us();
    if (left > 0)
        nanosleep(&(struct timespec){left / 1000000, (left % 1000000) * 1000}, NULL);
}

/* Enqueue->start latency as the peer harness's W3 measures it: one launch every
 * interval_us on an absolute schedule (no catch-up bursts) from an engine that is not
 * started (so the wake-up goes through Redis, as from another process), each job carrying
 * the wall-clock time taken just before its launch; 200 warm-up jobs are not recorded. */
static lat_result latency_at(redis_fixture *rf, long interval_us, long n)
{
    lat_result res = {0};
    berth_engine_config c = engine_fixture_config(rf);   /* the drain engine's namespace */
    berth_engine *prod = new_engine(&c);
    lat_us = calloc((size_t)n, sizeof *lat_us);
    atomic_store(&nlat, 0);
    long base = atomic_load(&finished);
    char err[256], params[64];
    berth_launch one = {.name = "NOOP", .params_json = params};
    long long t0 = real_us();
    for (long i = 0; i < 200; i++) {   /* warm-up: no "t0", not recorded */
        pace_until(t0 + i * interval_us);
        snprintf(params, sizeof params, "{\"w\":1}");
        berth_engine_launch(prod, &one, NULL, err, sizeof err);
    }
    pace_until(real_us() + 200000);
    t0 = real_us();
    for (long i = 0; i < n; i++) {
        pace_until(t0 + i * interval_us);
        long long now = real_us();
        res.behind += now - (t0 + i * interval_us) > interval_us;
        snprintf(params, sizeof params, "{\"t0\":%lld}", now);
        berth_engine_launch(prod, &one, NULL, err, sizeof err);
    }
    while (atomic_load(&finished) < base + 200 + n && secs_since(t0) < 60)
        pace_until(real_us() + 1000);
    res.got = atomic_load(&nlat);
    qsort(lat_us, (size_t)res.got, sizeof *lat_us, cmp_ll);
    if (res.got) {
        res.p50_ms = lat_us[res.got / 2] / 1000.0;
        res.p99_ms = lat_us[res.got * 99 / 100] / 1000.0;
        res.max_ms = lat_us[res.got - 1] / 1000.0;
    }
    free(lat_us);
    lat_us = NULL;
    berth_engine_free(prod);
    return res;
}

static void print_latency(const lat_result *r, const char *rate)
{
    printf("enqueue->start at %5s/s    p50 %.3f ms, p99 %.3f ms, max %.3f ms (%ld jobs, "
           "%ld launches late)\n", rate, r->p50_ms, r->p99_ms, r->max_ms, r->got, r->behind);
}

typedef struct launcher_arg {
    berth_engine *e;
    long n;
} launcher_arg;

static void *launcher(void *arg)
{
    launcher_arg *a = arg;
    berth_launch l = {.name = "NOOP", .params_json = "{\"k\":1}"};
    char err[256];
    for (long i = 0; i < a->n; i++)
        berth_engine_launch(a->e, &l, NULL, err, sizeof err);
    return NULL;
}

/* Single launches from several threads at once (as berthd's HTTP threads make them): they
 * share enqueue scripts (engine/coalesce.h). A producer-only engine on its own namespace,
 * so the drain below does not see these jobs. */
static enq_result enqueue_concurrent(redis_fixture *rf, long jobs, int threads)
{
    berth_engine_config c = engine_fixture_config(rf);
    c.ns = "bench_coalesced";
    berth_engine *e = new_engine(&c);
    pthread_t th[64];
    launcher_arg a = {e, jobs / threads};
    enq_meter m = enq_start(rf);
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, launcher, &a);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    enq_result r = enq_stop(rf, &m, a.n * threads);
    berth_engine_free(e);
    return r;
}

/* ---- the drain at several worker counts (BENCH_ONLY=sweep) ----------------------------- */

/* One drain of n no-op jobs queued beforehand, by an engine of `workers` workers and fetch
 * batch `fb` (0: the engine's default): jobs/s, and per job this process's CPU (the
 * engine's threads; the main thread only polls every millisecond), its context switches
 * (voluntary: a thread slept; involuntary: preempted) and redis-server's CPU. */
static void sweep_drain(redis_fixture *rf, unsigned workers, unsigned fb, long n)
{
    redisContext *c = redisConnectUnix(rf->sock);
    freeReplyObject(redisCommand(c, "FLUSHALL"));
    redisFree(c);
    berth_engine *e = make_engine(rf, workers, fb);
    berth_launch l = {.name = "NOOP", .params_json = "{\"k\":1}"}, batch[256];
    for (int i = 0; i < 256; i++)
        batch[i] = l;
    for (long done = 0; done < n; done += 256)
        berth_engine_launch_batch(e, batch, (size_t)(n - done < 256 ? n - done : 256), NULL, NULL);
    long base = atomic_load(&finished);
    long long calls0 = info_field(rf, "commandstats", "cmdstat_evalsha:calls=");
    struct rusage u0, u1;
    getrusage(RUSAGE_SELF, &u0);
    double cpu0 = redis_fixture_cpu_s(rf);
    long long t0 = real_us();
    berth_engine_start(e);
    while (atomic_load(&finished) < base + n && secs_since(t0) < 300) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    double s = secs_since(t0);
    getrusage(RUSAGE_SELF, &u1);
    double rcpu = redis_fixture_cpu_s(rf) - cpu0;
    long long calls = info_field(rf, "commandstats", "cmdstat_evalsha:calls=") - calls0;
    long got = atomic_load(&finished) - base;
    berth_engine_free(e);
    double us = (double)(u1.ru_utime.tv_sec - u0.ru_utime.tv_sec + u1.ru_stime.tv_sec -
                         u0.ru_stime.tv_sec) * 1e6 +
                (double)(u1.ru_utime.tv_usec - u0.ru_utime.tv_usec + u1.ru_stime.tv_usec -
                         u0.ru_stime.tv_usec);
    printf("workers %2u batch %3u  %7.0f jobs/s  worker CPU %5.2f us/job  ctx switches "
           "%.3f vol + %.3f invol per job  redis CPU %5.2f us/job  %.4f script calls/job\n",
           workers, fb, (double)got / s, us / (double)got,
           (double)(u1.ru_nvcsw - u0.ru_nvcsw) / (double)got,
           (double)(u1.ru_nivcsw - u0.ru_nivcsw) / (double)got, rcpu * 1e6 / (double)got,
           (double)calls / (double)got);
    fflush(stdout);
}

/* BENCH_SWEEP lists "workers/batch" pairs (default: the defaults, 4 and 32 workers, and the
 * hand-tuned 4 workers with batch 256); BENCH_JOB_US makes every job wait that long. */
static void sweep(redis_fixture *rf, long n)
{
    const char *list = getenv("BENCH_SWEEP") ? getenv("BENCH_SWEEP") : "10/64 4/64 32/64 4/256";
    job_wait_us = getenv("BENCH_JOB_US") ? atol(getenv("BENCH_JOB_US")) : 0;
    for (const char *p = list; *p;) {
        unsigned w = 0, b = 0;
        int used = 0;
        if (sscanf(p, "%u/%u%n", &w, &b, &used) != 2)
            break;
        sweep_drain(rf, w, b, n);
        p += used;
        p += strspn(p, " ,");
    }
}

/* Steps 1 and 2 of the bench: n / 10 single launches, then the rest in batches of 256.
 * Returns Redis's bytes per job of the batched part (used_memory before and after it: the
 * stats hash, the queue entry and the keyspace's share, as `make bench` has always
 * reported them; the figure depends a little on the key count, since the keyspace's
 * bucket array doubles with it). */
static double enqueue_parts(redis_fixture *rf, berth_engine *e, long n, enq_result *single_r,
                            enq_result *batch_r)
{
    char err[256];
    long single = n / 10;
    berth_launch l = {.name = "NOOP", .params_json = "{\"k\":1}"};
    enq_meter em = enq_start(rf);
    for (long i = 0; i < single; i++)
        berth_engine_launch(e, &l, NULL, err, sizeof err);
    *single_r = enq_stop(rf, &em, single);

    long long mem0 = info_field(rf, "memory", "used_memory:");
    long batched = n - single;
    berth_launch batch[256];
    for (int i = 0; i < 256; i++)
        batch[i] = l;
    em = enq_start(rf);
    for (long done = 0; done < batched; done += 256) {
        long k = batched - done < 256 ? batched - done : 256;
        berth_engine_launch_batch(e, batch, (size_t)k, NULL, NULL);
    }
    *batch_r = enq_stop(rf, &em, batched);
    long long mem1 = info_field(rf, "memory", "used_memory:");
    return (double)(mem1 - mem0) / (double)batched;
}

/* BENCH_ONLY=bytes: only the enqueue parts and the finished jobs' bytes (no drain). */
static void bytes_only(redis_fixture *rf, berth_engine *e, long n, double queued_bytes)
{
    printf("redis bytes per queued job   %.1f (%ld jobs after %ld)\n", queued_bytes,
           n - n / 10, n / 10);
    berth_engine_free(e);
    hook_receiver *hr = hr_start();
    finished_bytes(rf, hr, n / 10);
    hr_stop(hr);
    print_finished_bytes();
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    unsigned workers = argc > 2 ? (unsigned)atoi(argv[2]) : 4;
    unsigned fetch_batch = argc > 3 ? (unsigned)atoi(argv[3]) : 256;
    redis_fixture rf;
    const char *args[] = {"--appendonly", "no", NULL};
    if (redis_fixture_start(&rf, args) != 0)
        return 1;
    if (getenv("BENCH_ONLY") && strcmp(getenv("BENCH_ONLY"), "joblog") == 0) {
        hook_receiver *hr = hr_start();   /* only the hooks + job log drains (n jobs each) */
        fin_logged_drain(&rf, hr, n);
        hr_stop(hr);
        redis_fixture_stop(&rf);
        print_finished();
        return 0;
    }
    if (getenv("BENCH_ONLY") && strcmp(getenv("BENCH_ONLY"), "sweep") == 0) {
        sweep(&rf, n);
        redis_fixture_stop(&rf);
        return 0;
    }
    berth_engine *e = make_engine(&rf, workers, fetch_batch);
    enq_result single_r, batch_r;
    long single = n / 10;
    double queued_bytes = enqueue_parts(&rf, e, n, &single_r, &batch_r);
    if (getenv("BENCH_ONLY") && strcmp(getenv("BENCH_ONLY"), "bytes") == 0) {
        bytes_only(&rf, e, n, queued_bytes);
        redis_fixture_stop(&rf);
        return 0;
    }
    enq_result conc_r = enqueue_concurrent(&rf, single, 8);

    /* 3. drain everything with full status tracking */
    long long evalsha0 = info_field(&rf, "commandstats", "cmdstat_evalsha:calls=");
    long long cmds0 = info_field(&rf, "stats", "total_commands_processed:");
    double cpu0 = redis_fixture_cpu_s(&rf);
    long long t0 = real_us();
    berth_engine_start(e);
    while (atomic_load(&finished) < n && secs_since(t0) < 300) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    double drain_s = secs_since(t0);
    long long evalsha1 = info_field(&rf, "commandstats", "cmdstat_evalsha:calls=");
    long long cmds1 = info_field(&rf, "stats", "total_commands_processed:");
    double cpu1 = redis_fixture_cpu_s(&rf);
    if (getenv("BENCH_CMDSTATS")) {   /* the per-command counts of the drain (debugging) */
        redisContext *c = redisConnectUnix(rf.sock);
        redisReply *r = redisCommand(c, "INFO commandstats");
        fprintf(stderr, "%s\n", r && r->str ? r->str : "");
        freeReplyObject(r);
        redisFree(c);
    }
    long drained = atomic_load(&finished);

    /* 4. enqueue->start latency at 500 and 5,000 jobs/s, paced as the peer harness's W3 */
    lat_result lat500 = latency_at(&rf, 2000, 2000), lat5000 = latency_at(&rf, 200, 10000);
    long rss = rss_kib();

    /* 5. drain with hooks: every job has a status_hook on a local receiver answering 200;
     *    Running and Success events go through the outbox and are delivered. */
    long hn = n / 10;
    hook_receiver *hr = hr_start();
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", hr_port(hr));
    berth_launch hl = {.name = "NOOP", .params_json = "{\"k\":1}", .status_hook = url};
    berth_launch batch[256];
    for (int i = 0; i < 256; i++)
        batch[i] = hl;
    long base_h = atomic_load(&finished);
    t0 = real_us();   /* enqueue (batches of 256) and drain overlap: the engine is running */
    for (long done = 0; done < hn; done += 256)
        berth_engine_launch_batch(e, batch, (size_t)(hn - done < 256 ? hn - done : 256), NULL, NULL);
    while (atomic_load(&finished) < base_h + hn && secs_since(t0) < 300) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    double hook_drain_s = secs_since(t0);
    size_t want = (size_t)hn * 2;
    while (hr_delivered(hr, NULL, 0) < want && secs_since(t0) < 600) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    double hook_all_s = secs_since(t0);
    size_t delivered = hr_delivered(hr, NULL, 0);
    berth_engine_free(e);
    hr_stop(hr);
    bench_finished(&rf, n / 10);
    redis_fixture_stop(&rf);

    printf("jobs                         %ld (workers %u, fetch batch %u)\n", n, workers,
           fetch_batch);
    printf("enqueue, single launches     %.0f jobs/s (redis CPU %.1f us per job)\n",
           single_r.rate, single_r.redis_us);
    printf("enqueue, batches of 256      %.0f jobs/s (redis CPU %.1f us per job)\n",
           batch_r.rate, batch_r.redis_us);
    printf("enqueue, 8 threads single    %.0f jobs/s (redis CPU %.1f us per job, %.1f jobs "
           "per script call: coalesced)\n", conc_r.rate, conc_r.redis_us, conc_r.per_call);
    printf("drain, full status tracking  %.0f jobs/s (%ld jobs in %.2f s)\n",
           (double)drained / drain_s, drained, drain_s);
    printf("script calls per job (drain) %.4f\n", (double)(evalsha1 - evalsha0) / (double)drained);
    printf("client commands per job      %.4f\n", (double)(cmds1 - cmds0) / (double)drained);
    printf("redis CPU per drained job    %.2f us\n", (cpu1 - cpu0) * 1e6 / (double)drained);
    printf("redis bytes per queued job   %.0f\n", queued_bytes);
    print_latency(&lat500, "500");
    print_latency(&lat5000, "5,000");
    printf("process RSS                  %ld KiB\n", rss);
    printf("enqueue+drain with hooks     %.0f jobs/s (%ld jobs, status_hook on a local receiver)\n",
           (double)hn / hook_drain_s, hn);
    printf("hook events delivered        %zu of %zu in %.2f s (%.0f events/s, one leader)\n",
           delivered, want, hook_all_s, (double)delivered / hook_all_s);
    print_finished();
    return drained == n ? 0 : 1;
}
