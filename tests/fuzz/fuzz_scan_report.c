/* libFuzzer target for the scanner adapter's reports as IMAGE_SCAN reads them
 * (src/jobs/scan_vuln.c scan_vuln_parse, src/jobs/scan_sbom.c scan_sbom_content): any bytes
 * as the body of a 200 from GET /api/v1/scan/{id}/report.
 *
 * Checks beyond sanitizer reports: a refused vulnerability report has a message; an accepted
 * one has counts that add up to its items, no more fixable items than items, a severity from
 * Harbor's six on every item, and a summary that is a JSON object with an empty
 * vulnerability list. An SBOM either fails with a message or gives JSON text. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/scan_sbom.h"
#include "jobs/scan_vuln.h"

#define CHECK(c) \
    do { \
        if (!(c)) \
            abort(); \
    } while (0)

static void vuln(const char *p, size_t n)
{
    scan_vuln_report r;
    char err[512] = "";
    if (scan_vuln_parse(p, n, &r, err, sizeof err) != 0) {
        CHECK(err[0]);
        scan_vuln_free(&r);
        return;
    }
    long long sum = 0;
    for (int i = 0; i < SEV_COUNT; i++)
        sum += r.counts[i];
    CHECK(sum == (long long)r.n && r.fixable <= (long long)r.n);
    for (size_t i = 0; i < r.n; i++)
        CHECK(!strcmp(r.items[i].severity, scan_severity_normalise(r.items[i].severity)));
    json_t *s = json_loads(r.summary, 0, NULL);
    CHECK(json_is_object(s));
    CHECK(json_array_size(json_object_get(s, "vulnerabilities")) == 0);
    json_decref(s);
    scan_vuln_free(&r);
}

static void sbom(const char *p, size_t n)
{
    char *text = NULL, err[512] = "";
    json_t *who = NULL;
    if (scan_sbom_content(p, n, &text, &who, err, sizeof err) != 0) {
        CHECK(err[0] && !text);
        return;
    }
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    CHECK(j != NULL);
    json_decref(j);
    json_decref(who);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    vuln((const char *)data, size);
    sbom((const char *)data, size);
    return 0;
}
