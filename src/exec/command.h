/* Command jobs: a job type whose run is an external program (any language), registered
 * through the public API like any built-in job. This module knows nothing of YAML: berthd
 * fills an exec_command from its config (src/server/config_jobs.c); an embedder can fill
 * one by hand.
 *
 * A run (src/exec/run.c; the contract for programs is docs/own-jobs.md):
 *   - argv is executed directly (posix_spawn, never a shell) in `dir`, in a new process
 *     group, with only the allowlisted environment plus BERTH_JOB_ID, BERTH_JOB_NAME,
 *     BERTH_JOB_REVISION and BERTH_CONTROL_FD=3;
 *   - the parameters arrive as JSON on stdin ("{}" when there are none);
 *   - stdout lines go to the job log at INFO, stderr lines at WARNING (lines capped at
 *     EXEC_LINE_MAX, the whole output at max_output_bytes);
 *   - descriptor 3 takes one JSON object per line: {"checkin":"text"} or {"fail":"reason"};
 *   - exit 0 is Success; another code, a signal, a {"fail"}, a timeout or a program that
 *     cannot start is a failure with the reason in the log and in the retry record;
 *   - stop, shutdown and timeout send SIGTERM to the process group and SIGKILL after
 *     stop_grace_ms; when the program ends, what is left of its group is ended the same way.
 *
 * Ownership: exec_job_new deep-copies the definition; the exec_job is the job type's
 * userdata, so the caller frees it with exec_job_free only after berth_engine_free. */
#ifndef BERTH_EXEC_COMMAND_H
#define BERTH_EXEC_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "berth/berth.h"
#include "exec/param_check.h"

#define EXEC_DEFAULT_STOP_GRACE_MS 5000
#define EXEC_DEFAULT_MAX_OUTPUT (1024 * 1024)

typedef struct exec_command {
    char *name;                 /* the job name */
    char **argv;                /* NULL-terminated; argv[0] a path or a name in PATH */
    char *dir;                  /* working directory; NULL/"" = the process's own */
    char **env;                 /* NULL-terminated allowlist: "NAME" passes this process's
                                   value (when set), "NAME=value" sets one; may be NULL */
    unsigned timeout_ms;        /* 0 = no timeout */
    unsigned stop_grace_ms;     /* SIGTERM → SIGKILL; 0 → EXEC_DEFAULT_STOP_GRACE_MS */
    unsigned max_fails;         /* as berth_job_type; 0 → 4 */
    bool should_retry;          /* retry failed runs while fails < max_fails */
    unsigned max_concurrency;   /* 0 = unlimited */
    unsigned priority;          /* 0 → 1000 */
    size_t max_output_bytes;    /* stdout+stderr logged per run, 64 bytes counted per line;
                                   0 → EXEC_DEFAULT_MAX_OUTPUT; past it output is drained */
    exec_param_rule *params;    /* the parameter check; NULL/0 = none */
    size_t nparams;
} exec_command;

/* Frees every member (not c itself) and zeroes it. NULL is a no-op. */
void exec_command_clear(exec_command *c);

/* True for names a job never receives, even when listed: CORE_SECRET, JOBSERVICE_SECRET,
 * BERTH_SECRET, anything with REDIS in it, POSTGRESQL_*, DATABASE_*, PG* (libpq's), and
 * the names the runner sets itself (BERTH_JOB_*, BERTH_CONTROL_FD). */
bool exec_env_forbidden(const char *name);
/* True for a well-formed environment name: [A-Za-z_][A-Za-z0-9_]*. */
bool exec_env_name_ok(const char *name, size_t len);

typedef struct exec_job exec_job;

/* Checks c (name, argv, env entries), copies it, resolves the environment allowlist from
 * this process's environment now, and registers the job type on e (before
 * berth_engine_start). Makes the process a child subreaper (exec_proc_subreaper). 0;
 * BERTH_EINVAL without a name or program; BERTH_ECONFIG for a bad env entry or a name the
 * engine refuses (taken, unsafe); err filled and nothing registered on failure. */
int exec_job_new(berth_engine *e, const exec_command *c, exec_job **out, char *err,
                 size_t errlen);
/* NULL is a no-op. Only after the engine that runs it is freed. */
void exec_job_free(exec_job *j);

/* What a run needs from the job (src/exec/run.c). */
const exec_command *exec_job_command(const exec_job *j);
/* The resolved environment (NULL-terminated "NAME=value"s) without the per-run entries. */
const char *const *exec_job_env(const exec_job *j);
size_t exec_job_nenv(const exec_job *j);

/* Runs one job run of j (the job type's run function). */
int exec_run(berth_ctx *ctx, const char *params_json, void *job);

#endif
