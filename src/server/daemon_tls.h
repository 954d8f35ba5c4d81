/* What berthd does with its TLS settings at start: https_config (or JOB_SERVICE_HTTPS_*)
 * for its own server, and Harbor's internal TLS variables (util/internal_tls.h). With
 * INTERNAL_VERIFY_CLIENT_CERT=true and https, the server requires client certificates signed
 * by INTERNAL_TLS_TRUST_CA_PATH (unset: the system store, SSL_CERT_FILE or Debian's bundle,
 * which is what Harbor's Go server trusts). Every file is checked before anything starts
 * (server/tls_check.h), so bad settings refuse the start with a clear message. */
#ifndef BERTH_SERVER_DAEMON_TLS_H
#define BERTH_SERVER_DAEMON_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "server/config.h"

/* The PEM texts the HTTP server is given; all NULL for http. Owned: daemon_tls_free. */
typedef struct daemon_tls {
    char *cert;
    char *key;        /* wiped when freed */
    char *client_ca;  /* set when client certificates are required */
    const char *client_ca_path;   /* the file it came from (for the log) */
} daemon_tls;

/* 0, or BERTH_ECONFIG with err naming the setting and the file. */
int daemon_tls_check(const berth_config *c, char *err, size_t errlen);

/* Reads the files for c's server into out. 0, or BERTH_ECONFIG with err. */
int daemon_tls_load(const berth_config *c, daemon_tls *out, char *err, size_t errlen);

void daemon_tls_free(daemon_tls *t);

/* A line for the log when the settings do less than they seem to, else NULL. */
const char *daemon_tls_warning(const berth_config *c);

#endif
