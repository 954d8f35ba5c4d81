/* See preheat_client.h. */
#include "jobs/preheat_client.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "jobs/jhttp.h"

#define REPLY_CAP (1024 * 1024)   /* a provider's JSON answer */
#define AUTH_MAX 2048

/* The first entry of auth_info (Harbor takes MapKeys()[0]; core stores a single one). */
static bool first_entry(const json_t *info, const char **k, const char **v)
{
    void *it = json_object_iter((json_t *)info);
    if (!it)
        return false;
    *k = json_object_iter_key(it);
    *v = json_string_value(json_object_iter_value(it));
    if (!*v)
        *v = "";
    return true;
}

/* The auth header of the provider's mode (auth/ handlers); h gets name and value. */
static int authorize(const ph_provider *p, jhttp_header *h, char *val, size_t vallen, char *err,
                     size_t errlen)
{
    const char *mode = p->auth_mode, *k = NULL, *v = NULL;
    bool known = !strcmp(mode, "NONE") || !strcmp(mode, "BASIC") || !strcmp(mode, "OAUTH") ||
                 !strcmp(mode, "CUSTOM");
    if (!known) {
        snprintf(err, errlen, "no auth handler registered for mode: %s", mode);
        return BERTH_EINVAL;
    }
    if (!strcmp(mode, "NONE"))
        return 0;
    if (!p->auth_info) {
        snprintf(err, errlen, "no credential data provided");
        return BERTH_EINVAL;
    }
    if (!strcmp(mode, "OAUTH")) {
        const json_t *t = json_object_get(p->auth_info, "token");
        if (!t) {
            snprintf(err, errlen, "missing OAuth token");
            return BERTH_EINVAL;
        }
        snprintf(val, vallen, "Bearer %s", json_string_value(t) ? json_string_value(t) : "");
        *h = (jhttp_header){"Authorization", val};
        return 0;
    }
    if (!first_entry(p->auth_info, &k, &v)) {
        snprintf(err, errlen, "%s", !strcmp(mode, "BASIC") ? "missing username and/or password"
                                                           : "missing custom token/key data");
        return BERTH_EINVAL;
    }
    if (!strcmp(mode, "CUSTOM")) {
        snprintf(val, vallen, "%s", v);
        *h = (jhttp_header){k, val};
        return 0;
    }
    char plain[1024];
    unsigned char enc[1400];
    int n = snprintf(plain, sizeof plain, "%s:%s", k, v);
    EVP_EncodeBlock(enc, (const unsigned char *)plain, n < (int)sizeof plain ? n : 1023);
    snprintf(val, vallen, "Basic %s", enc);
    *h = (jhttp_header){"Authorization", val};
    return 0;
}

/* Go's %q of a plain URL is the URL in double quotes; Response.Status is "<code> <reason>". */
static void http_error(const char *method, const jhttp_resp *r, char *err, size_t errlen)
{
    if (strcmp(method, "POST") == 0 && r->status == 208) {
        snprintf(err, errlen, "http error: code 208, message status already reported");
        return;
    }
    snprintf(err, errlen, "%s \"%s\" error: %s %s", method, r->final_url, r->status_text,
             r->body.p ? r->body.p : "");
}

int ph_client_call(const ph_client *c, const char *url, const char *body, buf *reply,
                   char *err, size_t errlen)
{
    buf_init(reply, REPLY_CAP);
    const char *method = body ? "POST" : "GET";
    jhttp_header h[3] = {{"Accept", "application/json"}};
    size_t n = 1;
    char val[AUTH_MAX];
    if (body)
        h[n++] = (jhttp_header){"Content-Type", "application/json"};
    jhttp_header auth = {NULL, NULL};
    int rc = authorize(c->provider, &auth, val, sizeof val, err, errlen);
    if (rc != 0)
        return rc;
    if (auth.name)
        h[n++] = auth;
    jhttp_req r = {.method = method, .url = url, .body = body, .body_len = body ? strlen(body) : 0,
                   .headers = h, .n_headers = n, .insecure = c->provider->insecure,
                   .timeout_ms = c->timeout_ms, .max_reply = REPLY_CAP, .ctx = c->ctx};
    jhttp_resp resp;
    rc = jhttp_do(&r, &resp, err, errlen);
    if (rc == 0 && (resp.status / 100 != 2 || (body && resp.status == 208))) {
        http_error(method, &resp, err, errlen);
        rc = BERTH_EIO;
    }
    if (rc == 0) {
        *reply = resp.body;        /* handed over */
        buf_init(&resp.body, 0);  /* no cap: emptied after the hand-over, then only freed */
    }
    jhttp_resp_free(&resp);
    return rc;
}

int ph_client_check_url(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
    while (*in == ' ')
        in++;
    size_t n = strlen(in);
    while (n && (in[n - 1] == ' ' || in[n - 1] == '/'))
        n--;
    if (n == 0) {
        snprintf(err, errlen, "empty string");
        return BERTH_EINVAL;
    }
    char full[4096];
    snprintf(full, sizeof full, "%s%.*s", memmem(in, n, "://", 3) ? "" : "http://", (int)n, in);
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, full, CURLU_NON_SUPPORT_SCHEME);
    int rc = 0;
    if (uc != CURLUE_OK) {
        snprintf(err, errlen, "invalid URL: parse \"%s\": %s", full, curl_url_strerror(uc));
        rc = BERTH_EINVAL;
    } else {
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
        curl_url_get(u, CURLUPART_HOST, &host, 0);
        curl_url_get(u, CURLUPART_PORT, &port, 0);
        curl_url_get(u, CURLUPART_PATH, &path, 0);
        if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
            snprintf(err, errlen, "invalid HTTP scheme: %s", scheme);
            rc = BERTH_EINVAL;
        } else {
            snprintf(out, outlen, "%s://%s%s%s%s", scheme, host, port ? ":" : "",
                     port ? port : "", path && strcmp(path, "/") ? path : "");
        }
    }
    curl_free(scheme), curl_free(host), curl_free(port), curl_free(path);
    curl_url_cleanup(u);
    return rc;
}
