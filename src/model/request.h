/* The launch request body of POST /api/v1/jobs (spec §2.5):
 *   {"job":{"name":..,"parameters":{..}|null,"metadata":{"kind":..,"schedule_delay":N,
 *    "cron_spec":..,"unique":bool},"status_hook":..}}
 * decoded with Go's rules (keys case-insensitive, unknown keys ignored, null = absent), then
 * validated with Harbor's checks and detail texts in Harbor's order. The types are in
 * include/berth/job.h. */
#ifndef BERTH_MODEL_REQUEST_H
#define BERTH_MODEL_REQUEST_H

#include <stddef.h>

#include "berth/job.h"

/* Decodes body[0..len). On success *out is the caller's (berth_request_free); a body of
 * `null` gives a request with has_job false (validation then refuses it, as Harbor does).
 * BERTH_EINVAL with a message in err for: malformed JSON, nesting deeper than
 * BERTH_JSON_MAX_DEPTH (64) levels, and type mismatches, worded like Go's
 * ("json: cannot unmarshal number -1 into Go struct field Metadata.job.metadata.
 * schedule_delay of type uint64"). Harbor answers all of these with 500/10001. */
int berth_request_parse(const char *body, size_t len, berth_request **out, char *err,
                        size_t errlen);

/* berth_request_parse without the fast scanner in front (launch_scan.h): jansson only.
 * For the differential fuzz target and tests. */
int berth__request_parse_json(const char *body, size_t len, berth_request **out, char *err,
                              size_t errlen);

/* Harbor's launch checks (spec §2.5 step 2), first failure wins, exact detail texts:
 *   empty job request is not allowed
 *   name of job must be specified                  (blank after Go's TrimSpace)
 *   metadata of job is missing
 *   job kind '<k>' is not supported, only support 'Generic','Scheduled','Periodic'
 *   'schedule_delay' must be specified for Scheduled job
 *   'cron_spec' must be specified for the Periodic job
 *   'cron_spec' is not correctly set: <cron>: <hooks->cron_check's message>
 *   job with name '<name>' is unknown              (hooks->known_job false)
 *   <hooks->validate_params's message>
 * hooks and any of its callbacks may be NULL (that check is skipped). Returns 0, or
 * BERTH_EUNKNOWN for an unknown name and BERTH_EINVAL for every other failure; Harbor
 * answers both with 400/10013 and the text in err as details. */
int berth_request_validate(const berth_request *r, const berth_validate_hooks *hooks,
                           char *err, size_t errlen);

#endif
