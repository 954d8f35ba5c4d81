/* The registry authorization IMAGE_SCAN hands to the scanner adapter (spec harbor-jobs
 * §8.3 step 5; Harbor's makeBasicAuthorization / makeBearerAuthorization): the robot
 * account's `Basic base64(name:secret)`, or, when core asked for Bearer, a pull token for
 * the artifact's repository from core's token service
 * (`GET <core_url>/service/token?scope=repository%3A<repo>%3Apull&service=harbor-registry`,
 * authenticated as the robot, certificate not verified). */
#ifndef BERTH_JOBS_SCAN_AUTH_H
#define BERTH_JOBS_SCAN_AUTH_H

#include <stddef.h>

#include "berth/context.h"
#include "jobs/scan_params.h"

/* *auth (free()) gets the header value. 0; JHTTP_STOPPED when the run was stopped; or a
 * BERTH_E* code with the reason in err (`get bearer token failed, <body>`, a transport or
 * JSON error, no core URL). core_url NULL → env CORE_URL. */
int scan_auth_make(const scan_params *p, const char *core_url, berth_ctx *ctx, char **auth,
                   char *err, size_t errlen);

/* Go's url.QueryEscape of s appended to out (NUL-terminated, truncated at outlen). */
void scan_query_escape(const char *s, char *out, size_t outlen);

#endif
