/* Job statuses and kinds (spec §3.4, §3.1): names, codes, ordering. */
#include <string.h>

#include "berth/job.h"
#include "util/alloc.h"

static const char *const names[] = {"Pending", "Scheduled", "Running", "Stopped", "Error",
                                    "Success"};

const char *berth_status_name(berth_status s)
{
    if (s < BERTH_STATUS_PENDING || s > BERTH_STATUS_SUCCESS)
        return NULL;
    return names[s];
}

berth_status berth_status_parse(const char *name)
{
    for (int i = 0; name && i <= BERTH_STATUS_SUCCESS; i++)
        if (strcmp(name, names[i]) == 0)
            return (berth_status)i;
    return BERTH_STATUS_INVALID;
}

int berth_status_code(berth_status s)
{
    switch (s) {
    case BERTH_STATUS_PENDING: return 0;
    case BERTH_STATUS_SCHEDULED: return 1;
    case BERTH_STATUS_RUNNING: return 2;
    case BERTH_STATUS_STOPPED:
    case BERTH_STATUS_ERROR:
    case BERTH_STATUS_SUCCESS: return 3;
    default: return -1;
    }
}

int berth_status_compare(berth_status a, berth_status b)
{
    return berth_status_code(a) - berth_status_code(b);
}

bool berth_status_final(berth_status s)
{
    return berth_status_code(s) == 3;
}

bool berth_kind_valid(const char *kind)
{
    return kind && (strcmp(kind, BERTH_KIND_GENERIC) == 0 ||
                    strcmp(kind, BERTH_KIND_SCHEDULED) == 0 ||
                    strcmp(kind, BERTH_KIND_PERIODIC) == 0);
}

void berth_stats_free(berth_stats *s)
{
    if (!s)
        return;
    berth_free(s->id);
    berth_free(s->status);
    berth_free(s->name);
    berth_free(s->kind);
    berth_free(s->ref_link);
    berth_free(s->cron_spec);
    berth_free(s->check_in);
    berth_free(s->web_hook_url);
    berth_free(s->upstream_job_id);
    berth_free(s->parameters);
    berth_free(s->ack.status);
    berth_free(s);
}
