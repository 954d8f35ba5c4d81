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
/* Graceful stop: API first, then the periodic enqueuer, the engine (grace period, logged
 * with how many jobs it waits for), the embedded Redis, the data-dir lock. d stays
 * allocated (daemon_hurry remains safe from another thread); a second call is a no-op. */
void daemon_shutdown(daemon_t *d);
/* A second Ctrl-C: hand the running jobs back now instead of after the grace period.
 * Safe from any thread until daemon_stop, before or during daemon_shutdown. */
void daemon_hurry(daemon_t *d);
/* daemon_shutdown, then frees d. NULL is a no-op. */
void daemon_stop(daemon_t *d);

/* Picks the listen address: the configured one, else 127.0.0.1 without a secret and
 * 0.0.0.0 with one. Refuses (BERTH_ECONFIG) a non-loopback address without a secret. */
int daemon_listen_address(const char *configured, bool have_secret, char *out, size_t outlen,
                          char *err, size_t errlen);

#endif
