/* berth_jobs_db: where Harbor's database jobs get their connections (jobs_db.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "jobs/jobs_db.h"
#include "util/alloc.h"

#define CORE_TIMEOUT_MS 30000   /* the config request to core; Harbor's client has none */

static int fixed_settings(const berth_jobs_db_config *cfg, db_settings *s, char *err,
                          size_t errlen)
{
    int rc = db_settings_defaults(s);
    const char *vals[] = {cfg->host, cfg->username, cfg->password, cfg->database, cfg->sslmode};
    char **slots[] = {&s->host, &s->user, &s->password, &s->dbname, &s->sslmode};
    for (int i = 0; rc == 0 && i < 5; i++)
        if (vals[i]) {
            berth_free(*slots[i]);
            *slots[i] = berth_strdup(vals[i]);
            rc = *slots[i] ? 0 : BERTH_ENOMEM;
        }
    if (cfg->port)
        s->port = cfg->port;
    if (cfg->max_open_conns)
        s->max_open = cfg->max_open_conns;
    if (cfg->max_idle_conns)
        s->max_idle = cfg->max_idle_conns;
    if (cfg->statement_timeout_s)
        s->statement_timeout_ms = cfg->statement_timeout_s < 0 ? 0 : cfg->statement_timeout_s * 1000;
    if (rc == 0)
        rc = db_settings_check(s, err, errlen);
    return rc;
}

int berth_jobs_db_new(const berth_jobs_db_config *cfg, berth_jobs_db **out, char *err,
                      size_t errlen)
{
    *out = NULL;
    berth_jobs_db *d = berth_calloc(1, sizeof *d);
    if (!d)
        return BERTH_ENOMEM;
    d->fixed = cfg->host && *cfg->host;
    d->core_url = berth_strdup(cfg->core_url ? cfg->core_url : "");
    d->core_secret = berth_strdup(cfg->core_secret ? cfg->core_secret : "");
    d->max_dangling_hours = cfg->max_dangling_hours < 168 ? 168 : cfg->max_dangling_hours;
    int rc = d->core_url && d->core_secret ? 0 : BERTH_ENOMEM;
    db_settings s = {0};
    if (rc == 0 && d->fixed)
        rc = fixed_settings(cfg, &s, err, errlen);
    if (rc == 0)
        rc = db_new(d->fixed ? &s : NULL, cfg->log, cfg->log_userdata, &d->pool);
    db_settings_clear(&s);
    if (rc != 0) {
        berth_jobs_db_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

void berth_jobs_db_free(berth_jobs_db *d)
{
    if (!d)
        return;
    db_free(d->pool);
    berth_free(d->core_url);
    berth_free(d->core_secret);
    berth_free(d);
}

int jobs_db_pool(berth_jobs_db *d, db_pool **out, bool *read_only, char *err, size_t errlen)
{
    *out = NULL;
    if (read_only)
        *read_only = false;
    if (d->fixed) {
        *out = d->pool;
        return 0;
    }
    db_settings s;
    int rc = db_settings_fetch(d->core_url, d->core_secret, CORE_TIMEOUT_MS, &s, err, errlen);
    if (rc != 0)
        return rc;
    if (read_only)
        *read_only = s.read_only;
    rc = db_configure(d->pool, &s);
    if (rc == BERTH_ECONFIG)
        db_settings_check(&s, err, errlen);
    db_settings_clear(&s);
    if (rc == 0)
        *out = d->pool;
    return rc;
}

static bool retry(void *ud)
{
    (void)ud;
    return true;
}

static bool no_retry(void *ud)
{
    (void)ud;
    return false;
}

/* Harbor's declarations (spec harbor-jobs §1.3): every one priority 1000, one at a time. */
int berth_jobs_register_db(berth_engine *e, berth_jobs_db *d)
{
    const berth_job_type types[] = {
        {.name = "PURGE_AUDIT_LOG", .max_fails = 1, .should_retry = no_retry,
         .run = jobs_db_purge_run},
        {.name = "AUDIT_LOGS_GDPR_COMPLIANT", .max_fails = 3, .should_retry = retry,
         .validate = jobs_db_gdpr_validate, .run = jobs_db_gdpr_run},
        {.name = "EXECUTION_SWEEP", .max_fails = 1, .should_retry = no_retry,
         .run = jobs_db_sweep_run},
        {.name = "SYSTEM_ARTIFACT_CLEANUP", .max_fails = 1, .should_retry = retry,
         .run = jobs_db_sysartifact_run},
    };
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof types / sizeof *types; i++) {
        berth_job_type t = types[i];
        t.max_concurrency = 1;
        t.priority = 1000;
        t.userdata = d;
        rc = berth_engine_register(e, &t);
    }
    return rc;
}

int jobs_db_fail(berth_ctx *ctx, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    BERTH_JERROR(ctx, "%s", msg);
    berth_ctx_fail(ctx, "%s", msg);
    return BERTH_EJOB;
}

bool jobs_db_stopping(berth_ctx *ctx)
{
    return berth_ctx_op_command(ctx) != NULL;
}
