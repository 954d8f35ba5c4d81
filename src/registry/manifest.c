/* Manifests (spec §7.4): media types Harbor accepts, GET/HEAD with its Accept list, PUT of
 * the original bytes with their media type, DELETE by digest, and the references of each
 * kind (index/list children; config then layers; schema 1 layers). Every reply is checked:
 * size capped at 4 MiB, a JSON object, a known media type, the digest it claims. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "berth/error.h"
#include "registry/internal.h"
#include "util/alloc.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_SCHEMA2 "application/vnd.docker.distribution.manifest.v2+json"
#define MT_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define MT_SCHEMA1 "application/vnd.docker.distribution.manifest.v1+json"
#define MT_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

static const char *const ACCEPT[] = {
    "Accept: " MT_OCI_INDEX, "Accept: " MT_DOCKER_LIST, "Accept: " MT_OCI_MANIFEST,
    "Accept: " MT_SCHEMA2, "Accept: " MT_SCHEMA1_SIGNED, "Accept: " MT_SCHEMA1, NULL};

reg_media reg_media_kind(const char *mt)
{
    size_t n = strcspn(mt, ";");
    while (n && mt[n - 1] == ' ')
        n--;
    static const struct { const char *s; reg_media m; } tab[] = {
        {MT_OCI_INDEX, REG_MT_OCI_INDEX}, {MT_DOCKER_LIST, REG_MT_DOCKER_LIST},
        {MT_OCI_MANIFEST, REG_MT_OCI_MANIFEST}, {MT_SCHEMA2, REG_MT_SCHEMA2},
        {MT_SCHEMA1_SIGNED, REG_MT_SCHEMA1}, {MT_SCHEMA1, REG_MT_SCHEMA1},
        {"application/json", REG_MT_SCHEMA1}, {"", REG_MT_SCHEMA1}, {MT_FOREIGN, REG_MT_FOREIGN}};
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++)
        if (strlen(tab[i].s) == n && strncasecmp(mt, tab[i].s, n) == 0)
            return tab[i].m;
    return REG_MT_OTHER;
}

bool reg_media_is_manifest(reg_media m) { return m != REG_MT_OTHER && m != REG_MT_FOREIGN; }

bool reg_digest_valid(const char *s)
{
    size_t hex;
    if (strncmp(s, "sha256:", 7) == 0)
        hex = 64, s += 7;
    else if (strncmp(s, "sha512:", 7) == 0)
        hex = 128, s += 7;
    else
        return false;
    if (strlen(s) != hex)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

void reg_manifest_clear(reg_manifest *m)
{
    berth_free(m->bytes);
    memset(m, 0, sizeof *m);
}

/* ---- references ------------------------------------------------------------------------ */

static int add_desc(json_t *d, bool schema1, reg_desc *out, char *err, size_t errlen)
{
    const char *digest = json_string_value(json_object_get(d, schema1 ? "blobSum" : "digest"));
    const char *mt = json_string_value(json_object_get(d, "mediaType"));
    json_t *size = json_object_get(d, "size");
    if (!json_is_object(d) || !digest || !reg_digest_valid(digest)) {
        snprintf(err, errlen, "manifest: a descriptor has no valid digest");
        return BERTH_EINVAL;
    }
    if (!schema1 && (!json_is_integer(size) || json_integer_value(size) < 0)) {
        snprintf(err, errlen, "manifest: descriptor %s has no valid size", digest);
        return BERTH_EINVAL;
    }
    if (mt && strlen(mt) >= REG_MEDIA_MAX) {
        snprintf(err, errlen, "manifest: descriptor %s has an over-long media type", digest);
        return BERTH_EINVAL;
    }
    snprintf(out->media_type, sizeof out->media_type, "%s", mt ? mt : "");
    snprintf(out->digest, sizeof out->digest, "%s", digest);
    out->size = schema1 ? -1 : json_integer_value(size);
    return 0;
}

static int add_array(json_t *arr, bool schema1, reg_desc **out, size_t *n, char *err,
                     size_t errlen)
{
    size_t k = json_array_size(arr);
    if (k == 0)
        return 0;
    *out = berth_realloc(*out, (*n + k) * sizeof **out);
    for (size_t i = 0; i < k; i++) {
        int rc = add_desc(json_array_get(arr, i), schema1, &(*out)[*n], err, errlen);
        if (rc != 0)
            return rc;
        (*n)++;
    }
    return 0;
}

int reg_manifest_refs(const reg_manifest *m, reg_desc **out, size_t *n, char *err,
                      size_t errlen)
{
    *out = NULL;
    *n = 0;
    json_error_t je;
    json_t *o = json_loadb(m->bytes ? m->bytes : "", m->len, JSON_REJECT_DUPLICATES, &je);
    int rc = BERTH_EINVAL;
    reg_media kind = reg_media_kind(m->media_type);
    if (!json_is_object(o)) {
        snprintf(err, errlen, "manifest is not a JSON object: %s", je.text);
        goto out;
    }
    const char *key = kind == REG_MT_SCHEMA1 ? "fsLayers"
                      : kind == REG_MT_OCI_INDEX || kind == REG_MT_DOCKER_LIST ? "manifests"
                      : "layers";
    if (!reg_media_is_manifest(kind)) {
        snprintf(err, errlen, "unsupported manifest media type '%s'", m->media_type);
        goto out;
    }
    json_t *arr = json_object_get(o, key);
    json_t *cfg = json_object_get(o, "config");
    bool image = kind == REG_MT_OCI_MANIFEST || kind == REG_MT_SCHEMA2;
    if ((arr && !json_is_array(arr)) || (image && !json_is_object(cfg)) ||
        (kind != REG_MT_OCI_INDEX && !arr)) {
        snprintf(err, errlen, "manifest of type %s lacks a valid '%s'%s", m->media_type, key,
                 image ? " or 'config'" : "");
        goto out;
    }
    if (image) {
        *out = berth_malloc(sizeof **out);
        if ((rc = add_desc(cfg, false, *out, err, errlen)) != 0)
            goto out;
        *n = 1;
    }
    rc = add_array(arr, kind == REG_MT_SCHEMA1, out, n, err, errlen);
out:
    if (rc != 0) {
        berth_free(*out);
        *out = NULL;
        *n = 0;
    }
    json_decref(o);
    return rc;
}

/* ---- requests -------------------------------------------------------------------------- */

/* Checks a pulled manifest: type known, JSON object, digest as claimed. */
static int check_pulled(reg_client *c, const char *ref, reg_manifest *m)
{
    if (!reg_media_is_manifest(reg_media_kind(m->media_type)))
        return reg__fail(c, 0, BERTH_EINVAL, "unsupported manifest media type '%s'",
                         m->media_type);
    json_error_t je;
    json_t *o = json_loadb(m->bytes ? m->bytes : "", m->len, 0, &je);
    bool obj = json_is_object(o);
    json_decref(o);
    if (!obj)
        return reg__fail(c, 0, BERTH_EINVAL, "the manifest is not a JSON object: %s", je.text);
    char sum[REG_DIGEST_MAX];
    reg__sha256(m->bytes ? m->bytes : "", m->len, sum);
    bool schema1 = reg_media_kind(m->media_type) == REG_MT_SCHEMA1;  /* signed: digest of the payload */
    const char *want = reg_digest_valid(ref) ? ref : m->digest[0] ? m->digest : NULL;
    if (want && !schema1 && strncmp(want, "sha256:", 7) == 0 && strcmp(want, sum) != 0)
        return reg__fail(c, 0, BERTH_EINVAL, "manifest digest mismatch: expected %s, got %s",
                         want, sum);
    if (!m->digest[0] && !schema1)
        snprintf(m->digest, sizeof m->digest, "%s", sum);
    return 0;
}

int reg_manifest_get(reg_client *c, const char *repo, const char *ref, reg_manifest *out)
{
    memset(out, 0, sizeof *out);
    char url[REG_URL_MAX];
    int rc = reg__url(c, url, sizeof url, repo, "manifests", ref);
    if (rc != 0)
        return rc;
    reg_resp r;
    reg__resp_init(&r, REG_MANIFEST_MAX);
    reg_call call = {.method = "GET", .url = url, .headers = ACCEPT};
    rc = reg__do_ok(c, &call, &r);
    if (rc == BERTH_ETOOBIG)
        rc = reg__fail(c, 0, BERTH_ETOOBIG, "the manifest %s:%s is over %u bytes", repo, ref,
                       REG_MANIFEST_MAX);
    if (rc == 0) {
        size_t n = strcspn(r.ctype, ";");
        snprintf(out->media_type, sizeof out->media_type, "%.*s", (int)n, r.ctype);
        snprintf(out->digest, sizeof out->digest, "%s", r.digest);
        out->len = r.body.len;
        out->bytes = buf_release(&r.body);
        rc = check_pulled(c, ref, out);
        if (rc != 0)
            reg_manifest_clear(out);
    }
    reg__resp_free(&r);
    return rc;
}

int reg_manifest_head(reg_client *c, const char *repo, const char *ref, bool *exists,
                      char digest[REG_DIGEST_MAX], char media_type[REG_MEDIA_MAX])
{
    *exists = false;
    char url[REG_URL_MAX];
    int rc = reg__url(c, url, sizeof url, repo, "manifests", ref);
    if (rc != 0)
        return rc;
    reg_resp r;
    reg__resp_init(&r, 0);
    reg_call call = {.method = "HEAD", .url = url, .headers = ACCEPT};
    rc = reg__do(c, &call, &r);
    if (rc == 0 && r.status != 404) {
        if (r.status < 200 || r.status > 299)
            rc = reg__fail(c, r.status, BERTH_EIO, "http status code: %ld, body: ", r.status);
        else
            *exists = true;
    }
    if (digest)
        snprintf(digest, REG_DIGEST_MAX, "%s", *exists ? r.digest : "");
    if (media_type)
        snprintf(media_type, REG_MEDIA_MAX, "%.*s", (int)strcspn(r.ctype, ";"),
                 *exists ? r.ctype : "");
    reg__resp_free(&r);
    return rc;
}

int reg_manifest_put(reg_client *c, const char *repo, const char *ref, const reg_manifest *m)
{
    char url[REG_URL_MAX];
    int rc = reg__url(c, url, sizeof url, repo, "manifests", ref);
    if (rc != 0)
        return rc;
    char ct[REG_MEDIA_MAX + 16];
    snprintf(ct, sizeof ct, "Content-Type: %s", m->media_type);
    const char *hdrs[] = {ct, NULL};
    reg_resp r;
    reg__resp_init(&r, 0);
    reg_call call = {.method = "PUT", .url = url, .headers = hdrs, .body = m->bytes,
                     .body_len = m->len, .has_body = true};
    rc = reg__do_ok(c, &call, &r);
    reg__resp_free(&r);
    return rc;
}

int reg_manifest_delete(reg_client *c, const char *repo, const char *ref)
{
    char digest[REG_DIGEST_MAX];
    snprintf(digest, sizeof digest, "%s", ref ? ref : "");
    if (!reg_digest_valid(digest)) {
        bool exists;
        int rc = reg_manifest_head(c, repo, ref, &exists, digest, NULL);
        if (rc != 0)
            return rc;
        if (!exists)
            return reg__fail(c, 404, BERTH_ENOTFOUND, "%s:%s not found", repo, ref);
        if (!reg_digest_valid(digest))
            return reg__fail(c, 0, BERTH_EINVAL, "%s:%s: the registry gave no valid digest",
                             repo, ref);
    }
    return reg__delete(c, repo, "manifests", digest);
}
