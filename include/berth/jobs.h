/* Built-in job types (spec §3.10) that berthd registers and embedders may reuse. */
#ifndef BERTH_JOBS_H
#define BERTH_JOBS_H

#include "berth/api.h"

#include "berth/berth.h"

/* DEMO (Harbor's sample job). hold_ms is its hold (Harbor: 30000; tests make it short).
 * The job fails with "`JOB_FAILED` env is set" when that env var is non-empty. */
BERTH_API int berth_jobs_register_demo(berth_engine *e, unsigned hold_ms);
/* SCHEDULER and the legacy IMAGE_REPLICATE, IMAGE_GC, IMAGE_SCAN_ALL: each only checks
 * in "checkin", which makes Harbor core run the schedule's callback. */
BERTH_API int berth_jobs_register_scheduler(berth_engine *e);
/* REPLICATION (Harbor's registry-to-registry copy and deletion, docs/jobs.md): adapters
 * docker-registry and harbor; MaxFails 3, retried, no concurrency limit, priority 1000. */
BERTH_API int berth_jobs_register_replication(berth_engine *e);
/* CHAOS, for the chaos tests: sleeps its `ms` parameter and appends a start and an end
 * line per run to trace_path (see src/jobs/chaos.c). The file stays open for the life of
 * the process. BERTH_EINVAL when the file cannot be opened. */
BERTH_API int berth_jobs_register_chaos(berth_engine *e, const char *trace_path);

/* Settings of the jobs that POST a notification (WEBHOOK, SLACK; spec harbor-jobs §5, §6).
 * berth_jobs_http_from_env fills it as Harbor reads its environment. */
typedef struct berth_jobs_http {
    unsigned max_fails;        /* JOBSERVICE_WEBHOOK_JOB_MAX_RETRY: runs before giving up
                                  (Harbor 3; 0 → the engine's default 4, as Harbor) */
    long timeout_ms;           /* JOBSERVICE_WEBHOOK_JOB_HTTP_CLIENT_TIMEOUT × 1000: whole
                                  request (Harbor 3000); <= 0: no timeout */
    unsigned slack_pause_ms;   /* SLACK's wait after each post, for Slack's rate limit
                                  (Harbor 1000; tests make it short) */
    const char *http_proxy;    /* HTTP_PROXY / http_proxy; NULL or "": direct */
    const char *https_proxy;   /* HTTPS_PROXY / https_proxy */
    const char *no_proxy;      /* NO_PROXY / no_proxy; loopback is never proxied (Go) */
} berth_jobs_http;

/* Harbor's defaults overlaid with its environment variables (the proxy strings point into
 * the environment: do not unset them while the engine runs). A variable that does not parse
 * keeps the default and adds Harbor's warning line(s) to warn (NUL-terminated, "" when
 * none); returns the number of such warnings. */
BERTH_API int berth_jobs_http_from_env(berth_jobs_http *cfg, char *warn, size_t warnlen);
/* WEBHOOK: POST `payload` to `address` with the header set of `header`. cfg is borrowed
 * and must outlive the engine. */
BERTH_API int berth_jobs_register_webhook(berth_engine *e, const berth_jobs_http *cfg);
/* SLACK: POST `payload` to `address` as application/json, then pause cfg->slack_pause_ms.
 * cfg is borrowed and must outlive the engine. */
BERTH_API int berth_jobs_register_slack(berth_engine *e, const berth_jobs_http *cfg);

/* Settings of P2P_PREHEAT (spec harbor-jobs §11). Harbor's values are fixed; tests shorten
 * them. */
typedef struct berth_jobs_preheat {
    unsigned check_interval_ms;  /* between progress checks; Harbor 10000 (first after one) */
    unsigned check_timeout_ms;   /* of the whole polling; Harbor 1801000 ("30m1s") */
    long http_timeout_ms;        /* each request to the provider; Harbor 30000 */
} berth_jobs_preheat;

/* P2P_PREHEAT with the Dragonfly and Kraken drivers. cfg NULL → Harbor's values; else it is
 * borrowed and must outlive the engine. */
BERTH_API int berth_jobs_register_preheat(berth_engine *e, const berth_jobs_preheat *cfg);

/* Settings of the jobs that work on Harbor's database (PURGE_AUDIT_LOG,
 * AUDIT_LOGS_GDPR_COMPLIANT, EXECUTION_SWEEP, SYSTEM_ARTIFACT_CLEANUP; docs/jobs.md). The
 * strings are copied by berth_jobs_db_new. */
typedef struct berth_jobs_db_config {
    const char *host;            /* NULL or "": ask Harbor core for the settings on every run
                                    (GET core_url/api/v2.0/internalconfig, Harbor-Secret) */
    int port;                    /* 0 → 5432 */
    const char *username;        /* NULL → "postgres" */
    const char *password;        /* never logged */
    const char *database;        /* NULL → "registry" */
    const char *sslmode;         /* NULL → "disable" */
    int max_open_conns;          /* 0 → 8 per node */
    int max_idle_conns;          /* 0 → 2 */
    int statement_timeout_s;     /* 0 → 300; < 0: none */
    const char *core_url;        /* CORE_URL (also used for nothing else here) */
    const char *core_secret;     /* JOBSERVICE_SECRET */
    unsigned max_dangling_hours; /* reaper.max_dangling_hours (EXECUTION_SWEEP); < 168 → 168 */
    berth_log_fn log;            /* the pool's own lines (reconnects); may be NULL */
    void *log_userdata;
} berth_jobs_db_config;

typedef struct berth_jobs_db berth_jobs_db;
/* The node's database access for these jobs: a pool that connects on first use. 0,
 * BERTH_ECONFIG (bad explicit settings; err says which) or BERTH_ENOMEM. */
BERTH_API int berth_jobs_db_new(const berth_jobs_db_config *cfg, berth_jobs_db **out,
                                char *err, size_t errlen);
/* After the engine that runs the jobs was freed. NULL is a no-op. */
BERTH_API void berth_jobs_db_free(berth_jobs_db *d);
/* Registers the four jobs with Harbor's MaxFails, ShouldRetry, MaxConcurrency and
 * priority; d is borrowed and must outlive the engine. */
BERTH_API int berth_jobs_register_db(berth_engine *e, berth_jobs_db *d);
/* IMAGE_SCAN (Harbor's scan job, docs/jobs.md): a Pluggable Scanner API adapter scans one
 * artifact; its vulnerability report goes into Harbor's report tables through d, an SBOM is
 * pushed to the registry as an accessory. Harbor's MaxFails 1, no retry, no concurrency
 * limit, priority 1000, and Harbor's timeouts. d is borrowed and must outlive the engine;
 * the token service is $CORE_URL/service/token. */
BERTH_API int berth_jobs_register_scan(berth_engine *e, berth_jobs_db *d);

#endif
