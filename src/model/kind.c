/* Job kinds (spec §3.1): Generic, Scheduled, Periodic, case-sensitive. */
#include <string.h>

#include "berth/job.h"

bool berth_kind_valid(const char *kind)
{
    return kind && (strcmp(kind, BERTH_KIND_GENERIC) == 0 ||
                    strcmp(kind, BERTH_KIND_SCHEDULED) == 0 ||
                    strcmp(kind, BERTH_KIND_PERIODIC) == 0);
}
