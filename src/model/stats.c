/* Life of a berth_stats (include/berth/job.h): a zeroed struct whose strings it owns. */
#include "berth/job.h"
#include "util/alloc.h"

berth_stats *berth_stats_new(void)
{
    return berth_calloc(1, sizeof(berth_stats));
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
