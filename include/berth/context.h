/* The job context handed to a job's run function (seed: job.Context). It is built by the
 * engine for one run and is valid only during that run; never keep the pointer. */
#ifndef BERTH_CONTEXT_H
#define BERTH_CONTEXT_H

#include "berth/api.h"

#include <stdbool.h>
#include <stdint.h>

#include "berth/log.h"

typedef struct berth_ctx berth_ctx;
typedef struct berth_tracker berth_tracker;

/* Property of the run: "job_id", "job_name", "pool_id", "revision", or any property the
 * host added. NULL if absent. The string belongs to the context. */
BERTH_API const char *berth_ctx_get(const berth_ctx *ctx, const char *prop);
BERTH_API const char *berth_ctx_job_id(const berth_ctx *ctx);
BERTH_API int64_t berth_ctx_revision(const berth_ctx *ctx);

/* Reports progress: a check-in hook with the current status and this message (spec
 * §3.7). Queued and written in the engine's next batch; never blocks on Redis.
 * BERTH_EINVAL for an empty message. */
BERTH_API int berth_ctx_checkin(berth_ctx *ctx, const char *msg);

/* "stop" when a stop was requested for this job (API stop, or engine shutdown after the
 * grace period), else NULL. No Redis round trip: a flag set by the control subscriber. */
BERTH_API const char *berth_ctx_op_command(const berth_ctx *ctx);
/* The system context: true once the engine is shutting down. */
BERTH_API bool berth_ctx_system_done(const berth_ctx *ctx);
/* Why the run is asked to stop: a user's stop (the API, berth_engine_stop_job) or the
 * engine's shutdown, which hands the job back to its queue to run again (its outcome is
 * dropped). A job says "stopped" only for BERTH_STOP_USER. A user stop that arrives during
 * shutdown reads as BERTH_STOP_SHUTDOWN: the run is handed back either way. */
typedef enum { BERTH_STOP_NONE, BERTH_STOP_USER, BERTH_STOP_SHUTDOWN } berth_stop_reason;
BERTH_API berth_stop_reason berth_ctx_stop_reason(const berth_ctx *ctx);
/* Sleeps up to ms, returning early (true) when a stop or shutdown arrives. */
BERTH_API bool berth_ctx_sleep(berth_ctx *ctx, unsigned ms);

/* The run's own log (seed: Context.GetLogger()), one line in Harbor's format
 * `<RFC3339> [<LEVEL>] [<file>:<line>]: <message>` to every configured job-log backend whose
 * level it reaches (berth_engine_config.job_logs, or the FILE job_log_dir, else the engine
 * log). printf-style. Never blocks on a slow backend for long: Redis lines are flushed by a
 * background thread. Past the per-run cap one notice is written and later lines are dropped.
 * FATAL only logs (Harbor's Fatal exits the process; a library never does). */
BERTH_API void berth_ctx_log(berth_ctx *ctx, berth_log_level lvl, const char *file, int line,
                             const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define BERTH_JLOG(ctx, lvl, ...) berth_ctx_log((ctx), (lvl), __FILE__, __LINE__, __VA_ARGS__)
#define BERTH_JDEBUG(ctx, ...) BERTH_JLOG(ctx, BERTH_LOG_DEBUG, __VA_ARGS__)
#define BERTH_JINFO(ctx, ...) BERTH_JLOG(ctx, BERTH_LOG_INFO, __VA_ARGS__)
#define BERTH_JWARN(ctx, ...) BERTH_JLOG(ctx, BERTH_LOG_WARNING, __VA_ARGS__)
#define BERTH_JERROR(ctx, ...) BERTH_JLOG(ctx, BERTH_LOG_ERROR, __VA_ARGS__)
#define BERTH_JFATAL(ctx, ...) BERTH_JLOG(ctx, BERTH_LOG_FATAL, __VA_ARGS__)

/* The job-log backend set an engine was configured with (berth_engine_config.job_logs), or
 * NULL: what a host serving logs (berthd's log route) reads them through. */
struct berth_engine;
struct berth_joblogs;
BERTH_API struct berth_joblogs *berth_engine_job_logs(const struct berth_engine *e);

/* Records why the run failed (becomes the retry entry's `err`). Returns non-zero so a job
 * can write `return berth_ctx_fail(ctx, "bad %s", x);`. */
BERTH_API int berth_ctx_fail(berth_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The tracker of this run's job (seed: Context.Tracker()); owned by the context. */
BERTH_API berth_tracker *berth_ctx_tracker(berth_ctx *ctx);

#endif
