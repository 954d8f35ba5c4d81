/* Step 4 of loading (config.h): every check, in file order, stopping at the first failure
 * with one line that names the key path (and the environment variable when the value came
 * from one). Harbor's checks (config.go validate) come first; Berth's follow. Parsing the
 * Redis URL is part of checking it, so its parts land in cfg->pool.redis here. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "berth/error.h"
#include "server/config_internal.h"

/* " (from JOB_SERVICE_X)" when bit is set in the overrides, else "". */
static const char *from(const berth_config *cfg, unsigned bit, const char *name, char *buf,
                        size_t len)
{
    if (!(cfg->env_overrides & bit))
        return "";
    snprintf(buf, len, " (from %s)", name);
    return buf;
}

static int check_file(const char *key, const char *path, const berth_config *cfg,
                      unsigned bit, const char *env, char *err, size_t errlen)
{
    char fb[64], eb[128];
    struct stat st;
    if (!*path)
        return config_fail(err, errlen, "%s: required when protocol is https", key);
    if (stat(path, &st) != 0)
        return config_fail(err, errlen, "%s: cannot use \"%s\"%s: %s", key, path,
                           from(cfg, bit, env, fb, sizeof fb),
                           strerror_r(errno, eb, sizeof eb));
    if (!S_ISREG(st.st_mode))
        return config_fail(err, errlen, "%s: \"%s\"%s is not a regular file", key, path,
                           from(cfg, bit, env, fb, sizeof fb));
    return 0;
}

static int check_listener(const berth_config *cfg, char *err, size_t errlen)
{
    char fb[64];
    if (strcmp(cfg->protocol, "http") != 0 && strcmp(cfg->protocol, "https") != 0)
        return config_fail(err, errlen, "protocol: must be \"http\" or \"https\", got \"%s\"%s",
                           cfg->protocol,
                           from(cfg, CONFIG_ENV_PROTOCOL, "JOB_SERVICE_PROTOCOL", fb, sizeof fb));
    if (cfg->port < 1 || cfg->port > 65535)
        return config_fail(err, errlen, "port: must be 1..65535, got %d%s", cfg->port,
                           from(cfg, CONFIG_ENV_PORT, "JOB_SERVICE_PORT", fb, sizeof fb));
    if (strcmp(cfg->protocol, "https") == 0) {
        int rc = check_file("https_config.cert", cfg->https.cert, cfg, CONFIG_ENV_HTTPS_CERT,
                            "JOB_SERVICE_HTTPS_CERT", err, errlen);
        if (rc == 0)
            rc = check_file("https_config.key", cfg->https.key, cfg, CONFIG_ENV_HTTPS_KEY,
                            "JOB_SERVICE_HTTPS_KEY", err, errlen);
        if (rc != 0)
            return rc;
    }
    unsigned char addr[16];
    const char *la = cfg->listen_address;
    if (*la && inet_pton(AF_INET, la, addr) != 1 && inet_pton(AF_INET6, la, addr) != 1)
        return config_fail(err, errlen,
                           "berth.listen_address: must be an IPv4 or IPv6 address, got \"%s\"",
                           la);
    return 0;
}

/* Embedded Redis and redis_url exclude each other (ARCHITECTURE §7). */
static int check_redis_mode(const berth_config *cfg, char *err, size_t errlen)
{
    bool url = cfg->pool.redis_url[0] != '\0';
    if (cfg->embedded_redis.enabled && url)
        return config_fail(err, errlen,
                           "berth.embedded_redis.enabled: is true, but "
                           "worker_pool.redis_pool.redis_url is set; use one or the other");
    if (!cfg->embedded_redis.enabled && !url)
        return config_fail(err, errlen, "worker_pool.redis_pool.redis_url: required when "
                                        "berth.embedded_redis.enabled is false");
    return 0;
}

static int check_redis_url(berth_config *cfg, char *err, size_t errlen)
{
    char msg[256], fb[64];
    if (!cfg->pool.redis_url[0])
        return 0;
    if (config_parse_redis_url(cfg->pool.redis_url, &cfg->pool.redis, msg, sizeof msg) != 0)
        return config_fail(err, errlen, "worker_pool.redis_pool.redis_url%s: %s",
                           from(cfg, CONFIG_ENV_REDIS_URL, "JOB_SERVICE_POOL_REDIS_URL", fb,
                                sizeof fb),
                           msg);
    if (cfg->pool.redis.idle_timeout_seconds >= 0) /* the URL's query wins (spec §10.1) */
        cfg->pool.idle_timeout_second = cfg->pool.redis.idle_timeout_seconds;
    return 0;
}

static int check_pool(berth_config *cfg, char *err, size_t errlen)
{
    char fb[64];
    if (cfg->pool.workers > 10000)
        return config_fail(err, errlen, "worker_pool.workers: must be at most 10000, got %d%s",
                           cfg->pool.workers,
                           from(cfg, CONFIG_ENV_WORKERS, "JOB_SERVICE_POOL_WORKERS", fb,
                                sizeof fb));
    if (strcmp(cfg->pool.backend, "redis") != 0)
        return config_fail(err, errlen, "worker_pool.backend: must be \"redis\", got \"%s\"%s",
                           cfg->pool.backend,
                           from(cfg, CONFIG_ENV_BACKEND, "JOB_SERVICE_POOL_BACKEND", fb,
                                sizeof fb));
    if (cfg->pool.ns[strspn(cfg->pool.ns, " \t\r\n")] == '\0')
        return config_fail(err, errlen, "worker_pool.redis_pool.namespace: required (non-blank)");
    if (cfg->pool.idle_timeout_second < 0)
        return config_fail(err, errlen,
                           "worker_pool.redis_pool.idle_timeout_second: must be >= 0, got %d%s",
                           cfg->pool.idle_timeout_second,
                           from(cfg, CONFIG_ENV_IDLE_TIMEOUT,
                                "JOB_SERVICE_POOL_REDIS_CONN_IDLE_TIMEOUT_SECOND", fb, sizeof fb));
    int rc = check_redis_mode(cfg, err, errlen);
    return rc ? rc : check_redis_url(cfg, err, errlen);
}

static int check_logger(berth_config *cfg, const config_logger *l, const char *list, size_t i,
                        char *err, size_t errlen)
{
    static const char *names[] = {"STD_OUTPUT", "FILE", "DB", "REDIS"};
    size_t k = 0;
    while (k < 4 && strcmp(l->name, names[k]) != 0)
        k++;
    if (k == 4)
        return config_fail(err, errlen,
                           "%s[%zu].name: must be STD_OUTPUT, FILE, DB or REDIS, got \"%s\"",
                           list, i, l->name);
    const char *v = config_map_get(&l->settings, "base_dir");
    if (k == 1 && (!v || !*v))
        return config_fail(err, errlen, "%s[%zu].settings.base_dir: required for a FILE logger",
                           list, i);
    v = config_map_get(&l->sweeper_settings, "work_dir");
    if (k == 1 && l->has_sweeper && (!v || !*v))
        return config_fail(err, errlen,
                           "%s[%zu].sweeper.settings.work_dir: required for a FILE sweeper",
                           list, i);
    v = config_map_get(&l->settings, "output");
    if (k == 0 && v && strcmp(v, "std_out") != 0 && strcmp(v, "std_err") != 0)
        config_warn(cfg, "%s[%zu].settings.output: \"%s\" is neither std_out nor std_err; "
                         "using std_out", list, i, v);
    return 0;
}

static int check_loggers(berth_config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < cfg->njob_loggers; i++) {
        int rc = check_logger(cfg, &cfg->job_loggers[i], "job_loggers", i, err, errlen);
        if (rc != 0)
            return rc;
    }
    for (size_t i = 0; i < cfg->nloggers; i++) {
        int rc = check_logger(cfg, &cfg->loggers[i], "loggers", i, err, errlen);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int check_metric(const berth_config *cfg, char *err, size_t errlen)
{
    if (!cfg->metric.enabled)
        return 0;
    if (cfg->metric.port < 1 || cfg->metric.port > 65535)
        return config_fail(err, errlen,
                           "metric.port: must be 1..65535 when metric.enabled is true, got %d",
                           cfg->metric.port);
    if (cfg->metric.port == cfg->port)
        return config_fail(err, errlen, "metric.port: %d is already the API port", cfg->port);
    if (cfg->metric.path[0] != '/')
        return config_fail(err, errlen, "metric.path: must start with /, got \"%s\"",
                           cfg->metric.path);
    return 0;
}

static int range(const char *key, long long v, long long lo, long long hi, char *err,
                 size_t errlen)
{
    if (v >= lo && v <= hi)
        return 0;
    return config_fail(err, errlen, "%s: must be %lld..%lld, got %lld", key, lo, hi, v);
}

static int check_berth(const berth_config *cfg, char *err, size_t errlen)
{
    int rc = range("berth.lease_seconds", cfg->lease_seconds, 1, 3600, err, errlen);
    if (rc == 0)
        rc = range("berth.max_body_bytes", cfg->max_body_bytes, 1024, 1LL << 30, err, errlen);
    if (rc == 0)
        rc = range("berth.http_threads", cfg->http_threads, 0, 64, err, errlen);
    if (rc == 0 && strcmp(cfg->http_server, "builtin") != 0 &&
        strcmp(cfg->http_server, "libmicrohttpd") != 0)
        rc = config_fail(err, errlen, "berth.http_server%s: must be builtin or libmicrohttpd, "
                         "got \"%s\"", cfg->env_overrides & CONFIG_ENV_HTTP_SERVER
                         ? " (from BERTH_HTTP_SERVER)" : "", cfg->http_server);
    if (rc == 0)
        rc = range("berth.grace_seconds", cfg->grace_seconds, 0, 3600, err, errlen);
    if (rc == 0)
        rc = range("berth.hooks.retry_hours", cfg->hooks_retry_hours, 1, 8760, err, errlen);
    if (rc == 0)
        rc = range("berth.stats.ttl_hours", cfg->stats_ttl_hours, 1, 8760, err, errlen);
    if (rc == 0)
        rc = range("berth.stats.error_ttl_hours", cfg->stats_error_ttl_hours, 1, 8760, err,
                   errlen);
    if (rc != 0)
        return rc;
    double mf = cfg->max_memory_fraction;
    if (!(mf >= 0 && mf <= 1))   /* NaN fails too */
        return config_fail(err, errlen, "berth.max_memory_fraction: must be 0..1 (0 disables "
                                        "the check), got %g", mf);
    const char *f = cfg->embedded_redis.appendfsync;
    if (strcmp(f, "always") != 0 && strcmp(f, "everysec") != 0 && strcmp(f, "no") != 0)
        return config_fail(err, errlen, "berth.embedded_redis.appendfsync: must be always, "
                                        "everysec or no, got \"%s\"", f);
    return 0;
}

static int check_database(const berth_config *cfg, char *err, size_t errlen)
{
    int rc = range("berth.database.port", cfg->database.port, 0, 65535, err, errlen);
    if (rc == 0)
        rc = range("berth.database.max_open_conns", cfg->database.max_open_conns, 0, 1000, err,
                   errlen);
    if (rc == 0)
        rc = range("berth.database.max_idle_conns", cfg->database.max_idle_conns, 0, 1000, err,
                   errlen);
    if (rc == 0)
        rc = range("berth.database.statement_timeout_seconds",
                   cfg->database.statement_timeout_seconds, -1, 86400, err, errlen);
    static const char *const modes[] = {"", "disable", "allow", "prefer", "require",
                                        "verify-ca", "verify-full"};
    bool known = false;
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
        known = known || strcmp(cfg->database.sslmode, modes[i]) == 0;
    if (rc == 0 && !known)
        rc = config_fail(err, errlen, "berth.database.sslmode: must be disable, allow, prefer, "
                                      "require, verify-ca or verify-full, got \"%s\"",
                         cfg->database.sslmode);
    return rc;
}

int config_validate(berth_config *cfg, char *err, size_t errlen)
{
    int rc = check_listener(cfg, err, errlen);
    if (rc == 0)
        rc = check_pool(cfg, err, errlen);
    if (rc == 0)
        rc = check_loggers(cfg, err, errlen);
    if (rc == 0)
        rc = check_metric(cfg, err, errlen);
    if (rc == 0)
        rc = check_berth(cfg, err, errlen);
    if (rc == 0)
        rc = check_database(cfg, err, errlen);
    if (rc == 0)
        rc = config_tenants_check(cfg, err, errlen);
    return rc;
}
