/* Built-in job types (spec §3.10) that berthd registers and embedders may reuse. */
#ifndef BERTH_JOBS_H
#define BERTH_JOBS_H

#include "berth/berth.h"

/* DEMO (Harbor's sample job). hold_ms is its hold (Harbor: 30000; tests make it short).
 * The job fails with "`JOB_FAILED` env is set" when that env var is non-empty. */
int berth_jobs_register_demo(berth_engine *e, unsigned hold_ms);
/* SCHEDULER and the legacy IMAGE_REPLICATE, IMAGE_GC, IMAGE_SCAN_ALL: each only checks
 * in "checkin", which makes Harbor core run the schedule's callback. */
int berth_jobs_register_scheduler(berth_engine *e);
/* REPLICATION (Harbor's registry-to-registry copy and deletion, docs/jobs.md): adapters
 * docker-registry and harbor; MaxFails 3, retried, no concurrency limit, priority 1000. */
int berth_jobs_register_replication(berth_engine *e);
/* CHAOS, for the chaos tests: sleeps its `ms` parameter and appends a start and an end
 * line per run to trace_path (see src/jobs/chaos.c). The file stays open for the life of
 * the process. BERTH_EINVAL when the file cannot be opened. */
int berth_jobs_register_chaos(berth_engine *e, const char *trace_path);

#endif
