/* SYSTEM_ARTIFACT_CLEANUP (spec harbor-jobs §15; Harbor's jobservice/job/impl/systemartifact/
 * cleanup.go and pkg/systemartifact/manager.go): the system artifacts Harbor keeps as bare
 * blobs in its backend registry (scan-data exports) are deleted once they are a day old:
 * for each system_artifact row with create_time <= now - 86400 s, DELETE
 * /v2/sys_harb0r/<vendor>/<repository>/blobs/<digest> on REGISTRY_URL (with
 * REGISTRY_CREDENTIAL_USERNAME/PASSWORD, Basic or token as the registry asks), then the row.
 * The first failure ends the loop — and, as in Harbor, the job still succeeds: the
 * failure is logged. No parameters, no stop checkpoints; MaxFails 1 (ShouldRetry true makes
 * no difference), one at a time, priority 1000.
 *
 * Harbor's read-only guard (spec §2.7): when core says `read_only`, the DELETE is not sent
 * and the loop ends with "the system is in read only mode, cancel the request".
 * Difference (docs/compat.md): the lines Harbor writes to its service log (the failure
 * reasons) are written to the job's log, where users look. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth/error.h"
#include "jobs/jobs_db.h"
#include "registry/registry.h"

#define WINDOW_S 86400   /* Harbor's DefaultCleanupWindowSeconds */

typedef struct cleanup {
    berth_ctx *ctx;
    db_pool *pool;
    reg_client *reg;
    bool read_only;
    long long count, size;
} cleanup;

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

/* create_time bound: UTC wall-clock time a day ago, as Harbor formats time.Now() - 24h. */
static void cutoff(char *out, size_t n)
{
    time_t t = time(NULL) - WINDOW_S;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Deletes one artifact: the blob, then its row (manager.Delete). */
static int delete_one(cleanup *c, const char *vendor, const char *repo, const char *digest,
                      char *err, size_t errlen)
{
    char name[1024];
    snprintf(name, sizeof name, "sys_harb0r/%s/%s", vendor, repo);
    int rc = 0;
    if (c->read_only) {
        snprintf(err, errlen, "the system is in read only mode, cancel the request");
        rc = BERTH_ESTATE;
    } else if ((rc = reg_blob_delete(c->reg, name, digest)) != 0) {
        snprintf(err, errlen, "%s", reg_client_error(c->reg));
    }
    if (rc != 0) {
        BERTH_JERROR(c->ctx, "Error deleting system artifact BLOB : %s. Error: %s", name, err);
        return rc;
    }
    const char *p[] = {vendor, repo, digest};
    db_conn *conn;
    rc = db_get(c->pool, &conn, err, errlen);
    if (rc == 0)
        rc = db_exec(conn, "DELETE FROM system_artifact WHERE vendor = $1 AND repository = $2 "
                     "AND digest = $3", 3, p, NULL, err, errlen);
    db_put(c->pool, conn);
    return rc;
}

static int list(cleanup *c, db_res **rows, char *err, size_t errlen)
{
    char bound[32];
    cutoff(bound, sizeof bound);
    const char *p[] = {bound};
    db_conn *conn;
    int rc = db_get(c->pool, &conn, err, errlen);
    if (rc == 0)
        rc = db_query(conn, "SELECT vendor, repository, digest, size FROM system_artifact "
                      "WHERE create_time <= $1 ORDER BY id", 1, p, rows, err, errlen);
    db_put(c->pool, conn);
    return rc;
}

/* The default criterion's loop (manager.cleanup): stops at the first failure. */
static int clean_all(cleanup *c, char *err, size_t errlen)
{
    db_res *r = NULL;
    int rc = list(c, &r, err, errlen);
    for (int i = 0; rc == 0 && i < db_res_rows(r); i++) {
        const char *v = db_res_value(r, i, 0), *repo = db_res_value(r, i, 1);
        const char *dg = db_res_value(r, i, 2);
        rc = delete_one(c, v, repo, dg, err, errlen);
        if (rc != 0) {
            BERTH_JERROR(c->ctx, "Error cleaning up artifact record for vendor: %s, repository: "
                         "%s, digest: %s", v, repo, dg);
            break;
        }
        c->size += db_res_int(r, i, 3);
        c->count++;
    }
    db_res_free(r);
    return rc;
}

int jobs_db_sysartifact_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params;
    BERTH_JINFO(ctx, "Running system data artifact cleanup job...");
    cleanup c = {.ctx = ctx};
    char err[1536];
    if (jobs_db_pool(ud, &c.pool, &c.read_only, err, sizeof err) != 0)
        return jobs_db_fail(ctx, "Error when executing system artifact cleanup job: %s", err);
    long minutes = strtol(env_or("REGISTRY_HTTP_CLIENT_TIMEOUT", "30"), NULL, 10);
    reg_settings rs = {.url = env_or("REGISTRY_URL", "http://registry:5000"),
                       .username = getenv("REGISTRY_CREDENTIAL_USERNAME"),
                       .password = getenv("REGISTRY_CREDENTIAL_PASSWORD"),
                       .timeout_s = (minutes > 0 ? minutes : 30) * 60};
    if (reg_client_new(&rs, &c.reg, err, sizeof err) != 0)
        return jobs_db_fail(ctx, "Error when executing system artifact cleanup job: %s", err);
    BERTH_JINFO(ctx, "Starting system artifact cleanup");
    BERTH_JINFO(ctx, "Executing cleanup for default cleanup criteria");
    if (clean_all(&c, err, sizeof err) != 0)
        BERTH_JERROR(ctx, "Error when cleaning up system artifacts for "
                     "'vendor:artifactType':DefaultCriteria, %s", err);
    reg_client_free(c.reg);
    BERTH_JINFO(ctx, "Num System artifacts cleaned up: %lld, Total space reclaimed: %lld.",
                c.count, c.size);
    return 0;
}
