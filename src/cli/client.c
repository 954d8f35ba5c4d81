/* libcurl easy wrapper (client.h). */
#include "cli/client.h"

#include <string.h>
#include <strings.h>

#include "cli/report.h"
#include "util/buf.h"
#include "util/internal_tls.h"

/* Error bodies are kept up to this size when the 2xx body goes to a sink. */
#define CLIENT_ERROR_BODY_MAX ((size_t)64 << 10)

/* The Authorization header, plus the JSON body headers for POST and PUT. Never NULL. */
static struct curl_slist *make_headers(const cli_cfg *cfg, bool post)
{
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json, text/plain");
    if (post) {
        h = h ? curl_slist_append(h, "Content-Type: application/json") : NULL;
        h = h ? curl_slist_append(h, "Expect:") : NULL;
    }
    if (h && cfg->secret) {
        buf auth;
        buf_init(&auth, 0);  /* no cap: one header line around the user's secret */
        buf_printf(&auth, "Authorization: Harbor-Secret %s", cfg->secret);
        h = curl_slist_append(h, auth.p);
        buf_free(&auth);
    }
    return h;
}

int client_init(client *c, const cli_cfg *cfg)
{
    memset(c, 0, sizeof *c);
    c->cfg = cfg;
    c->curl = curl_easy_init();
    c->headers = make_headers(cfg, false);
    c->post_headers = make_headers(cfg, true);
    if (!c->curl || !c->headers || !c->post_headers) {
        client_cleanup(c);
        return report_fail(CLI_SERVER, "cannot start libcurl");
    }
    return CLI_OK;
}

void client_cleanup(client *c)
{
    curl_slist_free_all(c->headers);
    curl_slist_free_all(c->post_headers);
    c->post_headers = NULL;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    c->headers = NULL;
    c->curl = NULL;
}

void client_resp_init(client_resp *r, FILE *sink, size_t sink_max)
{
    memset(r, 0, sizeof *r);
    buf_init(&r->body, sink ? CLIENT_ERROR_BODY_MAX : CLI_REPLY_MAX);
    buf_append(&r->body, "", 0);
    r->sink = sink;
    r->sink_max = sink_max;
}

void client_resp_free(client_resp *r)
{
    buf_free(&r->body);
}

/* Copies the value of header line `line` into out if its name is `name`. */
static void keep_header(const char *line, size_t n, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    if (n <= nl || line[nl] != ':' || strncasecmp(line, name, nl))
        return;
    const char *v = line + nl + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t len = (size_t)(end - v) < outlen - 1 ? (size_t)(end - v) : outlen - 1;
    memcpy(out, v, len);
    out[len] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    client_resp *r = ud;
    if (!strncmp(p, "HTTP/", 5)) { /* a new response (after 100 Continue): forget headers */
        r->total_count[0] = r->next_cursor[0] = '\0';
        return size * n;
    }
    keep_header(p, size * n, "Total-Count", r->total_count, sizeof r->total_count);
    keep_header(p, size * n, "Next-Cursor", r->next_cursor, sizeof r->next_cursor);
    return size * n;
}

/* State of one transfer for the callbacks. */
typedef struct xfer {
    CURL *curl;
    client_resp *r;
} xfer;

/* Passes a 2xx chunk to the sink, up to sink_max bytes in all. */
static size_t to_sink(client_resp *r, const char *p, size_t len)
{
    size_t take = len;
    if (r->sink_max && r->sunk + len > r->sink_max) {
        take = r->sink_max - r->sunk;
        r->truncated = true;
    }
    if (take && fwrite(p, 1, take, r->sink) != take)
        return 0;
    fflush(r->sink);
    r->sunk += take;
    return take == len ? len : 0; /* 0 stops the transfer */
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    client_resp *r = x->r;
    size_t len = size * n;
    long st = 0;
    curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &st);
    if (r->sink && st >= 200 && st < 300)
        return to_sink(r, p, len);
    if (buf_append(&r->body, p, len) == 0)
        return len;
    buf_append(&r->body, p, r->body.max - r->body.len);
    r->truncated = true;
    return 0;
}

static void set_options(client *c, const char *method, const char *url, const char *body,
                        bool stream, xfer *x)
{
    CURL *h = c->curl;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
    internal_tls_apply(h, NULL);   /* berthd may require a client certificate */
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->cfg->timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, stream ? 0L : c->cfg->timeout_ms);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x->r);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    bool post = !strcmp(method, "POST"), with_body = post || body;   /* PUT carries one too */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, with_body ? c->post_headers : c->headers);
    if (with_body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? strlen(body) : 0));
    }
    if (!post && strcmp(method, "GET"))
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
}

int client_do(client *c, const char *method, const char *path_query, const char *body,
              bool stream, client_resp *r)
{
    buf url;
    buf_init(&url, 0);  /* no cap: --addr (CLI_ADDR_MAX) plus a path a command built */
    buf_printf(&url, "%s%s", c->cfg->addr, path_query);
    xfer x = {c->curl, r};
    c->errbuf[0] = '\0';
    set_options(c, method, url.p, body, stream, &x);
    CURLcode rc = curl_easy_perform(c->curl);
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
    if (rc == CURLE_WRITE_ERROR && r->truncated)
        rc = CURLE_OK;
    if (rc != CURLE_OK)
        report_fail(CLI_CONNECT, "%s %s: %s", method, url.p,
                    c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
    buf_free(&url);
    return rc == CURLE_OK ? CLI_OK : CLI_CONNECT;
}

int client_call(client *c, const char *method, const char *path_query, const char *body,
                client_resp *r)
{
    int rc = client_do(c, method, path_query, body, false, r);
    if (rc)
        return rc;
    if (r->status == 401) {
        int code = report_http(r->status, r->body.p, r->body.len);
        report_auth_hint(c->cfg);
        return code;
    }
    if (r->status < 200 || r->status >= 300)
        return report_http(r->status, r->body.p, r->body.len);
    if (r->truncated && !r->sink)
        return report_fail(CLI_SERVER, "reply to %s %s is larger than %zu MiB", method,
                           path_query, CLI_REPLY_MAX >> 20);
    return CLI_OK;
}

int client_run(const cli_cfg *cfg, const char *method, const char *path_query,
               const char *body, client_resp *r)
{
    client c;
    int rc = client_init(&c, cfg);
    if (!rc)
        rc = client_call(&c, method, path_query, body, r);
    client_cleanup(&c);
    return rc;
}
