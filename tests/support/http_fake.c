/* Scriptable HTTP(S) test server; see http_fake.h. */
#include "http_fake.h"

#include "mhd_upload.h"
#include "wait.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_REQS 4096

struct http_fake {
    struct MHD_Daemon *d;
    int port;
    hf_handler handler;
    void *ud;
    char *cert_pem, *key_pem;   /* TLS material, kept for the daemon's life */
    char *ca_pem;               /* hf_start_mtls: trusted CAs of client certificates */
    pthread_mutex_t mu;         /* guards reqs, n, refused and stopping */
    hf_req *reqs;
    size_t n, refused;
    bool stopping;
};


static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *k,
                                  const char *v)
{
    (void)kind;
    char **acc = cls;
    size_t old = *acc ? strlen(*acc) : 0, add = strlen(k) + strlen(v ? v : "") + 3;
    *acc = realloc(*acc, old + add + 1);
    snprintf(*acc + old, add + 1, "%s: %s\n", k, v ? v : "");
    return MHD_YES;
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *k,
                               const char *v)
{
    (void)kind;
    char **acc = cls;
    size_t old = *acc ? strlen(*acc) : 0, add = strlen(k) + strlen(v ? v : "") + 2;
    *acc = realloc(*acc, old + add + 1);
    snprintf(*acc + old, add + 1, "%s%s=%s", old ? "&" : "", k, v ? v : "");
    return MHD_YES;
}

/* The verified client certificate's CN into cn; false when there is none or it does not
 * verify against the trusted CAs. */
static bool client_verified(struct MHD_Connection *c, char *cn, size_t cnlen)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t s = ci ? (gnutls_session_t)ci->tls_session : NULL;
    unsigned status = 1, n = 0;
    if (!s || gnutls_certificate_verify_peers2(s, &status) < 0 || status != 0)
        return false;
    const gnutls_datum_t *der = gnutls_certificate_get_peers(s, &n);
    gnutls_x509_crt_t crt;
    if (!der || n == 0 || gnutls_x509_crt_init(&crt) < 0)
        return false;
    size_t len = cnlen;
    bool ok = gnutls_x509_crt_import(crt, &der[0], GNUTLS_X509_FMT_DER) >= 0 &&
              gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &len) >= 0;
    gnutls_x509_crt_deinit(crt);
    return ok;
}

static void record(http_fake *f, struct MHD_Connection *c, const char *method, const char *url,
                   const mhd_upload *u, const char *cn, hf_req *copy)
{
    hf_req r = {0};
    snprintf(r.client_cn, sizeof r.client_cn, "%s", cn);
    snprintf(r.method, sizeof r.method, "%s", method);
    r.target = strdup(url);
    MHD_get_connection_values(c, MHD_HEADER_KIND, add_header, &r.headers);
    if (!r.headers)
        r.headers = strdup("");
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, &r.query);
    if (!r.query)
        r.query = strdup("");
    r.body = malloc(u->len + 1);
    if (u->len)
        memcpy(r.body, u->p, u->len);
    r.body[u->len] = '\0';
    r.body_len = u->len;
    r.t_ms = wait_now_ms();
    *copy = r;
    pthread_mutex_lock(&f->mu);
    if (f->n < MAX_REQS) {
        f->reqs[f->n].target = strdup(r.target);
        f->reqs[f->n].headers = strdup(r.headers);
        f->reqs[f->n].query = strdup(r.query);
        f->reqs[f->n].body = malloc(r.body_len + 1);
        memcpy(f->reqs[f->n].body, r.body, r.body_len + 1);
        f->reqs[f->n].body_len = r.body_len;
        f->reqs[f->n].t_ms = r.t_ms;
        memcpy(f->reqs[f->n].method, r.method, sizeof r.method);
        memcpy(f->reqs[f->n].client_cn, r.client_cn, sizeof r.client_cn);
        f->n++;
    }
    pthread_mutex_unlock(&f->mu);
}

/* A reply's delay (the fake's own behaviour, not a test's wait), cut short by hf_stop. */
static void wait_or_stop(http_fake *f, int ms)
{
    long long end = wait_now_ms() + ms;
    while (wait_now_ms() < end) {
        pthread_mutex_lock(&f->mu);
        bool stop = f->stopping;
        pthread_mutex_unlock(&f->mu);
        if (stop)
            return;
        wait_sleep_ms(20);
    }
}

/* The handler's extra "Name: value\n" lines. */
static void add_reply_headers(struct MHD_Response *resp, const char *lines)
{
    while (lines && *lines) {
        const char *eol = strchr(lines, '\n'), *colon = strchr(lines, ':');
        size_t n = eol ? (size_t)(eol - lines) : strlen(lines);
        if (colon && colon < lines + n) {
            char name[128], value[384];
            snprintf(name, sizeof name, "%.*s", (int)(colon - lines), lines);
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            snprintf(value, sizeof value, "%.*s", (int)(lines + n - v), v);
            MHD_add_response_header(resp, name, value);
        }
        lines += n + (eol ? 1 : 0);
    }
}

static enum MHD_Result answer(http_fake *f, struct MHD_Connection *c, const char *method,
                              const char *url, const mhd_upload *u)
{
    char cn[128] = "";
    if (f->ca_pem && !client_verified(c, cn, sizeof cn)) {
        pthread_mutex_lock(&f->mu);
        f->refused++;
        pthread_mutex_unlock(&f->mu);
        return MHD_NO;     /* dropped: the client sees the connection close */
    }
    hf_req req;
    record(f, c, method, url, u, cn, &req);
    hf_reply *rep = calloc(1, sizeof *rep);
    if (f->handler)
        f->handler(&req, rep, f->ud);
    hf_req_free(&req);
    if (rep->delay_ms)
        wait_or_stop(f, rep->delay_ms);
    if (rep->drop) {
        free(rep);
        return MHD_NO;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(rep->body), rep->body, MHD_RESPMEM_MUST_COPY);
    if (rep->content_type)
        MHD_add_response_header(resp, "Content-Type", rep->content_type);
    add_reply_headers(resp, rep->headers);
    enum MHD_Result ret = MHD_queue_response(c, rep->status ? (unsigned)rep->status : 200, resp);
    MHD_destroy_response(resp);
    free(rep);
    return ret;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *data,
                                 size_t *size, void **state)
{
    (void)version;
    mhd_upload *u = NULL;
    if (!mhd_upload_step(state, data, size, &u))
        return MHD_YES;
    return answer(cls, c, method, url, u);
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    char *p = calloc(1, 65536);
    size_t n = fread(p, 1, 65535, fp);
    fclose(fp);
    p[n] = '\0';
    return p;
}

http_fake *hf_start(const char *cert, const char *key, hf_handler handler, void *ud)
{
    return hf_start_mtls(cert, key, NULL, handler, ud);
}

http_fake *hf_start_mtls(const char *cert, const char *key, const char *ca, hf_handler handler,
                         void *ud)
{
    http_fake *f = calloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    f->reqs = calloc(MAX_REQS, sizeof *f->reqs);
    f->handler = handler;
    f->ud = ud;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
    if (cert) {
        f->cert_pem = slurp(cert);
        f->key_pem = slurp(key);
        f->ca_pem = ca ? slurp(ca) : NULL;   /* a trust list makes MHD ask for a certificate */
        flags |= MHD_USE_TLS;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    f->d = MHD_start_daemon(flags, 0, NULL, NULL, on_access, f, MHD_OPTION_NOTIFY_COMPLETED,
                            mhd_upload_done, f, MHD_OPTION_SOCK_ADDR, &sa,
                            cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, f->key_pem,
                            MHD_OPTION_HTTPS_MEM_CERT, f->cert_pem,
                            f->ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, f->ca_pem,
                            MHD_OPTION_END);
    const union MHD_DaemonInfo *i =
        f->d ? MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    f->port = i ? i->port : 0;
    if (!f->d) {
        hf_stop(f);
        return NULL;
    }
    return f;
}

void hf_stop(http_fake *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    f->stopping = true;
    pthread_mutex_unlock(&f->mu);
    if (f->d)
        MHD_stop_daemon(f->d);
    for (size_t i = 0; i < f->n; i++)
        hf_req_free(&f->reqs[i]);
    free(f->reqs);
    free(f->cert_pem);
    free(f->key_pem);
    free(f->ca_pem);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

int hf_port(const http_fake *f)
{
    return f->port;
}

size_t hf_refused(http_fake *f)
{
    pthread_mutex_lock(&f->mu);
    size_t n = f->refused;
    pthread_mutex_unlock(&f->mu);
    return n;
}

size_t hf_count(http_fake *f)
{
    pthread_mutex_lock(&f->mu);
    size_t n = f->n;
    pthread_mutex_unlock(&f->mu);
    return n;
}

typedef struct count_wait {
    http_fake *f;
    size_t n, got;
} count_wait;

static bool counted(void *arg)
{
    count_wait *w = arg;
    w->got = hf_count(w->f);
    return w->got >= w->n;
}

size_t hf_wait(http_fake *f, size_t n, int ms)
{
    count_wait w = {f, n, 0};
    wait_until(counted, &w, ms);
    return w.got;
}

int hf_get(http_fake *f, size_t i, hf_req *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&f->mu);
    int rc = -1;
    if (i < f->n) {
        const hf_req *r = &f->reqs[i];
        memcpy(out->method, r->method, sizeof out->method);
        out->target = strdup(r->target);
        out->headers = strdup(r->headers);
        out->query = strdup(r->query);
        out->body = malloc(r->body_len + 1);
        memcpy(out->body, r->body, r->body_len + 1);
        out->body_len = r->body_len;
        out->t_ms = r->t_ms;
        memcpy(out->client_cn, r->client_cn, sizeof out->client_cn);
        rc = 0;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

void hf_req_free(hf_req *r)
{
    free(r->target);
    free(r->headers);
    free(r->query);
    free(r->body);
    memset(r, 0, sizeof *r);
}

int hf_header_count(const hf_req *r, const char *name, const char *value)
{
    int n = 0;
    size_t nl = strlen(name);
    for (const char *l = r->headers; l && *l;) {
        const char *end = strchr(l, '\n');
        size_t len = end ? (size_t)(end - l) : strlen(l);
        if (len > nl + 1 && strncasecmp(l, name, nl) == 0 && l[nl] == ':' &&
            len - nl - 2 == strlen(value) && memcmp(l + nl + 2, value, len - nl - 2) == 0)
            n++;
        l = end ? end + 1 : l + len;
    }
    return n;
}

const char *hf_header(const hf_req *r, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (const char *l = r->headers; l && *l;) {
        const char *end = strchr(l, '\n');
        size_t len = end ? (size_t)(end - l) : strlen(l);
        if (len >= nl + 1 && strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
            size_t vl = len > nl + 2 ? len - nl - 2 : 0;
            snprintf(out, outlen, "%.*s", (int)vl, l + nl + 2);
            return out;
        }
        l = end ? end + 1 : l + len;
    }
    return NULL;
}

int hf_make_cert(const char *dir, char *cert, size_t certlen, char *key, size_t keylen)
{
    snprintf(cert, certlen, "%s/cert.pem", dir);
    snprintf(key, keylen, "%s/key.pem", dir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
             "-nodes -keyout %s -out %s -days 1 -subj /CN=localhost "
             "-addext subjectAltName=IP:127.0.0.1,DNS:localhost 2>/dev/null", key, cert);
    return system(cmd) == 0 ? 0 : -1;
}
