/* Run counters and durations per job type since the engine started: what Harbor's job
 * service exports as harbor_jobservice_task_total and
 * harbor_jobservice_task_process_time_seconds (berthd serves them; docs/metrics.md).
 * Recording is lock-free on the worker's path (atomics); a snapshot sorts the window. */
#ifndef BERTH_METRICS_H
#define BERTH_METRICS_H

#include "berth/api.h"

#include <stddef.h>
#include <stdint.h>

#include "berth/berth.h"

/* How a run ended, as Harbor labels it: success; fail (the job returned an error); stop
 * (it returned after a stop command). Runs handed back at shutdown are not counted. */
typedef enum { BERTH_RUN_SUCCESS, BERTH_RUN_FAIL, BERTH_RUN_STOP, BERTH_RUN_OUTCOMES } berth_run_outcome;

/* The quantiles are over the last BERTH_METRICS_WINDOW runs of that type and outcome. */
#define BERTH_METRICS_WINDOW 256

typedef struct berth_run_metrics {
    uint64_t count;          /* runs ended so since the engine started */
    double sum_seconds;      /* their total run time */
    double q50, q90, q99;    /* seconds; 0 when count is 0 */
} berth_run_metrics;

typedef struct berth_type_metrics {
    const char *name;        /* the job type's name, borrowed from the engine */
    berth_run_metrics by[BERTH_RUN_OUTCOMES];
} berth_type_metrics;

/* "success", "fail" or "stop". */
BERTH_API const char *berth_run_outcome_name(berth_run_outcome o);

/* A snapshot of every registered type. *out (n entries) is the caller's, freed with
 * berth_metrics_free. 0, BERTH_ENOMEM, or BERTH_ESTATE before berth_engine_start. Thread-safe. */
BERTH_API int berth_engine_metrics(berth_engine *e, berth_type_metrics **out, size_t *n);
BERTH_API void berth_metrics_free(berth_type_metrics *m);   /* NULL is a no-op */

#endif
