/* The job context's insides, shared by worker.c (which builds one per run) and
 * context.c (which implements the public berth_ctx_* functions). */
#ifndef BERTH_ENGINE_CONTEXT_INTERNAL_H
#define BERTH_ENGINE_CONTEXT_INTERNAL_H

#include <stdio.h>

#include "engine/internal.h"

struct berth_ctx {
    berth_engine *e;
    slot *s;                 /* the worker slot running this job (stop flag) */
    run *r;                  /* the run: id, name, revision, error text */
    FILE *log;               /* per-job log file, or NULL (lines go to the engine log) */
    berth_tracker *tracker;  /* created on first berth_ctx_tracker call */
    char revision[24];       /* "revision" property as text */
};

/* Builds a context for a run on slot s; opens the job log. Never fails: a log file that
 * cannot be opened is reported once and the lines go to the engine log. */
void ctx_build(berth_ctx *c, berth_engine *e, slot *s, run *r);
void ctx_close(berth_ctx *c);

#endif
