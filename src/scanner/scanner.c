/* See scanner.h. One curl easy handle per client, reused so that the polling of one scan
 * keeps its connection. The reply is collected into a buffer capped at max_reply; the
 * write callback refuses the byte past the cap, which ends the transfer at once instead of
 * downloading an endless report. */
#include "scanner/scanner.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/internal_tls.h"

#define URL_MAX 4096
#define ID_MAX 256

struct scanner {
    char *base;                 /* <url>/api/v1 */
    char *auth_header;          /* the adapter auth header line, or NULL */
    scanner_settings s;         /* proxies and callbacks borrowed; url/credential unused */
    CURL *easy;
};

typedef struct reply {
    long status;
    buf body;
    bool over;                  /* the body passed the cap */
    char refresh[64];           /* Refresh-After, "" when absent */
    bool has_refresh;
    scanner *c;
} reply;

int scanner_auth_parse(const char *s, scanner_auth *out, char *err, size_t errlen)
{
    static const char *const names[] = {"", "Basic", "Bearer", "APIKey"};
    for (int i = 0; i < 4; i++)
        if (s && !strcmp(s, names[i])) {
            *out = (scanner_auth)i;
            return 0;
        }
    snprintf(err, errlen, "auth type %s is not supported", s ? s : "");
    return BERTH_EINVAL;
}

static char *auth_line(const scanner_settings *s)
{
    buf b;
    buf_init(&b, 0);  /* no cap: a registration credential */
    if (s->auth == SCANNER_AUTH_BASIC) {
        size_t n = strlen(s->credential);
        unsigned char *enc = berth_malloc(4 * (n / 3 + 1) + 1);
        if (!enc) {
            buf_free(&b);
            return NULL;
        }
        EVP_EncodeBlock(enc, (const unsigned char *)s->credential, (int)n);
        buf_printf(&b, "Authorization: Basic %s", enc);
        berth_free(enc);
    } else if (s->auth == SCANNER_AUTH_BEARER) {
        buf_printf(&b, "Authorization: Bearer %s", s->credential);
    } else if (s->auth == SCANNER_AUTH_APIKEY) {
        buf_printf(&b, "X-ScannerAdapter-API-Key: %s", s->credential);
    } else {
        return NULL;
    }
    return buf_release(&b);
}

int scanner_new(const scanner_settings *s, scanner **out, char *err, size_t errlen)
{
    *out = NULL;
    const char *u = s->url ? s->url : "";
    if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) {
        snprintf(err, errlen, "invalid scanner URL %s: not http(s)", u);
        return BERTH_EINVAL;
    }
    if (s->auth != SCANNER_AUTH_NONE && (!s->credential || !*s->credential)) {
        snprintf(err, errlen, "access_credential is required for the scanner's auth");
        return BERTH_EINVAL;
    }
    if (s->credential && strpbrk(s->credential, "\r\n")) {
        snprintf(err, errlen, "access_credential holds a line break");
        return BERTH_EINVAL;
    }
    scanner *c = berth_calloc(1, sizeof *c);
    if (!c)
        return BERTH_ENOMEM;
    size_t n = strlen(u);
    while (n && u[n - 1] == '/')
        n--;
    buf b;
    buf_init(&b, 0);  /* no cap: the URL + "/api/v1" */
    buf_printf(&b, "%.*s/api/v1", (int)n, u);
    c->base = buf_release(&b);
    c->auth_header = auth_line(s);
    c->s = *s;
    c->s.url = c->s.credential = NULL;
    if (!c->s.timeout_ms)
        c->s.timeout_ms = SCANNER_TIMEOUT_MS;
    if (!c->s.max_reply)
        c->s.max_reply = SCANNER_REPLY_MAX;
    c->easy = curl_easy_init();
    /* auth_line is NULL for SCANNER_AUTH_NONE, or when out of memory */
    if (!c->easy || !c->base || (s->auth != SCANNER_AUTH_NONE && !c->auth_header)) {
        scanner_free(c);
        return BERTH_ENOMEM;
    }
    *out = c;
    return 0;
}

void scanner_free(scanner *c)
{
    if (!c)
        return;
    if (c->easy)
        curl_easy_cleanup(c->easy);
    berth_free(c->base);
    berth_free(c->auth_header);
    berth_free(c);
}

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
    reply *r = ud;
    size_t n = sz * nm;
    if (r->body.len + n > r->c->s.max_reply) {
        r->over = true;
        return 0;                  /* ends the transfer: CURLE_WRITE_ERROR */
    }
    return buf_append(&r->body, p, n) == 0 ? n : 0;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
    reply *r = ud;
    size_t n = sz * nm;
    static const char name[] = "refresh-after:";
    if (n > sizeof name - 1 && !strncasecmp(p, name, sizeof name - 1)) {
        const char *v = p + sizeof name - 1;
        size_t vl = n - (sizeof name - 1);
        while (vl && (*v == ' ' || *v == '\t'))
            v++, vl--;
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        snprintf(r->refresh, sizeof r->refresh, "%.*s", (int)vl, v);
        r->has_refresh = true;
    }
    return n;
}

/* The transfer on a multi handle polled every 100 ms, so that a stop aborts even a request
 * that waits for an answer within about 100 ms (an easy handle's progress callback can be
 * a second apart when nothing moves). */
static CURLcode perform(scanner *c)
{
    CURLM *m = curl_multi_init();
    if (!m)
        return CURLE_OUT_OF_MEMORY;
    curl_multi_add_handle(m, c->easy);
    CURLcode cc = CURLE_OK;
    for (int running = 1;;) {
        if (curl_multi_perform(m, &running) != CURLM_OK) {
            cc = CURLE_FAILED_INIT;
            break;
        }
        if (!running) {
            int left;
            CURLMsg *msg = curl_multi_info_read(m, &left);
            cc = msg && msg->msg == CURLMSG_DONE ? msg->data.result : CURLE_RECV_ERROR;
            break;
        }
        if (c->s.stop && c->s.stop(c->s.stop_ud)) {
            cc = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    curl_multi_remove_handle(m, c->easy);
    curl_multi_cleanup(m);
    return cc;
}

static void set_proxy(scanner *c, const char *url)
{
    const char *p = !strncmp(url, "https://", 8) ? c->s.https_proxy : c->s.http_proxy;
    curl_easy_setopt(c->easy, CURLOPT_PROXY, p ? p : "");   /* "" ignores curl's env */
    buf np;
    buf_init(&np, 0);  /* no cap: NO_PROXY of the env */
    buf_printf(&np, "localhost,127.0.0.1,::1%s%s", c->s.no_proxy && *c->s.no_proxy ? "," : "",
               c->s.no_proxy ? c->s.no_proxy : "");
    curl_easy_setopt(c->easy, CURLOPT_NOPROXY, np.p);
    buf_free(&np);               /* curl copies string options */
}

/* One request (a POST when body is set, else a GET); 0 once any reply arrived
 * (r->status), SCANNER_STOPPED, BERTH_ETOOBIG (body over the cap) or BERTH_EIO with Go's
 * url.Error wording. */
static int send_req(scanner *c, const char *url, const char *const *hdrs, const char *body,
                    reply *r, char *err, size_t errlen)
{
    CURL *h = c->easy;
    curl_easy_reset(h);
    struct curl_slist *sl = NULL;
    for (size_t i = 0; hdrs[i]; i++)
        sl = curl_slist_append(sl, hdrs[i]);
    if (c->auth_header)
        sl = curl_slist_append(sl, c->auth_header);
    sl = curl_slist_append(sl, "Expect:");
    sl = curl_slist_append(sl, "User-Agent: Go-http-client/1.1");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, sl);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);        /* Harbor: ErrUseLastResponse */
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->s.timeout_ms);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->s.insecure ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->s.insecure ? 0L : 2L);
    internal_tls_apply(h, NULL);   /* an adapter inside Harbor may require berthd's certificate */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    set_proxy(c, url);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    CURLcode cc = perform(c);
    curl_slist_free_all(sl);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    const char *gm = body ? "Post" : "Get";
    if (cc == CURLE_ABORTED_BY_CALLBACK)
        return SCANNER_STOPPED;
    if (r->over) {
        snprintf(err, errlen, "%s \"%s\": reply larger than the cap of %zu bytes", gm, url,
                 c->s.max_reply);
        return BERTH_ETOOBIG;
    }
    if (cc != CURLE_OK) {
        snprintf(err, errlen, "%s \"%s\": %s", gm, url,
                 cc == CURLE_OPERATION_TIMEDOUT
                     ? "context deadline exceeded (Client.Timeout exceeded while awaiting "
                       "headers)"
                     : curl_easy_strerror(cc));
        return BERTH_EIO;
    }
    return 0;
}

static void reply_init(reply *r, scanner *c)
{
    memset(r, 0, sizeof *r);
    buf_init(&r->body, c->s.max_reply);
    r->c = c;
}

/* Harbor's generalRespHandlerFunc for a status other than the expected one. */
static int unexpected(const reply *r, long expected, char *err, size_t errlen)
{
    if (r->body.len == 0) {
        snprintf(err, errlen, "general response handler: unexpected status code: %ld, "
                 "expected: %ld", r->status, expected);
        return BERTH_EIO;
    }
    json_error_t je;
    json_t *o = json_loadb(r->body.p, r->body.len, JSON_DECODE_ANY, &je);
    if (!o || !json_is_object(o)) {
        snprintf(err, errlen, "general response handler: %s",
                 o ? "json: cannot unmarshal into Go value of type v1.ErrorResponse" : je.text);
        json_decref(o);
        return BERTH_EIO;
    }
    const char *m = json_string_value(json_object_get(json_object_get(o, "error"), "message"));
    snprintf(err, errlen, "%s: general response handler: unexpected status code: %ld, "
             "expected: %ld", m ? m : "", r->status, expected);
    json_decref(o);
    return BERTH_EIO;
}

/* Prefixes err with ctx (Harbor's errors.Wrap). */
static void wrap(char *err, size_t errlen, const char *ctx)
{
    char tmp[2048];
    snprintf(tmp, sizeof tmp, "%s", err);
    snprintf(err, errlen, "%s: %s", ctx, tmp);
}

int scanner_metadata(scanner *c, json_t **meta, char *err, size_t errlen)
{
    *meta = NULL;
    char url[URL_MAX];
    snprintf(url, sizeof url, "%s/metadata", c->base);
    const char *h[] = {"Accept: application/vnd.scanner.adapter.metadata+json; version=1.0",
                       NULL};
    reply r;
    reply_init(&r, c);
    int rc = send_req(c, url, h, NULL, &r, err, errlen);
    if (rc == 0 && r.status != 200)
        rc = unexpected(&r, 200, err, errlen);
    if (rc == 0) {
        json_error_t je;
        json_t *o = json_loadb(r.body.p ? r.body.p : "", r.body.len, 0, &je);
        if (!o || !json_is_object(json_object_get(o, "scanner")) ||
            !json_is_array(json_object_get(o, "capabilities"))) {
            snprintf(err, errlen, "%s", o ? "metadata without a scanner object and a "
                                            "capabilities array" : je.text);
            json_decref(o);
            rc = BERTH_EINVAL;
        } else {
            *meta = o;
        }
    }
    if (rc < 0)
        wrap(err, errlen, "v1 client: get metadata");
    buf_free(&r.body);
    return rc;
}

/* A scan request id goes into a URL path: letters, digits and -._~:@ only. */
static bool id_ok(const char *id, size_t idlen)
{
    size_t n = strlen(id);
    if (n == 0 || n >= idlen || n > ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || strchr("-._~:@", ch);
        if (!ok)
            return false;
    }
    return true;
}

int scanner_submit(scanner *c, const char *request_json, char *id, size_t idlen, char *err,
                   size_t errlen)
{
    char url[URL_MAX];
    snprintf(url, sizeof url, "%s/scan", c->base);
    const char *h[] = {"Content-Type: application/vnd.scanner.adapter.scan.request+json; "
                       "version=1.0",
                       "Accept: application/vnd.scanner.adapter.scan.response+json; "
                       "version=1.0",
                       NULL};
    reply r;
    reply_init(&r, c);
    int rc = send_req(c, url, h, request_json, &r, err, errlen);
    if (rc == 0 && r.status != 202)
        rc = unexpected(&r, 202, err, errlen);
    if (rc == 0) {
        json_error_t je;
        json_t *o = json_loadb(r.body.p ? r.body.p : "", r.body.len, 0, &je);
        const char *v = json_string_value(json_object_get(o, "id"));
        if (!o)
            snprintf(err, errlen, "%s", je.text), rc = BERTH_EINVAL;
        else if (!v || !id_ok(v, idlen))
            snprintf(err, errlen, "invalid scan request id in the reply: %.200s",
                     r.body.p), rc = BERTH_EINVAL;
        else
            snprintf(id, idlen, "%s", v);
        json_decref(o);
    }
    if (rc < 0)
        wrap(err, errlen, "v1 client: submit scan");
    buf_free(&r.body);
    return rc;
}

/* Go's strconv.ParseInt(v, 10, 8). */
static int refresh_after(const reply *r, char *warn, size_t warnlen)
{
    if (!r->has_refresh || !r->refresh[0])
        return SCANNER_REFRESH_DEFAULT;
    char *end;
    errno = 0;
    long v = strtol(r->refresh, &end, 10);
    bool syntax = *end || end == r->refresh || strchr(" \t", r->refresh[0]);
    if (!syntax && errno == 0 && v >= -128 && v <= 127)
        return (int)v;
    snprintf(warn, warnlen, "Parse `Refresh-After` error: strconv.ParseInt: parsing \"%s\": %s",
             r->refresh, syntax ? "invalid syntax" : "value out of range");
    return SCANNER_REFRESH_DEFAULT;
}

int scanner_report(scanner *c, const char *id, const char *mime, const char *query,
                   char **report, size_t *len, int *retry_after_s, char *warn, size_t warnlen,
                   char *err, size_t errlen)
{
    *report = NULL;
    *len = 0;
    *retry_after_s = 0;
    warn[0] = '\0';
    if (!id_ok(id, ID_MAX + 1) || !mime || !*mime || strpbrk(mime, "\r\n")) {
        snprintf(err, errlen, "%s", !id_ok(id, ID_MAX + 1) ? "empty or invalid scan request ID"
                                                          : "missing report mime type");
        return BERTH_EINVAL;
    }
    char url[URL_MAX], accept[1024];
    snprintf(url, sizeof url, "%s/scan/%s/report%s%s", c->base, id, query && *query ? "?" : "",
             query && *query ? query : "");
    snprintf(accept, sizeof accept, "Accept: %s", mime);
    const char *h[] = {accept, NULL};
    reply r;
    reply_init(&r, c);
    int rc = send_req(c, url, h, NULL, &r, err, errlen);
    if (rc == 0 && r.status == 302) {
        *retry_after_s = refresh_after(&r, warn, warnlen);
        rc = SCANNER_NOT_READY;
    } else if (rc == 0 && r.status != 200) {
        rc = unexpected(&r, 200, err, errlen);
    } else if (rc == 0) {
        *len = r.body.len;
        *report = r.body.p ? buf_release(&r.body) : berth_strdup("");
    }
    buf_free(&r.body);
    return rc;
}
