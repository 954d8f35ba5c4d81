/* Views for operators and the dashboard (docs/api.md "Operator routes"), read from Redis so
 * every node shows the same figures for the whole service:
 *   - throughput: final statuses per minute, counted by the status scripts in
 *     {ns}:berth:throughput:<minute> (kept 65 minutes);
 *   - check-ins: the newest 20 of a job ({ns}:berth:checkins:<id>; Harbor keeps none);
 *   - parked hook events ({ns}:berth:hooks:parked), newest first.
 * Read-only and thread-safe; results are the caller's (each has a _clear). */
#ifndef BERTH_MONITOR_H
#define BERTH_MONITOR_H

#include "berth/api.h"

#include <stddef.h>
#include <stdint.h>

#include "berth/berth.h"

#define BERTH_THROUGHPUT_MAX_MINUTES 60

typedef struct berth_minute {
    int64_t at;                  /* start of the minute (unix s, a multiple of 60) */
    int64_t success, error, stopped;   /* jobs that reached that final status in it */
} berth_minute;

/* The last `minutes` minutes (1..BERTH_THROUGHPUT_MAX_MINUTES), oldest first, the current
 * (partial) minute last, into out[0..minutes). 0, BERTH_EINVAL, BERTH_EREDIS. */
BERTH_API int berth_query_throughput(berth_engine *e, unsigned minutes, berth_minute *out);

typedef struct berth_checkin {
    int64_t at;                  /* unix s */
    char *message;
} berth_checkin;

typedef struct berth_checkin_list {
    berth_checkin *items;        /* newest first */
    size_t n;
} berth_checkin_list;

/* The newest check-ins of job_id (none for an unknown job). 0, BERTH_EINVAL, BERTH_EREDIS. */
BERTH_API int berth_query_checkins(berth_engine *e, const char *job_id, berth_checkin_list *out);
BERTH_API void berth_checkin_list_clear(berth_checkin_list *l);   /* NULL is a no-op */

typedef struct berth_parked_hook {
              char *event_id;              /* the stream entry id */
              char *job_id;
    char *status;
    int64_t revision;
    char *url;
    char *check_in;              /* "" when none */
    char *reason;                /* why delivery gave up */
    int64_t parked_at;           /* unix s */
} berth_parked_hook;

typedef struct berth_parked_list {
    berth_parked_hook *items;    /* newest first */
    size_t n;
} berth_parked_list;

/* Up to limit (1..1000) parked hook events. 0, BERTH_EINVAL, BERTH_EREDIS. */
BERTH_API int berth_query_parked_hooks(berth_engine *e, unsigned limit, berth_parked_list *out);
BERTH_API void berth_parked_list_clear(berth_parked_list *l);     /* NULL is a no-op */

#endif
