/* Hook payload JSON; see payload.c. */
#ifndef BERTH_HOOK_PAYLOAD_H
#define BERTH_HOOK_PAYLOAD_H

#include <stddef.h>

#include "hook/event.h"

/* The payload for ev from the job's stats hash (HGETALL as parallel arrays, n may be 0).
 * Over max bytes (0 = no cap) it is rebuilt without the parameters. The string is the
 * caller's (berth_free); NULL if it cannot be built. */
char *hook_payload(const hook_event *ev, const char *const *fields, const char *const *values,
                   size_t n, size_t max);

#endif
