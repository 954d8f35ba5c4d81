/* Start-time checks of TLS files, so that berthd refuses bad settings with a message naming
 * the setting and the file, instead of failing at the first handshake (or, for a client
 * certificate, at the first hook). The files are loaded with GnuTLS exactly as the server
 * (libmicrohttpd) and checked as libcurl will need them: a certificate and its key must
 * load and belong together, a CA file must hold at least one certificate. Stateless. */
#ifndef BERTH_SERVER_TLS_CHECK_H
#define BERTH_SERVER_TLS_CHECK_H

#include <stddef.h>

/* 0, or BERTH_ECONFIG with err "<cert_name>/<key_name>: …" (missing or unreadable file,
 * not PEM, key not the certificate's). */
int tls_check_pair(const char *cert_name, const char *cert_path, const char *key_name,
                   const char *key_path, char *err, size_t errlen);

/* 0, or BERTH_ECONFIG with err "<name>: …" (missing, unreadable, no certificate in it). */
int tls_check_ca(const char *name, const char *path, char *err, size_t errlen);

#endif
