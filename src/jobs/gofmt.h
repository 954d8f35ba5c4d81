/* Go's fmt %v texts that Harbor's job logs print: a decoded JSON value (`job parameters
 * %+v` of a parameters map), a []string, a time.Duration. Log text only — core never
 * parses it — but users compare logs, so the shapes follow Go. Stateless. */
#ifndef BERTH_JOBS_GOFMT_H
#define BERTH_JOBS_GOFMT_H

#include <jansson.h>
#include <stdint.h>

#include "util/buf.h"

/* map[k:v k2:v2] (keys sorted), [a b], strings bare, float64 as Go's %v, true/false,
 * <nil>; NULL (a nil map) → map[]. */
void gofmt_value(buf *b, const json_t *v);
/* [a b c] */
void gofmt_strings(buf *b, char *const *v, size_t n);
/* time.Duration.String(): 1.5s, 2m3.000000004s, 150ms, 12.3µs, 0s. */
void gofmt_duration(buf *b, int64_t ns);

#endif
