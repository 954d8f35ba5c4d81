/* Setting an engine up: berth_engine_new (the config copied, the parts made, the periodic
 * part among them when enabled), registering job types and reading the registry. Starting
 * and stopping the threads: start_stop.c. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "engine/internal.h"
#include "model/id.h"
#include "util/alloc.h"

/* e->cfg gets c with defaults applied and every string copied: it keeps no pointer of the
 * caller's. 0 or BERTH_ENOMEM (berth_engine_free frees what was copied). */
static int copy_config(berth_engine *e, const berth_engine_config *c)
{
    e->cfg = *c;
    /* e->cfg keeps no pointer of the caller's: the Redis settings live in e->target */
    e->cfg.redis_host = e->cfg.redis_unix = e->cfg.redis_password = e->cfg.redis_master = NULL;
    e->cfg.redis_sentinels = NULL;
    e->cfg.redis_nsentinels = 0;
    e->cfg.redis_cluster = NULL;
    e->cfg.redis_ncluster = 0;
    e->cfg.ns = e->cfg.job_log_dir = e->cfg.pool_id = NULL;
    e->ns = berth_strdup(c->ns && *c->ns ? c->ns : "berth");
    size_t n = e->ns ? strlen(e->ns) + 4 : 0;
    e->prefix = e->ns ? berth_malloc(n) : NULL;
    if (!e->prefix)
        return BERTH_ENOMEM;
    snprintf(e->prefix, n, "{%s}:", e->ns);
    e->cfg.ns = e->ns;
    if (!e->cfg.workers)
        e->cfg.workers = 10;
    if (!e->cfg.fetch_batch)
        e->cfg.fetch_batch = 64;
    if (!e->cfg.lease_ms)
        e->cfg.lease_ms = 30000;
    if (!e->cfg.grace_ms)
        e->cfg.grace_ms = 15000;
    if (e->cfg.backoff_scale <= 0)
        e->cfg.backoff_scale = 1.0;
    if (!e->cfg.stats_ttl_s)
        e->cfg.stats_ttl_s = 86400;
    if (!e->cfg.stats_error_ttl_s)
        e->cfg.stats_error_ttl_s = 604800;
    if (e->cfg.max_update_hours < 24)
        e->cfg.max_update_hours = 24;
    if (!e->cfg.max_job_duration_s)
        e->cfg.max_job_duration_s = e->cfg.max_update_hours * 3600;
    e->cfg.job_log_dir = berth_strdup(c->job_log_dir);
    if ((c->job_log_dir && !e->cfg.job_log_dir) ||
        rtarget_from_config(&e->target, c, &e->health) != 0 ||
        rpool_init(&e->pool, &e->target, 5000) != 0)
        return BERTH_ENOMEM;
    e->log = (berth_logger){c->log, c->log_userdata, c->log_level};
    e->health.log = e->log;
    if (c->pool_id && berth_id_valid(c->pool_id))
        memcpy(e->pool_id, c->pool_id, 25);
    else
        berth_id_new(e->pool_id);
    e->cfg.pool_id = e->pool_id;
    return 0;
}

/* hiredis writes to sockets with write(2): a Redis that goes away would kill the process
 * with SIGPIPE. A job service must survive that, so unless the host chose a handler,
 * SIGPIPE is ignored (documented in berth.h). */
static void ignore_sigpipe(void)
{
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
        struct sigaction ign = {0};
        ign.sa_handler = SIG_IGN;
        sigemptyset(&ign.sa_mask);
        sigaction(SIGPIPE, &ign, NULL);
    }
}

int berth_engine_new(const berth_engine_config *cfg, berth_engine **out, char *err,
                     size_t errlen)
{
    if (!cfg || !out) {
        snprintf(err, errlen, "engine config and out pointer are required");
        return BERTH_EINVAL;
    }
    /* A leader renews its lock once a pass, and an idle pass blocks up to a second in
     * XREADGROUP: a shorter lock would lapse under a live leader and let a second node
     * lead (a job's hooks out of order). */
    if (cfg->hook_lead_ttl_ms && cfg->hook_lead_ttl_ms < 2000) {
        snprintf(err, errlen, "hook_lead_ttl_ms must be 0 (10 s) or at least 2000, not %u",
                 cfg->hook_lead_ttl_ms);
        return BERTH_EINVAL;
    }
    ignore_sigpipe();
    json_object_seed(0);  /* seed jansson's hash once, before any engine thread runs */
    berth_engine *e = berth_calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory creating the engine");
        return BERTH_ENOMEM;
    }
    /* hook delivery; refcounted by libcurl: berth_engine_free calls curl_global_cleanup */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        berth_free(e);
        snprintf(err, errlen, "curl_global_init failed (out of memory?)");
        return BERTH_ENOMEM;
    }
    e->curl_inited = true;
    snprintf(e->sweep_cursor, sizeof e->sweep_cursor, "0");
    if (waker_init(&e->wake) != 0) {
        curl_global_cleanup();
        berth_free(e);
        snprintf(err, errlen, "cannot make an eventfd for the fetcher's wake-ups: %s",
                 strerror(errno));
        return BERTH_EIO;
    }
    fifo_init(&e->ready);
    /* short runs stay with the workers awake; a run that waited 1 ms for them wakes another
     * (fifo.h, the fetcher's KICK_MS) */
    fifo_set_spread(&e->ready, 1000);
    fifo_init(&e->done);
    slots_init(&e->workers);
    leases_init(&e->held);
    status_retry_init(&e->retry);
    memguard_cache_init(&e->memguard);
    engine_launches_init(e);
    pthread_mutex_init(&e->tick_mu, NULL);
    clock_cond_init(&e->tick_cv);
    pthread_mutex_init(&e->stop_mu, NULL);
    clock_cond_init(&e->stop_cv);
    pthread_mutex_init(&e->sub_mu, NULL);
    if (copy_config(e, cfg) != 0 ||
        (cfg->periodic.enabled && period_new(e, &cfg->periodic, &e->periodic) != 0)) {
        berth_engine_free(e);
        snprintf(err, errlen, "out of memory copying the engine config");
        return BERTH_ENOMEM;
    }
    *out = e;
    return 0;
}

/* Names go into Redis keys and hand-built JSON, so they are kept to a safe alphabet. */
static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 128)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return false;
    return true;
}

int berth_engine_register(berth_engine *e, const berth_job_type *type)
{
    if (atomic_load(&e->started) || !type || !type->name || !name_ok(type->name) || !type->run)
        return BERTH_EINVAL;
    if (engine_type(e, type->name))
        return BERTH_EINVAL;
    char *name = berth_strdup(type->name);
    jtype *types = name ? berth_realloc(e->types, (e->ntypes + 1) * sizeof *e->types) : NULL;
    if (!types) {
        berth_free(name);
        return BERTH_ENOMEM;
    }
    e->types = types;
    jtype *j = &e->types[e->ntypes++];
    j->t = *type;
    j->name = name;
    j->t.name = j->name;
    if (!j->t.max_fails)
        j->t.max_fails = 4;
    if (!j->t.priority)
        j->t.priority = 1000;
    return 0;
}

const jtype *engine_type(const berth_engine *e, const char *name)
{
    for (size_t i = 0; name && i < e->ntypes; i++)
        if (strcmp(e->types[i].name, name) == 0)
            return &e->types[i];
    return NULL;
}

bool berth_engine_knows(const berth_engine *e, const char *name)
{
    return engine_type(e, name) != NULL;
}

const char *berth_engine_pool_id(const berth_engine *e)
{
    return e->pool_id;
}

int berth_engine_validate(berth_engine *e, const char *name, const char *params_json,
                          char *err, size_t errlen)
{
    const jtype *j = engine_type(e, name);
    if (!j) {
        snprintf(err, errlen, "job with name '%s' is unknown", name ? name : "");
        return BERTH_EUNKNOWN;
    }
    if (j->t.validate && j->t.validate(params_json, err, errlen, j->t.userdata) != 0)
        return BERTH_EINVAL;
    return 0;
}
