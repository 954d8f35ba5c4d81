/* Request paths: job ids checked before they go into a URL, and escaped when they do. */
#ifndef BERTH_CLI_PATH_H
#define BERTH_CLI_PATH_H

#include "util/buf.h"

/* Longest job id accepted (Harbor's are 24 hex, executions <24 hex>@<epoch>). */
#define PATH_ID_MAX 256

/* CLI_OK, or CLI_USAGE after printing why: empty, longer than PATH_ID_MAX, containing '/',
 * "..", or control characters. */
int path_check_id(const char *id);
/* Appends "/api/v1/jobs/<escaped id><suffix>" (suffix may be ""). */
void path_job(buf *out, const char *id, const char *suffix);

#endif
