/* The fake Harbor; see fake_harbor.h. */
#include "test.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>

#include "fake_harbor.h"

struct fake_harbor {
    struct MHD_Daemon *d;
    char url[64], backend[128], secret[128], mount_repo[256], existing_tag[128];
    pthread_mutex_t mu;
    int refused, tag_deletions;
};

typedef struct req_body { char *p; size_t n; } req_body;

typedef struct proxied {
    long status;
    req_body body;
    struct curl_slist *hdrs;   /* headers to copy back: "Name: value" */
} proxied;

static size_t acc(char *d, size_t s, size_t m, void *ud)
{
    req_body *b = ud;
    b->p = realloc(b->p, b->n + s * m + 1);
    memcpy(b->p + b->n, d, s * m);
    b->n += s * m;
    b->p[b->n] = '\0';
    return s * m;
}

static size_t keep_header(char *d, size_t s, size_t m, void *ud)
{
    proxied *p = ud;
    size_t n = s * m;
    static const char *const names[] = {"Location:", "Docker-Content-Digest:", "Content-Type:",
                                        "Range:", "Docker-Upload-UUID:", "WWW-Authenticate:"};
    if (n >= 5 && strncmp(d, "HTTP/", 5) == 0) {
        curl_slist_free_all(p->hdrs);
        p->hdrs = NULL;
    }
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strncasecmp(d, names[i], strlen(names[i])) == 0) {
            char line[4096];
            snprintf(line, sizeof line, "%.*s", (int)strcspn(d, "\r\n"), d);
            p->hdrs = curl_slist_append(p->hdrs, line);
        }
    return n;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, long status, const char *ctype,
                                  const char *p, size_t n, struct curl_slist *hdrs,
                                  const char *backend, const char *self)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)p, MHD_RESPMEM_MUST_COPY);
    if (ctype)
        MHD_add_response_header(r, "Content-Type", ctype);
    for (struct curl_slist *h = hdrs; h; h = h->next) {
        char name[64], value[4096];
        const char *colon = strchr(h->data, ':');
        snprintf(name, sizeof name, "%.*s", (int)(colon - h->data), h->data);
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        if (strncmp(v, backend, strlen(backend)) == 0)   /* Location: point at us */
            snprintf(value, sizeof value, "%s%s", self, v + strlen(backend));
        else
            snprintf(value, sizeof value, "%s", v);
        MHD_add_response_header(r, name, value);
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result copy_req_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    (void)kind;
    struct curl_slist **l = cls;
    static const char *const names[] = {"Content-Type", "Content-Range", "Range", "Accept",
                                        "Accept-Encoding"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcasecmp(key, names[i]) == 0) {
            char line[4096];
            snprintf(line, sizeof line, "%s: %s", key, value);
            *l = curl_slist_append(*l, line);
        }
    return MHD_YES;
}

static enum MHD_Result proxy(fake_harbor *h, struct MHD_Connection *c, const char *url,
                             const char *method, req_body *in)
{
    char target[4096];
    const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "digest");
    const char *mount = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "mount");
    const char *from = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from");
    const char *state = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "_state");
    int k = snprintf(target, sizeof target, "%s%s", h->backend, url);
    char sep = '?';
    char *e;
    if (mount && from) {
        k += snprintf(target + k, sizeof target - (size_t)k, "%cmount=%s&from=%s", sep, mount, from);
        sep = '&';
    }
    if (state) {
        e = curl_easy_escape(NULL, state, 0);
        k += snprintf(target + k, sizeof target - (size_t)k, "%c_state=%s", sep, e);
        curl_free(e);
        sep = '&';
    }
    if (q)
        snprintf(target + k, sizeof target - (size_t)k, "%cdigest=%s", sep, q);
    struct curl_slist *rh = NULL;
    MHD_get_connection_values(c, MHD_HEADER_KIND, copy_req_header, &rh);
    rh = curl_slist_append(rh, "Expect:");
    if (!MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"))
        rh = curl_slist_append(rh, "Content-Type:");
    proxied p = {0};
    CURL *cu = curl_easy_init();
    curl_easy_setopt(cu, CURLOPT_URL, target);
    curl_easy_setopt(cu, CURLOPT_HTTPHEADER, rh);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(cu, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0)
        curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 && strcmp(method, "DELETE") != 0) {
        curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)in->n);
        curl_easy_setopt(cu, CURLOPT_POSTFIELDS, in->p ? in->p : "");
    }
    curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, acc);
    curl_easy_setopt(cu, CURLOPT_WRITEDATA, &p.body);
    curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, keep_header);
    curl_easy_setopt(cu, CURLOPT_HEADERDATA, &p);
    if (curl_easy_perform(cu) == CURLE_OK)
        curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &p.status);
    curl_easy_cleanup(cu);
    curl_slist_free_all(rh);
    enum MHD_Result ret = send_reply(c, p.status ? p.status : 502, NULL, p.body.p ? p.body.p : "",
                                     p.body.n, p.hdrs, h->backend, h->url);
    curl_slist_free_all(p.hdrs);
    free(p.body.p);
    return ret;
}

static enum MHD_Result rest(fake_harbor *h, struct MHD_Connection *c, const char *url,
                            const char *method)
{
    const char *json = "application/json";
    if (strcmp(url, "/api/version") == 0)
        return send_reply(c, 200, json, "{\"version\":\"v2.0\"}", 18, NULL, "", "");
    if (strcmp(url, "/api/v2.0/repositories") == 0) {
        char body[512];
        pthread_mutex_lock(&h->mu);
        if (h->mount_repo[0])
            snprintf(body, sizeof body, "[{\"name\":\"%s\"}]", h->mount_repo);
        else
            snprintf(body, sizeof body, "[]");
        pthread_mutex_unlock(&h->mu);
        return send_reply(c, 200, json, body, strlen(body), NULL, "", "");
    }
    const char *p = "/api/v2.0/projects/";
    const char *tags = strstr(url, "/tags/");
    if (strcmp(method, "DELETE") == 0 && strncmp(url, p, strlen(p)) == 0 && tags) {
        pthread_mutex_lock(&h->mu);
        h->tag_deletions++;
        bool found = strcmp(tags + 6, h->existing_tag) == 0;
        pthread_mutex_unlock(&h->mu);
        return found ? send_reply(c, 200, json, "", 0, NULL, "", "")
                     : send_reply(c, 404, json, "{\"errors\":[{\"code\":\"NOT_FOUND\"}]}", 33,
                                  NULL, "", "");
    }
    return send_reply(c, 404, json, "{}", 2, NULL, "", "");
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *data,
                                 size_t *size, void **state)
{
    (void)version;
    fake_harbor *h = cls;
    req_body *b = *state;
    if (!b) {
        *state = calloc(1, sizeof *b);
        return MHD_YES;
    }
    if (*size) {
        acc((char *)data, 1, *size, b);
        *size = 0;
        return MHD_YES;
    }
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    char want[160];
    snprintf(want, sizeof want, "Harbor-Secret %s", h->secret);
    if (!auth || strcmp(auth, want) != 0) {
        pthread_mutex_lock(&h->mu);
        h->refused++;
        pthread_mutex_unlock(&h->mu);
        return send_reply(c, 401, "application/json", "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}",
                          37, NULL, "", "");
    }
    if (strncmp(url, "/v2/", 4) == 0)
        return proxy(h, c, url, method, b);
    return rest(h, c, url, method);
}

static void on_done(void *cls, struct MHD_Connection *c, void **state,
                    enum MHD_RequestTerminationCode code)
{
    (void)cls, (void)c, (void)code;
    req_body *b = *state;
    if (b)
        free(b->p);
    free(b);
    *state = NULL;
}

fake_harbor *fh_start(const char *backend_url, const char *secret)
{
    fake_harbor *h = calloc(1, sizeof *h);
    pthread_mutex_init(&h->mu, NULL);
    snprintf(h->backend, sizeof h->backend, "%s", backend_url);
    snprintf(h->secret, sizeof h->secret, "%s", secret);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                            NULL, NULL, on_access, h, MHD_OPTION_NOTIFY_COMPLETED, on_done, h,
                            MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
    assert_non_null(h->d);
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(h->url, sizeof h->url, "http://127.0.0.1:%d", i->port);
    return h;
}

void fh_stop(fake_harbor *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

const char *fh_url(const fake_harbor *h) { return h->url; }

void fh_set_mount_repo(fake_harbor *h, const char *repo)
{
    pthread_mutex_lock(&h->mu);
    snprintf(h->mount_repo, sizeof h->mount_repo, "%s", repo);
    pthread_mutex_unlock(&h->mu);
}

void fh_set_existing_tag(fake_harbor *h, const char *tag)
{
    pthread_mutex_lock(&h->mu);
    snprintf(h->existing_tag, sizeof h->existing_tag, "%s", tag);
    pthread_mutex_unlock(&h->mu);
}

int fh_refused(fake_harbor *h)
{
    pthread_mutex_lock(&h->mu);
    int n = h->refused;
    pthread_mutex_unlock(&h->mu);
    return n;
}

int fh_tag_deletions(fake_harbor *h)
{
    pthread_mutex_lock(&h->mu);
    int n = h->tag_deletions;
    pthread_mutex_unlock(&h->mu);
    return n;
}
