/* A plugin built for another ABI major version (test_own_jobs): berthd must refuse it
 * before calling anything in it. Its register function would register a job, so a host
 * that skipped the check would be seen to. */
#include <berth/plugin.h>

static int never_called(berth_engine *e, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    return berth_engine_register(e, &(berth_job_type){.name = "BAD_ABI_JOB"});
}

__attribute__((visibility("default"))) const berth_plugin_desc berth_plugin = {
    (BERTH_ABI_MAJOR + 1) << 16, "bad-abi", never_called};
