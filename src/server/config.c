/* Loading the daemon's configuration: reads the file (capped), runs the four steps of
 * config.h in order, and owns the struct's memory. The steps live in config_yaml.c,
 * config_env.c, config_defaults.c and config_validate.c. */
#include "server/config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "server/config_internal.h"
#include "util/alloc.h"

extern char **environ;

/* Messages quote values from the file, which may hold newlines (quoted or folded scalars);
 * a message must stay one line for the log. */
static void one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
}

int config_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        one_line(err);
    }
    return BERTH_ECONFIG;
}

void config_warn(berth_config *cfg, const char *fmt, ...)
{
    if (cfg->nwarnings >= CONFIG_MAX_WARNINGS)
        return;
    char line[512];
    if (cfg->nwarnings == CONFIG_MAX_WARNINGS - 1) {
        snprintf(line, sizeof line, "further config warnings omitted");
    } else {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        one_line(line);
    }
    cfg->warnings = berth_realloc(cfg->warnings, (cfg->nwarnings + 1) * sizeof(char *));
    cfg->warnings[cfg->nwarnings++] = berth_strdup(line);
}

void config_set_str(char **slot, const char *s)
{
    char *copy = berth_strdup(s ? s : "");
    berth_free(*slot);
    *slot = copy;
}

const char *config_map_get(const config_map *m, const char *key)
{
    for (size_t i = 0; m && i < m->count; i++)
        if (strcmp(m->items[i].key, key) == 0)
            return m->items[i].value;
    return NULL;
}

static void map_free(config_map *m)
{
    for (size_t i = 0; i < m->count; i++) {
        berth_free(m->items[i].key);
        berth_free(m->items[i].value);
    }
    berth_free(m->items);
    m->items = NULL;
    m->count = 0;
}

void config_loggers_free(config_logger *l, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        berth_free(l[i].name);
        map_free(&l[i].settings);
        map_free(&l[i].sweeper_settings);
    }
    berth_free(l);
}

/* Every top-level string of cfg, for init and free. */
#define CONFIG_NSTRINGS 17
static void string_slots(berth_config *cfg, char **slots[CONFIG_NSTRINGS])
{
    char **all[CONFIG_NSTRINGS] = {
        &cfg->protocol, &cfg->https.cert, &cfg->https.key, &cfg->pool.backend,
        &cfg->pool.redis_url, &cfg->pool.ns, &cfg->metric.path, &cfg->data_dir,
        &cfg->listen_address, &cfg->embedded_redis.server_path,
        &cfg->embedded_redis.appendfsync, &cfg->database.host, &cfg->database.username,
        &cfg->database.password, &cfg->database.name, &cfg->database.sslmode,
        &cfg->http_server};
    memcpy(slots, all, sizeof all);
}

void config_strings_init(berth_config *cfg)
{
    char **slots[CONFIG_NSTRINGS];
    string_slots(cfg, slots);
    for (size_t i = 0; i < CONFIG_NSTRINGS; i++)
        config_set_str(slots[i], "");
}

void config_free(berth_config *cfg)
{
    if (!cfg)
        return;
    char **slots[CONFIG_NSTRINGS];
    string_slots(cfg, slots);
    for (size_t i = 0; i < CONFIG_NSTRINGS; i++)
        berth_free(*slots[i]);
    config_redis_addr_free(&cfg->pool.redis);
    config_loggers_free(cfg->job_loggers, cfg->njob_loggers);
    config_loggers_free(cfg->loggers, cfg->nloggers);
    config_jobs_free(cfg);
    config_tenants_free(cfg);
    for (size_t i = 0; i < cfg->nwarnings; i++)
        berth_free(cfg->warnings[i]);
    berth_free(cfg->warnings);
    memset(cfg, 0, sizeof *cfg);
}

int config_load_string(const char *yaml, size_t len, const char *const *envp,
                       berth_config *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int rc = config_yaml_load(yaml, len, out, err, errlen);
    if (rc == 0)
        rc = config_env_apply(out, envp, err, errlen);
    if (rc == 0) {
        config_defaults_apply(out);
        rc = config_validate(out, err, errlen);
    }
    if (rc != 0)
        config_free(out);
    return rc;
}

/* Reads the whole file, refusing anything over CONFIG_MAX_BYTES. */
static int read_file(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
    char eb[128];
    FILE *f = fopen(path, "rb");
    if (!f)
        return config_fail(err, errlen, "cannot open config file %s: %s", path,
                           strerror_r(errno, eb, sizeof eb));
    char *p = berth_malloc(CONFIG_MAX_BYTES + 1);
    size_t n = fread(p, 1, CONFIG_MAX_BYTES + 1, f);
    int rc = 0;
    if (ferror(f))
        rc = config_fail(err, errlen, "cannot read config file %s: %s", path,
                         strerror_r(errno ? errno : EIO, eb, sizeof eb));
    else if (n > CONFIG_MAX_BYTES)
        rc = config_fail(err, errlen, "config file %s is larger than %d bytes", path,
                         CONFIG_MAX_BYTES);
    fclose(f);
    if (rc != 0) {
        berth_free(p);
        return rc;
    }
    *data = p;
    *len = n;
    return 0;
}

int config_load_envp(const char *path, const char *const *envp, berth_config *out,
                     char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!path || !*path)
        return config_fail(err, errlen, "no config file given (berthd -c <file>)");
    char *data = NULL;
    size_t len = 0;
    int rc = read_file(path, &data, &len, err, errlen);
    if (rc != 0)
        return rc;
    rc = config_load_string(data, len, envp, out, err, errlen);
    berth_free(data);
    return rc;
}

int config_load(const char *path, berth_config *out, char *err, size_t errlen)
{
    return config_load_envp(path, (const char *const *)environ, out, err, errlen);
}
