/* Hook payload JSON; see payload.c. */
#ifndef BERTH_HOOK_PAYLOAD_H
#define BERTH_HOOK_PAYLOAD_H

#include <stddef.h>

#include "hook/event.h"

/* The payload for ev from the job's stats hash (HGETALL as parallel arrays, n may be 0)
 * into *out. Over max bytes (0 = no cap) it is rebuilt without the parameters. The string
 * is the caller's (berth_free). 0, BERTH_ENOMEM, or BERTH_EINVAL when it cannot be built. */
int hook_payload(const hook_event *ev, const char *const *fields, const char *const *values,
                 size_t n, size_t max, char **out);

#endif
