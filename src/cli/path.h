/* Request paths: job ids and queue names checked before they go into a URL, and escaped
 * when they do. */
#ifndef BERTH_CLI_PATH_H
#define BERTH_CLI_PATH_H

#include "util/buf.h"

/* Longest job id accepted (Harbor's are 24 hex, executions <24 hex>@<epoch>). */
#define PATH_ID_MAX 256

/* CLI_OK, or CLI_USAGE after printing why: empty, longer than PATH_ID_MAX, containing '/',
 * "..", or control characters. what names the value in the message ("job id"). */
int path_check_segment(const char *what, const char *s);
/* path_check_segment("job id", id). */
int path_check_id(const char *id);
/* Appends "<prefix><escaped segment><suffix>" (suffix may be ""). */
void path_segment(buf *out, const char *prefix, const char *seg, const char *suffix);
/* Appends "/api/v1/jobs/<escaped id><suffix>" (suffix may be ""). */
void path_job(buf *out, const char *id, const char *suffix);

#endif
