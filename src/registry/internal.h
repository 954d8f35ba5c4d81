/* Internals shared by the registry client's files (client.c: requests; auth.c: challenges,
 * scopes and the token cache; manifest.c; blob.c; pipe.c: the streamed copy). Nothing here
 * leaves src/registry/ except what the fuzz targets call (the parsers). */
#ifndef BERTH_REGISTRY_INTERNAL_H
#define BERTH_REGISTRY_INTERNAL_H

#include <curl/curl.h>

#include "registry/registry.h"
#include "util/buf.h"
#include "util/goproxy.h"

#define REG_URL_MAX 4096
#define REG_TOKENS_MAX 100            /* Harbor's token cache size */
#define REG_REPLY_MAX (64u << 10)     /* bodies of replies other than manifests */

typedef enum { REG_AUTH_UNKNOWN = 0, REG_AUTH_NONE, REG_AUTH_BASIC, REG_AUTH_BEARER,
               REG_AUTH_SECRET } reg_auth_mode;

typedef struct reg_token {
    char *key;                 /* scopes joined with '#' */
    char *token;
    int64_t expires_at;        /* unix seconds: issued_at + expires_in - 10; 0 = expired */
} reg_token;

/* The parsed WWW-Authenticate header (only what Harbor uses). */
typedef struct reg_challenge {
    bool bearer, basic, other;  /* which schemes were offered */
    char realm[1024];           /* of the Bearer challenge (else of Basic) */
    char service[256];
    char others[256];           /* the unsupported schemes' names, for the error */
} reg_challenge;

struct reg_client {
    char *url;                 /* base URL without a trailing '/' */
    char *username, *password, *harbor_secret, *ca_pem;
    bool insecure;
    char *http_proxy, *https_proxy, *no_proxy;   /* Go's proxy environment, read at creation */
    long timeout_s;
    bool (*stop)(void *ud);
    void *stop_ud;
    CURL *easy;                /* reused for every plain request (keeps connections) */
    reg_auth_mode mode;
    char *realm, *service;     /* Bearer */
    reg_token tokens[REG_TOKENS_MAX];
    size_t ntokens;
    char err[2048];
    long status;
};

/* What a reply told us, headers included. */
typedef struct reg_resp {
    long status;
    buf body;                           /* capped by the caller's body_max */
    bool body_over;                     /* the body passed its cap */
    char location[REG_URL_MAX];
    char digest[REG_DIGEST_MAX];
    char ctype[REG_MEDIA_MAX];
    char range[64];
    char www_auth[2048];
    int64_t content_length;             /* -1 when absent */
} reg_resp;

/* One request. headers: NULL-terminated extra lines ("Name: value"). */
typedef struct reg_call {
    const char *method;
    const char *url;                    /* absolute */
    const char *const *headers;
    const char *body;                   /* sent as is when has_body */
    size_t body_len;
    bool has_body;
    size_t body_max;                    /* reply cap; 0 → REG_REPLY_MAX */
} reg_call;

/* client.c */
int reg__fail(reg_client *c, long status, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void reg__resp_init(reg_resp *r, size_t body_max);
void reg__resp_free(reg_resp *r);
/* Common options of every handle: the URL and its proxy, TLS, timeout, user agent, header
 * capture into r. */
void reg__setup(reg_client *c, CURL *h, reg_resp *r, const char *url);
/* Sends call, authorised; a 401 to a cached token drops it and sends once more. Fills r
 * (initialised by the caller). 0 once a reply arrived (any status), else BERTH_EIO. */
int reg__do(reg_client *c, const reg_call *call, reg_resp *r);
/* Like reg__do, and a status outside 200-299 is an error "http status code: <code>, body: <body>". */
int reg__do_ok(reg_client *c, const reg_call *call, reg_resp *r);
/* <base>/v2/<repo>/<what>/<ref>; BERTH_EINVAL for names with characters a registry refuses. */
int reg__url(reg_client *c, char *out, size_t outlen, const char *repo, const char *what,
             const char *ref);
/* Makes a Location absolute against the base URL. */
void reg__absolute(reg_client *c, const char *loc, char *out, size_t outlen);
bool reg__stopped(reg_client *c);
/* blob.c: DELETE <base>/v2/<repo>/<what>/<digest>; a status outside 2xx is an error. */
int reg__delete(reg_client *c, const char *repo, const char *what, const char *digest);

/* auth.c */
/* The Authorization header line for method+url ("" when none), pinging first if needed.
 * *cached tells whether a cached token was used. */
int reg__authorize(reg_client *c, const char *method, const char *url, char *hdr,
                   size_t hdrlen, bool *cached);
/* Forgets the token used for method+url (after a 401). */
void reg__auth_forget(reg_client *c, const char *method, const char *url);
void reg__tokens_free(reg_client *c);
/* "Authorization: Basic <base64 of plain>" (plain is "user:password", ≤ 1023 bytes used). */
void reg__basic(const char *plain, char *hdr, size_t hdrlen);
/* Parses a WWW-Authenticate value. Never fails: unknown text yields no scheme. */
void reg_challenge_parse(const char *hdr, reg_challenge *out);
/* Scopes of a request, joined with '#' into out ("" when none). */
void reg_scopes(const char *method, const char *path, char *out, size_t outlen);
/* Parses a token reply body: *token (the caller's) and its expiry (0 when issued_at is
 * absent or unparseable). BERTH_EINVAL with the reason in err. */
int reg_token_parse(const char *body, size_t len, int64_t now, char **token,
                    int64_t *expires_at, char *err, size_t errlen);

/* pipe.c: hex SHA-256 of bytes as "sha256:<hex>". */
void reg__sha256(const void *p, size_t n, char out[REG_DIGEST_MAX]);

#endif
