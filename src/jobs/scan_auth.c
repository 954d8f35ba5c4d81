/* See scan_auth.h. */
#include "jobs/scan_auth.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "jobs/jhttp.h"
#include "util/buf.h"

#define TOKEN_REPLY_MAX (64u << 10)
#define TOKEN_TIMEOUT_MS 30000L     /* Harbor sets none; a stop still aborts it */

void scan_query_escape(const char *s, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 4 < outlen; p++) {
        unsigned char ch = *p;
        bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
                     ch == '~';
        if (plain)
            out[n++] = (char)ch;
        else if (ch == ' ')
            out[n++] = '+';
        else
            out[n++] = '%', out[n++] = hex[ch >> 4], out[n++] = hex[ch & 15];
    }
    out[n] = '\0';
}

static char *basic(const scan_params *p)
{
    buf plain, out;
    /* no cap: a robot name and secret from the job parameters (capped by the engine) */
    buf_init(&plain, 0);
    buf_init(&out, 0);
    buf_printf(&plain, "%s:%s", p->robot_name, p->robot_secret);
    unsigned char *enc = malloc(4 * (plain.len / 3 + 1) + 1);
    EVP_EncodeBlock(enc, (const unsigned char *)plain.p, (int)plain.len);
    buf_printf(&out, "Basic %s", enc);
    free(enc);
    buf_free(&plain);
    char *s = strdup(out.p);
    buf_free(&out);
    return s;
}

/* The token of core's reply: `token`, else `access_token`. */
static int token_of(const jhttp_resp *resp, char **auth, char *err, size_t errlen)
{
    json_error_t je;
    json_t *o = json_loadb(resp->body.p ? resp->body.p : "", resp->body.len, 0, &je);
    const char *t = json_string_value(json_object_get(o, "token"));
    if (!t || !*t)
        t = json_string_value(json_object_get(o, "access_token"));
    int rc = 0;
    if (!o) {
        snprintf(err, errlen, "%s", je.text);
        rc = BERTH_EINVAL;
    } else if (!t || !*t || strpbrk(t, "\r\n")) {
        snprintf(err, errlen, "get bearer token failed, no token in the reply");
        rc = BERTH_EINVAL;
    } else {
        buf b;
        buf_init(&b, 0);  /* no cap: a token from a reply read under TOKEN_REPLY_MAX */
        buf_printf(&b, "Bearer %s", t);
        *auth = strdup(b.p);
        buf_free(&b);
    }
    json_decref(o);
    return rc;
}

static int bearer(const scan_params *p, const char *core, berth_ctx *ctx, char **auth,
                  char *err, size_t errlen)
{
    char scope[2048], sc_esc[6200];
    snprintf(scope, sizeof scope, "repository:%s:pull", p->repository);
    scan_query_escape(scope, sc_esc, sizeof sc_esc);
    buf url;
    buf_init(&url, 0);  /* no cap: the core URL and an escaped repository name */
    buf_printf(&url, "%s/service/token?scope=%s&service=harbor-registry", core, sc_esc);
    char *b = basic(p);
    jhttp_header h[] = {{"Authorization", b}};
    jhttp_req req = {.method = "GET", .url = url.p, .headers = h, .n_headers = 1,
                     .insecure = true, .internal_tls = true, .timeout_ms = TOKEN_TIMEOUT_MS,
                     .max_reply = TOKEN_REPLY_MAX, .ctx = ctx};
    jhttp_resp resp;
    int rc = jhttp_do(&req, &resp, err, errlen);
    if (rc == 0 && resp.status != 200) {
        snprintf(err, errlen, "get bearer token failed, %.1024s", resp.body.p ? resp.body.p : "");
        rc = BERTH_EIO;
    } else if (rc == 0) {
        rc = token_of(&resp, auth, err, errlen);
    }
    jhttp_resp_free(&resp);
    free(b);
    buf_free(&url);
    return rc;
}

int scan_auth_make(const scan_params *p, const char *core_url, berth_ctx *ctx, char **auth,
                   char *err, size_t errlen)
{
    *auth = NULL;
    if (!p->bearer) {
        *auth = basic(p);
        return 0;
    }
    const char *core = core_url ? core_url : getenv("CORE_URL");
    if (!core || !*core) {
        snprintf(err, errlen, "no core URL for the token service (core_url / CORE_URL)");
        return BERTH_ECONFIG;
    }
    return bearer(p, core, ctx, auth, err, errlen);
}
