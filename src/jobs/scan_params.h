/* IMAGE_SCAN's parameters as Harbor core sends them (spec harbor-jobs §8.2;
 * pkg/scan/job.go): `registration`, `scanRequest` and `robotAccount` are JSON documents in
 * JSON strings, `mimeTypes` an array of strings, `authType` "Basic" or "Bearer". Parsed and
 * checked with Harbor's rules and error texts (prefixed `job validate: ` by the caller).
 *
 * Ownership: scan_params owns its documents; the const char * fields point into them and
 * live until scan_params_free. No state, no locking. */
#ifndef BERTH_JOBS_SCAN_PARAMS_H
#define BERTH_JOBS_SCAN_PARAMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "scanner/scanner.h"

#define SCAN_MIME_VULN "application/vnd.security.vulnerability.report; version=1.1"
#define SCAN_MIME_VULN_NATIVE "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0"
#define SCAN_MIME_SBOM "application/vnd.security.sbom.report+json; version=1.0"
#define SCAN_SBOM_MEDIA "application/spdx+json"

typedef struct scan_reg {
    const char *uuid, *name, *auth, *credential;
    char url[2048];              /* normalised: scheme://host/path, no trailing '/' */
    scanner_auth auth_kind;
    bool skip_cert_verify;
} scan_reg;

typedef struct scan_params {
    json_t *reg_doc, *req_doc, *robot_doc, *params;
    scan_reg reg;
    /* scanRequest */
    const char *registry_url;
    bool registry_insecure;
    const char *repository, *tag, *digest, *mime_type;
    long long size;
    bool sbom;                   /* enabled_capabilities[0].type == "sbom" */
    /* mimeTypes */
    const char **mimes;
    size_t nmimes;
    /* robotAccount, authType */
    const char *robot_name, *robot_secret;
    bool bearer;                 /* authType "Bearer" (else "Basic") */
} scan_params;

/* 0, or BERTH_EINVAL with Harbor's validation text in err (without `job validate: `).
 * *p is always initialised; free it with scan_params_free. */
int scan_params_parse(const char *params_json, scan_params *p, char *err, size_t errlen);
void scan_params_free(scan_params *p);

/* The registration's JSON, indented, with access_credential "[HIDDEN]" (caller frees with
 * free()); the scan request's JSON with registry.authorization "[HIDDEN]" likewise. */
char *scan_params_reg_log(const scan_params *p);
char *scan_params_req_log(const scan_params *p);

/* The request sent to the adapter: the scan request without namespace_id, with
 * registry.authorization = auth and the capability's produces_mime_types/parameters filled
 * as Harbor's handler does. Compact JSON; the caller frees with free(). */
char *scan_params_request(const scan_params *p, const char *auth);

#endif
