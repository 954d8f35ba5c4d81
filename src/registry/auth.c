/* Harbor's auto-detecting authorizer (spec §7.4): the first request pings <base>/v2/ without
 * credentials; only a 401 is examined. A Bearer challenge selects token mode (realm and
 * service), else Basic selects Basic mode, any other scheme is an error, no challenge means
 * anonymous. Tokens are requested per scope set and cached per client (at most 100,
 * expiring 10 s early; a token without a parseable issued_at is never reused). Credentials
 * only go to URLs under <base>/v2/. The local Harbor's Harbor-Secret needs no ping. */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "berth/error.h"
#include "registry/internal.h"
#include "util/alloc.h"

/* ---- WWW-Authenticate ------------------------------------------------------------------ */

static void copy(char *out, size_t outlen, const char *s)
{
    size_t n = strlen(s);
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
        p++;
    return p;
}

/* Reads a quoted or bare value into out (truncated to outlen); returns the end. */
static const char *read_value(const char *p, const char *e, char *out, size_t outlen)
{
    size_t k = 0;
    if (p < e && *p == '"') {
        for (p++; p < e && *p != '"'; p++) {
            if (*p == '\\' && p + 1 < e)
                p++;
            if (k + 1 < outlen)
                out[k++] = *p;
        }
        if (p < e)
            p++;
    } else {
        for (; p < e && *p != ',' && *p != ' ' && *p != '\t'; p++)
            if (k + 1 < outlen)
                out[k++] = *p;
    }
    out[k] = '\0';
    return p;
}

void reg_challenge_parse(const char *hdr, reg_challenge *out)
{
    memset(out, 0, sizeof *out);
    const char *p = hdr, *e = hdr + strlen(hdr);
    enum { NONE, BEARER, BASIC, OTHER } cur = NONE;
    while ((p = skip_ws(p, e)) < e) {
        const char *t = p;
        while (p < e && *p != ' ' && *p != '\t' && *p != ',' && *p != '=')
            p++;
        size_t tl = (size_t)(p - t);
        const char *q = p;
        while (q < e && (*q == ' ' || *q == '\t'))
            q++;
        if (q < e && *q == '=' && cur != NONE && tl > 0) {   /* key=value of the current scheme */
            char val[1024];
            p = read_value(skip_ws(q + 1, e) - 0, e, val, sizeof val);
            bool realm = tl == 5 && strncasecmp(t, "realm", 5) == 0;
            bool service = tl == 7 && strncasecmp(t, "service", 7) == 0;
            if (cur == BEARER && realm)
                copy(out->realm, sizeof out->realm, val);
            else if (cur == BEARER && service)
                copy(out->service, sizeof out->service, val);
            else if (cur == BASIC && realm && !out->bearer)
                copy(out->realm, sizeof out->realm, val);
            continue;
        }
        if (q < e && *q == '=') {   /* a token68 or a stray '=': skip it */
            while (p < e && *p != ',' && *p != ' ')
                p++;
            continue;
        }
        if (tl == 0) {
            p++;
            continue;
        }
        if (tl == 6 && strncasecmp(t, "bearer", 6) == 0) {
            cur = BEARER;
            out->bearer = true;
            out->realm[0] = '\0';
        } else if (tl == 5 && strncasecmp(t, "basic", 5) == 0) {
            cur = BASIC;
            out->basic = true;
        } else {
            cur = OTHER;
            out->other = true;
            size_t ol = strlen(out->others);
            snprintf(out->others + ol, sizeof out->others - ol, "%s%.*s", ol ? " " : "",
                     (int)(tl > 64 ? 64 : tl), t);
        }
    }
}

/* ---- scopes ---------------------------------------------------------------------------- */

/* The last occurrence of needle in [p, p+n), or NULL. */
static const char *last_of(const char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = n >= k ? n - k + 1 : 0; i-- > 0;)
        if (memcmp(p + i, needle, k) == 0)
            return p + i;
    return NULL;
}

void reg_scopes(const char *method, const char *path, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *v2 = strstr(path, "/v2/");
    if (!v2)
        return;
    const char *rest = v2 + 4;
    const char *q = strchr(rest, '?');
    size_t rl = q ? (size_t)(q - rest) : strlen(rest);
    if (rl == 8 && strncmp(rest, "_catalog", 8) == 0) {
        snprintf(out, outlen, "registry:catalog:*");
        return;
    }
    static const char *const kinds[] = {"/manifests/", "/blobs/", "/tags/list", "/referrers/"};
    const char *cut = NULL;
    for (size_t i = 0; i < 4 && !cut; i++)
        cut = last_of(rest, rl, kinds[i]);
    if (!cut || cut == rest)
        return;
    const char *act = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ? "pull"
                      : strcmp(method, "DELETE") == 0 ? "*" : "pull,push";
    size_t n = 0;
    const char *from = q ? strstr(q, "from=") : NULL;
    if (from && (from[-1] == '?' || from[-1] == '&')) {   /* a mount also reads the source */
        size_t fl = strcspn(from + 5, "&");
        n = (size_t)snprintf(out, outlen, "repository:%.*s:pull#", (int)fl, from + 5);
        if (n >= outlen)
            n = 0;
    }
    snprintf(out + n, outlen - n, "repository:%.*s:%s", (int)(cut - rest), rest, act);
}

/* ---- token replies ----------------------------------------------------------------------- */

/* RFC 3339 → unix seconds; -1 when unparseable. */
static int64_t rfc3339(const char *s)
{
    struct tm tm = {0};
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
        return -1;
    const char *p = s + n;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++) {}
    long off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh, mm, k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &k) != 2 || k != 5 || hh > 23 || mm > 59)
            return -1;
        off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) - off;
}

int reg_token_parse(const char *body, size_t len, int64_t now, char **token,
                    int64_t *expires_at, char *err, size_t errlen)
{
    *token = NULL;
    *expires_at = 0;
    json_error_t je;
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    int rc = BERTH_EINVAL;
    if (!json_is_object(o)) {
        snprintf(err, errlen, "token reply is not a JSON object");
        goto out;
    }
    const char *t = json_string_value(json_object_get(o, "token"));
    if (!t || !*t)
        t = json_string_value(json_object_get(o, "access_token"));
    if (!t)
        t = "";
    size_t tl = strlen(t);
    for (size_t i = 0; i < tl; i++)
        if ((unsigned char)t[i] < 0x21 || (unsigned char)t[i] > 0x7e) {
            snprintf(err, errlen, "token reply: the token has a character not allowed in a header");
            goto out;
        }
    if (tl > 6000) {
        snprintf(err, errlen, "token reply: the token is over 6000 bytes");
        goto out;
    }
    json_t *ei = json_object_get(o, "expires_in");
    double exp = json_is_number(ei) ? json_number_value(ei) : 0;
    const char *ia = json_string_value(json_object_get(o, "issued_at"));
    int64_t issued = ia ? rfc3339(ia) : -1;
    if (issued > now)
        issued = now;   /* a clock ahead of ours must not make a token live forever */
    if (issued >= 0 && exp > 0 && exp < 1e9)
        *expires_at = issued + (int64_t)exp - 10;
    *token = berth_strdup(t);
    rc = 0;
out:
    json_decref(o);
    return rc;
}

/* ---- the cache ------------------------------------------------------------------------- */

void reg__tokens_free(reg_client *c)
{
    for (size_t i = 0; i < c->ntokens; i++) {
        berth_free(c->tokens[i].key);
        berth_free(c->tokens[i].token);
    }
    c->ntokens = 0;
}

static void drop(reg_client *c, size_t i)
{
    berth_free(c->tokens[i].key);
    berth_free(c->tokens[i].token);
    c->tokens[i] = c->tokens[--c->ntokens];
}

static void put_token(reg_client *c, const char *key, const char *token, int64_t exp)
{
    int64_t now = time(NULL);
    if (c->ntokens == REG_TOKENS_MAX) {   /* drop the expired ones, else the first to expire */
        for (size_t i = c->ntokens; i-- > 0;)
            if (c->tokens[i].expires_at <= now)
                drop(c, i);
        if (c->ntokens == REG_TOKENS_MAX) {
            size_t m = 0;
            for (size_t i = 1; i < c->ntokens; i++)
                if (c->tokens[i].expires_at < c->tokens[m].expires_at)
                    m = i;
            drop(c, m);
        }
    }
    c->tokens[c->ntokens++] = (reg_token){berth_strdup(key), berth_strdup(token), exp};
}

static reg_token *find_token(reg_client *c, const char *key)
{
    for (size_t i = 0; i < c->ntokens; i++)
        if (strcmp(c->tokens[i].key, key) == 0)
            return &c->tokens[i];
    return NULL;
}

/* ---- ping and token requests ------------------------------------------------------------- */

void reg__basic(const char *plain, char *hdr, size_t hdrlen)
{
    unsigned char enc[1400];
    size_t n = strlen(plain);
    EVP_EncodeBlock(enc, (const unsigned char *)plain, (int)(n < 1024 ? n : 1023));
    snprintf(hdr, hdrlen, "Authorization: Basic %s", enc);
}

static void basic_header(reg_client *c, char *hdr, size_t hdrlen)
{
    char plain[1024];
    snprintf(plain, sizeof plain, "%s:%s", c->username, c->password);
    reg__basic(plain, hdr, hdrlen);
}

static int ping(reg_client *c)
{
    char url[REG_URL_MAX];
    snprintf(url, sizeof url, "%s/v2/", c->url);
    reg_resp r;
    reg__resp_init(&r, 0);
    c->mode = REG_AUTH_NONE;   /* the ping itself goes out without credentials */
    reg_call call = {.method = "GET", .url = url};
    int rc = reg__do(c, &call, &r);
    c->mode = REG_AUTH_UNKNOWN;
    if (rc != 0)
        goto out;
    reg_challenge ch;
    reg_challenge_parse(r.status == 401 ? r.www_auth : "", &ch);
    if (ch.bearer) {
        c->mode = REG_AUTH_BEARER;
        c->realm = berth_strdup(ch.realm);
        c->service = berth_strdup(ch.service);
    } else if (ch.basic) {
        c->mode = REG_AUTH_BASIC;
    } else if (ch.other) {
        rc = reg__fail(c, 0, BERTH_EIO, "unsupported auth scheme: [%s]", ch.others);
    } else {
        c->mode = REG_AUTH_NONE;
    }
out:
    reg__resp_free(&r);
    return rc;
}

static void escape_into(buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~')
            buf_append(b, s, 1);
        else
            buf_printf(b, "%%%02X", ch);
    }
}

static int fetch_token(reg_client *c, const char *scopes, char **token, int64_t *exp)
{
    buf u;
    buf_init(&u, REG_URL_MAX);
    buf_printf(&u, "%s%s", c->realm, strchr(c->realm, '?') ? "&" : "?");
    for (const char *s = scopes; *s;) {   /* scope=...&scope=...&service=... (keys sorted) */
        size_t n = strcspn(s, "#");
        char one[1024];
        snprintf(one, sizeof one, "%.*s", (int)n, s);
        buf_puts(&u, "scope=");
        escape_into(&u, one);
        buf_puts(&u, "&");
        s += n + (s[n] == '#');
    }
    buf_puts(&u, "service=");
    escape_into(&u, c->service ? c->service : "");
    char basic[1600] = "";
    if (c->username)
        basic_header(c, basic, sizeof basic);
    const char *hdrs[] = {basic, NULL};
    reg_resp r;
    reg__resp_init(&r, 0);
    reg_auth_mode m = c->mode;
    c->mode = REG_AUTH_NONE;   /* the realm is another service: only our explicit header */
    reg_call call = {.method = "GET", .url = u.p ? u.p : "", .headers = basic[0] ? hdrs : NULL};
    int rc = strncmp(c->realm, "http://", 7) == 0 || strncmp(c->realm, "https://", 8) == 0
                 ? reg__do(c, &call, &r)
                 : reg__fail(c, 0, BERTH_EIO, "invalid token realm '%s'", c->realm);
    c->mode = m;
    if (rc == 0 && r.status != 200)
        rc = reg__fail(c, r.status, BERTH_EIO, "http status code: %ld, body: %.*s", r.status,
                       (int)(r.body.len > 1024 ? 1024 : r.body.len), r.body.p ? r.body.p : "");
    char err[256];
    if (rc == 0 && reg_token_parse(r.body.p ? r.body.p : "", r.body.len, time(NULL), token, exp,
                                   err, sizeof err) != 0)
        rc = reg__fail(c, 0, BERTH_EIO, "%s", err);
    reg__resp_free(&r);
    buf_free(&u);
    return rc;
}

/* ---- authorising a request ---------------------------------------------------------------- */

static bool targets_registry(reg_client *c, const char *url)
{
    size_t n = strlen(c->url);
    return strncmp(url, c->url, n) == 0 && strncmp(url + n, "/v2/", 4) == 0;
}

int reg__authorize(reg_client *c, const char *method, const char *url, char *hdr,
                   size_t hdrlen, bool *cached)
{
    hdr[0] = '\0';
    *cached = false;
    if (c->mode == REG_AUTH_SECRET) {
        if (strncmp(url, c->url, strlen(c->url)) == 0)
            snprintf(hdr, hdrlen, "Authorization: Harbor-Secret %s", c->harbor_secret);
        return 0;
    }
    if (c->mode == REG_AUTH_NONE || !targets_registry(c, url))
        return 0;
    if (c->mode == REG_AUTH_UNKNOWN) {
        int rc = ping(c);
        if (rc != 0 || c->mode == REG_AUTH_NONE)
            return rc;
    }
    if (c->mode == REG_AUTH_BASIC) {
        if (c->username)
            basic_header(c, hdr, hdrlen);
        return 0;
    }
    char scopes[2048];
    reg_scopes(method, url + strlen(c->url), scopes, sizeof scopes);
    reg_token *t = find_token(c, scopes);
    int64_t now = time(NULL);
    if (t && t->expires_at > now) {
        *cached = true;
    } else {
        char *tok = NULL;
        int64_t exp = 0;
        int rc = fetch_token(c, scopes, &tok, &exp);
        if (rc != 0)
            return rc;
        if (t)
            drop(c, (size_t)(t - c->tokens));
        put_token(c, scopes, tok, exp);
        berth_free(tok);
        t = find_token(c, scopes);
    }
    if (t->token[0])
        snprintf(hdr, hdrlen, "Authorization: Bearer %s", t->token);
    return 0;
}

void reg__auth_forget(reg_client *c, const char *method, const char *url)
{
    if (c->mode != REG_AUTH_BEARER)
        return;
    char scopes[2048];
    reg_scopes(method, url + strlen(c->url), scopes, sizeof scopes);
    reg_token *t = find_token(c, scopes);
    if (t)
        drop(c, (size_t)(t - c->tokens));
}
