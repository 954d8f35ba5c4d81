/* The body of POST /api/v1/jobs/{id}, Harbor's job.ActionRequest {"action":".."} (spec §2.7).
 * Only "stop" (exact, lower case) is an action Harbor knows; the caller decides. */
#ifndef BERTH_MODEL_ACTION_H
#define BERTH_MODEL_ACTION_H

#include <stddef.h>

#include "util/buf.h"

#define BERTH_ACTION_STOP "stop"

/* Parses the body with Go's rules. *action is the caller's (berth_free); it is "" when the
 * member is absent or null (Harbor then answers 501 for an unknown action ""). Bad JSON or
 * a non-string action → BERTH_EINVAL + err (Harbor: 500/10001). */
int berth_action_parse(const char *text, size_t len, char **action, char *err, size_t errlen);
/* Appends {"action":"<action>"}. 0 or BERTH_ETOOBIG (out restored). */
int berth_action_to_json(const char *action, buf *out);

#endif
