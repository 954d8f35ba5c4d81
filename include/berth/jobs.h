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

#endif
