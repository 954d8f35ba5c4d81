/* A vulnerability report as an adapter returns it (spec harbor-jobs §8.4; Harbor's
 * pkg/scan/vuln/report.go and vulnerability/vul.go): parsed, each item's severity
 * normalised as Harbor does (`Negligible` → `None`, unknown words → `Unknown`), the counts
 * core shows (critical … unknown, fixable) and the summary Harbor stores in
 * `scan_report.report` (the report with its vulnerability list emptied). The database
 * writing is scan_store's.
 *
 * Ownership: scan_vuln_report owns everything it points to; free with scan_vuln_free. */
#ifndef BERTH_JOBS_SCAN_VULN_H
#define BERTH_JOBS_SCAN_VULN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { SEV_CRITICAL, SEV_HIGH, SEV_MEDIUM, SEV_LOW, SEV_NONE, SEV_UNKNOWN,
               SEV_COUNT } scan_severity;

typedef struct scan_item {
    const char *id, *package, *version, *fix_version, *status, *description;
    const char *severity;        /* normalised: "Critical" … "Unknown" (static) */
    char *urls;                  /* links joined with '|' */
    char *cwe_ids;               /* joined with ',' ("" when none) */
    bool has_cvss;               /* preferred_cvss had a non-empty field */
    bool has_v3, has_v2;
    double score_v3, score_v2;
    const char *vector_v3, *vector_v2;
    char *vendor_attributes;     /* compact JSON of a non-empty object, else NULL */
    bool has_vendor_v3;          /* a V3Score found under vendor_attributes.CVSS */
    double vendor_v3;            /* nvd's first, else any vendor's, else 0 */
} scan_item;

typedef struct scan_vuln_report {
    json_t *doc;
    scan_item *items;
    size_t n;
    long long counts[SEV_COUNT];
    long long fixable;
    char *summary;               /* compact JSON for scan_report.report */
} scan_vuln_report;

/* 0, or BERTH_EINVAL with the reason in err (not JSON, not an object, a field of the wrong
 * type). *out is always initialised. */
int scan_vuln_parse(const char *raw, size_t len, scan_vuln_report *out, char *err,
                    size_t errlen);
void scan_vuln_free(scan_vuln_report *r);

/* Harbor's severity normalisation of one word (static result). */
const char *scan_severity_normalise(const char *s);

#endif
