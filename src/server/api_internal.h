/* Shared by the api_*.c files only: the route handlers and their reply/query helpers.
 * Every handler gets the server's own api_ctx copy as ctx. */
#ifndef BERTH_SERVER_API_INTERNAL_H
#define BERTH_SERVER_API_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "berth/job.h"
#include "berth/query.h"
#include "server/api.h"
#include "server/http.h"

/* api_jobs.c */
void api_launch(const http_req *req, http_resp *resp, void *ctx);
void api_get_job(const http_req *req, http_resp *resp, void *ctx);
void api_job_action(const http_req *req, http_resp *resp, void *ctx);
/* api_list.c */
void api_list_jobs(const http_req *req, http_resp *resp, void *ctx);
void api_executions(const http_req *req, http_resp *resp, void *ctx);
/* api_log.c */
void api_job_log(const http_req *req, http_resp *resp, void *ctx);
/* api_misc.c */
void api_stats(const http_req *req, http_resp *resp, void *ctx);
void api_config(const http_req *req, http_resp *resp, void *ctx);
void api_healthz(const http_req *req, http_resp *resp, void *ctx);
/* The members of one pool object of /api/v1/stats (no braces). 0 or BERTH_ETOOBIG. */
int api_pool_json(const berth_pool_info *p, buf *out);
/* api_hooks.c (Berth's routes) */
void api_hooks(const http_req *req, http_resp *resp, void *ctx);
void api_hooks_replay(const http_req *req, http_resp *resp, void *ctx);
/* api_queues.c, api_pools.c, api_policies.c (Berth's operator routes) */
void api_queues(const http_req *req, http_resp *resp, void *ctx);
void api_queue_action(const http_req *req, http_resp *resp, void *ctx);
void api_pools(const http_req *req, http_resp *resp, void *ctx);
void api_policies(const http_req *req, http_resp *resp, void *ctx);
/* api_monitor.c (the dashboard's views) */
void api_throughput(const http_req *req, http_resp *resp, void *ctx);
void api_checkins(const http_req *req, http_resp *resp, void *ctx);
void api_hooks_parked(const http_req *req, http_resp *resp, void *ctx);

/* api_launchers.c: the HTTP thread hooks that keep a berth_launcher per engine on each of
 * the event loop's threads, and the launcher of the request's thread for engine e (made at
 * its first launch), or NULL (libmicrohttpd, no memory): then berth_engine_launch_async. */
typedef struct api_engines {
    berth_engine **engine;       /* every engine the server answers for (borrowed) */
    size_t n;
} api_engines;
struct berth_launcher;
http_thread_hooks api_launcher_hooks(const api_engines *engines);
struct berth_launcher *api_launcher(const http_req *req, berth_engine *e);

/* api_reply.c: Harbor's error body (spec §2.3) with the HTTP status Harbor uses for code,
 * no explicit JSON type (Go sniffs it as text/plain; charset=utf-8). */
void api_error(http_resp *resp, int code, const char *details);
/* The same with an explicit HTTP status and message (NULL = Harbor's for code). */
void api_error_full(http_resp *resp, int status, int code, const char *message,
                    const char *details);
/* Logs a 5xx answer as Harbor does ("Serve http request ... error"); for the handlers'
 * answers (api.c) and the deferred ones (a launch answered after its batch). */
void api_log_failure(const api_ctx *c, const http_req *req, const http_resp *resp);
/* 200-style JSON reply of one stats object {"job":{...}} (never check_in). */
void api_reply_stats(http_resp *resp, int status, const berth_stats *s);
/* The 202 of a Generic or Scheduled launch: the same bytes as api_reply_stats, written
 * from a fixed template without re-reading the parameters. params is the launch request's
 * "parameters" as the request parser re-encoded them (Go's encoding, which is what
 * api_reply_stats writes for the stored ones), or NULL for none; stats of another shape
 * go to api_reply_stats. */
void api_reply_launched(http_resp *resp, const berth_stats *s, const char *params);

/* The {"action":".."} body (model/action.h) into *action (the caller's, berth_free). False
 * after answering 400/10001 for a body that is not one. */
bool api_read_action(const http_req *req, http_resp *resp, char **action);

/* Query parameters read like Go's strconv: ParseUint(v, 10, bits) (digits only, in range)
 * and ParseBool. Return false when absent, empty or not parseable. */
bool api_query_uint(const http_req *req, const char *name, unsigned bits, uint64_t *out);
bool api_query_bool(const http_req *req, const char *name, bool *out);

#endif
