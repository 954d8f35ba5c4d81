/* Blobs (spec §7.4, §7.7): HEAD, cross-repository mount, and the two copies Harbor makes —
 * one upload (POST, then PUT ?digest= with the whole blob) or chunks (POST, PATCH with
 * Content-Range per chunk, PUT ?digest= with the last), each streamed by pipe.c. After a
 * failed chunk the upload's state is asked of the registry (GET <location> → Range) so the
 * next attempt resumes where the registry stands. Upload requests carry no Content-Type
 * (distribution refuses a PATCH with a form type). */
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "registry/internal.h"
#include "registry/pipe.h"
#include "util/alloc.h"

int reg_blob_head(reg_client *c, const char *repo, const char *digest, bool *exists)
{
    *exists = false;
    char url[REG_URL_MAX];
    int rc = reg__url(c, url, sizeof url, repo, "blobs", digest);
    if (rc != 0)
        return rc;
    reg_resp r;
    reg__resp_init(&r, 0);
    reg_call call = {.method = "HEAD", .url = url};
    rc = reg__do(c, &call, &r);
    if (rc == 0 && r.status != 404) {
        if (r.status >= 200 && r.status <= 299)
            *exists = true;
        else
            rc = reg__fail(c, r.status, BERTH_EIO, "http status code: %ld, body: ", r.status);
    }
    reg__resp_free(&r);
    return rc;
}

int reg__delete(reg_client *c, const char *repo, const char *what, const char *digest)
{
    char url[REG_URL_MAX];
    int rc = reg__url(c, url, sizeof url, repo, what, digest);
    if (rc != 0)
        return rc;
    reg_resp r;
    reg__resp_init(&r, 0);
    reg_call call = {.method = "DELETE", .url = url};
    rc = reg__do_ok(c, &call, &r);
    reg__resp_free(&r);
    return rc;
}

int reg_blob_delete(reg_client *c, const char *repo, const char *digest)
{
    return reg__delete(c, repo, "blobs", digest);
}

static const char *const NO_CTYPE[] = {"Content-Type:", NULL};

/* POST an upload (query may be ""); *loc gets the absolute Location. */
static int start_upload(reg_client *c, const char *repo, const char *query, char *loc,
                        size_t loclen, long *status)
{
    char url[REG_URL_MAX];
    int rc = reg__url(c, url, sizeof url - 512, repo, "blobs/uploads/", NULL);
    if (rc != 0)
        return rc;
    strncat(url, query, sizeof url - strlen(url) - 1);
    reg_resp r;
    reg__resp_init(&r, 0);
    reg_call call = {.method = "POST", .url = url, .headers = NO_CTYPE, .has_body = true};
    rc = reg__do_ok(c, &call, &r);
    *status = r.status;
    if (rc == 0 && !r.location[0])
        rc = reg__fail(c, r.status, BERTH_EIO, "POST %s: no Location in the reply", url);
    if (rc == 0)
        reg__absolute(c, r.location, loc, loclen);
    reg__resp_free(&r);
    return rc;
}

int reg_blob_mount(reg_client *c, const char *repo, const char *digest, const char *from,
                   bool *mounted)
{
    *mounted = false;
    char q[1024], loc[REG_URL_MAX];
    if (!reg_digest_valid(digest))
        return reg__fail(c, 0, BERTH_EINVAL, "invalid digest '%s'", digest);
    snprintf(q, sizeof q, "?mount=%s&from=%s", digest, from);
    long st = 0;
    int rc = start_upload(c, repo, q, loc, sizeof loc, &st);
    if (rc == 0 && st == 201) {
        *mounted = true;
    } else if (rc == 0) {   /* 202: an upload was opened instead; cancel it (best effort) */
        reg_resp r;
        reg__resp_init(&r, 0);
        reg_call call = {.method = "DELETE", .url = loc};
        reg__do(c, &call, &r);
        reg__resp_free(&r);
    }
    return rc;
}

/* Authorised header list for one side of a pipe (plus extra lines). */
static int pipe_headers(reg_client *c, const char *method, const char *url,
                        const char *extra1, const char *extra2, struct curl_slist **out,
                        bool *cached)
{
    char auth[8192];
    int rc = reg__authorize(c, method, url, auth, sizeof auth, cached);
    if (rc != 0)
        return rc;
    struct curl_slist *l = NULL;
    if (auth[0])
        l = curl_slist_append(l, auth);
    if (extra1)
        l = curl_slist_append(l, extra1);
    if (extra2)
        l = curl_slist_append(l, extra2);
    l = curl_slist_append(l, "Expect:");
    *out = l;
    return 0;
}

/* Streams src's blob (or a range of it) to dst_url with method. */
static int stream(reg_pipe *p, const char *src_repo)
{
    char src_url[REG_URL_MAX], range[96] = "";
    int rc = reg__url(p->src, src_url, sizeof src_url, src_repo, "blobs", p->digest);
    if (rc != 0)
        return reg__fail(p->dst, 0, rc, "%s", reg_client_error(p->src));
    if (p->range_end >= 0)
        snprintf(range, sizeof range, "Range: bytes=%lld-%lld", (long long)p->range_start,
                 (long long)p->range_end);
    char crange[96] = "";
    if (p->range_end >= 0)
        snprintf(crange, sizeof crange, "Content-Range: %lld-%lld", (long long)p->range_start,
                 (long long)p->range_end);
    p->src_url = src_url;
    p->src_headers = p->dst_headers = NULL;
    bool src_cached = false, dst_cached = false;
    rc = pipe_headers(p->src, "GET", src_url, "Accept-Encoding: identity",
                      range[0] ? range : NULL, &p->src_headers, &src_cached);
    if (rc != 0) {
        p->src_failed = true;
        rc = reg__fail(p->dst, reg_client_status(p->src), rc, "%s", reg_client_error(p->src));
    }
    if (rc == 0)
        rc = pipe_headers(p->dst, p->dst_method, p->dst_url, crange[0] ? crange : NULL,
                          "Content-Type:", &p->dst_headers, &dst_cached);
    if (rc == 0)
        rc = reg__pipe(p);
    /* A stream is not re-sent on a 401 (its body is gone); a refused cached token is
     * dropped so that the caller's next attempt fetches a new one (reg__do re-sends). */
    if (rc != 0 && rc != BERTH_ESTATE && reg_client_status(p->dst) == 401) {
        if (p->src_failed && src_cached)
            reg__auth_forget(p->src, "GET", src_url);
        else if (!p->src_failed && dst_cached)
            reg__auth_forget(p->dst, p->dst_method, p->dst_url);
    }
    curl_slist_free_all(p->src_headers);
    curl_slist_free_all(p->dst_headers);
    return rc;
}

/* Marks the client's error as a source-side one ("pull: ...", read by the caller's log). */
static void mark_pull(reg_client *c)
{
    size_t n = strnlen(c->err, sizeof c->err - 7);
    memmove(c->err + 6, c->err, n);
    memcpy(c->err, "pull: ", 6);
    c->err[n + 6] = '\0';
}

/* url + "?digest=" or "&digest=" */
static void with_digest(const char *loc, const char *digest, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", digest);
}

int reg_blob_copy(reg_client *src, const char *src_repo, reg_client *dst,
                  const char *dst_repo, const char *digest, int64_t size, reg_limiter *lim)
{
    if (!reg_digest_valid(digest))
        return reg__fail(dst, 0, BERTH_EINVAL, "invalid digest '%s'", digest);
    char loc[REG_URL_MAX], url[REG_URL_MAX + 200];
    long st;
    int rc = start_upload(dst, dst_repo, "", loc, sizeof loc, &st);
    if (rc != 0)
        return rc;
    with_digest(loc, digest, url, sizeof url);
    reg_resp sr, dr;
    reg__resp_init(&sr, 0);
    reg__resp_init(&dr, 0);
    reg_pipe p = {.src = src, .dst = dst, .dst_url = url, .dst_method = "PUT",
                  .digest = digest, .verify = true, .size = size, .range_start = 0,
                  .range_end = -1, .lim = lim, .src_resp = &sr, .dst_resp = &dr};
    rc = stream(&p, src_repo);
    if (rc != 0 && rc != BERTH_ESTATE && p.src_failed)
        mark_pull(dst);
    reg__resp_free(&sr);
    reg__resp_free(&dr);
    return rc;
}

/* After a failed chunk: where does the upload stand? Rewinds u accordingly. */
static void resume_point(reg_client *dst, reg_upload *u, int64_t start)
{
    u->end = start - 1;
    if (!u->location)
        return;
    char err[sizeof dst->err];
    long est = dst->status;
    memcpy(err, dst->err, sizeof err);
    reg_resp r;
    reg__resp_init(&r, 0);
    reg_call call = {.method = "GET", .url = u->location};
    long long a, b;
    if (reg__do(dst, &call, &r) == 0 && r.status >= 200 && r.status <= 299 &&
        sscanf(r.range, "%lld-%lld", &a, &b) == 2 && a == 0 && b >= -1) {
        u->end = b;
        if (r.location[0]) {
            char abs[REG_URL_MAX];
            reg__absolute(dst, r.location, abs, sizeof abs);
            berth_free(u->location);
            u->location = berth_strdup(abs);
        }
    }
    reg__resp_free(&r);
    memcpy(dst->err, err, sizeof err);   /* the chunk's error is what the caller reports */
    dst->status = est;
}

void reg_upload_init(reg_upload *u) { *u = (reg_upload){.start = 0, .end = -1}; }

void reg_upload_clear(reg_upload *u)
{
    berth_free(u->location);
    reg_upload_init(u);
}

int reg_blob_copy_chunk(reg_client *src, const char *src_repo, reg_client *dst,
                        const char *dst_repo, const char *digest, int64_t size,
                        int64_t chunk, reg_upload *u, reg_limiter *lim, bool *done)
{
    *done = false;
    if (!reg_digest_valid(digest) || size <= 0 || chunk <= 0)
        return reg__fail(dst, 0, BERTH_EINVAL, "invalid chunked copy of '%s'", digest);
    int64_t start = u->end + 1;
    int64_t end = start + chunk - 1 < size - 1 ? start + chunk - 1 : size - 1;
    u->start = start;
    u->end = end;
    if (start >= size)
        return reg__fail(dst, 0, BERTH_EINVAL, "chunk start %lld past the blob's size %lld",
                         (long long)start, (long long)size);
    int rc = 0;
    if (!u->location) {
        char loc[REG_URL_MAX];
        long st;
        rc = start_upload(dst, dst_repo, "", loc, sizeof loc, &st);
        if (rc != 0) {
            u->end = start - 1;
            return rc;
        }
        u->location = berth_strdup(loc);
    }
    bool last = end == size - 1;
    char url[REG_URL_MAX + 200];
    if (last)
        with_digest(u->location, digest, url, sizeof url);
    else
        snprintf(url, sizeof url, "%s", u->location);
    reg_resp sr, dr;
    reg__resp_init(&sr, 0);
    reg__resp_init(&dr, 0);
    reg_pipe p = {.src = src, .dst = dst, .dst_url = url, .dst_method = last ? "PUT" : "PATCH",
                  .digest = digest, .verify = false, .size = size, .range_start = start,
                  .range_end = end, .lim = lim, .src_resp = &sr, .dst_resp = &dr};
    rc = stream(&p, src_repo);
    if (rc == 0 && !last && !dr.location[0])
        rc = reg__fail(dst, dr.status, BERTH_EIO, "PATCH %s: no Location in the reply", url);
    if (rc == 0 && !last) {
        char abs[REG_URL_MAX];
        reg__absolute(dst, dr.location, abs, sizeof abs);
        berth_free(u->location);
        u->location = berth_strdup(abs);
    }
    if (rc != 0 && rc != BERTH_ESTATE && p.src_failed)
        mark_pull(dst);
    if (rc != 0 && rc != BERTH_ESTATE)
        resume_point(dst, u, start);
    *done = rc == 0 && last;
    reg__resp_free(&sr);
    reg__resp_free(&dr);
    return rc;
}

int reg_blob_put(reg_client *c, const char *repo, const void *data, size_t len,
                 char digest[REG_DIGEST_MAX])
{
    reg__sha256(data, len, digest);
    bool exists = false;
    int rc = reg_blob_head(c, repo, digest, &exists);
    if (rc != 0 || exists)
        return rc;
    char loc[REG_URL_MAX], url[REG_URL_MAX + 200];
    long st;
    rc = start_upload(c, repo, "", loc, sizeof loc, &st);
    if (rc != 0)
        return rc;
    with_digest(loc, digest, url, sizeof url);
    const char *hdrs[] = {"Content-Type: application/octet-stream", NULL};
    reg_resp r;
    reg__resp_init(&r, 0);
    reg_call call = {.method = "PUT", .url = url, .headers = hdrs, .body = data,
                     .body_len = len, .has_body = true};
    rc = reg__do_ok(c, &call, &r);
    reg__resp_free(&r);
    return rc;
}

void reg_sha256_digest(const void *p, size_t n, char out[REG_DIGEST_MAX])
{
    reg__sha256(p, n, out);
}
