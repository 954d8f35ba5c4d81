/* Status changes that could not be written because Redis was away (the tracker's
 * UpdateStatusWithRetry). Harbor keeps them in memory only; Berth pushes them to
 * {ns}:berth:status_retry and keeps them here only while Redis itself is unreachable.
 *
 * Owner: tracker calls (job code and API callers) add items; the heartbeat moves them to
 * Redis when it can (tracker_status.c). Lock rule: mu guards items and n; the flush holds
 * it across its Redis calls so items move in order (only the heartbeat flushes). */
#ifndef BERTH_ENGINE_STATUS_RETRY_H
#define BERTH_ENGINE_STATUS_RETRY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/redis.h"

typedef struct status_retry {
    pthread_mutex_t mu;
    char **items;            /* "<id> <status> <revision>", owned */
    size_t n;
} status_retry;

void status_retry_init(status_retry *s);
void status_retry_destroy(status_retry *s);
/* Keeps a copy of item: 0 or BERTH_ENOMEM (nothing kept). */
int status_retry_keep(status_retry *s, const char *item);
/* RPUSHes the kept items to {ns}:berth:status_retry (prefix "{ns}:") on rc, newest first,
 * until one fails. */
void status_retry_flush(status_retry *s, rconn *rc, const char *prefix);

#endif
