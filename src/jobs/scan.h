/* IMAGE_SCAN (spec harbor-jobs §8; Harbor's pkg/scan/job.go): one artifact scanned by a
 * Pluggable Scanner API adapter, its vulnerability report or SBOM stored into Harbor's
 * report tables, an SBOM also pushed to the registry as an accessory of the artifact.
 * Registered with Harbor's MaxFails 1, no retry, no concurrency limit, priority 1000.
 *
 * The settings below are Harbor's values by default; tests shorten the waits. berthd
 * registers it with berth_jobs_register_scan (include/berth/jobs.h): Harbor's values and
 * the node's berth_jobs_db, whose settings are fixed or asked of core on every run. */
#ifndef BERTH_JOBS_SCAN_H
#define BERTH_JOBS_SCAN_H

#include <stddef.h>

#include "berth/berth.h"
#include "berth/jobs.h"

typedef struct scan_config {
    berth_jobs_db *db;           /* Harbor's database (its pool, configured per run); NULL →
                                    every run that must store fails clearly */
    const char *core_url;        /* token service base (`core_url`); NULL → env CORE_URL */
    unsigned first_check_ms;     /* wait before the first report request; Harbor 2000 */
    unsigned report_timeout_ms;  /* polling of one report type gives up after this; 0 →
                                    Harbor's 30 min (`check scan report timeout`) */
    long http_timeout_ms;        /* each adapter request; 0 → Harbor's 5 s */
    size_t report_max;           /* a report's bytes; 0 → SCANNER_REPLY_MAX (64 MiB) */
    long registry_timeout_s;     /* SBOM accessory push; 0 → Harbor's 30 min */
} scan_config;

/* IMAGE_SCAN with cfg (borrowed; it and cfg->db must outlive the engine). */
int scan_register(berth_engine *e, const scan_config *cfg);

#endif
