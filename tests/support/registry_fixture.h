/* Real Docker registries for the registry tests (label registry): Debian's docker-registry
 * (distribution 2.8) started as a child process on a free loopback port with its own config
 * file and storage under a fresh temp dir — without auth, with htpasswd Basic auth, or with
 * token auth served by tests/support/token_server.py (a real token server: RS256 JWTs with
 * an x5c chain the registry trusts). Never the system service. Plus helpers that seed and
 * read images through the plain Registry v2 API with libcurl (independent of src/registry).
 * Every instance accepts schema 1 pushes and foreign layers with http(s) URLs, which
 * distribution 2.8 refuses by default (compatibility.schema1.enabled, validation.manifests.urls). */
#ifndef BERTH_TEST_REGISTRY_FIXTURE_H
#define BERTH_TEST_REGISTRY_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef enum { RF_NOAUTH, RF_BASIC, RF_TOKEN, RF_TLS } rf_auth;   /* RF_TLS: https, no auth */

#define RF_USER "alice"
#define RF_PASS "wonder-land"

typedef struct reg_fixture {
    rf_auth auth;
    pid_t pid, token_pid;
    int port, token_port;
    char dir[128];
    char url[64];          /* http://127.0.0.1:<port> (https for RF_TLS) */
    char cert[192];        /* RF_TLS: the server's self-signed certificate (PEM file) */
} reg_fixture;

/* 0, or -1 with a message on stderr. */
int regfx_start(reg_fixture *f, rf_auth auth);
/* Stops the children by pid and removes the dir. Safe twice. */
void regfx_stop(reg_fixture *f);
/* Token mode: a new signing key pair; the registry is restarted (same port and storage)
 * trusting only the new certificate, so every token issued so far is refused with 401.
 * sign_with_new: the token server signs with the new pair from now on; false: it keeps the
 * old, now untrusted one (its tokens are refused too). 0 or -1. */
int regfx_token_rotate(reg_fixture *f, bool sign_with_new);
/* Token requests the token server answered so far (token mode). */
int regfx_token_requests(const reg_fixture *f);

/* "sha256:<hex>" of bytes. */
void regfx_sha256(const void *p, size_t n, char out[80]);
/* Deterministic incompressible bytes (seeded); the caller frees. */
char *regfx_bytes(size_t n, unsigned seed);

/* Seeding through the API (asserts success). */
void regfx_push_blob(reg_fixture *f, const char *repo, const void *p, size_t n, char digest[80]);
void regfx_push_manifest(reg_fixture *f, const char *repo, const char *ref, const char *media,
                         const char *body, char digest[80]);

/* GET or HEAD path (with query) on the registry, authorised. Returns the status; body
 * (may be NULL) is the caller's to free; digest/ctype get those headers ("" if absent). */
long regfx_request(reg_fixture *f, const char *method, const char *path, char **body,
                   size_t *len, char digest[80], char ctype[128]);

/* The same with this Accept value instead of the four image types (NULL: those). */
long regfx_request_accept(reg_fixture *f, const char *method, const char *path,
                          const char *accept, char **body, size_t *len, char digest[80],
                          char ctype[128]);

/* The path of a blob's data file in the registry's storage (for tampering tests). */
void regfx_blob_path(const reg_fixture *f, const char *digest, char *out, size_t outlen);

#endif
