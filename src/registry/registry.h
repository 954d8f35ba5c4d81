/* An OCI distribution (Docker Registry v2) client on libcurl + jansson, as Harbor's
 * registry client behaves (spec harbor-jobs.md §7.4): ping and auto-detected auth
 * (anonymous, Basic, Bearer with a per-scope-set token cache, Harbor-Secret), manifests of
 * every media type Harbor accepts, blobs HEADed, mounted and copied from one registry to
 * another through a bounded buffer (never whole in memory), monolithically or in chunks.
 *
 * It knows nothing of jobs: settings, a stop callback and a rate limiter come in as
 * arguments, errors go out as BERTH_E* codes plus a text kept on the client
 * (reg_client_error). A client is used by one thread at a time; it owns its curl handles
 * and its token cache. Strings handed back are the caller's (free with berth_free) unless
 * a comment says otherwise. */
#ifndef BERTH_REGISTRY_H
#define BERTH_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REG_MANIFEST_MAX (4u << 20)     /* Harbor's manifest cap: 4 MiB */
#define REG_DIGEST_MAX 160              /* "<algorithm>:<hex>" with room for sha512 */
#define REG_MEDIA_MAX 256

typedef struct reg_settings {
    const char *url;              /* base URL, e.g. "http://127.0.0.1:5000" (a sub-path is kept) */
    const char *username;         /* access_key; NULL or "" → no Basic credentials */
    const char *password;         /* access_secret */
    const char *harbor_secret;    /* set: every request carries Harbor-Secret <it>, no ping */
    bool insecure;                /* skip TLS verification (ignored when ca_pem is set) */
    const char *ca_pem;           /* extra trusted CA certificates (PEM text) */
    long timeout_s;               /* whole-request timeout; 0 → 1800 (Harbor's 30 min) */
    /* Polled while a transfer runs (at least every 100 ms): true aborts it with
     * BERTH_ESTATE and the text "stopped". NULL: never. */
    bool (*stop)(void *ud);
    void *stop_ud;
} reg_settings;

typedef struct reg_client reg_client;

/* Copies the settings. BERTH_EINVAL (text in err) for a URL that is not http(s). */
int reg_client_new(const reg_settings *s, reg_client **out, char *err, size_t errlen);
void reg_client_free(reg_client *c);   /* NULL is a no-op */
/* The last failure's text (never NULL; owned by the client, valid until the next call). */
const char *reg_client_error(const reg_client *c);
/* The HTTP status of the last failure (0: transport or validation error). */
long reg_client_status(const reg_client *c);
/* The base URL as given (owned by the client). */
const char *reg_client_url(const reg_client *c);

/* ---- media types ------------------------------------------------------------------------ */
typedef enum {
    REG_MT_OTHER = 0,        /* not a manifest (a blob: config, layer, ...) */
    REG_MT_OCI_INDEX,
    REG_MT_DOCKER_LIST,
    REG_MT_OCI_MANIFEST,
    REG_MT_SCHEMA2,
    REG_MT_SCHEMA1,          /* signed or not; also "" and application/json (Harbor) */
    REG_MT_FOREIGN,          /* a foreign layer: never copied */
} reg_media;

/* Classifies a Content-Type or descriptor mediaType (parameters after ';' ignored). */
reg_media reg_media_kind(const char *media_type);
bool reg_media_is_manifest(reg_media m);
/* "sha256:<hex>" of bytes (a manifest's or blob's digest). */
void reg_sha256_digest(const void *p, size_t n, char out[REG_DIGEST_MAX]);
/* True for "<alg>:<hex>" with alg sha256 (64 hex) or sha512 (128 hex), lowercase. */
bool reg_digest_valid(const char *s);

/* ---- manifests ------------------------------------------------------------------------- */
typedef struct reg_manifest {
    char *bytes;                    /* exactly as served */
    size_t len;
    char media_type[REG_MEDIA_MAX]; /* Content-Type without parameters */
    char digest[REG_DIGEST_MAX];    /* Docker-Content-Digest, else "" */
} reg_manifest;
void reg_manifest_clear(reg_manifest *m);   /* frees bytes */

/* A descriptor a manifest refers to: children of an index/list, config then layers of an
 * image manifest, the layers of a schema 1 manifest. */
typedef struct reg_desc {
    char media_type[REG_MEDIA_MAX];
    char digest[REG_DIGEST_MAX];
    int64_t size;                   /* -1 when the manifest gives none (schema 1) */
} reg_desc;

/* Parses a manifest's references (validating its JSON and every descriptor). *out is the
 * caller's (berth_free), *n its length. BERTH_EINVAL with the reason in err. */
int reg_manifest_refs(const reg_manifest *m, reg_desc **out, size_t *n, char *err,
                      size_t errlen);

/* GET with Harbor's Accept list; capped at REG_MANIFEST_MAX; the body must be a JSON object
 * of a known type and, when the reference or the reply names a digest, hash to it. */
int reg_manifest_get(reg_client *c, const char *repo, const char *ref, reg_manifest *out);
/* HEAD: *exists false on 404 (not an error); digest ("" if the header is absent) and
 * media_type may be NULL. */
int reg_manifest_head(reg_client *c, const char *repo, const char *ref, bool *exists,
                      char digest[REG_DIGEST_MAX], char media_type[REG_MEDIA_MAX]);
/* PUT the bytes unchanged with their media type. */
int reg_manifest_put(reg_client *c, const char *repo, const char *ref, const reg_manifest *m);
/* DELETE by digest (a tag is resolved with a HEAD first; absent → BERTH_ENOTFOUND with
 * "<repo>:<ref> not found"). */
int reg_manifest_delete(reg_client *c, const char *repo, const char *ref);

/* ---- blobs ----------------------------------------------------------------------------- */
int reg_blob_head(reg_client *c, const char *repo, const char *digest, bool *exists);
/* DELETE /v2/<repo>/blobs/<digest>: 0 on 2xx (the registry answers 202); any other status
 * is an error "http status code: <code>, body: <body>" (a 404 included, as Harbor). */
int reg_blob_delete(reg_client *c, const char *repo, const char *digest);
/* POST ?mount=&from=: *mounted only on 201 (a 202 opens an upload that is then cancelled;
 * Harbor's quirk Q7 is not reproduced). */
int reg_blob_mount(reg_client *c, const char *repo, const char *digest, const char *from,
                   bool *mounted);

/* Pushes a small blob held in memory (HEAD first: an existing blob is not sent again; else
 * POST an upload and PUT ?digest= with the bytes). digest gets "sha256:<hex>" of data. */
int reg_blob_put(reg_client *c, const char *repo, const void *data, size_t len,
                 char digest[REG_DIGEST_MAX]);

/* Token bucket of Harbor's speed limit: rate bytes/s, burst bytes. rate 0 = unlimited. */
typedef struct reg_limiter {
    double rate, burst, tokens;
    int64_t last_us;
} reg_limiter;
void reg_limiter_init(reg_limiter *l, double rate, double burst);

/* State of a chunked upload; it survives failed attempts so the next one resumes. */
typedef struct reg_upload {
    int64_t start, end;           /* the last chunk tried; end = -1 before the first */
    char *location;               /* upload URL (absolute), NULL before the first chunk */
} reg_upload;
void reg_upload_init(reg_upload *u);
void reg_upload_clear(reg_upload *u);

/* Copies blob digest from src/src_repo to dst/dst_repo in one PUT, streamed through a
 * bounded buffer. size is the descriptor's (used when the source gives no length). The
 * bytes are hashed on the way; a mismatch aborts the upload before its last byte. Errors
 * land on dst's error text (prefixed "pull: " when the source side failed). */
int reg_blob_copy(reg_client *src, const char *src_repo, reg_client *dst,
                  const char *dst_repo, const char *digest, int64_t size, reg_limiter *lim);

/* One chunk of a chunked copy (spec §7.7): advances u, pulls bytes start..end with a Range,
 * PATCHes (or PUTs ?digest= for the last) them. On a push failure it asks the registry
 * where the upload stands and rewinds u to resume there. *done true after the last chunk. */
int reg_blob_copy_chunk(reg_client *src, const char *src_repo, reg_client *dst,
                        const char *dst_repo, const char *digest, int64_t size,
                        int64_t chunk, reg_upload *u, reg_limiter *lim, bool *done);

/* ---- Harbor's REST API (the harbor adapter, spec §7.5) ------------------------------------
 * Authorised with Harbor-Secret for the local Harbor, else Basic when a username is set. */
/* GET <url>/api/version: base = <url>/api/<version> and *v2 true; 404 → <url>/api (1.x). */
int reg_harbor_probe(reg_client *c, char *base, size_t baselen, bool *v2);
/* GET <base>/repositories?q=blob_digest=<d>&page_size=1&page_number=1: repo = the first
 * one's name, "" when none (or on 404, older Harbor). */
int reg_harbor_mount_source(reg_client *c, const char *base, const char *digest, char *repo,
                            size_t repolen);
/* DELETE <base>/projects/<p>/repositories/<rest, escaped twice>/artifacts/<tag>/tags/<tag>.
 * BERTH_ENOTFOUND on 404 (reg_client_status says so too). */
int reg_harbor_delete_tag(reg_client *c, const char *base, const char *repo, const char *tag);

#endif
