/* Building hook payloads (spec §9.2): {"job_id","status","check_in"(omitempty),
 * "metadata":{StatsInfo}}. The metadata is the job's stats as stored when the event is
 * prepared, with the event's own status, revision and check-in put back, so it describes the
 * job as it was when the event happened. */
#include "hook/payload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "model/stats_hash.h"
#include "model/status_change.h"
#include "util/alloc.h"

/* 0 or BERTH_ENOMEM (*dst unchanged then). */
static int set(char **dst, const char *v)
{
    return berth_strdup_to(dst, v && *v ? v : NULL);
}

/* The check_in field recorded with a status event, or NULL (the stats hash's own
 * "[REDUNDANT]" placeholder is not a message). */
static const char *last_checkin(const char *const *fields, const char *const *values, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fields[i] && values[i] && strcmp(fields[i], "check_in") == 0 &&
            strcmp(values[i], "[REDUNDANT]") != 0)
            return values[i];
    return NULL;
}

/* The job's stats for the payload: as stored, with the event's own status, revision and
 * check-in put back. 0 or BERTH_ENOMEM. */
static int event_stats(const hook_event *ev, const char *const *fields,
                       const char *const *values, size_t n, berth_stats **out)
{
    berth_stats *s = NULL;
    int rc = berth_stats_from_hash_id(ev->job, fields, values, n, &s);
    if (rc != 0 && rc != BERTH_ENOMEM)   /* no stats (any more): the event's own fields */
        rc = (s = berth_stats_new()) ? set(&s->id, ev->job) : BERTH_ENOMEM;
    if (rc == 0)
        rc = set(&s->status, ev->status);
    if (rc == 0 && ev->checkin && *ev->checkin)
        rc = set(&s->check_in, ev->checkin);
    else if (rc == 0)   /* the run's last check-in, recorded with the event (_lib.lua hook) */
        rc = set(&s->check_in, last_checkin(fields, values, n));
    if (rc == 0 && !s->ref_link && s->id) {
        size_t len = strlen(s->id) + 16;
        if ((s->ref_link = berth_malloc(len)))
            snprintf(s->ref_link, len, "/api/v1/jobs/%s", s->id);
        else
            rc = BERTH_ENOMEM;
    }
    if (rc == 0) {
        s->revision = ev->revision;
        if (ev->checkin_at && ev->checkin && *ev->checkin)
            s->check_in_at = ev->checkin_at;
        if (ev->at)
            s->update_time = ev->at;
        *out = s;
    } else {
        berth_stats_free(s);
    }
    return rc;
}

int hook_payload(const hook_event *ev, const char *const *fields, const char *const *values,
                 size_t n, size_t max, char **out)
{
    berth_stats *s = NULL;
    *out = NULL;
    int rc = event_stats(ev, fields, values, n, &s);
    buf b;
    buf_init(&b, 0);  /* no cap: capped below by max (the parameters go when over it) */
    if (rc == 0)
        rc = berth_status_change_to_json(ev->job, ev->status, ev->checkin, s, &b);
    if (rc == 0 && max && b.len > max) {   /* too big: the parameters go */
        set(&s->parameters, NULL);
        buf_reset(&b);
        rc = berth_status_change_to_json(ev->job, ev->status, ev->checkin, s, &b);
    }
    berth_stats_free(s);
    if (rc == 0 && !(*out = buf_release(&b)))
        rc = BERTH_ENOMEM;
    if (rc != 0)
        rc = rc == BERTH_ENOMEM || b.err ? BERTH_ENOMEM : BERTH_EINVAL;
    buf_free(&b);
    return rc;
}
