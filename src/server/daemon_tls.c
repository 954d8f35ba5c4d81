/* berthd's TLS settings at start; see daemon_tls.h. */
#include "server/daemon_tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "server/tls_check.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/internal_tls.h"

#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"   /* Debian's, Go's first */

static bool https(const berth_config *c)
{
    return strcmp(c->protocol, "https") == 0;
}

/* Who trusts client certificates: the internal CA, else the store Go would use. */
static const char *client_ca_path(const internal_tls *t)
{
    if (t->trust_ca)
        return t->trust_ca;
    const char *f = getenv("SSL_CERT_FILE");
    return f && *f ? f : SYSTEM_CA_BUNDLE;
}

static int check_internal(const internal_tls *t, char *err, size_t errlen)
{
    const char *why = t->verify_client ? "INTERNAL_VERIFY_CLIENT_CERT" : "INTERNAL_TLS_ENABLED";
    if (!t->cert || !t->key) {
        snprintf(err, errlen, "%s is true but %s is not set: berthd needs its certificate and "
                 "key to present to Harbor's components", why,
                 !t->cert ? "INTERNAL_TLS_CERT_PATH" : "INTERNAL_TLS_KEY_PATH");
        return BERTH_ECONFIG;
    }
    int rc = tls_check_pair("INTERNAL_TLS_CERT_PATH", t->cert, "INTERNAL_TLS_KEY_PATH", t->key,
                            err, errlen);
    if (rc == 0 && t->trust_ca)
        rc = tls_check_ca("INTERNAL_TLS_TRUST_CA_PATH", t->trust_ca, err, errlen);
    return rc;
}

int daemon_tls_check(const berth_config *c, char *err, size_t errlen)
{
    int rc = 0;
    if (https(c))
        rc = tls_check_pair("https_config.cert", c->https.cert, "https_config.key",
                            c->https.key, err, errlen);
    internal_tls t;
    internal_tls_from_env(&t);
    if (rc == 0 && internal_tls_on(&t))
        rc = check_internal(&t, err, errlen);
    if (rc == 0 && https(c) && t.verify_client && !t.trust_ca)
        rc = tls_check_ca("the trusted CAs of client certificates", client_ca_path(&t), err,
                          errlen);
    return rc;
}

/* Reads a PEM file (at most 1 MiB) into a new string; NULL with err filled on failure. */
static char *read_pem(const char *name, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    buf b;
    buf_init(&b, 1 << 20);
    char chunk[4096];
    size_t n;
    int rc = f ? 0 : BERTH_EIO;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = buf_append(&b, chunk, n);
    if (f)
        fclose(f);
    if (rc != 0 || b.len == 0) {
        snprintf(err, errlen, "%s: cannot read %s%s", name, path,
                 rc == BERTH_ETOOBIG ? " (over 1 MiB)" : "");
        buf_free(&b);
        return NULL;
    }
    return buf_release(&b);
}

int daemon_tls_load(const berth_config *c, daemon_tls *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!https(c))
        return 0;
    internal_tls t;
    internal_tls_from_env(&t);
    out->cert = read_pem("https_config.cert", c->https.cert, err, errlen);
    out->key = out->cert ? read_pem("https_config.key", c->https.key, err, errlen) : NULL;
    if (out->key && t.verify_client) {    /* Harbor: RequireAndVerifyClientCert */
        out->client_ca_path = client_ca_path(&t);
        out->client_ca = read_pem("INTERNAL_TLS_TRUST_CA_PATH", out->client_ca_path, err,
                                  errlen);
    }
    if (!out->key || (t.verify_client && !out->client_ca)) {
        daemon_tls_free(out);
        return BERTH_ECONFIG;
    }
    return 0;
}

const char *daemon_tls_warning(const berth_config *c)
{
    internal_tls t;
    internal_tls_from_env(&t);
    if (t.verify_client && !https(c))
        return "INTERNAL_VERIFY_CLIENT_CERT is true but berthd serves http: clients are not "
               "asked for certificates (as Harbor); berthd still presents its own";
    return NULL;
}

void daemon_tls_free(daemon_tls *t)
{
    if (t->key)
        explicit_bzero(t->key, strlen(t->key));
    berth_free(t->key);
    berth_free(t->cert);
    berth_free(t->client_ca);
    memset(t, 0, sizeof *t);
}
