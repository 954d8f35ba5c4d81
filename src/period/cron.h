/* Cron specs as Harbor's job service reads them: robfig/cron v3 with the parser
 * NewParser(Second | Minute | Hour | Dom | Month | Dow), i.e. exactly six fields
 * `sec min hour dom month dow`, no descriptors, times in UTC. The grammar, the error
 * texts and every difference from croniter and Vixie cron are in docs/cron.md.
 *
 * A parsed schedule is six bitsets; cron_next/cron_prev jump field by field (next
 * matching month, day, hour, minute, second), so a call costs a handful of bit scans,
 * not a walk over seconds. Pure functions: no allocation, no globals, thread-safe. */
#ifndef BERTH_PERIOD_CRON_H
#define BERTH_PERIOD_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Latest instant the functions below work with: 9999-12-31T23:59:59Z. */
#define CRON_T_MAX INT64_C(253402300799)

/* How far cron_next looks: robfig gives up when the search passes the end of the year
 * (year of after+1) + CRON_YEARS. cron_prev looks back as far, symmetrically. */
#define CRON_YEARS 5

typedef struct cron_schedule {
    uint64_t sec;    /* bit n: fires at second n, 0-59 */
    uint64_t min;    /* bit n: minute n, 0-59 */
    uint64_t hour;   /* bit n: hour n, 0-23 */
    uint64_t dom;    /* bit n: day of month n, 1-31 (bit 0 never set) */
    uint64_t month;  /* bit n: month n, 1-12 (bit 0 never set) */
    uint64_t dow;    /* bit n: day of week n, 0-6, 0 = Sunday */
    bool dom_star;   /* the dom field had a `*`/`?` item without a step > 1 (robfig's star bit) */
    bool dow_star;   /* same for dow. If either is set a day must match dom AND dow,
                      * otherwise dom OR dow (the Vixie rule). */
} cron_schedule;

/* Parses spec into *out. Returns 0, or BERTH_EINVAL with robfig's error text in err
 * (always NUL-terminated when errlen > 0, cut at a UTF-8 character boundary; err may be
 * NULL) and *bad_field set to the static name of the field that failed: "sec", "min",
 * "hour", "dom", "month", "dow", "tz" for a TZ=/CRON_TZ= prefix, or NULL when the spec as
 * a whole is wrong (empty, field count, descriptor). bad_field may be NULL; on success it
 * is set to NULL. *out is zeroed on failure. spec NULL is treated as "". */
int cron_parse(const char *spec, cron_schedule *out, char *err, size_t errlen,
               const char **bad_field);

/* The first fire time strictly after `after` (unix seconds, UTC), or 0 if there is none
 * up to the end of year(after + 1) + CRON_YEARS (robfig's zero time) or up to CRON_T_MAX.
 * An `after` below 0 counts as 0, so the epoch itself is never reported as a fire time. */
int64_t cron_next(const cron_schedule *s, int64_t after);

/* The newest fire time at or before `at_or_before`, or 0 if there is none since the
 * start of year(at_or_before) - CRON_YEARS, or none after 1970-01-01T00:00:00Z.
 * A time after CRON_T_MAX counts as CRON_T_MAX. For misfire catch-up. */
int64_t cron_prev(const cron_schedule *s, int64_t at_or_before);

/* All fire times in (after, until], ascending, at most max of them into out (which may be
 * NULL when max is 0). Returns how many were written; stops early at a 0 from cron_next. */
int cron_next_n(const cron_schedule *s, int64_t after, int64_t until, int64_t *out, int max);

/* Whether t (unix seconds, UTC, 0..CRON_T_MAX) is a fire time. */
bool cron_matches(const cron_schedule *s, int64_t t);

#endif
