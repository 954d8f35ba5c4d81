/* berthd assembled from its configuration: the daemon log, the embedded (or shared)
 * Redis, the engine with the built-in jobs, the periodic enqueuer and the REST API. main.c
 * only parses arguments and waits for signals; everything that can fail is here. */
#ifndef BERTH_SERVER_DAEMON_H
#define BERTH_SERVER_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include "server/config.h"

typedef struct daemon daemon_t;

/* Starts everything from cfg (which must outlive the daemon). secret is CORE_SECRET (NULL
 * or "" → none: loopback only). Returns 0 or a BERTH_E* code with one line in err; on
 * failure nothing is left running. */
int daemon_start(const berth_config *cfg, const char *secret, daemon_t **out, char *err,
                 size_t errlen);
/* The bound HTTP port and address (for logs and tests). */
int daemon_port(const daemon_t *d);
/* SIGHUP: reopen log files. */
void daemon_reopen_logs(daemon_t *d);
/* Graceful stop: API first, then the periodic enqueuer, the engine (grace period), the
 * embedded Redis. Frees d. NULL is a no-op. */
void daemon_stop(daemon_t *d);

/* Picks the listen address: the configured one, else 127.0.0.1 without a secret and
 * 0.0.0.0 with one. Refuses (BERTH_ECONFIG) a non-loopback address without a secret. */
int daemon_listen_address(const char *configured, bool have_secret, char *out, size_t outlen,
                          char *err, size_t errlen);

#endif
