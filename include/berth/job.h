/* Job model: statuses, kinds, and the wire types of Harbor's job service (spec §3), in C.
 *
 * Strings inside these structs are owned by the struct and freed by its _free function
 * (berth_stats_free, berth_request_free). `parameters` is always kept as raw JSON text
 * (an object, or NULL when absent/null): jobs parse it only if they need to. */
#ifndef BERTH_JOB_H
#define BERTH_JOB_H

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
const char *berth_status_name(berth_status s);
/* Exact, case-sensitive; unknown → BERTH_STATUS_INVALID. */
berth_status berth_status_parse(const char *name);
/* Harbor's code: Pending 0, Scheduled 1, Running 2, Stopped/Error/Success 3, invalid -1. */
int berth_status_code(berth_status s);
/* code(a) - code(b): < 0 a before b, 0 same code (Success "equals" Error), > 0 after. */
int berth_status_compare(berth_status a, berth_status b);
bool berth_status_final(berth_status s);

/* ---- kinds (spec §3.1) ----------------------------------------------------------------- */
#define BERTH_KIND_GENERIC "Generic"
#define BERTH_KIND_SCHEDULED "Scheduled"
#define BERTH_KIND_PERIODIC "Periodic"
/* True for exactly one of the three kind strings (case-sensitive). */
bool berth_kind_valid(const char *kind);

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

/* Frees every string and the struct itself; NULL is a no-op. */
void berth_stats_free(berth_stats *s);

#endif
