/* A client of the Pluggable Scanner API v1.x (the REST API a scanner adapter such as
 * Trivy's serves to Harbor; spec harbor-jobs §8.3), behaving on the wire as Harbor's
 * pkg/scan/rest/v1 client: `GET /api/v1/metadata`, `POST /api/v1/scan`,
 * `GET /api/v1/scan/{id}/report` with the report's MIME type in Accept, where a 302 means
 * "not ready yet, ask again after Refresh-After seconds". Every request carries the
 * adapter's own authentication (none, Basic, Bearer or X-ScannerAdapter-API-Key), has a
 * whole-request timeout (Harbor: 5 s), never follows a redirect, and keeps at most a capped
 * number of reply bytes: a longer reply is an error, never a truncated report.
 *
 * It knows nothing of jobs: the stop callback comes in with the settings and errors go out as
 * BERTH_E* codes plus Harbor's wording in a caller's buffer. A client is used by one thread
 * at a time (it owns one curl handle); several clients may run at once. Strings handed back
 * are the caller's (free with berth_free). */
#ifndef BERTH_SCANNER_H
#define BERTH_SCANNER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Results besides 0 and BERTH_* codes. */
#define SCANNER_STOPPED 1      /* the stop callback said so; the request was aborted */
#define SCANNER_NOT_READY 2    /* scanner_report: 302, ask again after *retry_after_s */

#define SCANNER_TIMEOUT_MS 5000L              /* Harbor's scanner client timeout */
#define SCANNER_REPLY_MAX (64u << 20)         /* default cap of a reply (a report) */
#define SCANNER_REFRESH_DEFAULT 5             /* Harbor's wait when Refresh-After is absent */

/* The adapter authentications of a scanner registration's `auth`. */
typedef enum {
    SCANNER_AUTH_NONE = 0,  /* "" */
    SCANNER_AUTH_BASIC,     /* "Basic": Authorization: Basic base64(<credential>) */
    SCANNER_AUTH_BEARER,    /* "Bearer": Authorization: Bearer <credential> */
    SCANNER_AUTH_APIKEY,    /* "APIKey": X-ScannerAdapter-API-Key: <credential> */
} scanner_auth;

/* "", "Basic", "Bearer", "APIKey" → *out; else BERTH_EINVAL with Harbor's
 * `auth type <x> is not supported`. */
int scanner_auth_parse(const char *s, scanner_auth *out, char *err, size_t errlen);

typedef struct scanner_settings {
    const char *url;           /* the registration's URL; "/api/v1" is appended */
    scanner_auth auth;
    const char *credential;    /* access_credential (required unless SCANNER_AUTH_NONE) */
    bool insecure;             /* skip_certVerify */
    long timeout_ms;           /* each request; 0 → SCANNER_TIMEOUT_MS */
    size_t max_reply;          /* reply bytes allowed; 0 → SCANNER_REPLY_MAX */
    const char *http_proxy;    /* for http:// URLs; NULL or "": direct (loopback always) */
    const char *https_proxy;
    const char *no_proxy;
    /* Polled during a transfer (at least every 100 ms): true aborts it (SCANNER_STOPPED). */
    bool (*stop)(void *ud);
    void *stop_ud;
} scanner_settings;

typedef struct scanner scanner;

/* Copies the settings. BERTH_EINVAL with the reason in err for a URL that is not http(s)
 * or a missing credential. */
int scanner_new(const scanner_settings *s, scanner **out, char *err, size_t errlen);
void scanner_free(scanner *c);    /* NULL is a no-op */

/* GET /metadata. *meta (the caller's, json_decref) is the adapter metadata, checked to be an
 * object with a `scanner` object and a `capabilities` array. Errors as scanner_submit's with
 * the prefix `v1 client: get metadata: `. */
int scanner_metadata(scanner *c, json_t **meta, char *err, size_t errlen);

/* POST /scan with the scan request JSON text. 202 → 0 and the scan request id in id (a
 * non-empty string of at most idlen-1 characters that are safe in a URL path). Another
 * status → BERTH_EIO with Harbor's text `v1 client: submit scan: general response handler:
 * unexpected status code: <code>, expected: 202` (the adapter's error message first when it
 * sent one). */
int scanner_submit(scanner *c, const char *request_json, char *id, size_t idlen, char *err,
                   size_t errlen);

/* GET /scan/<id>/report[?<query>] with Accept: mime. 200 → 0, *report and *len the body as
 * sent (NUL-terminated). 302 → SCANNER_NOT_READY with *retry_after_s from Refresh-After
 * (absent → 5; not a number in -128..127 → 5 and Harbor's warning ``Parse `Refresh-After`
 * error: …`` in warn, else warn is ""). A body over the cap → BERTH_ETOOBIG. Other statuses
 * as scanner_submit with `expected: 200` and no prefix. */
int scanner_report(scanner *c, const char *id, const char *mime, const char *query,
                   char **report, size_t *len, int *retry_after_s, char *warn, size_t warnlen,
                   char *err, size_t errlen);

#endif
