/* The three calls of Harbor's REST API that the harbor replication adapter makes (spec
 * §7.5): the version probe, the repository that holds a blob (for a mount) and tag
 * deletion. The local Harbor (Harbor-Secret client) gets its secret on every request; a
 * remote one gets Basic credentials when a username is set. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "registry/internal.h"

static int rest(reg_client *c, const char *method, const char *url, reg_resp *r)
{
    char basic[1600] = "";
    if (c->mode != REG_AUTH_SECRET && c->username) {
        char plain[1024];
        snprintf(plain, sizeof plain, "%s:%s", c->username, c->password);
        reg__basic(plain, basic, sizeof basic);
    }
    const char *hdrs[] = {basic, "Accept: application/json", NULL};
    reg_call call = {.method = method, .url = url, .headers = basic[0] ? hdrs : hdrs + 1};
    return reg__do(c, &call, r);
}

static int http_error(reg_client *c, reg_resp *r)
{
    return reg__fail(c, r->status, r->status == 404 ? BERTH_ENOTFOUND : BERTH_EIO,
                     "http status code: %ld, body: %.*s", r->status,
                     (int)(r->body.len > 1024 ? 1024 : r->body.len), r->body.p ? r->body.p : "");
}

int reg_harbor_probe(reg_client *c, char *base, size_t baselen, bool *v2)
{
    char url[REG_URL_MAX];
    snprintf(url, sizeof url, "%s/api/version", c->url);
    reg_resp r;
    reg__resp_init(&r, 0);
    int rc = rest(c, "GET", url, &r);
    *v2 = false;
    if (rc == 0 && r.status == 404) {
        snprintf(base, baselen, "%s/api", c->url);
    } else if (rc == 0 && r.status >= 200 && r.status <= 299) {
        json_error_t je;
        json_t *o = json_loadb(r.body.p ? r.body.p : "", r.body.len, 0, &je);
        const char *v = json_string_value(json_object_get(o, "version"));
        if (!v || !*v || strlen(v) > 16 || strpbrk(v, "/?#% "))
            rc = reg__fail(c, r.status, BERTH_EINVAL, "invalid reply to GET %s: %.*s", url,
                           (int)(r.body.len > 256 ? 256 : r.body.len), r.body.p ? r.body.p : "");
        else
            snprintf(base, baselen, "%s/api/%s", c->url, v), *v2 = true;
        json_decref(o);
    } else if (rc == 0) {
        rc = http_error(c, &r);
    }
    reg__resp_free(&r);
    return rc;
}

int reg_harbor_mount_source(reg_client *c, const char *base, const char *digest, char *repo,
                            size_t repolen)
{
    repo[0] = '\0';
    if (!reg_digest_valid(digest))
        return reg__fail(c, 0, BERTH_EINVAL, "invalid digest '%s'", digest);
    char url[REG_URL_MAX];
    snprintf(url, sizeof url, "%s/repositories?q=blob_digest=%s&page_size=1&page_number=1",
             base, digest);
    reg_resp r;
    reg__resp_init(&r, 0);
    int rc = rest(c, "GET", url, &r);
    if (rc == 0 && r.status >= 200 && r.status <= 299) {
        json_error_t je;
        json_t *a = json_loadb(r.body.p ? r.body.p : "", r.body.len, 0, &je);
        const char *name = json_string_value(json_object_get(json_array_get(a, 0), "name"));
        if (!json_is_array(a))
            rc = reg__fail(c, r.status, BERTH_EINVAL, "invalid reply to GET %s", url);
        else if (name && strlen(name) < repolen)
            snprintf(repo, repolen, "%s", name);
        json_decref(a);
    } else if (rc == 0 && r.status != 404) {
        rc = http_error(c, &r);
    }
    reg__resp_free(&r);
    return rc;
}

/* Path-escapes s into out (Go's url.PathEscape: unreserved and a few sub-delims stay). */
static void path_escape(const char *s, char *out, size_t outlen)
{
    size_t k = 0;
    for (; *s && k + 4 < outlen; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr("-_.~$&+=:@", ch))
            out[k++] = (char)ch;
        else
            k += (size_t)snprintf(out + k, outlen - k, "%%%02X", ch);
    }
    out[k] = '\0';
}

int reg_harbor_delete_tag(reg_client *c, const char *base, const char *repo, const char *tag)
{
    const char *slash = strchr(repo, '/');
    if (!slash || !slash[1])
        return reg__fail(c, 0, BERTH_EINVAL, "invalid repository '%s': no project", repo);
    char once[1024], twice[3072], etag[512];
    path_escape(slash + 1, once, sizeof once);
    path_escape(once, twice, sizeof twice);
    path_escape(tag, etag, sizeof etag);
    char url[REG_URL_MAX + 4096];
    int n = snprintf(url, sizeof url, "%s/projects/%.*s/repositories/%s/artifacts/%s/tags/%s",
                     base, (int)(slash - repo), repo, twice, etag, etag);
    if (n < 0 || (size_t)n >= REG_URL_MAX)
        return reg__fail(c, 0, BERTH_EINVAL, "URL too long");
    reg_resp r;
    reg__resp_init(&r, 0);
    int rc = rest(c, "DELETE", url, &r);
    if (rc == 0 && (r.status < 200 || r.status > 299))
        rc = http_error(c, &r);
    reg__resp_free(&r);
    return rc;
}
