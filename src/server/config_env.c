/* Step 2 of loading (config.h): Harbor's environment overrides (spec §10.2), applied after
 * the YAML and before defaults, so a value from the environment is normalised and checked
 * exactly like one from the file. A blank variable counts as unset, as in Harbor.
 *
 * Berth differs in one way: Harbor silently ignores a non-integer JOB_SERVICE_PORT or
 * JOB_SERVICE_POOL_WORKERS; Berth refuses to start, because running on a port or with a
 * worker count nobody asked for is worse than not starting. The idle timeout keeps Harbor's
 * rule (warning, ignored). The environment is passed in as envp so tests need no setenv. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "server/config_internal.h"

static const char *env_get(const char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (; envp && *envp; envp++) {
        if (strncmp(*envp, name, n) != 0 || (*envp)[n] != '=')
            continue;
        const char *v = *envp + n + 1;
        return v[strspn(v, " \t\r\n")] ? v : NULL; /* blank → unset */
    }
    return NULL;
}

/* Go's strconv.Atoi: optional sign, digits only, no spaces. */
static bool parse_int(const char *s, int *out)
{
    if (!s || !*s || strchr(" \t\r\n", s[0]))
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < INT_MIN || v > INT_MAX)
        return false;
    *out = (int)v;
    return true;
}

static void set(berth_config *cfg, char **slot, const char *v, unsigned bit)
{
    if (!v)
        return;
    config_set_str(slot, v);
    cfg->env_overrides |= bit;
}

static int apply_listener(berth_config *cfg, const char *const *envp, char *err,
                          size_t errlen)
{
    set(cfg, &cfg->protocol, env_get(envp, "JOB_SERVICE_PROTOCOL"), CONFIG_ENV_PROTOCOL);
    set(cfg, &cfg->http_server, env_get(envp, "BERTH_HTTP_SERVER"), CONFIG_ENV_HTTP_SERVER);
    const char *p = env_get(envp, "JOB_SERVICE_PORT");
    if (p) {
        if (!parse_int(p, &cfg->port))
            return config_fail(err, errlen, "JOB_SERVICE_PORT: \"%s\" is not an integer", p);
        cfg->env_overrides |= CONFIG_ENV_PORT;
    }
    /* Harbor looks at the cert/key variables only when the protocol (after the override
     * above) is https; https_config is then created if the file had none. */
    if (strcmp(cfg->protocol, "https") == 0) {
        const char *cert = env_get(envp, "JOB_SERVICE_HTTPS_CERT");
        const char *key = env_get(envp, "JOB_SERVICE_HTTPS_KEY");
        set(cfg, &cfg->https.cert, cert, CONFIG_ENV_HTTPS_CERT);
        set(cfg, &cfg->https.key, key, CONFIG_ENV_HTTPS_KEY);
        if (cert || key)
            cfg->https.present = true;
    }
    return 0;
}

static int apply_pool(berth_config *cfg, const char *const *envp, char *err, size_t errlen)
{
    set(cfg, &cfg->pool.backend, env_get(envp, "JOB_SERVICE_POOL_BACKEND"), CONFIG_ENV_BACKEND);
    const char *w = env_get(envp, "JOB_SERVICE_POOL_WORKERS");
    if (w) {
        if (!parse_int(w, &cfg->pool.workers) || cfg->pool.workers < 0)
            return config_fail(err, errlen,
                               "JOB_SERVICE_POOL_WORKERS: \"%s\" is not a non-negative integer",
                               w);
        cfg->env_overrides |= CONFIG_ENV_WORKERS;
    }
    if (strcmp(cfg->pool.backend, "redis") != 0)
        return 0; /* Harbor reads the redis_pool variables only for the redis backend */
    set(cfg, &cfg->pool.redis_url, env_get(envp, "JOB_SERVICE_POOL_REDIS_URL"),
        CONFIG_ENV_REDIS_URL);
    set(cfg, &cfg->pool.ns, env_get(envp, "JOB_SERVICE_POOL_REDIS_NAMESPACE"),
        CONFIG_ENV_NAMESPACE);
    const char *it = env_get(envp, "JOB_SERVICE_POOL_REDIS_CONN_IDLE_TIMEOUT_SECOND");
    int v;
    if (it && parse_int(it, &v)) {
        cfg->pool.idle_timeout_second = v;
        cfg->env_overrides |= CONFIG_ENV_IDLE_TIMEOUT;
    } else if (it) {
        config_warn(cfg,
                    "JOB_SERVICE_POOL_REDIS_CONN_IDLE_TIMEOUT_SECOND: \"%s\" is not an "
                    "integer; ignored, keeping %d",
                    it, cfg->pool.idle_timeout_second);
    }
    return 0;
}

/* berth.database from Harbor core's variable names (Berth reads them when no core tells it
 * the settings); a non-integer number refuses to start, as the port does. */
static int apply_database(berth_config *cfg, const char *const *envp, char *err, size_t errlen)
{
    set(cfg, &cfg->database.host, env_get(envp, "POSTGRESQL_HOST"), 0);
    set(cfg, &cfg->database.username, env_get(envp, "POSTGRESQL_USERNAME"), 0);
    set(cfg, &cfg->database.password, env_get(envp, "POSTGRESQL_PASSWORD"), 0);
    set(cfg, &cfg->database.name, env_get(envp, "POSTGRESQL_DATABASE"), 0);
    set(cfg, &cfg->database.sslmode, env_get(envp, "POSTGRESQL_SSLMODE"), 0);
    static const char *const names[] = {"POSTGRESQL_PORT", "POSTGRESQL_MAX_OPEN_CONNS",
                                        "POSTGRESQL_MAX_IDLE_CONNS"};
    int *slots[] = {&cfg->database.port, &cfg->database.max_open_conns,
                    &cfg->database.max_idle_conns};
    for (size_t i = 0; i < 3; i++) {
        const char *v = env_get(envp, names[i]);
        if (v && !parse_int(v, slots[i]))
            return config_fail(err, errlen, "%s: \"%s\" is not an integer", names[i], v);
    }
    return 0;
}

/* gocraft's MAX_JOB_DURATION_SECONDS: how long a worker observation ({ns}:worker:<id>)
 * lives after it is written. Unset: Harbor sets it to max_update_hours (0 here: the engine
 * derives it); not an integer: gocraft's 86400; ≤ 0 makes gocraft's EXPIRE delete the hash
 * at once, which 1 s stands for. */
static void apply_worker_observation(berth_config *cfg, const char *const *envp)
{
    const char *d = env_get(envp, "MAX_JOB_DURATION_SECONDS");
    int v = 0;
    if (!d)
        return;
    if (!parse_int(d, &v)) {
        config_warn(cfg, "MAX_JOB_DURATION_SECONDS: \"%s\" is not an integer; using 86400 "
                         "as gocraft does", d);
        v = 86400;
    }
    cfg->max_job_duration_s = v < 1 ? 1 : v;
}

int config_env_apply(berth_config *cfg, const char *const *envp, char *err, size_t errlen)
{
    int rc = apply_listener(cfg, envp, err, errlen);
    if (rc == 0)
        apply_worker_observation(cfg, envp);
    if (rc == 0)
        rc = apply_pool(cfg, envp, err, errlen);
    return rc ? rc : apply_database(cfg, envp, err, errlen);
}
