/* The database behind Harbor's database jobs (berth_jobs_db, include/berth/jobs.h): one
 * pool per node, whose settings are either fixed (berthd's `berth.database`) or asked of
 * Harbor core on every run, as Harbor's job context reloads its configuration per run
 * (spec harbor-jobs §2.2) — so a changed password is picked up without a restart.
 *
 * Thread-safe: jobs on several workers call jobs_db_pool at once; the pool has its own
 * lock and the fixed settings never change. Jobs borrow the pool for the run. */
#ifndef BERTH_JOBS_JOBS_DB_H
#define BERTH_JOBS_JOBS_DB_H

#include "berth/context.h"
#include "berth/jobs.h"
#include "db/db.h"

struct berth_jobs_db {
    db_pool *pool;
    bool fixed;                  /* explicit settings: core is never asked */
    char *core_url;
    char *core_secret;
    unsigned max_dangling_hours; /* >= 168 */
};

/* The pool, configured for this run; *read_only gets Harbor's read_only (false with fixed
 * settings). 0 or a BERTH_E* code with the reason in err (core unreachable, bad reply). */
int jobs_db_pool(berth_jobs_db *d, db_pool **out, bool *read_only, char *err, size_t errlen);

/* Logs fmt as an ERROR line of the job's log and records it as the run's failure reason
 * (berth_ctx_fail); returns non-zero for `return jobs_db_fail(...)`. */
int jobs_db_fail(berth_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A user asked this run to stop (Harbor's OPCommand stop check). */
bool jobs_db_stopping(berth_ctx *ctx);

/* The four jobs' run functions (userdata: the berth_jobs_db), one file each; jobs_db.c
 * registers them with Harbor's MaxFails, ShouldRetry and MaxConcurrency. */
int jobs_db_purge_run(berth_ctx *ctx, const char *params, void *ud);
int jobs_db_gdpr_run(berth_ctx *ctx, const char *params, void *ud);
int jobs_db_gdpr_validate(const char *params, char *err, size_t errlen, void *ud);
int jobs_db_sweep_run(berth_ctx *ctx, const char *params, void *ud);
int jobs_db_sysartifact_run(berth_ctx *ctx, const char *params, void *ud);

#endif
