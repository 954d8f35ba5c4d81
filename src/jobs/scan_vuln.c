/* See scan_vuln.h. */
#include "jobs/scan_vuln.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "jobs/job_params.h"
#include "model/json_field.h"
#include "model/json_parse.h"
#include "util/alloc.h"
#include "util/buf.h"

static const char *const SEVERITIES[SEV_COUNT] = {"Critical", "High", "Medium", "Low", "None",
                                                  "Unknown"};

const char *scan_severity_normalise(const char *s)
{
    char t[32];
    size_t n = strlen(s ? s : "");
    if (n == 0 || n >= sizeof t)
        return "Unknown";
    bool start = true;
    for (size_t i = 0; i <= n; i++) {     /* title case: first letter of each word upper */
        unsigned char ch = (unsigned char)s[i];
        t[i] = (char)(start ? toupper(ch) : tolower(ch));
        start = !isalpha(ch);
    }
    if (!strcmp(t, "Negligible"))
        return "None";
    for (int i = 0; i < SEV_COUNT; i++)
        if (!strcmp(t, SEVERITIES[i]))
            return SEVERITIES[i];
    return "Unknown";
}

static int sev_index(const char *norm)
{
    for (int i = 0; i < SEV_COUNT; i++)
        if (norm == SEVERITIES[i])
            return i;
    return SEV_UNKNOWN;
}

/* An array of strings joined with sep (Go: []string; null → ""). */
static int joined(const json_t *item, const char *key, const char *sep, char **out, char *err,
                  size_t errlen)
{
    const json_t *a = job_params_field(item, key);
    buf b;
    buf_init(&b, 0);  /* no cap: strings of a report already read under its cap */
    buf_puts(&b, "");
    if (a && !json_is_array(a)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field "
                 "VulnerabilityItem.vulnerabilities.%s of type []string",
                 berth__json_field_type(a), key);
        buf_free(&b);
        return BERTH_EINVAL;
    }
    for (size_t i = 0; a && i < json_array_size(a); i++) {
        const json_t *s = json_array_get(a, i);
        if (!json_is_string(s)) {
            snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field "
                     "VulnerabilityItem.vulnerabilities.%s of type string",
                     berth__json_field_type(s), key);
            buf_free(&b);
            return BERTH_EINVAL;
        }
        buf_printf(&b, "%s%s", i ? sep : "", json_string_value(s));
    }
    *out = buf_release(&b);
    return 0;
}

static int cvss(const json_t *item, scan_item *it, char *err, size_t errlen)
{
    const json_t *c = job_params_field(item, "preferred_cvss");
    if (!c)
        return 0;
    if (!json_is_object(c)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field "
                 "VulnerabilityItem.vulnerabilities.preferred_cvss of type vuln.CVSS",
                 berth__json_field_type(c));
        return BERTH_EINVAL;
    }
    const json_t *v3 = job_params_field(c, "score_v3"), *v2 = job_params_field(c, "score_v2");
    if ((v3 && !json_is_number(v3)) || (v2 && !json_is_number(v2))) {
        snprintf(err, errlen, "json: cannot unmarshal a score of preferred_cvss into Go value "
                 "of type float64");
        return BERTH_EINVAL;
    }
    it->has_v3 = v3 != NULL, it->has_v2 = v2 != NULL;
    it->score_v3 = v3 ? json_number_value(v3) : 0;
    it->score_v2 = v2 ? json_number_value(v2) : 0;
    if (job_params_go_field(c, "vector_v3", "CVSS.vector_v3", JOB_PARAMS_STRING,
                            &it->vector_v3, err, errlen) ||
        job_params_go_field(c, "vector_v2", "CVSS.vector_v2", JOB_PARAMS_STRING,
                            &it->vector_v2, err, errlen))
        return BERTH_EINVAL;
    it->has_cvss = it->has_v3 || it->has_v2 || *it->vector_v3 || *it->vector_v2;
    return 0;
}

/* vendor_attributes: kept as JSON text; V3Score of CVSS.nvd first, else of any vendor. */
static int vendor(const json_t *item, scan_item *it, char *err, size_t errlen)
{
    const json_t *va = NULL;
    if (job_params_go_field(item, "vendor_attributes", "VulnerabilityItem.vendor_attributes",
                         JOB_PARAMS_MAP_ANY, &va, err, errlen) != 0)
        return BERTH_EINVAL;
    if (!va || json_object_size(va) == 0)
        return 0;
    it->vendor_attributes = json_dumps(va, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                               JSON_REAL_PRECISION(15));
    const json_t *cv = json_object_get(va, "CVSS");
    const json_t *nvd = json_object_get(json_object_get(cv, "nvd"), "V3Score");
    if (json_is_number(nvd)) {
        it->has_vendor_v3 = true, it->vendor_v3 = json_number_value(nvd);
        return 0;
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)cv, k, v) {
        const json_t *s = json_object_get(v, "V3Score");
        if (json_is_number(s)) {
            it->has_vendor_v3 = true, it->vendor_v3 = json_number_value(s);
            return 0;
        }
    }
    it->has_vendor_v3 = true, it->vendor_v3 = 0;   /* Harbor stores 0 when none has one */
    return 0;
}

static int item(const json_t *o, scan_item *it, char *err, size_t errlen)
{
    if (!json_is_object(o)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type "
                 "vuln.VulnerabilityItem", berth__json_field_type(o));
        return BERTH_EINVAL;
    }
    const char *sev = "";
    struct { const char *k; const char **out; } s[] = {
        {"id", &it->id}, {"package", &it->package}, {"version", &it->version},
        {"fix_version", &it->fix_version}, {"status", &it->status},
        {"description", &it->description}, {"severity", &sev}};
    for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
        char path[96];
        snprintf(path, sizeof path, "VulnerabilityItem.%s", s[i].k);
        if (job_params_go_field(o, s[i].k, path, JOB_PARAMS_STRING, s[i].out, err, errlen) != 0)
            return BERTH_EINVAL;
    }
    it->severity = scan_severity_normalise(sev);
    if (joined(o, "links", "|", &it->urls, err, errlen) ||
        joined(o, "cwe_ids", ",", &it->cwe_ids, err, errlen) || cvss(o, it, err, errlen) ||
        vendor(o, it, err, errlen))
        return BERTH_EINVAL;
    return 0;
}

static int summary(scan_vuln_report *r, char *err, size_t errlen)
{
    json_t *s = json_object();
    const char *keys[] = {"generated_at", "artifact", "scanner", "severity"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        json_t *v = json_object_get(r->doc, keys[i]);
        if (v)
            json_object_set(s, keys[i], v);
    }
    json_object_set_new(s, "vulnerabilities", json_array());
    json_t *sbom = json_object_get(r->doc, "sbom");
    if (sbom)
        json_object_set(s, "sbom", sbom);
    r->summary = json_dumps(s, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(s);
    if (!r->summary) {
        snprintf(err, errlen, "missing report JSON data");
        return BERTH_EINVAL;
    }
    return 0;
}

int scan_vuln_parse(const char *raw, size_t len, scan_vuln_report *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (!raw || len == 0) {
        snprintf(err, errlen, "missing report JSON data");
        return BERTH_EINVAL;
    }
    char why[512];
    if (berth__json_parse(raw, len, BERTH_JSON_MAX_DEPTH, &r->doc, NULL, why, sizeof why)) {
        snprintf(err, errlen, "%s", why);
        return BERTH_EINVAL;
    }
    const json_t *vs = json_object_get(r->doc, "vulnerabilities");
    if (!json_is_object(r->doc) || (vs && !json_is_array(vs) && !json_is_null(vs))) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type vuln.Report",
                 json_is_object(r->doc) ? "vulnerabilities" : berth__json_field_type(r->doc));
        return BERTH_EINVAL;
    }
    r->n = json_array_size(vs);
    if (!(r->items = berth_calloc(r->n + 1, sizeof *r->items))) {
        r->n = 0;   /* the free loop walks n items */
        snprintf(err, errlen, "out of memory");
        return BERTH_ENOMEM;
    }
    for (size_t i = 0; i < r->n; i++) {
        if (item(json_array_get(vs, i), &r->items[i], err, errlen) != 0)
            return BERTH_EINVAL;
        r->counts[sev_index(r->items[i].severity)]++;
        if (*r->items[i].fix_version)
            r->fixable++;
    }
    return summary(r, err, errlen);
}

void scan_vuln_free(scan_vuln_report *r)
{
    for (size_t i = 0; r->items && i < r->n; i++) {
        berth_free(r->items[i].urls);
        berth_free(r->items[i].cwe_ids);
        free(r->items[i].vendor_attributes);
    }
    berth_free(r->items);
    free(r->summary);
    json_decref(r->doc);
    memset(r, 0, sizeof *r);
}
