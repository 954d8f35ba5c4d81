/* The Redis-hash form of a job's stats (spec §5.2): every value a string, unique as 1/0,
 * ints in decimal, parameters as JSON text, ack as {"status","revision","check_in_at"}. */
#ifndef BERTH_MODEL_STATS_HASH_H
#define BERTH_MODEL_STATS_HASH_H

#include <stddef.h>

#include "berth/job.h"

/* From an HGETALL reply as parallel arrays (Load semantics: check_in is always blanked,
 * unparsable numbers read as 0, unknown fields are ignored). An empty hash →
 * BERTH_ENOTFOUND. *out is the caller's (berth_stats_free). */
int berth_stats_from_hash(const char *const *fields, const char *const *values, size_t n,
                          berth_stats **out);

#endif
