/* TLS file checks at start; see tls_check.h. */
#include "server/tls_check.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>

#include "berth/error.h"

/* A file that cannot be opened is named with errno's text, which GnuTLS's "error while
 * reading the file" would hide. */
static int readable(const char *name, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read %s: %s", name, path, strerror(errno));
        return BERTH_ECONFIG;
    }
    fclose(f);
    return 0;
}

int tls_check_pair(const char *cert_name, const char *cert_path, const char *key_name,
                   const char *key_path, char *err, size_t errlen)
{
    int rc = readable(cert_name, cert_path, err, errlen);
    if (rc == 0)
        rc = readable(key_name, key_path, err, errlen);
    if (rc != 0)
        return rc;
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) < 0) {
        snprintf(err, errlen, "%s: out of memory", cert_name);
        return BERTH_ENOMEM;
    }
    /* GnuTLS checks that the key is the certificate's (GNUTLS_E_CERTIFICATE_KEY_MISMATCH) */
    int g = gnutls_certificate_set_x509_key_file(cred, cert_path, key_path, GNUTLS_X509_FMT_PEM);
    gnutls_certificate_free_credentials(cred);
    if (g < 0) {
        snprintf(err, errlen, "%s %s and %s %s cannot be used: %s", cert_name, cert_path,
                 key_name, key_path, gnutls_strerror(g));
        return BERTH_ECONFIG;
    }
    return 0;
}

int tls_check_ca(const char *name, const char *path, char *err, size_t errlen)
{
    int rc = readable(name, path, err, errlen);
    if (rc != 0)
        return rc;
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) < 0) {
        snprintf(err, errlen, "%s: out of memory", name);
        return BERTH_ENOMEM;
    }
    int n = gnutls_certificate_set_x509_trust_file(cred, path, GNUTLS_X509_FMT_PEM);
    gnutls_certificate_free_credentials(cred);
    if (n <= 0) {
        snprintf(err, errlen, "%s: %s holds no PEM certificate%s%s", name, path,
                 n < 0 ? ": " : "", n < 0 ? gnutls_strerror(n) : "");
        return BERTH_ECONFIG;
    }
    return 0;
}
