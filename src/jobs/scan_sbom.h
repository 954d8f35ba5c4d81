/* IMAGE_SCAN's SBOM side (spec harbor-jobs §8.5, §8.6; Harbor's pkg/scan/sbom): the SBOM
 * document taken out of the adapter's report and re-encoded as Go's encoder would (compact,
 * object keys sorted, `<`, `>`, `&` escaped), the accessory pushed by digest to the
 * registry as an OCI image whose config type is application/vnd.goharbor.harbor.sbom.v1
 * and whose subject is the scanned artifact, and the summary stored in sbom_report.
 *
 * Ownership: strings returned are the caller's (free()). The registry client is borrowed. */
#ifndef BERTH_JOBS_SCAN_SBOM_H
#define BERTH_JOBS_SCAN_SBOM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"

#define SCAN_SBOM_CONFIG_MEDIA "application/vnd.goharbor.harbor.sbom.v1"

/* The report's `sbom` object re-encoded (absent → "null"); *scanner (a new reference or
 * NULL) is the report's scanner object. 0 or BERTH_EINVAL with the JSON error in err. */
int scan_sbom_content(const char *raw, size_t len, char **sbom, json_t **scanner, char *err,
                      size_t errlen);

typedef struct scan_subject {
    const char *media_type;      /* the scanned artifact's mime_type */
    int64_t size;
    const char *digest;
} scan_subject;

/* Pushes the accessory to repo: layer, config, then the manifest by its digest, which
 * goes into digest. created is the RFC 3339 time of the annotations. 0 or the registry
 * client's code (its text in reg_client_error). */
int scan_sbom_push(reg_client *c, const char *repo, const char *sbom, const scan_subject *s,
                   const char *created, char digest[REG_DIGEST_MAX]);

/* Harbor's summary: {"duration","end_time","sbom_digest","sbom_repository","scan_status",
 * "scanner","start_time"} (scanner may be NULL → null). */
char *scan_sbom_summary(long long duration_s, const char *start, const char *end,
                        const char *digest, const char *repo, const json_t *scanner);

#endif
