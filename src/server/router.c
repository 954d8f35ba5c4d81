/* Route table matching and gorilla/mux's answers for what matches nothing; see router.h. */
#include <stdbool.h>
#include <string.h>

#include "server/router.h"
#include "util/alloc.h"

/* Go's path.Clean for a rooted path, into out (room for strlen(p) + 1 bytes). */
static void clean_rooted(const char *p, char *out)
{
    size_t w = 0;   /* bytes written; out[0] is always '/' */
    out[w++] = '/';
    while (*p) {
        while (*p == '/')
            p++;
        const char *seg = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - seg);
        if (n == 0 || (n == 1 && seg[0] == '.'))
            continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            while (w > 1 && out[w - 1] != '/')   /* drop the last segment */
                w--;
            if (w > 1)
                w--;                             /* and its separator */
            continue;
        }
        if (w > 1)
            out[w++] = '/';
        memcpy(out + w, seg, n);
        w += n;
    }
    out[w] = '\0';
}

/* The clean form of path (len bytes) into out (room for len + 3 bytes), using in (room
 * for len + 2) for the rooted copy. */
static void clean_into(const char *path, size_t len, char *in, char *out)
{
    in[0] = '/';
    memcpy(in + (path[0] == '/' ? 0 : 1), path, len + 1);
    clean_rooted(in, out);
    size_t inlen = strlen(in), outlen = strlen(out);
    if (in[inlen - 1] == '/' && outlen > 1) {
        out[outlen] = '/';
        out[outlen + 1] = '\0';
    }
}

char *router_clean_path(const char *path)
{
    size_t len = strlen(path);
    char *in = berth_malloc(len + 2), *out = in ? berth_malloc(len + 3) : NULL;
    if (out)
        clean_into(path, len, in, out);
    berth_free(in);
    return out;
}

/* Paths up to this long are cleaned on the stack: no allocation per request. */
#define CLEAN_ON_STACK 512

/* Does path match pattern? On a match with a {job_id} segment, *id_at / *id_len locate it. */
static bool match(const char *pattern, const char *path, const char **id_at, size_t *id_len)
{
    while (*pattern && *path) {
        if (strncmp(pattern, "{job_id}", 8) == 0) {
            size_t n = strcspn(path, "/");
            if (n == 0)
                return false;
            *id_at = path;
            *id_len = n;
            pattern += 8;
            path += n;
            continue;
        }
        if (*pattern != *path)
            return false;
        pattern++;
        path++;
    }
    return *pattern == '\0' && *path == '\0';
}

/* Go's url.URL.String() of the clean path: path escaped as EscapedPath does, then the raw
 * query when the original target had a "?". */
static void redirect(const http_req *req, const char *clean, http_resp *resp)
{
    static const char hex[] = "0123456789ABCDEF";
    buf loc;
    buf_init(&loc, 0);  /* no cap: 3 bytes per byte of a target MHD already held in memory */
    for (const unsigned char *c = (const unsigned char *)clean; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
            strchr("-_.~$&+,/:;=@", *c)) {
            buf_append(&loc, c, 1);
        } else {
            char esc[3] = {'%', hex[*c >> 4], hex[*c & 15]};
            buf_append(&loc, esc, 3);
        }
    }
    const char *q = strchr(req->uri, '?');
    if (q)
        buf_puts(&loc, q);
    resp->status = 301;
    http_resp_header(resp, "Location", loc.p);
    buf_free(&loc);
}

void router_dispatch(const route *routes, size_t n, const http_req *req, http_resp *resp,
                     void *ctx)
{
    size_t len = strlen(req->path);
    char in[CLEAN_ON_STACK], out[CLEAN_ON_STACK + 1];
    char *clean = out;
    if (len + 2 <= sizeof in)
        clean_into(req->path, len, in, out);
    else if (!(clean = router_clean_path(req->path))) {
        resp->status = 500;   /* no memory to tell whether the path is clean */
        return;
    }
    bool unclean = strcmp(clean, req->path) != 0;
    if (unclean)
        redirect(req, clean, resp);
    if (clean != out)
        berth_free(clean);
    if (unclean)
        return;
    bool path_known = false;
    for (size_t i = 0; i < n; i++) {
        const char *id_at = NULL;
        size_t id_len = 0;
        if (!match(routes[i].pattern, req->path, &id_at, &id_len))
            continue;
        path_known = true;
        if (strcmp(routes[i].method, req->method) != 0)
            continue;
        http_req r = *req;
        char *id = id_at ? berth_strndup(id_at, id_len) : NULL;
        r.job_id = id;
        routes[i].fn(&r, resp, ctx);
        berth_free(id);
        return;
    }
    if (path_known) {
        resp->status = 405;
        return;
    }
    http_resp_text(resp, 404, "404 page not found\n");
    http_resp_header(resp, "X-Content-Type-Options", "nosniff");
}
