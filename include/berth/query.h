/* Read-only queries over a namespace's Redis data, for the REST API's list routes
 * (spec §2.9–§2.11): job stats by SCAN, the scheduled set page by page, a periodic
 * policy's executions, and the worker pools' heartbeats. Nothing here writes to Redis.
 *
 * Results are plain structs the caller owns; each _clear function frees what a query put
 * in them (the struct itself is usually on the caller's stack). All functions are
 * thread-safe; they borrow a connection from the engine's pool. */
#ifndef BERTH_QUERY_H
#define BERTH_QUERY_H

#include "berth/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "berth/berth.h"

/* Harbor (gocraft) pages the scheduled set by this fixed size. */
#define BERTH_SCHEDULED_PAGE_SIZE 20
/* Largest page Berth reads at once (page sizes and SCAN counts above are clamped). */
#define BERTH_QUERY_MAX_PAGE 1000

typedef struct berth_stats_list {
    berth_stats **items;   /* n stats, each freed by berth_stats_list_clear */
    size_t n;
    int64_t total;         /* scheduled/executions: the Total-Count; scan: 0 */
    uint64_t next_cursor;  /* scan only: the cursor of the next call, 0 when done */
} berth_stats_list;

/* Frees the items and zeroes l; NULL is a no-op. */
BERTH_API void berth_stats_list_clear(berth_stats_list *l);

/* One SCAN step over {ns}:job_stats:* (GET /api/v1/jobs): the stats of the keys found
 * (ids whose stats vanish meanwhile are skipped) and the next cursor. count is SCAN's COUNT
 * hint (0 → 25, clamped to BERTH_QUERY_MAX_PAGE). 0 or BERTH_EREDIS; *out is the caller's
 * (berth_stats_list_clear), also after an error. */
BERTH_API int berth_query_jobs(berth_engine *e, uint64_t cursor, unsigned count,
                                         berth_stats_list *out);

/* Page `page` (1-based; 0 → 1) of {ns}:scheduled in run-at order, 20 entries a page. Each
 * entry's stats id is its job id, or <id>@<run_at> for a periodic execution (args hold
 * `_job_kind_periodic_`); entries without stats are skipped. total = ZCARD. */
BERTH_API int berth_query_scheduled(berth_engine *e, uint64_t page, berth_stats_list *out);

/* Page `page` (1-based; 0 → 1) of size `size` (0 → 25, clamped to BERTH_QUERY_MAX_PAGE)
 * of {ns}:executions:<policy_id>, newest first. non_dead_only: only executions not yet
 * finished (score >= 0), total = their count; else all, total = ZCARD. Executions whose
 * stats are gone are skipped (total unchanged). The caller checks that the policy exists. */
BERTH_API int berth_query_executions(berth_engine *e, const char *policy_id, uint64_t page,
                                     uint64_t size, bool non_dead_only, berth_stats_list *out);

/* A worker pool's heartbeat ({ns}:worker_pools:<id>). */
typedef struct berth_pool_info {
    char *pool_id;
    int64_t started_at;
    int64_t heartbeat_at;
    char **job_names;      /* sorted */
    size_t njob_names;
    unsigned concurrency;
    char *host;            /* the node's host name, or NULL */
    long pid;              /* the node's process id, 0 when unknown */
} berth_pool_info;

typedef struct berth_pool_list {
    berth_pool_info *items;
    size_t n;
} berth_pool_list;

/* Every pool in {ns}:worker_pools whose heartbeat hash has a non-zero heartbeat_at, sorted
 * by pool id. 0 or BERTH_EREDIS; *out is the caller's (berth_pool_list_clear). */
BERTH_API int berth_query_pools(berth_engine *e, berth_pool_list *out);
/* Frees everything and zeroes l; NULL is a no-op. */
BERTH_API void berth_pool_list_clear(berth_pool_list *l);

/* A worker of a pool and what it runs, from the pool's heartbeat (worker_ids) and gocraft's
 * observation hash {ns}:worker:<id>, which Harbor core's dashboard reads too. */
typedef struct berth_worker_info {
    char *worker_id;
    char *pool_id;
    char *job_name;        /* NULL when the worker is idle */
    char *job_id;          /* NULL when idle; a periodic execution's own id (gocraft's
                            * observation holds its policy's id) */
    int64_t started_at;    /* when the current run started (unix s); 0 when idle */
} berth_worker_info;

typedef struct berth_worker_list {
    berth_worker_info *items;
    size_t n;
} berth_worker_list;

/* The workers of pool_id (NULL: of every pool berth_query_pools lists), in the heartbeat's
 * order. 0 or BERTH_EREDIS; *out is the caller's (berth_worker_list_clear), also after an
 * error. An unknown pool has no workers. */
BERTH_API int berth_query_workers(berth_engine *e, const char *pool_id, berth_worker_list *out);
/* Frees everything and zeroes l; NULL is a no-op. */
BERTH_API void berth_worker_list_clear(berth_worker_list *l);

#endif
