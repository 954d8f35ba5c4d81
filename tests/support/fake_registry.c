/* The fake source registry; see fake_registry.h. */
#include "test.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <microhttpd.h>
#include <pthread.h>

#include "fake_registry.h"
#include "registry_fixture.h"

#define MT_S2 "application/vnd.docker.distribution.manifest.v2+json"
#define MT_OCI "application/vnd.oci.image.manifest.v1+json"

struct fake_registry {
    struct MHD_Daemon *d;
    char url[64];
    char *layer, *huge;
    size_t huge_len;
    char layer_digest[80], cfg_digest[80], good_digest[80];
    char cfg[128], good[1024];
    pthread_mutex_t mu;
    long cut_bytes;
    int cut_times;
};

typedef struct body_state {
    const char *p;
    size_t len;    /* bytes announced */
    long cut;      /* stop after this many (-1: never) */
} body_state;

static ssize_t body_reader(void *cls, uint64_t pos, char *out, size_t max)
{
    body_state *b = cls;
    if (b->cut >= 0 && pos >= (uint64_t)b->cut)
        return MHD_CONTENT_READER_END_WITH_ERROR;   /* closes the connection mid-body */
    size_t n = b->len - (size_t)pos;
    if (n > max)
        n = max;
    if (b->cut >= 0 && pos + n > (uint64_t)b->cut)
        n = (size_t)((uint64_t)b->cut - pos);
    memcpy(out, b->p + pos, n);
    return (ssize_t)n;
}

static enum MHD_Result reply(struct MHD_Connection *c, int status, const char *ctype,
                             const char *digest, const char *p, size_t len, long cut)
{
    struct MHD_Response *r;
    if (cut >= 0) {
        body_state *b = malloc(sizeof *b);
        *b = (body_state){p, len, cut};
        r = MHD_create_response_from_callback(len, 64 * 1024, body_reader, b, free);
    } else {
        r = MHD_create_response_from_buffer(len, (void *)p, MHD_RESPMEM_PERSISTENT);
    }
    if (ctype)
        MHD_add_response_header(r, "Content-Type", ctype);
    if (digest)
        MHD_add_response_header(r, "Docker-Content-Digest", digest);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result blob(fake_registry *f, struct MHD_Connection *c, const char *digest)
{
    if (strcmp(digest, f->cfg_digest) == 0)
        return reply(c, 200, "application/octet-stream", digest, f->cfg, strlen(f->cfg), -1);
    if (strcmp(digest, f->layer_digest) != 0)
        return reply(c, 404, "application/json", NULL, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}",
                     36, -1);
    long cut = -1;
    pthread_mutex_lock(&f->mu);
    if (f->cut_times > 0) {
        f->cut_times--;
        cut = f->cut_bytes;
    }
    pthread_mutex_unlock(&f->mu);
    const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
    long long a = 0, b = FR_LAYER - 1;
    if (range && sscanf(range, "bytes=%lld-%lld", &a, &b) == 2 && a >= 0 && a <= b &&
        b < FR_LAYER) {
        struct MHD_Response *r = NULL;
        body_state *bs = malloc(sizeof *bs);
        *bs = (body_state){f->layer + a, (size_t)(b - a + 1), cut};
        r = MHD_create_response_from_callback((uint64_t)(b - a + 1), 64 * 1024, body_reader, bs,
                                              free);
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %lld-%lld/%d", a, b, FR_LAYER);
        MHD_add_response_header(r, "Content-Range", cr);
        enum MHD_Result ret = MHD_queue_response(c, 206, r);
        MHD_destroy_response(r);
        return ret;
    }
    return reply(c, 200, "application/octet-stream", digest, f->layer, FR_LAYER,
                 cut >= 0 ? cut : (long)FR_LAYER + 1);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *data,
                                 size_t *size, void **state)
{
    (void)version, (void)data, (void)size;
    fake_registry *f = cls;
    if (!*state) {
        *state = (void *)1;
        return MHD_YES;
    }
    bool head = strcmp(method, "HEAD") == 0;
    if (!head && strcmp(method, "GET") != 0)
        return reply(c, 405, NULL, NULL, "", 0, -1);
    if (strcmp(url, "/v2/") == 0)
        return reply(c, 200, "application/json", NULL, "{}", 2, -1);
    const char *m = "/v2/fake/app/manifests/", *bl = "/v2/fake/app/blobs/";
    if (strncmp(url, bl, strlen(bl)) == 0)
        return blob(f, c, url + strlen(bl));
    if (strncmp(url, m, strlen(m)) != 0)
        return reply(c, 404, NULL, NULL, "", 0, -1);
    const char *ref = url + strlen(m);
    if (strcmp(ref, "good") == 0 || strcmp(ref, f->good_digest) == 0)
        return reply(c, 200, MT_S2, f->good_digest, f->good, strlen(f->good), -1);
    if (strcmp(ref, "notjson") == 0)
        return reply(c, 200, MT_S2, NULL, "this is not JSON", 16, -1);
    if (strcmp(ref, "huge") == 0)
        return reply(c, 200, MT_OCI, NULL, f->huge, f->huge_len, -1);
    return reply(c, 404, "application/json", NULL, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}",
                 40, -1);
}

fake_registry *fr_start(void)
{
    fake_registry *f = calloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    f->layer = regfx_bytes(FR_LAYER, 4242);
    regfx_sha256(f->layer, FR_LAYER, f->layer_digest);
    snprintf(f->cfg, sizeof f->cfg, "{\"architecture\":\"amd64\",\"os\":\"linux\"}");
    regfx_sha256(f->cfg, strlen(f->cfg), f->cfg_digest);
    snprintf(f->good, sizeof f->good,
             "{\"schemaVersion\":2,\"mediaType\":\"" MT_S2 "\",\"config\":{\"mediaType\":"
             "\"application/vnd.docker.container.image.v1+json\",\"size\":%zu,\"digest\":\"%s\"},"
             "\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\","
             "\"size\":%d,\"digest\":\"%s\"}]}", strlen(f->cfg), f->cfg_digest, FR_LAYER,
             f->layer_digest);
    regfx_sha256(f->good, strlen(f->good), f->good_digest);
    f->huge_len = 5u << 20;
    f->huge = malloc(f->huge_len);
    memset(f->huge, ' ', f->huge_len);
    memcpy(f->huge, "{\"a\":\"", 6);
    memcpy(f->huge + f->huge_len - 2, "\"}", 2);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                            NULL, NULL, on_access, f, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
    assert_non_null(f->d);
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d", i->port);
    return f;
}

void fr_stop(fake_registry *f)
{
    if (!f)
        return;
    MHD_stop_daemon(f->d);
    free(f->layer);
    free(f->huge);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

const char *fr_url(const fake_registry *f) { return f->url; }
const char *fr_layer_digest(const fake_registry *f) { return f->layer_digest; }
const char *fr_good_digest(const fake_registry *f) { return f->good_digest; }

void fr_cut(fake_registry *f, long bytes, int times)
{
    pthread_mutex_lock(&f->mu);
    f->cut_bytes = bytes;
    f->cut_times = times;
    pthread_mutex_unlock(&f->mu);
}
