/* The Redis-hash form of a job's stats, key {ns}:job_stats:<id> (spec §5.2): every value a
 * string, unique as "1"/"0", integers in decimal, parameters as JSON text. Harbor writes the
 * ack as {"status":"..","revision":N,"check_in_at":N}; Berth writes its compact layout
 * (src/store/lua/_lib.lua stats_hset, docs/redis-schema.md "Stats hash"), read here too. */
#ifndef BERTH_MODEL_STATS_HASH_H
#define BERTH_MODEL_STATS_HASH_H

#include <stddef.h>

#include "berth/job.h"

/* From an HGETALL reply as parallel arrays, with Harbor's Load semantics: check_in is
 * always blanked; empty strings read as NULL; numbers are read like Go's strconv.ParseInt
 * with the error ignored (bad text → 0, out of range → clamped to the int64 limit); unique
 * is Go's ParseBool (1, t, T, TRUE, true, True → true; anything else false); parameters
 * that are not a JSON object are dropped, as is an ack that is not valid ACK JSON; unknown
 * fields and NULL entries are ignored; a later duplicate field wins. n == 0 (an empty or
 * missing hash) → BERTH_ENOTFOUND. *out is the caller's (berth_stats_free). */
int berth_stats_from_hash(const char *const *fields, const char *const *values, size_t n,
                          berth_stats **out);
/* The same for the hash of job id (NULL: unknown), in either layout: Harbor's, or Berth's
 * compact one (short names n/e/p, values over 64 bytes in pieces "<field>#<k>", the ack as
 * "<status> <revision> <check_in_at>", id/kind Generic/unique false derived; see
 * docs/redis-schema.md). A piece of a value is applied as the joined value, in the field's
 * place among the others (a later duplicate still wins). */
int berth_stats_from_hash_id(const char *id, const char *const *fields,
                             const char *const *values, size_t n, berth_stats **out);

/* True for a field that holds the parameters or a piece of them, in either layout
 * ("parameters", "p", "p#<k>"); false for NULL. */
bool berth_stats_field_is_params(const char *field);

/* Field/value pairs for HSET. fields point at static names; values are owned by the struct.
 * n is at most BERTH_STATS_HASH_MAX. */
#define BERTH_STATS_HASH_MAX 19
typedef struct berth_stats_hash {
    size_t n;                                 /* pairs used */
    const char *fields[BERTH_STATS_HASH_MAX]; /* static field names */
    char *values[BERTH_STATS_HASH_MAX];       /* NUL-terminated, owned */
    bool nomem;                               /* building ran out of memory */
} berth_stats_hash;

/* The pairs of s in Harbor's layout (layout 1), in spec §5.2 order: what a Harbor job service
 * writes, for writers that want Harbor's bytes (tests seeding a takeover). Berth's own scripts
 * write its compact layout through stats_hset() in src/store/lua/_lib.lua instead. Always: id, name, kind, unique, status,
 * enqueue_time, update_time, revision (NULL strings written as ""). Only when non-empty /
 * non-zero: ref_link, run_at, cron_spec, web_hook_url, numeric_policy_id, check_in (as the
 * placeholder "[REDUNDANT]", like Harbor), check_in_at, die_at, upstream_job_id,
 * parameters (verbatim; "{}" is kept so the unique key can be rebuilt), ack (when
 * ack.status is set). *out is the caller's: berth_stats_hash_free. 0 or BERTH_ENOMEM. */
int berth_stats_to_hash(const berth_stats *s, berth_stats_hash **out);
/* Frees the values and the struct; NULL is a no-op. */
void berth_stats_hash_free(berth_stats_hash *h);

#endif
