/* Step 3 of loading (config.h): Harbor's defaults and normalisations (spec §10.1), and
 * Berth's, applied after the environment so they treat env values like file values.
 * Berth's integer keys got their defaults in config_yaml.c already, where an absent key can
 * still be told from an explicit 0 (which validation then refuses). */
#include <stdio.h>
#include <string.h>

#include "server/config_internal.h"
#include "util/alloc.h"

static void default_str(char **slot, const char *dflt)
{
    if (!*slot || !**slot)
        config_set_str(slot, dflt);
}

/* Harbor adds "redis://" to an address without a scheme ("redis:6379"). */
static void normalise_redis_url(berth_config *cfg)
{
    char *u = cfg->pool.redis_url;
    if (!*u || strstr(u, "://"))
        return;
    size_t n = strlen(u) + sizeof "redis://";
    char *full = berth_malloc(n);
    snprintf(full, n, "redis://%s", u);
    berth_free(u);
    cfg->pool.redis_url = full;
}

/* Berth: no logger list means one STD_OUTPUT logger at INFO (Harbor refuses to start). */
static void default_loggers(config_logger **l, size_t *n)
{
    if (*n > 0)
        return;
    *l = berth_calloc(1, sizeof **l);
    (*l)->name = berth_strdup("STD_OUTPUT");
    (*l)->level = BERTH_LOG_INFO;
    *n = 1;
}

static void sweeper_floor(config_logger *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (l[i].has_sweeper && l[i].sweeper_duration <= 0)
            l[i].sweeper_duration = 1;
}

static void harbor_defaults(berth_config *cfg)
{
    /* Harbor's quirk (spec §2.1): https_config present → HTTPS whatever protocol says. An
     * invalid protocol is left alone so validation names it. */
    if (cfg->https.present && strcmp(cfg->protocol, "http") == 0) {
        config_warn(cfg, "https_config is present, so berthd serves https although "
                         "protocol is \"http\" (as Harbor does)");
        config_set_str(&cfg->protocol, "https");
    }
    if (cfg->pool.workers == 0)
        cfg->pool.workers = 10;
    normalise_redis_url(cfg);
    if (cfg->max_update_hours < 24)
        cfg->max_update_hours = 24;
    if (cfg->max_dangling_hours < 168)
        cfg->max_dangling_hours = 168;
    if (cfg->max_retrieve_size_mb < 0)
        cfg->max_retrieve_size_mb = 0;
    default_str(&cfg->metric.path, "/metrics");
    default_loggers(&cfg->job_loggers, &cfg->njob_loggers);
    default_loggers(&cfg->loggers, &cfg->nloggers);
    sweeper_floor(cfg->job_loggers, cfg->njob_loggers);
    sweeper_floor(cfg->loggers, cfg->nloggers);
}

void config_defaults_apply(berth_config *cfg)
{
    harbor_defaults(cfg);
    default_str(&cfg->data_dir, "/var/lib/berth");
    default_str(&cfg->http_server, "builtin");
    default_str(&cfg->embedded_redis.server_path, "redis-server");
    default_str(&cfg->embedded_redis.appendfsync, "everysec");
    if (!cfg->embedded_redis.enabled_explicit)
        cfg->embedded_redis.enabled = cfg->pool.redis_url[0] == '\0';
    config_tenants_defaults(cfg);
}
