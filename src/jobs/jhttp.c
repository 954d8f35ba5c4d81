/* See jhttp.h. */
#include "jobs/jhttp.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "berth/error.h"
#include "util/goproxy.h"
#include "util/internal_tls.h"

#define GO_USER_AGENT "Go-http-client/1.1"
#define DIAL_TIMEOUT_MS 30000L    /* Harbor's shared transport: dial 30 s */
#define MAX_REDIRECTS 10L         /* Go's default client */

typedef struct xfer {
    jhttp_resp *out;
    size_t max;
    berth_ctx *ctx;
} xfer;

const char *jhttp_go_method(const char *method)
{
    if (strcmp(method, "POST") == 0)
        return "Post";
    if (strcmp(method, "GET") == 0)
        return "Get";
    return method;
}

/* RFC 7230 token characters: what Go's httpguts.ValidHeaderFieldName accepts. */
static bool valid_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c))
            return false;
    }
    return true;
}

/* Go's httpguts.ValidHeaderFieldValue: no control bytes except tab. This is also what keeps
 * a value from injecting a header line of its own. */
static bool valid_value(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

static bool has_header(const jhttp_req *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return true;
    return false;
}

/* Headers Go's transport sets itself whatever the caller's map says. */
static bool go_owned(const char *name)
{
    return strcasecmp(name, "Host") == 0 || strcasecmp(name, "Content-Length") == 0 ||
           strcasecmp(name, "Transfer-Encoding") == 0;
}

static int add_line(struct curl_slist **l, const char *name, const char *value)
{
    buf line;
    buf_init(&line, 0);  /* no cap: one header line of strings the caller holds */
    /* "Name;" is curl's way to send a header with an empty value; "Name:" removes one */
    if (value && !*value)
        buf_printf(&line, "%s;", name);
    else
        buf_printf(&line, "%s:%s%s", name, value ? " " : "", value ? value : "");
    struct curl_slist *n = curl_slist_append(*l, line.p);
    buf_free(&line);
    if (!n)
        return BERTH_ENOMEM;
    *l = n;
    return 0;
}

/* The caller's headers, checked as Go checks them, plus the suppressions of curl's own. */
static int build_headers(const jhttp_req *r, struct curl_slist **out, char *err, size_t errlen)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < r->n_headers; i++) {
        const jhttp_header *h = &r->headers[i];
        if (!valid_name(h->name)) {
            snprintf(err, errlen, "net/http: invalid header field name \"%s\"", h->name);
            rc = BERTH_EINVAL;
        } else if (!valid_value(h->value)) {
            snprintf(err, errlen, "net/http: invalid header field value for \"%s\"", h->name);
            rc = BERTH_EINVAL;
        } else if (!go_owned(h->name)) {
            rc = add_line(out, h->name, h->value);
        }
    }
    static const char *const curl_own[] = {"Accept", "Content-Type", "Expect"};
    for (size_t i = 0; rc == 0 && i < sizeof curl_own / sizeof curl_own[0]; i++)
        if (!has_header(r, curl_own[i]))
            rc = add_line(out, curl_own[i], NULL);
    return rc;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n, room = x->max > x->out->body.len ? x->max - x->out->body.len : 0;
    if (len > room)
        x->out->truncated = true;
    if (buf_append(&x->out->body, data, len < room ? len : room) != 0)
        x->out->truncated = true;
    return len;
}

/* Keeps the reason phrase of the latest status line (every hop of a redirect has one). */
static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    if (len > 5 && memcmp(data, "HTTP/", 5) == 0) {
        const char *sp = memchr(data, ' ', len);
        size_t off = sp ? (size_t)(sp + 1 - data) : len, k = 0;
        while (off + k < len && data[off + k] != '\r' && data[off + k] != '\n' &&
               k + 1 < sizeof x->out->status_text)
            k++;
        memcpy(x->out->status_text, data + off, k);
        x->out->status_text[k] = '\0';
    }
    return len;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    const xfer *x = ud;
    return x->ctx && berth_ctx_op_command(x->ctx) ? 1 : 0;
}

/* "http" / "https" / other, lower-cased, from the part before "://" (Go: url.Scheme). */
static void url_scheme(const char *url, char *out, size_t outlen)
{
    size_t n = 0;
    const char *colon = strchr(url, ':');
    bool ok = colon && isalpha((unsigned char)url[0]);
    for (const char *p = url; ok && p < colon; p++)
        ok = isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.';
    for (const char *p = url; ok && p < colon && n + 1 < outlen; p++)
        out[n++] = (char)tolower((unsigned char)*p);
    out[n] = '\0';
}

static void set_options(CURL *c, const jhttp_req *r, struct curl_slist *h, xfer *x,
                        char *cerr)
{
    curl_easy_setopt(c, CURLOPT_URL, r->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, DIAL_TIMEOUT_MS);
    if (r->timeout_ms > 0)
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    if (!has_header(r, "User-Agent"))
        curl_easy_setopt(c, CURLOPT_USERAGENT, GO_USER_AGENT);
    if (!has_header(r, "Accept-Encoding"))
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, r->insecure ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, r->insecure ? 0L : 2L);
    if (r->internal_tls)
        internal_tls_apply(c, NULL);
    go_proxy px = {.http = r->http_proxy, .https = r->https_proxy, .no = r->no_proxy};
    go_proxy_apply(c, &px, r->url);
    if (strcmp(r->method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body ? r->body : "");
    } else if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
}

/* The cause part of a transport error; a timeout in Go's words. */
static const char *cause(CURLcode cc, const char *cerr)
{
    if (cc == CURLE_OPERATION_TIMEDOUT)
        return "context deadline exceeded (Client.Timeout exceeded while awaiting headers)";
    return *cerr ? cerr : curl_easy_strerror(cc);
}

static int perform(const jhttp_req *r, jhttp_resp *out, struct curl_slist *h,
                   char *err, size_t errlen)
{
    CURL *c = curl_easy_init();
    if (!c)
        return BERTH_ENOMEM;
    char cerr[CURL_ERROR_SIZE] = "";
    xfer x = {.out = out, .max = r->max_reply, .ctx = r->ctx};
    set_options(c, r, h, &x, cerr);
    CURLcode cc = curl_easy_perform(c);
    const char *eff = NULL;
    curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
    snprintf(out->final_url, sizeof out->final_url, "%s", eff ? eff : r->url);
    int rc = 0;
    if (cc == CURLE_ABORTED_BY_CALLBACK) {
        rc = JHTTP_STOPPED;
    } else if (cc != CURLE_OK) {
        snprintf(err, errlen, "%s \"%s\": %s", jhttp_go_method(r->method), out->final_url,
                 cause(cc, cerr));
        rc = BERTH_EIO;
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    }
    curl_easy_cleanup(c);
    return rc;
}

int jhttp_do(const jhttp_req *r, jhttp_resp *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    buf_init(&out->body, r->max_reply);   /* on_body keeps to it too (truncated) */
    char scheme[16], why[512] = "";
    url_scheme(r->url, scheme, sizeof scheme);
    bool https = strcmp(scheme, "https") == 0;
    if (!https && strcmp(scheme, "http") != 0) {
        snprintf(err, errlen, "%s \"%s\": unsupported protocol scheme \"%s\"",
                 jhttp_go_method(r->method), r->url, scheme);
        return BERTH_EIO;
    }
    struct curl_slist *h = NULL;
    int rc = build_headers(r, &h, why, sizeof why);
    if (rc == BERTH_EINVAL)
        snprintf(err, errlen, "%s \"%s\": %s", jhttp_go_method(r->method), r->url, why);
    else if (rc == 0)
        rc = perform(r, out, h, err, errlen);
    curl_slist_free_all(h);
    return rc == BERTH_EINVAL ? BERTH_EIO : rc;
}

int jhttp_check_url(const char *url, char *err, size_t errlen)
{
    for (const char *p = url; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            snprintf(err, errlen, "parse \"%s\": net/url: invalid control character in URL",
                     url);
            return BERTH_EINVAL;
        }
    }
    char scheme[16];
    url_scheme(url, scheme, sizeof scheme);
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
        return 0;
    CURLU *u = curl_url();
    if (!u)
        return BERTH_ENOMEM;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
    curl_url_cleanup(u);
    if (uc == CURLUE_OK)
        return 0;
    snprintf(err, errlen, "parse \"%s\": %s", url, curl_url_strerror(uc));
    return BERTH_EINVAL;
}

void jhttp_resp_free(jhttp_resp *r)
{
    if (r)
        buf_free(&r->body);
}
