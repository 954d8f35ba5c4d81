/* Internal TLS for libcurl handles; see internal_tls.h. */
#include "util/internal_tls.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A blank variable counts as unset, as elsewhere in Berth's configuration. */
static const char *env_get(const char *name)
{
    const char *v = getenv(name);
    return v && v[strspn(v, " \t\r\n")] ? v : NULL;
}

/* Harbor: strings.ToLower(os.Getenv(name)) == "true"; nothing else counts. */
static bool env_true(const char *name)
{
    const char *v = env_get(name);
    return v && strcasecmp(v, "true") == 0;
}

void internal_tls_from_env(internal_tls *out)
{
    out->enabled = env_true("INTERNAL_TLS_ENABLED");
    out->verify_client = env_true("INTERNAL_VERIFY_CLIENT_CERT");
    out->cert = env_get("INTERNAL_TLS_CERT_PATH");
    out->key = env_get("INTERNAL_TLS_KEY_PATH");
    out->trust_ca = env_get("INTERNAL_TLS_TRUST_CA_PATH");
}
bool internal_tls_on(const internal_tls *t)
{
    return t->enabled || t->verify_client;
}

void internal_tls_apply(CURL *h, const internal_tls *t)
{
    internal_tls env;
    if (!t) {
        internal_tls_from_env(&env);
        t = &env;
    }
    if (!internal_tls_on(t))
        return;
    if (t->cert && t->key) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, t->cert);   /* curl copies the strings */
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(h, CURLOPT_SSLKEY, t->key);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    /* The CA file replaces curl's default bundle; the system store stays trusted through
     * curl's CA directory (/etc/ssl/certs on Debian), as in Harbor's containers. */
    if (t->trust_ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, t->trust_ca);
}
