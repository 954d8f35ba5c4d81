/* Job model: statuses, kinds, and the wire types of Harbor's job service (spec §3), in C.
 *
 * Strings inside these structs are owned by the struct and freed by its _free function
 * (berth_stats_free, berth_request_free). `parameters` is always kept as raw JSON text
 * (an object, or NULL when absent/null): jobs parse it only if they need to. */
#ifndef BERTH_JOB_H
#define BERTH_JOB_H

#include "berth/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- status (spec §3.4) ---------------------------------------------------------------- */
typedef enum {
    BERTH_STATUS_INVALID = -1,
    BERTH_STATUS_PENDING = 0,
    BERTH_STATUS_SCHEDULED,
    BERTH_STATUS_RUNNING,
    BERTH_STATUS_STOPPED,
    BERTH_STATUS_ERROR,
    BERTH_STATUS_SUCCESS,
} berth_status;

/* "Pending", "Scheduled", ... (static); NULL for INVALID. */
BERTH_API const char *berth_status_name(berth_status s);
/* Exact, case-sensitive; unknown → BERTH_STATUS_INVALID. */
BERTH_API berth_status berth_status_parse(const char *name);
/* Harbor's code: Pending 0, Scheduled 1, Running 2, Stopped/Error/Success 3, invalid -1. */
BERTH_API int berth_status_code(berth_status s);
/* code(a) - code(b): < 0 a before b, 0 same code (Success "equals" Error), > 0 after. */
BERTH_API int berth_status_compare(berth_status a, berth_status b);
BERTH_API bool berth_status_final(berth_status s);

/* ---- kinds (spec §3.1) ----------------------------------------------------------------- */
#define BERTH_KIND_GENERIC "Generic"
#define BERTH_KIND_SCHEDULED "Scheduled"
#define BERTH_KIND_PERIODIC "Periodic"
/* True for exactly one of the three kind strings (case-sensitive). */
BERTH_API bool berth_kind_valid(const char *kind);

/* ---- ACK of the last delivered hook (spec §9.4) -------------------------------------- */
typedef struct berth_ack {
    char *status;         /* NULL when there is no ack */
    int64_t revision;
    int64_t check_in_at;
} berth_ack;

/* ---- StatsInfo (spec §3.3); JSON wrapper {"job": {...}} -------------------------------- */
typedef struct berth_stats {
    char *id;
    char *status;
    char *name;
    char *kind;
    bool unique;
    char *ref_link;           /* omitempty */
    char *cron_spec;          /* omitempty */
    int64_t enqueue_time;
    int64_t update_time;
    int64_t run_at;           /* omitempty (0) */
    char *check_in;           /* omitempty */
    int64_t check_in_at;      /* omitempty (0) */
    int64_t die_at;           /* omitempty (0) */
    char *web_hook_url;       /* omitempty */
    char *upstream_job_id;    /* omitempty */
    int64_t numeric_policy_id;/* omitempty (0) */
    char *parameters;         /* raw JSON object text; omitempty (NULL) */
    int64_t revision;         /* omitempty (0) */
    berth_ack ack;            /* omitempty (status NULL) */
} berth_stats;

/* A zeroed stats struct (every string NULL, every number 0); free with berth_stats_free. */
BERTH_API berth_stats *berth_stats_new(void);
/* Frees every string and the struct itself; NULL is a no-op. */
BERTH_API void berth_stats_free(berth_stats *s);

/* ---- launch request (spec §2.5): {"job":{"name","parameters","metadata":{...},"status_hook"}}
 * Filled by berth_request_parse (src/model/request.h). Absent and JSON-null members read as
 * NULL/0/false, as Go leaves them at their zero value. */
typedef struct berth_request {
    bool has_job;             /* "job" present and not null */
    char *name;               /* NULL when absent */
    char *parameters;         /* the object re-encoded as Go does (keys sorted, numbers as
                                 float64, compact); NULL when absent or null */
    bool has_metadata;        /* "metadata" present and not null */
    char *kind;               /* metadata.kind; NULL when absent */
    uint64_t schedule_delay;  /* metadata.schedule_delay, seconds; 0 when absent */
    char *cron_spec;          /* metadata.cron_spec; NULL when absent */
    bool unique;              /* metadata.unique */
    char *status_hook;        /* NULL when absent */
} berth_request;

/* Frees every string and the struct itself; NULL is a no-op. */
BERTH_API void berth_request_free(berth_request *r);

/* Optional checks berth_request_validate runs after its own (spec §2.5 step 2). Any
 * callback may be NULL (the check is skipped). A callback that fails writes the reason
 * into err (NUL-terminated, at most errlen bytes) and returns non-zero. */
typedef struct berth_validate_hooks {
    /* Periodic only: parse the cron spec; err gets the parser's message. */
    int (*cron_check)(const char *spec, char *err, size_t errlen, void *ud);
    /* Is a job with this name registered? */
    bool (*known_job)(const char *name, void *ud);
    /* The job's own parameter check; params_json is NULL when there are none. Its err
     * text becomes the reply's details verbatim. */
    int (*validate_params)(const char *name, const char *params_json, char *err,
                           size_t errlen, void *ud);
    void *ud;                 /* passed to every callback */
} berth_validate_hooks;

#endif
