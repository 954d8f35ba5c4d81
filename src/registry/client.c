/* The registry client's request layer: one reused curl easy handle per client, Harbor's
 * transport settings (spec §2.5: user agent, TLS verify unless insecure, extra CA, whole
 * request timeout, proxies from the environment as Go reads them: util/goproxy.h), headers captured into
 * a reg_resp, bodies capped, and the one 401 retry of a cached token (§7.4). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "berth/error.h"
#include "registry/internal.h"
#include "util/alloc.h"
#include "util/internal_tls.h"

int reg__fail(reg_client *c, long status, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->status = status;
    return rc;
}

const char *reg_client_error(const reg_client *c) { return c->err; }
long reg_client_status(const reg_client *c) { return c->status; }
const char *reg_client_url(const reg_client *c) { return c->url; }
bool reg__stopped(reg_client *c) { return c->stop && c->stop(c->stop_ud); }

/* *slot = a copy of s, or NULL when s is NULL (or empty and empty_is_null). false: out of
 * memory. */
static bool copy_setting(char **slot, const char *s, bool empty_is_null)
{
    *slot = NULL;
    if (!s || (empty_is_null && !*s))
        return true;
    return (*slot = berth_strdup(s)) != NULL;
}

int reg_client_new(const reg_settings *s, reg_client **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!s->url || (strncmp(s->url, "http://", 7) != 0 && strncmp(s->url, "https://", 8) != 0)) {
        snprintf(err, errlen, "invalid registry URL '%s': not http(s)", s->url ? s->url : "");
        return BERTH_EINVAL;
    }
    if (strlen(s->url) > 1024) {
        snprintf(err, errlen, "registry URL too long");
        return BERTH_EINVAL;
    }
    reg_client *c = berth_calloc(1, sizeof *c);
    go_proxy px;
    go_proxy_from_env(&px);
    if (!c || !copy_setting(&c->url, s->url, false) ||
        !copy_setting(&c->username, s->username, true) ||
        !copy_setting(&c->password, s->password ? s->password : "", false) ||
        !copy_setting(&c->harbor_secret, s->harbor_secret, false) ||
        !copy_setting(&c->ca_pem, s->ca_pem, true) ||
        !copy_setting(&c->http_proxy, px.http, true) ||
        !copy_setting(&c->https_proxy, px.https, true) ||
        !copy_setting(&c->no_proxy, px.no, true)) {
        reg_client_free(c);
        snprintf(err, errlen, "out of memory");
        return BERTH_ENOMEM;
    }
    size_t n = strlen(c->url);
    while (n > 0 && c->url[n - 1] == '/')
        c->url[--n] = '\0';
    c->insecure = s->insecure;
    c->timeout_s = s->timeout_s > 0 ? s->timeout_s : 1800;
    c->stop = s->stop;
    c->stop_ud = s->stop_ud;
    c->mode = c->harbor_secret ? REG_AUTH_SECRET : REG_AUTH_UNKNOWN;
    c->easy = curl_easy_init();
    if (!c->easy) {
        reg_client_free(c);
        snprintf(err, errlen, "cannot create a curl handle");
        return BERTH_ENOMEM;
    }
    *out = c;
    return 0;
}

void reg_client_free(reg_client *c)
{
    if (!c)
        return;
    if (c->easy)
        curl_easy_cleanup(c->easy);
    reg__tokens_free(c);
    berth_free(c->realm);
    berth_free(c->service);
    berth_free(c->url);
    berth_free(c->username);
    berth_free(c->password);
    berth_free(c->harbor_secret);
    berth_free(c->ca_pem);
    berth_free(c->http_proxy);
    berth_free(c->https_proxy);
    berth_free(c->no_proxy);
    berth_free(c);
}

void reg__resp_init(reg_resp *r, size_t body_max)
{
    memset(r, 0, sizeof *r);
    buf_init(&r->body, body_max ? body_max : REG_REPLY_MAX);
    r->content_length = -1;
}

void reg__resp_free(reg_resp *r) { buf_free(&r->body); }

/* Copies a header value (trimmed) into out when name matches. */
static bool take(const char *line, size_t n, const char *name, char *out, size_t outlen)
{
    size_t k = strlen(name);
    if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
        return false;
    const char *v = line + k + 1;
    size_t vl = n - k - 1;
    while (vl && (*v == ' ' || *v == '\t'))
        v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    if (vl >= outlen)
        vl = outlen - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
    return true;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
    reg_resp *r = ud;
    size_t n = sz * nm;
    if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {   /* a new reply (redirect, 100): start over */
        r->location[0] = r->digest[0] = r->ctype[0] = r->range[0] = r->www_auth[0] = '\0';
        r->content_length = -1;
        return n;
    }
    char cl[32];
    if (take(p, n, "Content-Length", cl, sizeof cl))
        r->content_length = strtoll(cl, NULL, 10);
    else if (!take(p, n, "Location", r->location, sizeof r->location) &&
             !take(p, n, "Docker-Content-Digest", r->digest, sizeof r->digest) &&
             !take(p, n, "Content-Type", r->ctype, sizeof r->ctype) &&
             !take(p, n, "Range", r->range, sizeof r->range))
        take(p, n, "WWW-Authenticate", r->www_auth, sizeof r->www_auth);
    return n;
}

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
    reg_resp *r = ud;
    if (buf_append(&r->body, p, sz * nm) != 0) {
        r->body_over = true;
        return 0;
    }
    return sz * nm;
}

void reg__setup(reg_client *c, CURL *h, reg_resp *r, const char *url)
{
    curl_easy_setopt(h, CURLOPT_URL, url);
    go_proxy px = {.http = c->http_proxy, .https = c->https_proxy, .no = c->no_proxy};
    go_proxy_apply(h, &px, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "harbor-registry-client");
    curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    if (c->ca_pem) {   /* added to the system store; verification stays on (Harbor) */
        struct curl_blob b = {.data = c->ca_pem, .len = strlen(c->ca_pem),
                              .flags = CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
    } else if (c->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else {           /* Harbor's shared secure transport: the internal certificate */
        internal_tls_apply(h, NULL);
    }
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
}

/* Polled by curl about once a second (and on progress): a stop aborts a slow request too. */
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    return reg__stopped(ud) ? 1 : 0;
}

/* One send, no auth retry. */
static int send_once(reg_client *c, const reg_call *call, const char *auth, reg_resp *r)
{
    CURL *h = c->easy;
    curl_easy_reset(h);
    reg__setup(c, h, r, call->url);
    struct curl_slist *hl = NULL;
    if (auth && *auth)
        hl = curl_slist_append(hl, auth);
    for (const char *const *p = call->headers; p && *p; p++)
        hl = curl_slist_append(hl, *p);
    hl = curl_slist_append(hl, "Expect:");
    if (strcmp(call->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(call->method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call->method);
        if (call->has_body || strcmp(call->method, "DELETE") != 0) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, call->body ? call->body : "");
        }
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    char eb[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, eb);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
    buf_reset(&r->body);
    r->body_over = false;
    CURLcode cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hl);
    if (r->body_over)
        return reg__fail(c, 0, BERTH_ETOOBIG, "%s %s: reply body over %zu bytes", call->method,
                         call->url, r->body.max);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    if (cc == CURLE_ABORTED_BY_CALLBACK)
        return reg__fail(c, 0, BERTH_ESTATE, "stopped");
    if (cc != CURLE_OK)
        return reg__fail(c, 0, BERTH_EIO, "%s %s: %s", call->method, call->url,
                         eb[0] ? eb : curl_easy_strerror(cc));
    return 0;
}

int reg__do(reg_client *c, const reg_call *call, reg_resp *r)
{
    char auth[8192];
    bool cached = false;
    int rc = reg__authorize(c, call->method, call->url, auth, sizeof auth, &cached);
    if (rc == 0)
        rc = send_once(c, call, auth, r);
    if (rc == 0 && r->status == 401 && cached) {   /* the cached token went stale: once more */
        reg__auth_forget(c, call->method, call->url);
        rc = reg__authorize(c, call->method, call->url, auth, sizeof auth, &cached);
        if (rc == 0)
            rc = send_once(c, call, auth, r);
    }
    return rc;
}

int reg__do_ok(reg_client *c, const reg_call *call, reg_resp *r)
{
    int rc = reg__do(c, call, r);
    if (rc == 0 && (r->status < 200 || r->status > 299))
        rc = reg__fail(c, r->status, r->status == 404 ? BERTH_ENOTFOUND : BERTH_EIO,
                       "http status code: %ld, body: %.*s", r->status,
                       (int)(r->body.len > 1024 ? 1024 : r->body.len),
                       r->body.p ? r->body.p : "");
    return rc;
}

/* Repository names and references as distribution accepts them (a stricter check than
 * needed, so nothing odd is ever spliced into a URL): every path component of a name starts
 * and ends with a letter or digit ("..", "//" are out); a reference starts with one or "_". */
static bool alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z');
}

static bool name_ok(const char *s, bool ref)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 512 || !(alnum(s[0]) || (ref && s[0] == '_')) || (!ref && !alnum(s[n - 1])))
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool sep = ch == '.' || ch == '_' || ch == '-' || (!ref && ch == '/') || (ref && ch == ':');
        if (!(ch >= 'A' && ch <= 'Z' ? ref : alnum(ch) || sep))
            return false;
        if (!ref && ch == '/' && (!alnum(s[i - 1]) || !alnum(s[i + 1])))
            return false;
    }
    return true;
}

int reg__url(reg_client *c, char *out, size_t outlen, const char *repo, const char *what,
             const char *ref)
{
    if (!name_ok(repo, false))
        return reg__fail(c, 0, BERTH_EINVAL, "invalid repository name '%s'", repo ? repo : "");
    if (ref && !name_ok(ref, true))
        return reg__fail(c, 0, BERTH_EINVAL, "invalid reference '%s'", ref);
    int n = snprintf(out, outlen, "%s/v2/%s/%s%s%s", c->url, repo, what, ref ? "/" : "",
                     ref ? ref : "");
    if (n < 0 || (size_t)n >= outlen)
        return reg__fail(c, 0, BERTH_EINVAL, "URL too long");
    return 0;
}

void reg__absolute(reg_client *c, const char *loc, char *out, size_t outlen)
{
    if (strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0) {
        snprintf(out, outlen, "%s", loc);
        return;
    }
    /* relative: Harbor prefixes the base URL as given (spec §7.4) */
    snprintf(out, outlen, "%s%s%s", c->url, loc[0] == '/' ? "" : "/", loc);
}
