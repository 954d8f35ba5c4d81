/* The job context's insides, shared by worker.c (which builds one per run) and
 * context.c (which implements the public berth_ctx_* functions). */
#ifndef BERTH_ENGINE_CONTEXT_INTERNAL_H
#define BERTH_ENGINE_CONTEXT_INTERNAL_H

#include "engine/internal.h"
#include "joblog/joblog.h"

struct berth_ctx {
    berth_engine *e;
    slot *s;                 /* the worker slot running this job (stop flag) */
    run *r;                  /* the run: id, name, revision, error text */
    joblog_run *log;         /* the run's log writer, or NULL (lines go to the engine log) */
    joblog_set *own_logs;    /* job_log_dir only: a FILE set made for this run, or NULL */
    berth_tracker *tracker;  /* created on first berth_ctx_tracker call */
    char revision[24];       /* "revision" property as text */
};

/* Builds a context for a run on slot s; opens the job log on cfg.job_logs (or a FILE set
 * on cfg.job_log_dir). Never fails: a backend that cannot be opened is reported once and
 * the job runs without it. ctx_close flushes and closes the log (ok: the run succeeded). */
void ctx_build(berth_ctx *c, berth_engine *e, slot *s, run *r);
void ctx_close(berth_ctx *c);

#endif
