/* Where IMAGE_SCAN's results go in Harbor's database (spec harbor-jobs §8.4, §8.5), through
 * src/db (bound parameters only). A vulnerability report becomes, in ONE transaction: the
 * `vulnerability_record` rows (read, severity/status refreshed, new ones inserted by their
 * unique key), one `report_vulnerability_record` link per distinct record, and the
 * placeholder `scan_report` row's counts and summary; any failure rolls all of it back, so
 * core never sees half a report. An SBOM updates its placeholder `sbom_report` row.
 *
 * Borrowed everywhere; no state of its own. */
#ifndef BERTH_JOBS_SCAN_STORE_H
#define BERTH_JOBS_SCAN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "jobs/scan_vuln.h"

/* Stores r as the report of (digest, registration uuid, mime). The placeholder's uuid goes
 * into report_uuid (for the log). 0, or a BERTH_E* code with Harbor's text in err
 * (`no report found to update data`, the database's error). */
int scan_store_vuln(db_pool *d, const char *digest, const char *reg_uuid, const char *mime,
                    const scan_vuln_report *r, char report_uuid[65], char *err, size_t errlen);

/* The placeholder sbom_report row of the artifact repo@digest scanned by reg_uuid:
 * *row_id, its uuid in report_uuid. Errors: `artifact <repo>@<digest> not found`,
 * `no report found to update data`, the database's error. */
int scan_store_sbom_find(db_pool *d, const char *repo, const char *digest, const char *reg_uuid,
                         int64_t *row_id, char report_uuid[65], char *err, size_t errlen);
/* sbom_report.report of row_id = summary (JSON text). */
int scan_store_sbom_save(db_pool *d, int64_t row_id, const char *summary, char *err,
                         size_t errlen);

#endif
