/* libberth: an embeddable, Redis-backed job engine that behaves like Harbor's job service.
 *
 *   berth_engine_config cfg = {.redis_host = "127.0.0.1", .redis_port = 6379, .ns = "berth"};
 *   berth_engine *e;
 *   berth_engine_new(&cfg, &e, err, sizeof err);
 *   berth_engine_register(e, &my_job_type);
 *   berth_engine_start(e);
 *   berth_engine_launch(e, &(berth_launch){.name = "MY_JOB", .params_json = "{}"}, &stats, ...);
 *   ...
 *   berth_engine_stop(e);      // graceful: waits up to grace_ms for running jobs
 *   berth_engine_free(e);
 *
 * All state lives in the handle; no globals. Functions return 0 or a negative BERTH_E*
 * code (berth/error.h). The engine never prints: it logs through cfg.log. */
#ifndef BERTH_BERTH_H
#define BERTH_BERTH_H

#include "berth/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "berth/context.h"
#include "berth/error.h"
#include "berth/job.h"
#include "berth/log.h"

typedef struct berth_engine berth_engine;

/* A job type. The struct is copied at registration; name is copied too. */
typedef struct berth_job_type {
    const char *name;            /* registered name, e.g. "DEMO" */
    unsigned max_fails;          /* runs allowed before giving up; 0 → 4 (Harbor's default) */
    unsigned max_concurrency;    /* cluster-wide running limit; 0 = unlimited */
    unsigned priority;           /* relative weight when fetching; 0 → 1000 (Harbor) */
    /* Retry a failed run while fails < max_fails? NULL → yes. */
    bool (*should_retry)(void *userdata);
    /* Check parameters at launch (raw JSON object text or NULL). Return 0, or non-zero
     * with a message in err. NULL → always valid. */
    int (*validate)(const char *params_json, char *err, size_t errlen, void *userdata);
    /* The work. Return 0 for success; non-zero for failure (say why with
     * berth_ctx_fail(ctx, ...)). Runs on a worker thread. */
    int (*run)(berth_ctx *ctx, const char *params_json, void *userdata);
    void *userdata;
} berth_job_type;

/* What the engine tells the host when a status change or check-in was recorded (the
 * event is also in the durable hook outbox in Redis; this is an in-process seam). The
 * pointers are valid only during the call; it runs on an engine thread: keep it short. */
typedef struct berth_status_event {
    const char *job_id;
    const char *status;
    const char *check_in;   /* NULL unless a check-in */
    int64_t revision;
} berth_status_event;
typedef void (*berth_event_fn)(const berth_status_event *ev, void *userdata);

/* One Redis Sentinel's address. */
typedef struct berth_hostport {
    const char *host;            /* name or IP literal (IPv6 without brackets) */
    int port;                    /* 0 → 26379 */
} berth_hostport;

/* Periodic jobs (berth/period.h): what the enqueuer does with fire times that passed while
 * no node ran it. */
typedef enum {
    BERTH_MISFIRE_ONCE = 0,  /* default: one catch-up run, the newest missed fire, if within grace */
    BERTH_MISFIRE_SKIP,      /* Harbor: missed fires are dropped */
    BERTH_MISFIRE_ALL,       /* every missed fire (the newest max_catch_up of them) */
} berth_misfire;

/* The engine's periodic part. When enabled, berth_engine_launch stores Periodic policies,
 * berth_engine_stop_job unschedules them, and from berth_engine_start to berth_engine_stop
 * the enqueuer thread plans every policy's fires a short horizon ahead (seconds, not
 * Harbor's 4 minutes), idempotently, so any number of nodes make exactly one execution per
 * (policy, fire time). */
typedef struct berth_periodic_config {
    bool enabled;              /* false: Periodic launches are refused (BERTH_EINVAL) */
    berth_misfire misfire;
    unsigned grace_s;          /* ONCE: how old the newest missed fire may be; 0 → 3600 */
    unsigned max_catch_up;     /* ALL: cap; 0 → 100, at most 64 per pass */
    unsigned horizon_s;        /* planning horizon; 0 → 10 */
    unsigned keep_executions;  /* finished executions kept per policy; 0 → 50 */
} berth_periodic_config;

typedef struct berth_engine_config {
    /* Redis: unix socket if redis_unix is set, else the sentinels' master if
     * redis_nsentinels > 0, else the Redis Cluster master that serves the namespace's slot
     * if redis_ncluster > 0, else TCP host:port. The engine copies every string (and the
     * sentinel and cluster arrays) it keeps: the caller may free them after
     * berth_engine_new. */
    const char *redis_host;      /* default "127.0.0.1" */
    int redis_port;              /* default 6379 */
    const char *redis_unix;
    const char *redis_password;
    int redis_db;
    const berth_hostport *redis_sentinels; /* find the master through these Sentinels, */
    size_t redis_nsentinels;               /* asked in order at every dial */
    const char *redis_master;    /* the master's name, with redis_sentinels */
    const berth_hostport *redis_cluster;   /* Redis Cluster seed nodes (port 0 → 6379), */
    size_t redis_ncluster;                 /* asked for the slot's owner at every dial */
    const char *ns;              /* namespace without braces; default "berth" */
    unsigned workers;            /* worker threads; 0 → 10 */
    unsigned fetch_batch;        /* most jobs one fetch takes; 0 → 64 */
    unsigned lease_ms;           /* a running job's lease; 0 → 30000 */
    unsigned grace_ms;           /* berth_engine_stop waits this long for jobs; 0 → 15000 */
    double backoff_scale;        /* retry delay multiplier (tests: 0.001); 0 → 1 */
    unsigned max_update_hours;   /* hung-job threshold; < 24 → 24 (Harbor) */
    unsigned max_job_duration_s; /* TTL of a worker observation {ns}:worker:<id>, set when
                                  * it is written (gocraft's MAX_JOB_DURATION_SECONDS);
                                  * 0 → max_update_hours × 3600 */
    unsigned stats_ttl_s;        /* how long the stats of a Success or Stopped job are kept;
                                  * 0 → 86400 (Harbor's day). A namespace's setting: every
                                  * engine writes it to {ns}:berth:stats_ttl at start */
    unsigned stats_error_ttl_s;  /* the same for an Error job; 0 → 604800 (Harbor's week) */
    const char *job_log_dir;     /* per-job log files <dir>/<id>.log; NULL → engine log */
    /* Per-job log backends (FILE, REDIS, STD_OUTPUT; berthd builds them from job_loggers,
     * src/joblog/joblog.h). Borrowed: the host frees it after berth_engine_free. When set,
     * job_log_dir is ignored. */
    struct berth_joblogs *job_logs;
    size_t job_log_max_bytes;    /* job_log_dir only: per-run cap; 0 → 4 MiB */
    const char *pool_id;         /* this node's id; NULL → 24 random hex */
    berth_log_fn log;            /* NULL → silent */
    void *log_userdata;
    berth_log_level log_level;   /* lines below are dropped */
    berth_event_fn on_event;     /* NULL → none */
    void *event_userdata;
    bool hooks_disabled;         /* do not deliver status hooks from this node */
    unsigned hook_retry_hours;   /* retry undelivered hooks this long, then park; 0 → 24 */
    double hook_backoff_scale;   /* hook retry delay multiplier (tests); 0 → 1 */
    unsigned hook_lead_ttl_ms;   /* the hook leader's lock: a dead leader's events wait this
                                  * long for another node; 0 → 10000, else at least 2000
                                  * (BERTH_EINVAL below: a leader renews it about once a
                                  * second); tests shorten it */
    berth_periodic_config periodic; /* Periodic jobs; off unless periodic.enabled */
} berth_engine_config;

/* Creates an engine (no threads yet, no Redis I/O). If SIGPIPE has its default action it
 * is set to ignored, so a Redis that goes away cannot kill the process. On failure returns an error code and
 * a message in err. The engine is the caller's; free with berth_engine_free. */
BERTH_API int berth_engine_new(const berth_engine_config *cfg, berth_engine **out, char *err,
                               size_t errlen);
/* Registers a job type; only before berth_engine_start. BERTH_EINVAL for a duplicate,
 * empty or unsafe name (allowed: letters, digits, '_', '-', '.', at most 128). */
BERTH_API int berth_engine_register(berth_engine *e, const berth_job_type *type);
/* Connects to Redis, checks the layout version of the namespace (docs/redis-schema.md:
 * written when absent) and starts the threads (with cfg.periodic.enabled the periodic
 * enqueuer too). BERTH_EREDIS if Redis does not answer, BERTH_ESCHEMA if the namespace
 * was written by a newer Berth (nothing is changed), BERTH_ENOMEM if a thread cannot be
 * made (the ones already started are stopped again). */
BERTH_API int berth_engine_start(berth_engine *e);
/* Graceful stop: stop the periodic enqueuer and fetching, wait up to grace_ms for running
 * jobs, then raise every running job's stop flag and hand unfinished jobs back to their
 * queues at once, then join the threads. Returns 0, or BERTH_ESTATE if a job ignored stop for grace_ms more
 * (its thread is left detached). */
BERTH_API int berth_engine_stop(berth_engine *e);
/* Cuts a berth_engine_stop in progress (or the next one) short: running jobs are handed
 * back at once instead of after grace_ms. Safe from any thread, e.g. on a second Ctrl-C. */
BERTH_API void berth_engine_hurry(berth_engine *e);
/* Jobs running on this node's workers now (what a graceful stop waits for). */
BERTH_API unsigned berth_engine_running_jobs(berth_engine *e);
/* Stops if running, then frees everything. NULL is a no-op. */
BERTH_API void berth_engine_free(berth_engine *e);

/* This node's pool id (24 hex). Static for the engine's life. */
BERTH_API const char *berth_engine_pool_id(const berth_engine *e);
BERTH_API bool berth_engine_knows(const berth_engine *e, const char *name);
/* True when Periodic launches are served (cfg.periodic.enabled). */
BERTH_API bool berth_engine_periodic(const berth_engine *e);
/* Runs the type's validate callback. 0, BERTH_EUNKNOWN or BERTH_EINVAL with err filled. */
BERTH_API int berth_engine_validate(berth_engine *e, const char *name, const char *params_json,
                                    char *err, size_t errlen);

/* A launch request (Harbor's RequestBody, already validated by the caller or not). */
typedef struct berth_launch {
    const char *name;
    const char *params_json;     /* JSON object text or NULL */
    const char *kind;            /* "Generic" (default when NULL), "Scheduled", or "Periodic"
                                    (stores a policy: needs cfg.periodic.enabled) */
    uint64_t schedule_delay;     /* seconds, Scheduled only */
    const char *cron_spec;       /* six-field cron, Periodic only */
    bool unique;
    const char *status_hook;     /* hook URL or NULL */
    bool params_go_encoded;      /* params_json is Go's compact encoding of an object as
                                    berthd's API re-encodes a request's parameters: when it
                                    is already the form the engine stores, the engine takes
                                    it without parsing it again. Set it only for such text:
                                    it is then not checked. */
} berth_launch;

/* Enqueues one job and saves its stats atomically. On success *out (if out is not NULL)
 * gets the stats as Harbor replies them (caller frees with berth_stats_free).
 * BERTH_EUNKNOWN for an unregistered name, BERTH_EDUP for a unique duplicate (err names
 * the job holding the key when known), BERTH_EREDIS when Redis fails. A Periodic launch
 * (l->cron_spec required) stores the policy and its stats (kind Periodic, status Scheduled,
 * numeric_policy_id): BERTH_EINVAL with Harbor's text for a bad cron, and when the engine's
 * periodic part is not enabled. Works before berth_engine_start. Thread-safe. */
BERTH_API int berth_engine_launch(berth_engine *e, const berth_launch *l, berth_stats **out,
                                  char *err, size_t errlen);
/* The answer of berth_engine_launch_async: rc, err and stats as berth_engine_launch gives
 * them (stats only when rc is 0, and then the callee's to free; err valid during the call). */
typedef void (*berth_launch_done_fn)(int rc, berth_stats *stats, const char *err, void *ud);
/* berth_engine_launch without waiting for Redis: the launch is checked on the calling
 * thread; when no launch is being sent its script call is written at once from the calling
 * thread (without waiting for anything: on an open connection only) and the reply is read
 * by the engine's launch sender thread; else it is queued for that thread, which sends it
 * with the other launches waiting (one script call for up to 256). done is called exactly
 * once: on the calling thread, before this returns, when the launch fails before reaching
 * Redis (bad name or parameters, memory) or is Periodic (stored at once, waiting for
 * Redis); else on the sender thread, possibly before this returns. Launches queued when berth_engine_free is called are sent
 * and answered first. Thread-safe. */
BERTH_API void berth_engine_launch_async(berth_engine *e, const berth_launch *l,
                                         berth_launch_done_fn done, void *ud);
/* Enqueues n jobs; ids_out (n × 25 bytes, may be NULL) gets their ids. Every job is checked
 * first: a bad one (BERTH_EUNKNOWN, BERTH_EINVAL) queues none. The jobs then go in parts
 * of 128, pipelined (the next part is sent while Redis runs the last), each part written
 * whole or not at all. results[i] (may be NULL) gets 0 (queued), BERTH_EDUP, or the error
 * of a part that failed (its jobs are not queued, or unknown when the connection broke
 * before its answer). Returns 0 or the first hard error. */
BERTH_API int berth_engine_launch_batch(berth_engine *e, const berth_launch *ls, size_t n,
                                        char (*ids_out)[25], int *results);
/* Loads a job's stats. BERTH_ENOTFOUND if none. Caller frees *out with berth_stats_free. */
BERTH_API int berth_engine_get_stats(berth_engine *e, const char *job_id, berth_stats **out);
/* Stops a job in any non-final state (spec §2.7). 0 also when already final;
 * BERTH_ENOTFOUND when no stats exist. A periodic policy (cfg.periodic.enabled; Harbor's
 * rule: stats of kind Periodic, or an id with no stats) is unscheduled: its pending
 * executions go and no more are planned. */
BERTH_API int berth_engine_stop_job(berth_engine *e, const char *job_id);

/* Hook outbox counts (docs/hooks.md). */
typedef struct berth_hook_counts {
    long long pending;    /* waiting for delivery (retrying ones included) */
    long long retrying;   /* failed at least once, still being retried */
    long long parked;     /* given up after the retry period; see berth_engine_hook_replay */
    long long dropped;    /* never recorded because the outbox was full */
} berth_hook_counts;

BERTH_API int berth_engine_hook_counts(berth_engine *e, berth_hook_counts *out);
/* Moves up to limit parked hook events back into the outbox; *moved gets how many. */
BERTH_API int berth_engine_hook_replay(berth_engine *e, long limit, long long *moved);

#endif
