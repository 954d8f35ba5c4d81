/* The ACK of the last delivered hook event (spec §9.4), as JSON: {"status":"..","revision":N,
 * "check_in_at":N} — Go's field order when Berth writes it; any order when read (Harbor's Lua
 * writes it with cjson). */
#ifndef BERTH_MODEL_ACK_H
#define BERTH_MODEL_ACK_H

#include <jansson.h>
#include <stdbool.h>

#include "berth/job.h"
#include "util/buf.h"

/* Appends the ACK object (a NULL status is written as ""). 0 or BERTH_ETOOBIG. */
int berth_ack_to_json(const berth_ack *a, buf *out);
/* Parses ACK JSON text into *out (out->status is the caller's: berth_free). Go's rules: the
 * text must be an object whose fields have the right types, else BERTH_EINVAL and *out is
 * left untouched. */
int berth_ack_parse(const char *text, berth_ack *out);
/* Reads an ACK object already decoded. prefix is the JSON path of the object for error
 * texts ("job.ack."), "" at the root. On error *out is left untouched. */
int berth__ack_from_tree(const json_t *o, const char *prefix, bool lossy, berth_ack *out,
                         char *err, size_t errlen);

#endif
