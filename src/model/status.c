/* Job statuses (spec §3.4): the six names, Harbor's numeric codes and its ordering, in
 * which all three final statuses share code 3 (so Success "equals" Error). */
#include <string.h>

#include "berth/job.h"

static const char *const names[] = {"Pending", "Scheduled", "Running",
                                    "Stopped", "Error",     "Success"};

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
