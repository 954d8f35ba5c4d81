/* berthd's configuration: Harbor's job-service YAML (spec §10.1) plus Berth's own keys under
 * a top-level `berth:` mapping, turned into one plain struct with every default applied.
 *
 * Loading runs four steps, each in its own file, in this order:
 *   1. YAML → struct (config_yaml.c): libyaml parses the text once into a tree, and one
 *      table-driven walk over it (config_tree.c) fills the struct, reporting every error
 *      with its line/column and key path and warning about unknown keys.
 *   2. Environment overrides (config_env.c), exactly Harbor's JOB_SERVICE_* table (§10.2).
 *   3. Defaults and normalisation (config_defaults.c): workers 0 → 10, reaper floors,
 *      "host:port" → "redis://host:port", Berth defaults, default loggers.
 *   4. Validation (config_validate.c), including parsing the Redis URL (config_redis_url.c).
 * Every failure is one line naming the key path (and line/column for YAML-level errors) in
 * the caller's buffer, with BERTH_ECONFIG. The module never prints: warnings (unknown keys,
 * unknown log levels, ignored env values) are collected in berth_config.warnings for the
 * daemon to log once its loggers exist. See docs/config.md for every key. */
#ifndef BERTH_SERVER_CONFIG_H
#define BERTH_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "berth/log.h"
#include "berth/period.h"
#include "exec/command.h"

/* One entry of a logger's free-form `settings` map; both strings owned by the map. */
typedef struct config_kv {
    char *key;
    char *value;      /* the scalar's text; "" for an empty/null value */
} config_kv;

/* A string → scalar map (`settings`), in file order. */
typedef struct config_map {
    config_kv *items;
    size_t count;
} config_map;

/* Value of key in m, or NULL if absent. */
const char *config_map_get(const config_map *m, const char *key);

/* One entry of `job_loggers` or `loggers` (Harbor's LoggerConfig). */
typedef struct config_logger {
    char *name;                  /* "STD_OUTPUT", "FILE", "DB" or "REDIS" (upper-cased) */
    berth_log_level level;       /* unknown or absent → WARNING, as Harbor */
    config_map settings;         /* FILE: base_dir; STD_OUTPUT: output (std_out|std_err) */
    bool has_sweeper;            /* a `sweeper:` mapping was given */
    int sweeper_duration;        /* days between sweeps and max age; ≤ 0 → 1 */
    config_map sweeper_settings; /* FILE: work_dir */
} config_logger;

typedef enum config_redis_kind {
    CONFIG_REDIS_NONE = 0,       /* no URL: embedded mode */
    CONFIG_REDIS_TCP,            /* redis:// or rediss:// */
    CONFIG_REDIS_SENTINEL,       /* redis+sentinel:// or rediss+sentinel:// */
    CONFIG_REDIS_CLUSTER,        /* redis+cluster:// (Berth's): Redis Cluster seed nodes */
    CONFIG_REDIS_UNIX,           /* unix:// */
} config_redis_kind;

typedef struct config_hostport {
    char *host;                  /* IPv6 without its brackets */
    int port;
} config_hostport;

#define CONFIG_MAX_SENTINELS 64   /* sentinel (or cluster seed) hosts one URL may list */

/* A parsed Redis URL. All strings owned; free with config_redis_addr_free. */
typedef struct config_redis_addr {
    config_redis_kind kind;
    bool tls;                    /* rediss:// or rediss+sentinel:// */
    char *username;              /* NULL when the URL has none; percent-decoded */
    char *password;              /* NULL when the URL has none; percent-decoded */
    config_hostport *hosts;      /* TCP: one (port default 6379); sentinel: ≥ 1 (26379);
                                  * cluster: ≥ 1 seed nodes (6379) */
    size_t nhosts;
    char *master;                /* sentinel master name; NULL otherwise */
    char *path;                  /* unix socket path; NULL otherwise */
    int db;                      /* database number; 0 when absent */
    int idle_timeout_seconds;    /* query idle_timeout_seconds=N; -1 when absent */
} config_redis_addr;

/* Parses redis://[user:pass@]host[:port][/db], rediss://…,
 * redis+sentinel://[user:pass@]h1[:p1],h2[:p2]/master[/db], rediss+sentinel://…,
 * redis+cluster://[user:pass@]h1[:p1],h2[:p2][/] (database 0 only), and
 * unix://[:pass@]/path/to.sock[?db=N], each with an optional ?idle_timeout_seconds=N
 * (unix also ?db=N&password=…). 0, or BERTH_ECONFIG with a message (which never repeats
 * the password) and *out zeroed. */
int config_parse_redis_url(const char *url, config_redis_addr *out, char *err,
                           size_t errlen);
void config_redis_addr_free(config_redis_addr *a);  /* NULL is a no-op; leaves *a zeroed */


/* One more namespace (tenant) this berthd serves besides worker_pool.redis_pool.namespace
 * (`berth.namespaces`, docs/config.md "Several namespaces"). */
typedef struct config_tenant {
    char *name;                  /* the namespace, raw (no braces); [A-Za-z0-9_.-], ≤ 64 */
    int workers;                 /* 0/absent → worker_pool.workers */
} config_tenant;

#define CONFIG_MAX_TENANTS 64     /* entries of berth.namespaces */

/* Which settings came from the environment (berth_config.env_overrides bits). */
enum {
    CONFIG_ENV_PROTOCOL = 1u << 0,
    CONFIG_ENV_PORT = 1u << 1,
    CONFIG_ENV_HTTPS_CERT = 1u << 2,
    CONFIG_ENV_HTTPS_KEY = 1u << 3,
    CONFIG_ENV_BACKEND = 1u << 4,
    CONFIG_ENV_WORKERS = 1u << 5,
    CONFIG_ENV_REDIS_URL = 1u << 6,
    CONFIG_ENV_NAMESPACE = 1u << 7,
    CONFIG_ENV_IDLE_TIMEOUT = 1u << 8,
    CONFIG_ENV_HTTP_SERVER = 1u << 9,
};

/* The whole configuration. After a successful load every char * is non-NULL ("" when not
 * set) and every default is applied. Everything is owned by the struct: config_free. */
typedef struct berth_config {
    /* --- Harbor's keys (spec §10.1) --- */
    char *protocol;              /* "http" or "https" (https when https_config is present) */
    int port;                    /* 1..65535 */
    struct {
        bool present;            /* `https_config` given (forces https, as Harbor) */
        char *cert;              /* existing files when protocol is https */
        char *key;
    } https;
    struct {
        int workers;             /* 0/absent → 10 */
        char *backend;           /* "redis" */
        char *redis_url;         /* normalised ("redis://" added to "host:port"); "" = embedded */
        char *ns;                /* redis_pool.namespace, raw (no braces); non-blank */
        int idle_timeout_second; /* 0 = never close idle connections; URL query overrides */
        config_redis_addr redis; /* redis_url parsed; kind NONE in embedded mode */
    } pool;
    config_logger *job_loggers;  /* ≥ 1 (Berth: one STD_OUTPUT logger when absent) */
    size_t njob_loggers;
    config_logger *loggers;      /* the daemon's own logs; ≥ 1, same default */
    size_t nloggers;
    struct {
        bool enabled;
        char *path;              /* "" → "/metrics" */
        int port;                /* 1..65535 when enabled */
    } metric;
    int max_update_hours;        /* < 24 → 24 (hung-job threshold) */
    int max_job_duration_s;      /* env MAX_JOB_DURATION_SECONDS (worker observation TTL);
                                  * 0 = unset: max_update_hours × 3600, as Harbor sets it */
    int max_dangling_hours;      /* < 168 → 168 */
    int max_retrieve_size_mb;    /* log API tail size; 0 = whole log (negative → 0) */

    /* --- Berth's keys, under `berth:` (docs/config.md) --- */
    char *data_dir;              /* default /var/lib/berth; embedded Redis lives here */
    int lease_seconds;           /* default 30; a dead node's jobs come back after this */
    char *listen_address;        /* IP literal; "" = loopback without CORE_SECRET, else all */
    int64_t max_body_bytes;      /* default 1048576; cap on an HTTP request body */
    int http_threads;            /* default 0: one per CPU, at most 4 (http.h) */
    char *http_server;           /* "builtin" (default) or "libmicrohttpd"; env BERTH_HTTP_SERVER */
    int grace_seconds;           /* default 15; shutdown wait for running jobs */
    double max_memory_fraction;  /* default 0.9; launches refused past this share of Redis
                                    maxmemory (include/berth/memguard.h); 0 disables */
    struct {
        bool enabled;            /* default: true exactly when redis_url is empty */
        bool enabled_explicit;   /* `enabled` was given in the file */
        char *server_path;       /* default "redis-server" */
        char *appendfsync;       /* "always", "everysec" (default) or "no" */
    } embedded_redis;
    int hooks_retry_hours;       /* default 24; undelivered hook events expire after this */
    int stats_ttl_hours;         /* default 24 (Harbor): stats of a Success/Stopped job */
    int stats_error_ttl_hours;   /* default 168 (Harbor): stats of an Error job */
    berth_misfire misfire;       /* berth/berth.h; default ONCE */
    exec_command *jobs;          /* berth.jobs: command jobs (config_jobs.c, docs/own-jobs.md) */
    size_t njobs;
    struct {                     /* berth.database: Harbor's PostgreSQL for its database jobs
                                    (docs/config.md); host "" → ask Harbor core */
        char *host;              /* "" by default; env POSTGRESQL_HOST */
        int port;                /* 0 → 5432; POSTGRESQL_PORT */
        char *username;          /* "" → postgres; POSTGRESQL_USERNAME */
        char *password;          /* POSTGRESQL_PASSWORD; never logged or reported */
        char *name;              /* `database`; "" → registry; POSTGRESQL_DATABASE */
        char *sslmode;           /* "" → disable; POSTGRESQL_SSLMODE */
        int max_open_conns;      /* 0 → 8; POSTGRESQL_MAX_OPEN_CONNS */
        int max_idle_conns;      /* 0 → 2; POSTGRESQL_MAX_IDLE_CONNS */
        int statement_timeout_seconds; /* 0 → 300; -1: none */
    } database;
    char **plugins;              /* berth.plugins: job plugin paths, NULL-terminated or NULL */
    size_t nplugins;
    config_tenant *tenants;      /* berth.namespaces: served besides pool.ns (config_tenants.c) */
    size_t ntenants;

    /* --- diagnostics --- */
    unsigned env_overrides;      /* CONFIG_ENV_* bits of the settings the environment set */
    char **warnings;             /* one line each, for the daemon to log; at most 64 */
    size_t nwarnings;
} berth_config;

/* Loads path, applies the process environment (environ), defaults, and validates.
 * 0, or BERTH_ECONFIG with one line in err and *out left empty (config_free-safe). */
int config_load(const char *path, berth_config *out, char *err, size_t errlen);

/* The same with an explicit environment: envp is a NULL-terminated array of "NAME=value"
 * strings (NULL = empty environment), so tests need no setenv. */
int config_load_envp(const char *path, const char *const *envp, berth_config *out,
                     char *err, size_t errlen);

/* The same from text in memory (yaml need not be NUL-terminated). */
int config_load_string(const char *yaml, size_t len, const char *const *envp,
                       berth_config *out, char *err, size_t errlen);

/* Frees everything cfg owns and zeroes it. NULL and a zeroed struct are no-ops. */
void config_free(berth_config *cfg);

/* Cap on the config file size, so a wrong path (a log, a device) cannot eat memory. */
#define CONFIG_MAX_BYTES (1024 * 1024)

#endif
