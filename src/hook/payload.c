/* Building hook payloads (spec §9.2): {"job_id","status","check_in"(omitempty),
 * "metadata":{StatsInfo}}. The metadata is the job's stats as stored when the event is
 * prepared, with the event's own status, revision and check-in put back, so it describes the
 * job as it was when the event happened. */
#include "hook/payload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/stats_hash.h"
#include "model/status_change.h"
#include "util/alloc.h"

static void set(char **dst, const char *v)
{
    berth_free(*dst);
    *dst = v && *v ? berth_strdup(v) : NULL;
}

char *hook_payload(const hook_event *ev, const char *const *fields, const char *const *values,
                   size_t n, size_t max)
{
    berth_stats *s = NULL;
    if (berth_stats_from_hash(fields, values, n, &s) != 0) {
        s = berth_stats_new();
        set(&s->id, ev->job);
    }
    set(&s->status, ev->status);
    set(&s->check_in, ev->checkin);
    s->revision = ev->revision;
    if (ev->checkin_at)
        s->check_in_at = ev->checkin_at;
    if (ev->at)
        s->update_time = ev->at;
    if (!s->ref_link && s->id) {
        size_t len = strlen(s->id) + 16;
        s->ref_link = berth_malloc(len);
        snprintf(s->ref_link, len, "/api/v1/jobs/%s", s->id);
    }
    buf out;
    buf_init(&out, 0);  /* no cap: capped below by max (the parameters go when over it) */
    int rc = berth_status_change_to_json(ev->job, ev->status, ev->checkin, s, &out);
    if (rc == 0 && max && out.len > max) {   /* too big: the parameters go */
        set(&s->parameters, NULL);
        buf_reset(&out);
        rc = berth_status_change_to_json(ev->job, ev->status, ev->checkin, s, &out);
    }
    berth_stats_free(s);
    if (rc != 0) {
        buf_free(&out);
        return NULL;
    }
    return buf_release(&out);
}
