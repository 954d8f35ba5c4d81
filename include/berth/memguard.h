/* Memory back-pressure: refuse new work before Redis runs out of memory.
 *
 * With `maxmemory` set and the `noeviction` policy (the only policy under which a job
 * queue is safe), Redis answers every write with an OOM error once used_memory passes
 * maxmemory: launches, but also status updates, check-ins and finishes of jobs already
 * running. berthd therefore stops accepting launches earlier, at a configured fraction of
 * maxmemory (berth.max_memory_fraction, default 0.9), so the jobs already accepted keep
 * the headroom they need to finish. */
#ifndef BERTH_MEMGUARD_H
#define BERTH_MEMGUARD_H

#include "berth/api.h"

#include <stddef.h>
#include <stdint.h>

#include "berth/berth.h"

/* A cached reading is reused for at most this long (and at most 8 calls) while memory is
 * far from the limit; close to it (at or over 80% of the refusal point) every call reads
 * Redis afresh, so a burst of launches cannot run far past the limit on a stale reading. */
#define BERTH_MEMGUARD_REFRESH_MS 250

/* May the engine take new work? fraction in (0, 1]; 0 (or less) disables the check.
 * Reads INFO memory through the engine's connection pool (cached as above). Returns 0 when
 * used_memory < fraction × maxmemory, when maxmemory is 0 (no limit), or when Redis cannot
 * be read (the launch itself then reports the Redis error). BERTH_ESTATE when memory is
 * over the fraction, with "redis memory is above N% of maxmemory; launch refused" in err.
 * Thread-safe. */
BERTH_API int berth_engine_memory_ok(berth_engine *e, double fraction, char *err, size_t errlen);

/* Reads used_memory and maxmemory out of INFO text (info[0..len), "name:value\r\n" lines).
 * 0, or BERTH_EINVAL when either is missing or not a decimal uint64. */
BERTH_API int berth_memory_info_parse(const char *info, size_t len, uint64_t *used, uint64_t *max);

#endif
