/* Job, policy, pool and worker ids: 12 random bytes as 24 lowercase hex chars (spec §3.5);
 * periodic execution ids: <policy id>@<epoch seconds>. */
#ifndef BERTH_MODEL_ID_H
#define BERTH_MODEL_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BERTH_ID_LEN 24
/* Longest execution id: 24 hex + '@' + 19 digits, plus the NUL. */
#define BERTH_EXEC_ID_SIZE 45

/* Fills out with 24 hex chars + NUL from getrandom(2) (read ahead per thread: id.c). */
void berth_id_new(char out[25]);
/* Exactly 24 lowercase hex chars. */
bool berth_id_valid(const char *id);
/* A periodic execution id: <24 hex>@<1..19 digits>. */
bool berth_execution_id_valid(const char *id);
/* Writes "<policy>@<epoch>" into out. BERTH_EINVAL unless policy is a valid id and
 * epoch >= 0. */
int berth_execution_id_make(const char *policy, int64_t epoch, char out[BERTH_EXEC_ID_SIZE]);
/* Splits a valid execution id into its policy id (24 hex + NUL) and epoch; either out may
 * be NULL. BERTH_EINVAL for anything else (including an epoch over INT64_MAX). */
int berth_execution_id_split(const char *id, char policy[25], int64_t *epoch);

#endif
