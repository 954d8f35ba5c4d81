/* See scan_store.h. The matching of step 3 of §8.4: the records of this registration whose
 * cve_id is in the report are read once (cve_id = ANY($2), the list bound as one text[]
 * value), sorted by their key cve_id/package/package_version, and each report item looks
 * its key up by binary search. */
#include "jobs/scan_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "util/alloc.h"
#include "util/buf.h"

#define LINK_BATCH 100     /* Harbor's multi-row INSERT size */

typedef struct rec {
    char *key;             /* cve_id \x1f package \x1f package_version */
    int64_t id;
    const char *severity, *status;   /* point into the result */
} rec;

typedef struct vuln_tx {
    const char *digest, *reg_uuid, *mime;
    const scan_vuln_report *r;
    char *report_uuid;
    db_res *rows;
    rec *recs;
    size_t nrecs;
    int64_t *ids;          /* one per report item */
} vuln_tx;

static char *item_key(const char *cve, const char *pkg, const char *ver)
{
    buf b;
    buf_init(&b, 0);  /* no cap: 3 fields of an item */
    buf_printf(&b, "%s\x1f%s\x1f%s", cve, pkg, ver);
    return buf_release(&b);
}

static int rec_cmp(const void *a, const void *b)
{
    return strcmp(((const rec *)a)->key, ((const rec *)b)->key);
}

/* A PostgreSQL array literal of the item ids, each quoted (a value, bound as $2). */
static char *cve_array(const scan_vuln_report *r)
{
    buf b;
    buf_init(&b, 0);  /* no cap: ids of a capped report */
    buf_puts(&b, "{");
    for (size_t i = 0; i < r->n; i++) {
        buf_puts(&b, i ? ",\"" : "\"");
        for (const char *p = r->items[i].id; *p; p++) {
            if (*p == '"' || *p == '\\')
                buf_append(&b, "\\", 1);
            buf_append(&b, p, 1);
        }
        buf_puts(&b, "\"");
    }
    buf_puts(&b, "}");
    return buf_release(&b);
}

static int placeholder(db_conn *c, vuln_tx *t, char *err, size_t errlen)
{
    const char *p[] = {t->digest, t->reg_uuid, t->mime};
    db_res *res = NULL;
    int rc = db_query(c, "SELECT uuid FROM scan_report WHERE digest = $1 AND "
                      "registration_uuid = $2 AND mime_type = $3 ORDER BY id LIMIT 1 FOR UPDATE",
                      3, p, &res, err, errlen);
    if (rc == 0 && db_res_rows(res) == 0) {
        snprintf(err, errlen, "no report found to update data");
        rc = BERTH_ENOTFOUND;
    }
    if (rc == 0)
        snprintf(t->report_uuid, 65, "%s", db_res_value(res, 0, 0));
    db_res_free(res);
    return rc;
}

static int read_records(db_conn *c, vuln_tx *t, char *err, size_t errlen)
{
    char *cves = cve_array(t->r);
    const char *p[] = {t->reg_uuid, cves};
    int rc = db_query(c, "SELECT id, cve_id, package, package_version, severity, status FROM "
                      "vulnerability_record WHERE registration_uuid = $1 AND "
                      "cve_id = ANY($2::text[])", 2, p, &t->rows, err, errlen);
    berth_free(cves);
    if (rc != 0)
        return rc;
    t->nrecs = (size_t)db_res_rows(t->rows);
    if (!(t->recs = berth_calloc(t->nrecs + 1, sizeof *t->recs))) {
        t->nrecs = 0;   /* nothing to free per record */
        snprintf(err, errlen, "out of memory");
        return BERTH_ENOMEM;
    }
    for (size_t i = 0; i < t->nrecs; i++) {
        int row = (int)i;
        t->recs[i] = (rec){item_key(db_res_value(t->rows, row, 1), db_res_value(t->rows, row, 2),
                                    db_res_value(t->rows, row, 3)),
                           db_res_int(t->rows, row, 0), db_res_value(t->rows, row, 4),
                           db_res_value(t->rows, row, 5)};
    }
    qsort(t->recs, t->nrecs, sizeof *t->recs, rec_cmp);
    return 0;
}

static void fmt_double(char *out, size_t n, bool has, double v, const char **slot)
{
    snprintf(out, n, "%.17g", v);
    *slot = has ? out : NULL;
}

/* Step 3: a known record whose severity or status changed is refreshed from the item. */
static int refresh(db_conn *c, const scan_item *it, const rec *r, char *err, size_t errlen)
{
    if (!strcmp(r->severity, it->severity) && !strcmp(r->status, it->status))
        return 0;
    char id[32], v3[40];
    snprintf(id, sizeof id, "%" PRId64, r->id);
    const char *score = NULL;
    fmt_double(v3, sizeof v3, it->has_v3, it->score_v3, &score);
    const char *p[] = {it->severity, it->status, it->fix_version, score, id};
    return db_exec(c, "UPDATE vulnerability_record SET severity = $1, status = $2, "
                   "fixed_version = $3, cvss_score_v3 = $4 WHERE id = $5", 5, p, NULL, err,
                   errlen);
}

/* Step 4: read-or-create by the unique key. */
static int create(db_conn *c, const vuln_tx *t, const scan_item *it, int64_t *id, char *err,
                  size_t errlen)
{
    char v3[40], v2[40];
    const char *s3 = NULL, *s2 = NULL;
    if (it->has_cvss) {
        fmt_double(v3, sizeof v3, it->has_v3, it->score_v3, &s3);
        fmt_double(v2, sizeof v2, it->has_v2, it->score_v2, &s2);
    }
    if (!s3 && it->vendor_attributes && it->has_vendor_v3)
        fmt_double(v3, sizeof v3, true, it->vendor_v3, &s3);
    const char *p[] = {it->id, t->reg_uuid, it->package, it->version, it->severity, it->status,
                       it->fix_version, it->urls, it->description, it->cwe_ids, s3, s2,
                       it->has_cvss ? it->vector_v3 : NULL, it->has_cvss ? it->vector_v2 : NULL,
                       it->vendor_attributes};
    db_res *res = NULL;
    int rc = db_query(c, "INSERT INTO vulnerability_record (cve_id, registration_uuid, package, "
                      "package_version, package_type, severity, status, fixed_version, urls, "
                      "description, cwe_ids, cvss_score_v3, cvss_score_v2, cvss_vector_v3, "
                      "cvss_vector_v2, vendor_attributes) VALUES ($1, $2, $3, $4, 'Unknown', "
                      "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (cve_id, "
                      "registration_uuid, package, package_version) DO NOTHING RETURNING id",
                      15, p, &res, err, errlen);
    if (rc == 0 && db_res_rows(res) == 0) {     /* created meanwhile by another scan */
        db_res_free(res);
        res = NULL;
        const char *q[] = {it->id, t->reg_uuid, it->package, it->version};
        rc = db_query(c, "SELECT id FROM vulnerability_record WHERE cve_id = $1 AND "
                      "registration_uuid = $2 AND package = $3 AND package_version = $4", 4, q,
                      &res, err, errlen);
    }
    if (rc == 0 && db_res_rows(res) == 0) {
        snprintf(err, errlen, "vulnerability record %s of %s not found after insert", it->id,
                 it->package);
        rc = BERTH_EIO;
    }
    if (rc == 0)
        *id = db_res_int(res, 0, 0);
    db_res_free(res);
    return rc;
}

static int records(db_conn *c, vuln_tx *t, char *err, size_t errlen)
{
    int rc = read_records(c, t, err, errlen);
    for (size_t i = 0; rc == 0 && i < t->r->n; i++) {
        const scan_item *it = &t->r->items[i];
        rec k = {.key = item_key(it->id, it->package, it->version)};
        rec *hit = bsearch(&k, t->recs, t->nrecs, sizeof *t->recs, rec_cmp);
        berth_free(k.key);
        if (hit) {
            t->ids[i] = hit->id;
            rc = refresh(c, it, hit, err, errlen);
            hit->severity = it->severity, hit->status = it->status;  /* once per record */
        } else {
            rc = create(c, t, it, &t->ids[i], err, errlen);
        }
    }
    return rc;
}

static int id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Step 5: one link per distinct record, LINK_BATCH rows per INSERT. */
static int links(db_conn *c, vuln_tx *t, char *err, size_t errlen)
{
    size_t n = 0;
    qsort(t->ids, t->r->n, sizeof *t->ids, id_cmp);
    for (size_t i = 0; i < t->r->n; i++)
        if (i == 0 || t->ids[i] != t->ids[n - 1])
            t->ids[n++] = t->ids[i];
    char nums[LINK_BATCH][24];
    const char *p[LINK_BATCH + 1] = {t->report_uuid};
    int rc = 0;
    for (size_t at = 0; rc == 0 && at < n; at += LINK_BATCH) {
        size_t m = n - at < LINK_BATCH ? n - at : LINK_BATCH;
        buf sql;
        buf_init(&sql, 0);  /* no cap: LINK_BATCH rows */
        buf_puts(&sql, "INSERT INTO report_vulnerability_record (report_uuid, vuln_record_id) "
                 "VALUES ");
        for (size_t j = 0; j < m; j++) {
            snprintf(nums[j], sizeof nums[j], "%" PRId64, t->ids[at + j]);
            p[j + 1] = nums[j];
            buf_printf(&sql, "%s($1, $%zu)", j ? ", " : "", j + 2);
        }
        buf_puts(&sql, " ON CONFLICT DO NOTHING");
        rc = db_exec(c, sql.p, (int)m + 1, p, NULL, err, errlen);
        buf_free(&sql);
    }
    return rc;
}

/* Steps 6 to 8: counts and summary on the placeholder row. */
static int finish(db_conn *c, vuln_tx *t, char *err, size_t errlen)
{
    char n[SEV_COUNT + 1][24];
    for (int i = 0; i < SEV_COUNT; i++)
        snprintf(n[i], sizeof n[i], "%lld", t->r->counts[i]);
    snprintf(n[SEV_COUNT], sizeof n[SEV_COUNT], "%lld", t->r->fixable);
    const char *p[] = {n[SEV_CRITICAL], n[SEV_HIGH], n[SEV_MEDIUM], n[SEV_LOW], n[SEV_NONE],
                       n[SEV_UNKNOWN], n[SEV_COUNT], t->r->summary, t->report_uuid};
    int64_t affected = 0;
    int rc = db_exec(c, "UPDATE scan_report SET critical_cnt = $1, high_cnt = $2, "
                     "medium_cnt = $3, low_cnt = $4, none_cnt = $5, unknown_cnt = $6, "
                     "fixable_cnt = $7, report = $8 WHERE uuid = $9", 9, p, &affected, err,
                     errlen);
    if (rc == 0 && affected == 0) {
        snprintf(err, errlen, "report not found, uuid:%s", t->report_uuid);
        rc = BERTH_ENOTFOUND;
    }
    return rc;
}

static int vuln_tx_fn(db_conn *c, void *ud, char *err, size_t errlen)
{
    vuln_tx *t = ud;
    int rc = placeholder(c, t, err, errlen);
    if (rc == 0)
        rc = records(c, t, err, errlen);
    if (rc == 0)
        rc = links(c, t, err, errlen);
    if (rc == 0)
        rc = finish(c, t, err, errlen);
    return rc;
}

int scan_store_vuln(db_pool *d, const char *digest, const char *reg_uuid, const char *mime,
                    const scan_vuln_report *r, char report_uuid[65], char *err, size_t errlen)
{
    report_uuid[0] = '\0';
    if (!r->summary || !*r->summary) {
        snprintf(err, errlen, "missing report JSON data");
        return BERTH_EINVAL;
    }
    vuln_tx t = {.digest = digest, .reg_uuid = reg_uuid, .mime = mime, .r = r,
                 .report_uuid = report_uuid};
    t.ids = berth_calloc(r->n + 1, sizeof *t.ids);
    if (!t.ids) {
        snprintf(err, errlen, "out of memory");
        return BERTH_ENOMEM;
    }
    int rc = db_tx(d, vuln_tx_fn, &t, err, errlen);
    for (size_t i = 0; i < t.nrecs; i++)
        berth_free(t.recs[i].key);
    berth_free(t.recs);
    berth_free(t.ids);
    db_res_free(t.rows);
    return rc;
}

/* A query that must return a row: BERTH_ENOTFOUND when it returns none. */
static int one(db_conn *c, const char *sql, int n, const char *const *p, db_res **res,
               char *err, size_t errlen)
{
    int rc = db_query(c, sql, n, p, res, err, errlen);
    if (rc == 0 && db_res_rows(*res) == 0)
        rc = BERTH_ENOTFOUND;
    return rc;
}

int scan_store_sbom_find(db_pool *d, const char *repo, const char *digest, const char *reg_uuid,
                         int64_t *row_id, char report_uuid[65], char *err, size_t errlen)
{
    db_conn *c = NULL;
    int rc = db_get(d, &c, err, errlen);
    if (rc != 0)
        return rc;
    const char *pa[] = {repo, digest};
    db_res *res = NULL;
    rc = one(c, "SELECT id FROM artifact WHERE repository_name = $1 AND digest = $2 LIMIT 1",
             2, pa, &res, err, errlen);
    if (rc == BERTH_ENOTFOUND)
        snprintf(err, errlen, "artifact %s@%s not found", repo, digest);
    if (rc == 0) {
        char aid[32];
        snprintf(aid, sizeof aid, "%s", db_res_value(res, 0, 0));
        db_res_free(res);
        res = NULL;
        const char *pr[] = {aid, reg_uuid, "application/spdx+json"};
        rc = one(c, "SELECT id, uuid FROM sbom_report WHERE artifact_id = $1 AND "
                 "registration_uuid = $2 AND media_type = $3 ORDER BY id LIMIT 1", 3, pr, &res,
                 err, errlen);
        if (rc == BERTH_ENOTFOUND)
            snprintf(err, errlen, "no report found to update data");
    }
    if (rc == 0) {
        *row_id = db_res_int(res, 0, 0);
        snprintf(report_uuid, 65, "%s", db_res_value(res, 0, 1));
    }
    db_res_free(res);
    db_put(d, c);
    return rc;
}

int scan_store_sbom_save(db_pool *d, int64_t row_id, const char *summary, char *err, size_t errlen)
{
    db_conn *c = NULL;
    int rc = db_get(d, &c, err, errlen);
    if (rc != 0)
        return rc;
    char id[32];
    snprintf(id, sizeof id, "%" PRId64, row_id);
    const char *p[] = {summary, id};
    int64_t affected = 0;
    rc = db_exec(c, "UPDATE sbom_report SET report = $1 WHERE id = $2", 2, p, &affected, err,
                 errlen);
    if (rc == 0 && affected == 0) {
        snprintf(err, errlen, "no report found to update data");
        rc = BERTH_ENOTFOUND;
    }
    db_put(d, c);
    return rc;
}
