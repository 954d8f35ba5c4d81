/* A fast reader of the common launch body, in front of jansson.
 *
 * Harbor core sends launches of one shape: {"job":{"name":..,"parameters":{..},
 * "metadata":{"kind":..,"schedule_delay":N,"cron_spec":..,"unique":bool},"status_hook":..}}
 * with flat parameters of plain strings, small integers and booleans. Parsing that with
 * jansson (a tree of allocations, then the parameters written again as Go writes them) was
 * the largest part of a launch's user-space work; this scanner reads such a body in one
 * pass and writes the parameters' Go encoding straight from the input bytes.
 *
 * It reads the common case ONLY and declines everything else (the caller then parses with
 * jansson, which gives every error its Go text): keys other than the exact lowercase field
 * names, a key twice, escapes other than \" and \\ in parameter strings, any escape in
 * the other strings, bytes outside printable ASCII, '<' '>' '&' in parameter strings (Go
 * writes them as \u003c..), numbers with a fraction, an exponent, a sign on zero or more
 * than 15 digits, nested parameter values, more than 64 parameters, a null job or metadata,
 * anything after the root object. What it accepts gives exactly the request the jansson
 * path gives (tests/fuzz/fuzz_launch_scan.c checks it for any body).
 *
 * Pure: no globals, allocates only the request it returns. */
#ifndef BERTH_MODEL_LAUNCH_SCAN_H
#define BERTH_MODEL_LAUNCH_SCAN_H

#include <stddef.h>

#include "berth/job.h"

#define BERTH_LAUNCH_SCAN_DECLINED 1

/* Reads body[0, len): 0 with *out the caller's (berth_request_free), or
 * BERTH_LAUNCH_SCAN_DECLINED (nothing allocated, *out untouched) for any body it does not
 * read, out of memory included. */
int berth__launch_scan(const char *body, size_t len, berth_request **out);

#endif
