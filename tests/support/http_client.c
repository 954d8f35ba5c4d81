/* libcurl-based test client; see http_client.h. */
#include "http_client.h"


#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wait.h"

typedef struct sink {
    char *p;
    size_t len;
} sink;

typedef struct source {
    const char *p;
    size_t left;
} source;

static size_t on_write(char *data, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    size_t add = size * n;
    s->p = realloc(s->p, s->len + add + 1);
    memcpy(s->p + s->len, data, add);
    s->len += add;
    s->p[s->len] = '\0';
    return add;
}

/* Keeps only the last response's header block (a 100 Continue may come first). */
static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    if (n * size > 5 && strncmp(data, "HTTP/", 5) == 0)
        s->len = 0;
    return on_write(data, size, n, ud);
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    source *src = ud;
    size_t take = size * n < src->left ? size * n : src->left;
    take = take > 1000 ? 1000 : take;   /* several chunks */
    memcpy(buf, src->p, take);
    src->p += take;
    src->left -= take;
    return take;
}

void hc_init(hc *c, int port)
{
    c->curl = curl_easy_init();
    c->port = port;
}

void hc_cleanup(hc *c)
{
    curl_easy_cleanup(c->curl);
    c->curl = NULL;
}

static struct curl_slist *set_body(CURL *h, const char *body, size_t len, int chunked,
                                   source *src, struct curl_slist *hdrs)
{
    if (!chunked) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        return hdrs;
    }
    *src = (source){body ? body : "", len};
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, src);
    return curl_slist_append(hdrs, "Transfer-Encoding: chunked");
}

int hc_do(hc *c, const char *method, const char *path, const char *auth, const char *body,
          size_t body_len, int chunked, hc_resp *out)
{
    CURL *h = c->curl;
    memset(out, 0, sizeof *out);
    curl_easy_reset(h);   /* keeps the live connection */
    char url[2048], hdr[1024];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", c->port, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Expect:");
    if (auth && *auth) {
        snprintf(hdr, sizeof hdr, "Authorization: %s", auth);
        hdrs = curl_slist_append(hdrs, hdr);
    } else if (auth) {
        hdrs = curl_slist_append(hdrs, "Authorization;");
    }
    source src;
    if (strcmp(method, "GET") != 0) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        hdrs = set_body(h, body, body_len, chunked, &src, hdrs);
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    sink b = {0}, hs = {0};
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &hs);
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(hdrs);
    out->body = b.p ? b.p : calloc(1, 1);
    out->len = b.len;
    out->headers = hs.p ? hs.p : calloc(1, 1);
    if (rc != CURLE_OK) {
        fprintf(stderr, "%s %s: %s\n", method, path, curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &out->num_connects);
    return 0;
}

int hc_get(hc *c, const char *path, const char *auth, hc_resp *out)
{
    return hc_do(c, "GET", path, auth, NULL, 0, 0, out);
}

int hc_post(hc *c, const char *path, const char *auth, const char *body, hc_resp *out)
{
    return hc_do(c, "POST", path, auth, body, body ? strlen(body) : 0, 0, out);
}

const char *hc_header(const hc_resp *r, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *end = strstr(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > n && line[n] == ':' && strncasecmp(line, name, n) == 0) {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            snprintf(out, outlen, "%.*s", (int)(len - (size_t)(v - line)), v);
            return out;
        }
        line = end ? end + 2 : NULL;
    }
    return NULL;
}

void hc_resp_free(hc_resp *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

static bool healthy(void *arg)
{
    hc_resp r;
    bool ok = hc_get(arg, "/healthz", NULL, &r) == 0 && r.status == 200;
    hc_resp_free(&r);
    return ok;
}

int hc_wait_healthy(int port, int ms)
{
    hc c;
    hc_init(&c, port);
    int ok = wait_until_every(healthy, &c, ms, 25);
    hc_cleanup(&c);
    return ok;
}
