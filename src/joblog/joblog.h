/* Per-job logs (spec §4.5, §11; docs/logs.md): a set of backends built once from the
 * configuration, a writer per job run, getters for the log API and sweepers.
 *
 *   joblog_set *s;
 *   joblog_set_new(&(joblog_config){.backends = b, .nbackends = n, .redis = &t,
 *                                   .ns = "ns", .log = lg}, &s, err, sizeof err);
 *   joblog_set_start(s);                          // Redis flusher + sweeper threads
 *   joblog_run *r = joblog_run_open(s, id, revision, pool_id);   // per run (worker thread)
 *   joblog_run_write(r, BERTH_LOG_INFO, __FILE__, __LINE__, "text");
 *   joblog_run_close(r, ok);                      // or _end now, _wait + _free later
 *   joblog_set_free(s);                           // after every run closed
 *
 * Backends:
 *   FILE       <base_dir>/<id>.log, mode 0600, opened O_APPEND|O_NOFOLLOW at a run's first
 *              line (a run that writes none opens nothing): a retry
 *              appends after a separator naming its revision (Harbor overwrites from byte 0).
 *              Ids reach a path only after joblog_id_safe.
 *   REDIS      {ns}:berth:joblog:<id>, a string; lines are buffered per run in memory and a
 *              background thread appends every run's new bytes in one EVAL every 200 ms
 *              (never a round trip per line, never on the job's thread). The key is capped
 *              (max_bytes) and expires 7 d after each write, 1 d after a successful run. A
              run's last bytes are written when it ends, batched with other runs' (the
              worker does not wait; the completer waits before the final status).
 *   STD_OUTPUT the process's stdout or stderr; no getter, no sweeper.
 * Every line is `<RFC3339 UTC> [<LEVEL>] [<file>:<line>]: <message>\n` and goes to every
 * backend whose level it reaches. A run stops taking lines after run_max_bytes and writes one
 * truncation notice. A backend that fails (open, ENOSPC, EIO) is reported once through the
 * set's logger and dropped for that run; the job keeps running.
 *
 * Threads: a set is shared (immutable after start, except the locked parts named in
 * set.c); a run is used by one job, its calls are serialised by its own mutex. */
#ifndef BERTH_JOBLOG_JOBLOG_H
#define BERTH_JOBLOG_JOBLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "berth/log.h"
#include "store/redis.h"
#include "util/buf.h"
#include "util/log.h"

typedef struct berth_joblogs joblog_set;   /* opaque; berth_engine_config.job_logs */
typedef struct joblog_run joblog_run;

typedef enum { JOBLOG_FILE = 1, JOBLOG_REDIS, JOBLOG_STDOUT } joblog_kind;

#define JOBLOG_RUN_MAX_DEFAULT ((size_t)4 << 20)    /* per-run cap */
#define JOBLOG_GIVE_UP_MS_DEFAULT 60000             /* REDIS outage before ended runs give up */
#define JOBLOG_REDIS_MAX_DEFAULT ((size_t)8 << 20)  /* per-job Redis key cap */
#define JOBLOG_MAX_BACKENDS 8

typedef struct joblog_backend_cfg {
    joblog_kind kind;
    berth_log_level level;    /* lines below are not written to this backend */
    const char *base_dir;     /* FILE: required */
    bool std_err;             /* STD_OUTPUT: stderr instead of stdout */
    size_t max_bytes;         /* REDIS: cap of one job's key; 0 → JOBLOG_REDIS_MAX_DEFAULT */
    int sweep_days;           /* > 0: FILE sweeps sweep_dir every this many days, deleting
                                 job logs older than that; REDIS: keys expire after at
                                 most this many days */
    const char *sweep_dir;    /* FILE sweeper: NULL → base_dir */
} joblog_backend_cfg;

typedef struct joblog_config {
    const joblog_backend_cfg *backends;
    size_t nbackends;         /* at most JOBLOG_MAX_BACKENDS */
    size_t run_max_bytes;     /* per-run cap; 0 → JOBLOG_RUN_MAX_DEFAULT */
    const rtarget *redis;     /* required with a REDIS backend; copied */
    const char *ns;           /* namespace without braces; NULL → "berth" */
    berth_logger log;         /* the set's own errors (unwritable dir, Redis down, sweeps) */
    int give_up_ms;           /* REDIS: how long Redis may be away before the bytes of runs
                                 that ended are dropped; 0 → JOBLOG_GIVE_UP_MS_DEFAULT
                                 (berthd keeps the default: a knob for tests) */
} joblog_config;

/* Builds a set (no threads, no I/O but a warning when a FILE base_dir is not writable).
 * BERTH_EINVAL with err filled for a bad config. The set is the caller's: joblog_set_free. */
int joblog_set_new(const joblog_config *c, joblog_set **out, char *err, size_t errlen);
/* Starts the Redis flusher (if a REDIS backend) and the sweeper thread (if any sweeper).
 * Idempotent. */
void joblog_set_start(joblog_set *s);
/* Stops the threads (the flusher writes what it holds first) and frees. NULL is a no-op. */
void joblog_set_free(joblog_set *s);
/* True when a backend with a getter (FILE or REDIS) is configured. */
bool joblog_set_has_getter(const joblog_set *s);
/* The REDIS backend's losses since the set was made: bytes and lines that runs wrote and
 * that never reached Redis because it was away or not keeping up (given up after
 * give_up_ms, a full buffer, unsent at the stop) or because the key held another type. A
 * key's own cap is not a loss. False (both 0) without a REDIS backend. Thread-safe. */
bool joblog_set_drops(joblog_set *s, uint64_t *bytes, uint64_t *lines);

/* True for a name that may become a file name: a job id (24 lowercase hex) or an
 * execution id (<24 hex>@<digits>). */
bool joblog_id_safe(const char *id);

/* ---- writing (one run) ---------------------------------------------------------------- */

/* A run's writer. Nothing is opened yet: the first line opens the backends and writes the
 * separator `---- run of revision <rev> on <pool> ----` before itself, so a run that writes
 * no line leaves no file and no key. Never fails but out of memory (NULL): a backend that
 * cannot open is reported and skipped; a run with no backend left still accepts (and
 * drops) lines. The run is the caller's: joblog_run_close, or joblog_run_end then
 * joblog_run_wait and joblog_run_free. */
joblog_run *joblog_run_open(joblog_set *s, const char *job_id, int64_t revision,
                            const char *pool_id);
/* One line; msg need not end with '\n'. */
void joblog_run_write(joblog_run *r, berth_log_level lvl, const char *file, int line,
                      const char *msg);
/* Ends the run without waiting: FILE descriptors are closed, the REDIS bytes not written
 * yet are handed to the flusher, which writes them at once, batched with those of every
 * other run that ended meanwhile. ok: the run succeeded (its Redis key then expires with
 * the stats after 1 d, else 7 d). Returns r when bytes of it are still on their way to
 * Redis — the caller then waits for them with joblog_run_wait (the engine's completer
 * does, before it writes the run's final status) and frees r with joblog_run_free — else
 * frees r and returns NULL. NULL → NULL. */
joblog_run *joblog_run_end(joblog_run *r, bool ok);
/* After joblog_run_end: waits up to wait_ms (0: not at all) for the run's last bytes. True
 * when they reached Redis (or, after a long outage, were given up and reported;
 * docs/logs.md); false when wait_ms passed first: call again later. NULL → true. */
bool joblog_run_wait(joblog_run *r, int wait_ms);
/* Frees a run (after joblog_run_end; its unwritten bytes stay with the flusher). NULL ok. */
void joblog_run_free(joblog_run *r);
/* joblog_run_end, joblog_run_wait with 1 s, joblog_run_free. NULL no-op. */
void joblog_run_close(joblog_run *r, bool ok);
/* How many lines the run dropped (cap reached or a backend full); for tests. */
size_t joblog_run_dropped(const joblog_run *r);

/* Formats one line into out (always terminated); returns its length (≤ outlen - 1). */
size_t joblog_format(char *out, size_t outlen, time_t when, berth_log_level lvl,
                     const char *file, int line, const char *msg);

/* ---- reading (log API) ---------------------------------------------------------------- */

/* Harbor's FILE getter check (spec §2.8): NULL when the id is acceptable, else Harbor's
 * text ("invalid length of log identify" / "invalid log identify"). */
const char *joblog_bad_id(const char *id);

/* What a getter found: either an open fd range (FILE) or bytes in memory (REDIS). */
typedef struct joblog_data {
    int fd;                   /* ≥ 0: the caller owns it; send [off, off + len) */
    uint64_t off, len;
    char *bytes;              /* else: the caller's (berth_free), bytes_len long */
    size_t bytes_len;
} joblog_data;

/* Reads the last tail_bytes (0 = all) of a job's log, trying the getters in order: REDIS
 * first (the shared store, in Harbor's DB place), then FILE; a getter that has no log for
 * the id passes to the next. The id must already have passed joblog_bad_id and contain no
 * "/" or "..". 0; BERTH_ENOTFOUND; BERTH_ESTATE when no getter is configured; BERTH_EIO /
 * BERTH_EREDIS / BERTH_ENOMEM with err filled. */
int joblog_get(joblog_set *s, const char *id, uint64_t tail_bytes, joblog_data *out,
               char *err, size_t errlen);

/* A follow cursor: the tail, then bytes as they are appended. */
typedef struct joblog_cursor joblog_cursor;
/* Opens a cursor on the first getter that has the log (or, when none has it yet, on the
 * first getter, waiting for it to appear). BERTH_ESTATE when no getter is configured,
 * BERTH_ENOMEM. */
int joblog_follow_open(joblog_set *s, const char *id, uint64_t tail_bytes,
                       joblog_cursor **out);
/* Copies up to n new bytes into dst: > 0 bytes, 0 nothing new yet, < 0 error. */
ssize_t joblog_follow_read(joblog_cursor *c, char *dst, size_t n);
void joblog_follow_close(joblog_cursor *c);   /* NULL is a no-op */

/* ---- sweeping ------------------------------------------------------------------------- */

/* One pass of every FILE sweeper as of `now`: deletes regular files named like job logs
 * (joblog_id_safe + ".log") whose mtime is older than the sweeper's days; never anything
 * else. Returns how many files were deleted. The sweeper thread calls this once at start,
 * then every `days` × 24 h. */
size_t joblog_sweep_now(joblog_set *s, time_t now);
/* Sweeps so far by the thread (for tests). */
unsigned joblog_sweep_passes(joblog_set *s);

#endif
