/* Step 1 of loading (config.h): YAML text → berth_config, no defaults yet.
 *
 * How: libyaml first builds a tree of the text (config_tree.c), because only libyaml knows
 * where a syntax error is, and the tree is checked against the schema (unknown keys,
 * duplicates, integers, booleans); libcyaml then loads the same text into "raw" structs
 * shaped exactly like the file (this schema is the one place that lists the keys), and the
 * raw structs are copied into the owned berth_config. libcyaml reports type errors only
 * through its log callback, as a reason line plus a backtrace of "in mapping field 'x'
 * (line: L, column: C)" lines, innermost first; we capture those and turn them into one
 * "line L, column C: a.b[0].c: reason" message. Unknown keys are ignored by libcyaml (as
 * Harbor's Go decoder ignores them) and reported as warnings from the tree. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "berth/error.h"
#include "server/config_internal.h"
#include "util/alloc.h"

/* ---- raw structs: the file's shape, filled by libcyaml, freed by cyaml_free ---- */

typedef struct raw_https { char *cert, *key; } raw_https;
typedef struct raw_redis_pool {
    char *redis_url;
    char *ns;
    int64_t idle_timeout_second;
} raw_redis_pool;
typedef struct raw_pool {
    unsigned workers;
    char *backend;
    raw_redis_pool *redis_pool;
} raw_pool;
typedef struct raw_sweeper { int duration; } raw_sweeper;
typedef struct raw_logger {
    char *name, *level;
    raw_sweeper *sweeper;
} raw_logger;
typedef struct raw_metric {
    bool enabled;
    char *path;
    int port;
} raw_metric;
typedef struct raw_reaper { int max_update_hours, max_dangling_hours; } raw_reaper;
typedef struct raw_embedded {
    bool *enabled;
    char *server_path, *appendfsync;
} raw_embedded;
typedef struct raw_hooks { int *retry_hours; } raw_hooks;
typedef struct raw_berth {
    char *data_dir, *listen_address, *misfire;
    int *lease_seconds, *grace_seconds;
    int64_t *max_body_bytes;
    double *max_memory_fraction;
    raw_embedded *embedded_redis;
    raw_hooks *hooks;
} raw_berth;
typedef struct raw_config {
    char *protocol;
    unsigned port;
    raw_https *https_config;
    raw_pool *worker_pool;
    raw_logger *job_loggers;
    unsigned job_loggers_count;
    raw_logger *loggers;
    unsigned loggers_count;
    raw_metric *metric;
    raw_reaper *reaper;
    int max_retrieve_size_mb;
    raw_berth *berth;
} raw_config;

/* ---- schema ---- */

#define OPT CYAML_FLAG_OPTIONAL
#define OPT_PTR (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER_NULL)
#define STR(key, type, member) \
    CYAML_FIELD_STRING_PTR(key, OPT | CYAML_FLAG_POINTER_NULL_STR, type, member, 0, \
                           CYAML_UNLIMITED)

static const cyaml_schema_field_t https_fields[] = {
    STR("cert", raw_https, cert), STR("key", raw_https, key), CYAML_FIELD_END};

static const cyaml_schema_field_t redis_pool_fields[] = {
    STR("redis_url", raw_redis_pool, redis_url),
    STR("namespace", raw_redis_pool, ns),
    CYAML_FIELD_INT("idle_timeout_second", OPT, raw_redis_pool, idle_timeout_second),
    CYAML_FIELD_END};

static const cyaml_schema_field_t pool_fields[] = {
    CYAML_FIELD_UINT("workers", OPT, raw_pool, workers),
    STR("backend", raw_pool, backend),
    CYAML_FIELD_MAPPING_PTR("redis_pool", OPT_PTR, raw_pool, redis_pool, redis_pool_fields),
    CYAML_FIELD_END};

static const cyaml_schema_field_t sweeper_fields[] = {
    CYAML_FIELD_INT("duration", OPT, raw_sweeper, duration),
    CYAML_FIELD_IGNORE("settings", OPT), /* free-form: read from the tree */
    CYAML_FIELD_END};

static const cyaml_schema_field_t logger_fields[] = {
    STR("name", raw_logger, name),
    STR("level", raw_logger, level),
    CYAML_FIELD_IGNORE("settings", OPT), /* free-form: read from the tree */
    CYAML_FIELD_MAPPING_PTR("sweeper", OPT_PTR, raw_logger, sweeper, sweeper_fields),
    CYAML_FIELD_END};

static const cyaml_schema_value_t logger_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, raw_logger, logger_fields)};

static const cyaml_schema_field_t metric_fields[] = {
    CYAML_FIELD_BOOL("enabled", OPT, raw_metric, enabled),
    STR("path", raw_metric, path),
    CYAML_FIELD_INT("port", OPT, raw_metric, port),
    CYAML_FIELD_END};

static const cyaml_schema_field_t reaper_fields[] = {
    CYAML_FIELD_INT("max_update_hours", OPT, raw_reaper, max_update_hours),
    CYAML_FIELD_INT("max_dangling_hours", OPT, raw_reaper, max_dangling_hours),
    CYAML_FIELD_END};

static const cyaml_schema_field_t embedded_fields[] = {
    CYAML_FIELD_BOOL_PTR("enabled", OPT_PTR, raw_embedded, enabled),
    STR("server_path", raw_embedded, server_path),
    STR("appendfsync", raw_embedded, appendfsync),
    CYAML_FIELD_END};

static const cyaml_schema_field_t hooks_fields[] = {
    CYAML_FIELD_INT_PTR("retry_hours", OPT_PTR, raw_hooks, retry_hours), CYAML_FIELD_END};

static const cyaml_schema_field_t berth_fields[] = {
    STR("data_dir", raw_berth, data_dir),
    CYAML_FIELD_INT_PTR("lease_seconds", OPT_PTR, raw_berth, lease_seconds),
    STR("listen_address", raw_berth, listen_address),
    CYAML_FIELD_INT_PTR("max_body_bytes", OPT_PTR, raw_berth, max_body_bytes),
    CYAML_FIELD_INT_PTR("grace_seconds", OPT_PTR, raw_berth, grace_seconds),
    CYAML_FIELD_FLOAT_PTR("max_memory_fraction", OPT_PTR, raw_berth, max_memory_fraction),
    CYAML_FIELD_MAPPING_PTR("embedded_redis", OPT_PTR, raw_berth, embedded_redis,
                            embedded_fields),
    CYAML_FIELD_MAPPING_PTR("hooks", OPT_PTR, raw_berth, hooks, hooks_fields),
    STR("misfire", raw_berth, misfire),
    CYAML_FIELD_END};

static const cyaml_schema_field_t top_fields[] = {
    STR("protocol", raw_config, protocol),
    CYAML_FIELD_UINT("port", OPT, raw_config, port),
    CYAML_FIELD_MAPPING_PTR("https_config", OPT_PTR, raw_config, https_config, https_fields),
    CYAML_FIELD_MAPPING_PTR("worker_pool", OPT_PTR, raw_config, worker_pool, pool_fields),
    CYAML_FIELD_SEQUENCE("job_loggers", OPT_PTR, raw_config, job_loggers, &logger_entry, 0,
                         CYAML_UNLIMITED),
    CYAML_FIELD_SEQUENCE("loggers", OPT_PTR, raw_config, loggers, &logger_entry, 0,
                         CYAML_UNLIMITED),
    CYAML_FIELD_MAPPING_PTR("metric", OPT_PTR, raw_config, metric, metric_fields),
    CYAML_FIELD_MAPPING_PTR("reaper", OPT_PTR, raw_config, reaper, reaper_fields),
    CYAML_FIELD_INT("max_retrieve_size_mb", OPT, raw_config, max_retrieve_size_mb),
    CYAML_FIELD_MAPPING_PTR("berth", OPT_PTR, raw_config, berth, berth_fields),
    CYAML_FIELD_END};

const cyaml_schema_value_t config_yaml_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, raw_config, top_fields)};

/* ---- libcyaml's log → one error line ---- */

#define MAX_TRACE 16

typedef struct cy_capture {
    char reason[256];              /* first error line that is not part of a backtrace */
    char trace[MAX_TRACE][160];    /* backtrace entries, innermost first */
    int ntrace;
} cy_capture;

__attribute__((format(printf, 3, 0))) static void cy_log(cyaml_log_t level, void *ctx,
                                                          const char *fmt, va_list args)
{
    cy_capture *c = ctx;
    char line[256];
    vsnprintf(line, sizeof line, fmt, args);
    line[strcspn(line, "\n")] = '\0';
    const char *s = strncmp(line, "Load: ", 6) == 0 ? line + 6 : line;
    if (strncmp(s, "  in ", 5) == 0) {
        if (c->ntrace < MAX_TRACE)
            snprintf(c->trace[c->ntrace++], sizeof c->trace[0], "%s", s + 5);
    } else if (strcmp(s, "Backtrace:") != 0 && c->reason[0] == '\0') {
        snprintf(c->reason, sizeof c->reason, "%s", s);
    }
}

/* libcyaml's wording → ours; unknown texts pass through. Its "Invalid <type> value: 'x'"
 * names the C type ("INT", "uint64_t", "BOOL", ...), which means nothing to a user. */
static void cy_reason(const char *in, char *out, size_t outlen)
{
    char type[32], want[32], got[32];
    int off = 0;
    if (sscanf(in, "Invalid %31s value: %n", type, &off) == 1 && off > 0) {
        const char *what = strncasecmp(type, "uint", 4) == 0  ? "not a non-negative integer"
                           : strncasecmp(type, "int", 3) == 0 ? "not an integer"
                           : strncasecmp(type, "bool", 4) == 0 ? "not a boolean"
                           : strncasecmp(type, "float", 5) == 0 ? "not a number"
                                                               : "invalid value";
        bool num = strstr(what, "integer") != NULL;
        snprintf(out, outlen, "%s%s: %s", what, num ? " (or out of range)" : "", in + off);
    } else if (strncmp(in, "Mapping field already seen: ", 28) == 0) {
        snprintf(out, outlen, "duplicate key");
    } else if (sscanf(in, "Expecting %31[A-Z], got event: %31[A-Z_]", want, got) == 2) {
        for (char *p = want; *p; p++)
            *p = (char)(*p - 'A' + 'a');
        snprintf(out, outlen, "expected a %s, found %s", want,
                 strncmp(got, "MAPPING", 7) == 0    ? "a mapping"
                 : strncmp(got, "SEQUENCE", 8) == 0 ? "a sequence"
                                                    : "a scalar");
    } else {
        snprintf(out, outlen, "%s", in);
    }
}

/* Builds "a.b[0].c" from the backtrace (outermost last) and takes the innermost position. */
static void cy_path(const cy_capture *c, char *path, size_t pathlen, int *line, int *col)
{
    size_t used = 0;
    path[0] = '\0';
    *line = *col = 0;
    for (int i = c->ntrace - 1; i >= 0; i--) {
        char name[128];
        unsigned n;
        int l, k;
        if (sscanf(c->trace[i], "mapping field '%127[^']' (line: %d, column: %d)", name, &l,
                   &k) == 3)
            used += (size_t)snprintf(path + used, pathlen - used, "%s%s", used ? "." : "",
                                     name);
        else if (sscanf(c->trace[i], "sequence entry '%u' (line: %d, column: %d)", &n, &l,
                        &k) == 3)
            used += (size_t)snprintf(path + used, pathlen - used, "[%u]", n ? n - 1 : 0);
        else if (sscanf(c->trace[i], "%*[^(](line: %d, column: %d)", &l, &k) != 2)
            continue;
        *line = l;
        *col = k;
        if (used >= pathlen)
            used = pathlen - 1;
    }
}

static int cy_error(const cy_capture *c, cyaml_err_t e, char *err, size_t errlen)
{
    char reason[300], path[256];
    int line, col;
    cy_reason(c->reason[0] ? c->reason : cyaml_strerror(e), reason, sizeof reason);
    cy_path(c, path, sizeof path, &line, &col);
    if (line > 0)
        return config_fail(err, errlen, "line %d, column %d: %s%s%s", line, col, path,
                           path[0] ? ": " : "", reason);
    return config_fail(err, errlen, "%s%s%s", path, path[0] ? ": " : "", reason);
}

/* ---- raw → berth_config ---- */

static void copy_logger(const raw_logger *r, config_logger *l, berth_config *cfg,
                        const char *list, size_t i)
{
    l->name = berth_strdup(r->name ? r->name : "");
    for (char *p = l->name; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    l->level = BERTH_LOG_WARNING;
    if (r->level && berth_log_level_parse(r->level, &l->level) != 0)
        config_warn(cfg, "%s[%zu].level: unknown level \"%s\", using WARNING", list, i,
                    r->level);
    l->has_sweeper = r->sweeper != NULL;
    l->sweeper_duration = r->sweeper ? r->sweeper->duration : 0;
}

static void copy_loggers(const raw_logger *r, unsigned n, config_logger **out, size_t *nout,
                         berth_config *cfg, const char *list)
{
    *nout = n;
    *out = n ? berth_calloc(n, sizeof **out) : NULL;
    for (unsigned i = 0; i < n; i++)
        copy_logger(&r[i], &(*out)[i], cfg, list, i);
}

static void copy_pool(const raw_pool *p, berth_config *cfg)
{
    const raw_redis_pool *rp = p ? p->redis_pool : NULL;
    cfg->pool.workers = p ? (int)(p->workers > INT32_MAX ? INT32_MAX : p->workers) : 0;
    config_set_str(&cfg->pool.backend, p ? p->backend : NULL);
    config_set_str(&cfg->pool.redis_url, rp ? rp->redis_url : NULL);
    config_set_str(&cfg->pool.ns, rp ? rp->ns : NULL);
    int64_t idle = rp ? rp->idle_timeout_second : 0;
    cfg->pool.idle_timeout_second = idle > INT32_MAX ? INT32_MAX : idle < INT32_MIN ? INT32_MIN
                                                                  : (int)idle;
}

static int int_or(const int *v, int dflt) { return v ? *v : dflt; }

/* Berth's keys take their defaults here, where "absent" can still be told from "0". */
static int copy_berth(const raw_berth *b, berth_config *cfg, char *err, size_t errlen)
{
    const raw_embedded *e = b ? b->embedded_redis : NULL;
    config_set_str(&cfg->data_dir, b ? b->data_dir : NULL);
    config_set_str(&cfg->listen_address, b ? b->listen_address : NULL);
    cfg->lease_seconds = int_or(b ? b->lease_seconds : NULL, 30);
    cfg->grace_seconds = int_or(b ? b->grace_seconds : NULL, 15);
    cfg->max_body_bytes = b && b->max_body_bytes ? *b->max_body_bytes : 1048576;
    cfg->max_memory_fraction = b && b->max_memory_fraction ? *b->max_memory_fraction : 0.9;
    cfg->hooks_retry_hours = int_or(b && b->hooks ? b->hooks->retry_hours : NULL, 24);
    cfg->embedded_redis.enabled_explicit = e && e->enabled;
    cfg->embedded_redis.enabled = e && e->enabled && *e->enabled;
    config_set_str(&cfg->embedded_redis.server_path, e ? e->server_path : NULL);
    config_set_str(&cfg->embedded_redis.appendfsync, e ? e->appendfsync : NULL);
    const char *m = b && b->misfire ? b->misfire : "once";
    if (strcasecmp(m, "skip") == 0)
        cfg->misfire = CONFIG_MISFIRE_SKIP;
    else if (strcasecmp(m, "once") == 0)
        cfg->misfire = CONFIG_MISFIRE_ONCE;
    else if (strcasecmp(m, "all") == 0)
        cfg->misfire = CONFIG_MISFIRE_ALL;
    else
        return config_fail(err, errlen, "berth.misfire: must be skip, once or all, got \"%s\"",
                           m);
    return 0;
}

static int copy_raw(const raw_config *r, berth_config *cfg, char *err, size_t errlen)
{
    config_set_str(&cfg->protocol, r->protocol);
    cfg->port = r->port > INT32_MAX ? INT32_MAX : (int)r->port; /* validation rejects > 65535 */
    cfg->https.present = r->https_config != NULL;
    config_set_str(&cfg->https.cert, r->https_config ? r->https_config->cert : NULL);
    config_set_str(&cfg->https.key, r->https_config ? r->https_config->key : NULL);
    copy_pool(r->worker_pool, cfg);
    copy_loggers(r->job_loggers, r->job_loggers_count, &cfg->job_loggers, &cfg->njob_loggers,
                 cfg, "job_loggers");
    copy_loggers(r->loggers, r->loggers_count, &cfg->loggers, &cfg->nloggers, cfg, "loggers");
    cfg->metric.enabled = r->metric && r->metric->enabled;
    config_set_str(&cfg->metric.path, r->metric ? r->metric->path : NULL);
    cfg->metric.port = r->metric ? r->metric->port : 0;
    cfg->max_update_hours = r->reaper ? r->reaper->max_update_hours : 0;
    cfg->max_dangling_hours = r->reaper ? r->reaper->max_dangling_hours : 0;
    cfg->max_retrieve_size_mb = r->max_retrieve_size_mb;
    return copy_berth(r->berth, cfg, err, errlen);
}

/* ---- step 1 ---- */

static int cy_load(const char *yaml, size_t len, berth_config *cfg, char *err, size_t errlen)
{
    cy_capture cap = {0};
    cyaml_config_t cc = {
        .log_fn = cy_log,
        .log_ctx = &cap,
        .mem_fn = cyaml_mem,
        .log_level = CYAML_LOG_ERROR,
        /* Unknown keys: ignored like Harbor, warned about from the tree. Aliases: refused,
         * so a small file cannot expand into a huge one. */
        .flags = CYAML_CFG_IGNORE_UNKNOWN_KEYS | CYAML_CFG_NO_ALIAS,
    };
    raw_config *raw = NULL;
    cyaml_err_t e = cyaml_load_data((const uint8_t *)yaml, len, &cc, &config_yaml_schema,
                                    (cyaml_data_t **)&raw, NULL);
    if (e != CYAML_OK)
        return cy_error(&cap, e, err, errlen);
    raw_config empty = {0};
    int rc = copy_raw(raw ? raw : &empty, cfg, err, errlen);
    cyaml_free(&cc, &config_yaml_schema, raw, 0);
    return rc;
}

int config_yaml_load(const char *yaml, size_t len, berth_config *cfg, char *err,
                     size_t errlen)
{
    yaml_document_t doc;
    int rc = config_tree_parse(yaml, len, &doc, err, errlen);
    if (rc != 0)
        return rc;
    /* The tree check first: it names a duplicate key at the duplicate (libcyaml names the
     * first occurrence) and catches non-boolean booleans, which libcyaml reads as true. */
    rc = config_tree_check(&doc, cfg, err, errlen);
    if (rc == 0)
        rc = cy_load(yaml, len, cfg, err, errlen);
    if (rc == 0)
        rc = config_tree_settings(&doc, cfg, err, errlen);
    yaml_document_delete(&doc);
    return rc;
}
