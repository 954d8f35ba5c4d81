/* AUDIT_LOGS_GDPR_COMPLIANT (spec harbor-jobs §13; Harbor's jobservice/job/impl/gdpr/
 * audit_logs_data_masking.go): when core deletes a user with the GDPR "audit logs" setting
 * on, this job replaces the user's name in audit_log and audit_log_ext with the CRC-32
 * (IEEE) of the name as 8 lower-case hex digits (pkg/user GenerateCheckSum). Validated at
 * launch with Harbor's texts; MaxFails 3, retried (the update is idempotent), one at a
 * time, priority 1000. No stop checkpoints.
 *
 * Difference (docs/compat.md): Harbor updates the two tables in two separate statements;
 * Berth updates both in one transaction, so a failure never leaves one table masked and the
 * other not. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "jobs/job_params.h"
#include "jobs/jobs_db.h"

/* CRC-32, IEEE polynomial (reflected 0xEDB88320), as Go's hash/crc32.IEEETable. */
static uint32_t crc32_ieee(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

/* The username, or NULL with Harbor's error text. */
static const char *username_of(const json_t *o, char *err, size_t errlen)
{
    if (!o) {
        snprintf(err, errlen, "missing job parameters");
        return NULL;
    }
    const json_t *v = json_object_get(o, "username");
    if (!v)
        snprintf(err, errlen, "param username not found");
    else if (!json_is_string(v))
        snprintf(err, errlen, "the value of username isn't string");
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int jobs_db_gdpr_validate(const char *params, char *err, size_t errlen, void *ud)
{
    (void)ud;
    json_t *o = NULL;
    int rc = job_params_load(params, &o, err, errlen);
    if (rc == 0 && !username_of(o, err, errlen))
        rc = BERTH_EINVAL;
    json_decref(o);
    return rc;
}

typedef struct mask {
    const char *name;
    char sum[16];
} mask;

static int gdpr_tx(db_conn *c, void *ud, char *err, size_t errlen)
{
    mask *m = ud;
    const char *p[] = {m->sum, m->name};
    int rc = db_exec(c, "UPDATE audit_log SET username = $1 WHERE username = $2", 2, p, NULL,
                     err, errlen);
    if (rc == 0)
        rc = db_exec(c, "UPDATE audit_log_ext SET username = $1 WHERE username = $2", 2, p,
                     NULL, err, errlen);
    return rc;
}

int jobs_db_gdpr_run(berth_ctx *ctx, const char *params, void *ud)
{
    BERTH_JINFO(ctx, "GDPR audit logs data masking job started");
    json_t *o = NULL;
    char err[1536];
    int rc = job_params_load(params, &o, err, sizeof err);
    mask m = {.name = rc == 0 ? username_of(o, err, sizeof err) : NULL};
    if (!m.name) {
        json_decref(o);
        return jobs_db_fail(ctx, "%s", err);
    }
    BERTH_JINFO(ctx, "Masking log entries for a user: %s", m.name);
    snprintf(m.sum, sizeof m.sum, "%08x",
             crc32_ieee((const unsigned char *)m.name, json_string_length(json_object_get(o, "username"))));
    db_pool *pool;
    rc = jobs_db_pool(ud, &pool, NULL, err, sizeof err);
    if (rc == 0)
        rc = db_tx(pool, gdpr_tx, &m, err, sizeof err);
    json_decref(o);
    return rc ? jobs_db_fail(ctx, "%s", err) : 0;
}
