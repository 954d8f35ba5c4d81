/* Job, pool and worker ids: 12 random bytes as 24 lowercase hex chars (spec §3.5). */
#ifndef BERTH_MODEL_ID_H
#define BERTH_MODEL_ID_H

#include <stdbool.h>

/* Fills out with 24 hex chars + NUL from getrandom(2). */
void berth_id_new(char out[25]);
/* Exactly 24 lowercase hex chars. */
bool berth_id_valid(const char *id);
/* A periodic execution id: <24 hex>@<1..19 digits>. */
bool berth_execution_id_valid(const char *id);

#endif
