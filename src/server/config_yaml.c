/* Step 1 of loading (config.h): YAML text → berth_config, in one walk over one libyaml tree
 * (config_tree.c). The tables below are the one place that lists the keys of the file;
 * each row says how its value is read and where it goes. Berth's keys get their defaults
 * before the walk, so an absent key keeps its default and an explicit 0 reaches
 * validation (which refuses it). Unknown keys are ignored with a warning, as Harbor's Go
 * decoder ignores them. A section another module parses is one row naming its function. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "berth/error.h"
#include "server/config_internal.h"
#include "util/alloc.h"

#define MAX_SETTINGS 64

#define SEEN(T, m) (offsetof(T, m) + 1)
#define STR(k, T, m) {.key = k, .read = config_read_str, .off = offsetof(T, m)}
#define BOOL(k, T, m) {.key = k, .read = config_read_bool, .off = offsetof(T, m)}
#define INT(k, T, m) \
    {.key = k, .read = config_read_int, .off = offsetof(T, m), .min = INT32_MIN, .max = INT32_MAX}
/* Harbor's unsigned keys (port, workers): negative is refused, big values are clamped to
 * int and named by validation. */
#define UINT(k, T, m) \
    {.key = k, .read = config_read_int, .off = offsetof(T, m), .min = 0, .max = UINT32_MAX}
#define I64(k, T, m, rd) \
    {.key = k, .read = rd, .off = offsetof(T, m), .min = INT64_MIN, .max = INT64_MAX}
#define MAP(k, fields) {.key = k, .read = config_read_map, .sub = fields}
#define END {0}

/* ---- readers with a meaning of their own ---- */

static int read_misfire(config_walk *w, const yaml_node_t *n, const config_field *f,
                        void *base, const char *path)
{
    static const struct { const char *name; berth_misfire v; } names[] = {
        {"skip", BERTH_MISFIRE_SKIP}, {"once", BERTH_MISFIRE_ONCE}, {"all", BERTH_MISFIRE_ALL}};
    const char *m;
    int rc = config_node_string(w, n, path, &m);
    for (size_t i = 0; rc == 0 && i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(m ? m : "once", names[i].name) == 0) {
            *(berth_misfire *)((char *)base + f->off) = names[i].v;
            return 0;
        }
    return rc ? rc : config_fail(w->err, w->errlen,
                                 "%s: must be skip, once or all, got \"%s\"", path, m);
}

/* Logger names are case-insensitive: kept upper-cased. */
static int read_logger_name(config_walk *w, const yaml_node_t *n, const config_field *f,
                            void *base, const char *path)
{
    int rc = config_read_str(w, n, f, base, path);
    for (char *p = *(char **)((char *)base + f->off); rc == 0 && *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    return rc;
}

/* Harbor: an unknown level is WARNING (with a warning from us). */
static int read_logger_level(config_walk *w, const yaml_node_t *n, const config_field *f,
                             void *base, const char *path)
{
    const char *v;
    int rc = config_node_string(w, n, path, &v);
    berth_log_level *level = (berth_log_level *)((char *)base + f->off);
    if (rc == 0 && v && berth_log_level_parse(v, level) != 0) {
        *level = BERTH_LOG_WARNING;
        config_warn(w->cfg, "%s: unknown level \"%s\", using WARNING", path, v);
    }
    return rc;
}

static int kv_add(config_walk *w, config_map *m, const char *k, const yaml_node_t *v,
                  const char *path)
{
    if (config_map_get(m, k))
        return config_fail(w->err, w->errlen, "line %zu, column %zu: %s.%s: duplicate key",
                           v->start_mark.line + 1, v->start_mark.column + 1, path, k);
    if (m->count >= MAX_SETTINGS)
        return config_fail(w->err, w->errlen, "%s: more than %d entries", path, MAX_SETTINGS);
    m->items = berth_realloc(m->items, (m->count + 1) * sizeof *m->items);
    m->items[m->count].key = berth_strdup(k);
    m->items[m->count].value =
        berth_strdup(config_node_null(v) ? "" : config_node_scalar(v));
    m->count++;
    return 0;
}

/* A logger's free-form `settings` map: any key, scalar values, in file order. */
static int read_settings(config_walk *w, const yaml_node_t *n, const config_field *f,
                         void *base, const char *path)
{
    config_map *out = (config_map *)((char *)base + f->off);
    if (config_node_null(n))
        return 0;
    if (n->type != YAML_MAPPING_NODE)
        return config_node_fail(w, n, path, "expected a mapping");
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
         pr++) {
        const char *k = config_node_scalar(config_node(w, pr->key));
        const yaml_node_t *v = config_node(w, pr->value);
        if (!k || !config_node_scalar(v))
            return config_node_fail(w, v, path, "entries must be key: scalar");
        int rc = kv_add(w, out, k, v, path);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- the file's shape ---- */

static const config_field https_fields[] = {
    STR("cert", berth_config, https.cert), STR("key", berth_config, https.key), END};

static const config_field redis_pool_fields[] = {
    STR("redis_url", berth_config, pool.redis_url),
    STR("namespace", berth_config, pool.ns),
    I64("idle_timeout_second", berth_config, pool.idle_timeout_second, config_read_int),
    END};

static const config_field pool_fields[] = {
    UINT("workers", berth_config, pool.workers),
    STR("backend", berth_config, pool.backend),
    MAP("redis_pool", redis_pool_fields),
    END};

static const config_field sweeper_fields[] = {
    INT("duration", config_logger, sweeper_duration),
    {.key = "settings", .read = read_settings, .off = offsetof(config_logger, sweeper_settings)},
    END};

static const config_field logger_fields[] = {
    {.key = "name", .read = read_logger_name, .off = offsetof(config_logger, name)},
    {.key = "level", .read = read_logger_level, .off = offsetof(config_logger, level)},
    {.key = "settings", .read = read_settings, .off = offsetof(config_logger, settings)},
    {.key = "sweeper", .read = config_read_map, .seen = SEEN(config_logger, has_sweeper),
     .sub = sweeper_fields},
    END};

static void logger_init(void *elem)
{
    config_logger *l = elem;
    l->name = berth_strdup("");
    l->level = BERTH_LOG_WARNING; /* absent → WARNING, as Harbor */
}

#define LOGGERS(k, m, n) \
    {.key = k, .read = config_read_seq, .off = offsetof(berth_config, m), .sub = logger_fields, \
     .elem_size = sizeof(config_logger), .count_off = offsetof(berth_config, n), \
     .init = logger_init}

static const config_field metric_fields[] = {
    BOOL("enabled", berth_config, metric.enabled),
    STR("path", berth_config, metric.path),
    INT("port", berth_config, metric.port),
    END};

static const config_field reaper_fields[] = {
    INT("max_update_hours", berth_config, max_update_hours),
    INT("max_dangling_hours", berth_config, max_dangling_hours),
    END};

static const config_field embedded_fields[] = {
    {.key = "enabled", .read = config_read_bool, .off = offsetof(berth_config, embedded_redis.enabled),
     .seen = SEEN(berth_config, embedded_redis.enabled_explicit)},
    STR("server_path", berth_config, embedded_redis.server_path),
    STR("appendfsync", berth_config, embedded_redis.appendfsync),
    END};

static const config_field hooks_fields[] = {
    INT("retry_hours", berth_config, hooks_retry_hours), END};

static const config_field stats_fields[] = {
    INT("ttl_hours", berth_config, stats_ttl_hours),
    INT("error_ttl_hours", berth_config, stats_error_ttl_hours),
    END};

static const config_field database_fields[] = {
    STR("host", berth_config, database.host),
    INT("port", berth_config, database.port),
    STR("username", berth_config, database.username),
    STR("password", berth_config, database.password),
    STR("database", berth_config, database.name),
    STR("sslmode", berth_config, database.sslmode),
    INT("max_open_conns", berth_config, database.max_open_conns),
    INT("max_idle_conns", berth_config, database.max_idle_conns),
    INT("statement_timeout_seconds", berth_config, database.statement_timeout_seconds),
    END};

static void tenant_init(void *elem)
{
    ((config_tenant *)elem)->name = berth_strdup("");
}

static const config_field tenant_fields[] = {
    STR("name", config_tenant, name),
    UINT("workers", config_tenant, workers),
    END};

static const config_field berth_fields[] = {
    STR("data_dir", berth_config, data_dir),
    INT("lease_seconds", berth_config, lease_seconds),
    STR("listen_address", berth_config, listen_address),
    I64("max_body_bytes", berth_config, max_body_bytes, config_read_i64),
    INT("http_threads", berth_config, http_threads),
    STR("http_server", berth_config, http_server),
    INT("grace_seconds", berth_config, grace_seconds),
    {.key = "max_memory_fraction", .read = config_read_number,
     .off = offsetof(berth_config, max_memory_fraction)},
    MAP("embedded_redis", embedded_fields),
    MAP("hooks", hooks_fields),
    MAP("stats", stats_fields),
    MAP("database", database_fields),
    {.key = "misfire", .read = read_misfire, .off = offsetof(berth_config, misfire)},
    {.key = "jobs", .read = config_read_jobs},         /* command jobs: config_jobs.c */
    {.key = "plugins", .read = config_read_plugins},
    {.key = "namespaces", .read = config_read_seq, .off = offsetof(berth_config, tenants),
     .sub = tenant_fields, .elem_size = sizeof(config_tenant),
     .count_off = offsetof(berth_config, ntenants), .init = tenant_init},
    END};

static const config_field top_fields[] = {
    STR("protocol", berth_config, protocol),
    UINT("port", berth_config, port),
    {.key = "https_config", .read = config_read_map, .seen = SEEN(berth_config, https.present),
     .sub = https_fields},
    MAP("worker_pool", pool_fields),
    LOGGERS("job_loggers", job_loggers, njob_loggers),
    LOGGERS("loggers", loggers, nloggers),
    MAP("metric", metric_fields),
    MAP("reaper", reaper_fields),
    INT("max_retrieve_size_mb", berth_config, max_retrieve_size_mb),
    MAP("berth", berth_fields),
    END};

/* ---- step 1 ---- */

/* Berth's defaults for its own keys; Harbor's are applied after the environment
 * (config_defaults.c), where 0 means "not set" as in Harbor. */
static void berth_defaults(berth_config *cfg)
{
    config_strings_init(cfg);
    cfg->lease_seconds = 30;
    cfg->grace_seconds = 15;
    cfg->max_body_bytes = 1048576;
    cfg->max_memory_fraction = 0.9;
    cfg->hooks_retry_hours = 24;
    cfg->stats_ttl_hours = 24;
    cfg->stats_error_ttl_hours = 168;
    cfg->misfire = BERTH_MISFIRE_ONCE;
}

int config_yaml_load(const char *yaml, size_t len, berth_config *cfg, char *err,
                     size_t errlen)
{
    yaml_document_t doc;
    int rc = config_tree_parse(yaml, len, &doc, err, errlen);
    if (rc != 0)
        return rc;
    berth_defaults(cfg);
    config_walk w = {&doc, cfg, err, errlen};
    rc = config_walk_map(&w, yaml_document_get_root_node(&doc), top_fields, cfg, "");
    yaml_document_delete(&doc);
    return rc;
}
