/* Harbor's internal TLS on the client side, for every libcurl handle Berth opens towards
 * core and the other Harbor components (Harbor: src/common/http/tls.go and transport.go,
 * src/jobservice/hook/hook_client.go). With INTERNAL_TLS_ENABLED or
 * INTERNAL_VERIFY_CLIENT_CERT "true" (any case, Harbor's test), a handle presents berthd's
 * own certificate and key (INTERNAL_TLS_CERT_PATH, INTERNAL_TLS_KEY_PATH) to a server that
 * asks for one, and trusts the internal CA (INTERNAL_TLS_TRUST_CA_PATH) besides the system
 * store: Harbor's containers add that CA to the system store, which Go's clients trust.
 * Neither variable "true": nothing is changed, as in Harbor.
 *
 * The settings are read from the environment at each use, as Harbor's os.Getenv; berthd
 * checks the files once at start (server/tls_check.h) and refuses to start on bad ones.
 * Stateless: safe from any thread while nobody changes the environment. */
#ifndef BERTH_UTIL_INTERNAL_TLS_H
#define BERTH_UTIL_INTERNAL_TLS_H

#include <curl/curl.h>
#include <stdbool.h>

typedef struct internal_tls {
    bool enabled;           /* INTERNAL_TLS_ENABLED is "true" */
    bool verify_client;     /* INTERNAL_VERIFY_CLIENT_CERT is "true" */
    const char *cert;       /* INTERNAL_TLS_CERT_PATH; NULL when unset or blank */
    const char *key;        /* INTERNAL_TLS_KEY_PATH */
    const char *trust_ca;   /* INTERNAL_TLS_TRUST_CA_PATH */
} internal_tls;

/* The settings from the process's environment; the strings point into it. */
void internal_tls_from_env(internal_tls *out);

/* Whether Berth's outgoing calls use the settings: either variable is "true". */
bool internal_tls_on(const internal_tls *t);

/* Sets the client certificate, key and internal CA of h from t (NULL → the process's
 * environment). Nothing when !internal_tls_on. A handle that sets its own CA with
 * CURLOPT_CAINFO_BLOB keeps it (curl prefers the blob). */
void internal_tls_apply(CURL *h, const internal_tls *t);

#endif
