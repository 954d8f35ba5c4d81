/* Unit tests for src/server/config*.c: Harbor's generated config, defaults, each env
 * override, each validation error with its exact text, YAML-level errors with line/column,
 * unknown-key warnings, the sample config.yml. Redis URLs: test_config_redis_url.c. */
#include "test.h"

#include <stdbool.h>
#include <unistd.h>

#include "berth/error.h"
#include "server/config.h"

static char err[512];
static berth_config cfg;

static const char *src_dir(void)
{
    const char *d = getenv("BERTH_SOURCE_DIR");
    return d ? d : ".";
}

static void path_of(char *out, size_t len, const char *rel)
{
    snprintf(out, len, "%s/%s", src_dir(), rel);
}

static int load_env(const char *yaml, const char *const *envp)
{
    err[0] = '\0';
    config_free(&cfg);
    return config_load_string(yaml, strlen(yaml), envp, &cfg, err, sizeof err);
}

static int load(const char *yaml) { return load_env(yaml, NULL); }

/* Loads yaml, expects BERTH_ECONFIG and exactly msg. */
static void expect_error_env(const char *yaml, const char *const *envp, const char *msg)
{
    int rc = load_env(yaml, envp);
    if (rc != BERTH_ECONFIG || strcmp(err, msg) != 0)
        print_error("for YAML:\n%s\nwant: %s\ngot:  rc %d, %s\n", yaml, msg, rc, err);
    assert_int_equal(rc, BERTH_ECONFIG);
    assert_string_equal(err, msg);
    assert_null(cfg.protocol); /* nothing half-loaded is left behind */
}

static void expect_error(const char *yaml, const char *msg)
{
    expect_error_env(yaml, NULL, msg);
}

static bool has_warning(const char *needle)
{
    for (size_t i = 0; i < cfg.nwarnings; i++)
        if (strstr(cfg.warnings[i], needle))
            return true;
    return false;
}

static int teardown(void **state)
{
    (void)state;
    config_free(&cfg);
    return 0;
}

#define MIN_POOL "worker_pool:\n  backend: redis\n  redis_pool:\n    namespace: ns\n"
#define MINIMAL "protocol: http\nport: 8080\n" MIN_POOL

/* ---- whole files ---- */

static void test_harbor_generated(void **state)
{
    (void)state;
    char path[1024];
    path_of(path, sizeof path, "tests/data/config/harbor.yml");
    assert_int_equal(config_load_envp(path, NULL, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.protocol, "http");
    assert_int_equal(cfg.port, 8080);
    assert_false(cfg.https.present);
    assert_int_equal(cfg.pool.workers, 10);
    assert_string_equal(cfg.pool.backend, "redis");
    assert_string_equal(cfg.pool.redis_url, "redis://redis:6379/2");
    assert_string_equal(cfg.pool.ns, "harbor_job_service_namespace");
    assert_int_equal(cfg.pool.idle_timeout_second, 3600);
    assert_int_equal(cfg.pool.redis.kind, CONFIG_REDIS_TCP);
    assert_string_equal(cfg.pool.redis.hosts[0].host, "redis");
    assert_int_equal(cfg.pool.redis.db, 2);
    assert_false(cfg.embedded_redis.enabled); /* a redis_url turns the embedded one off */
    assert_int_equal(cfg.njob_loggers, 1);
    const config_logger *jl = &cfg.job_loggers[0];
    assert_string_equal(jl->name, "FILE");
    assert_int_equal(jl->level, BERTH_LOG_INFO);
    assert_string_equal(config_map_get(&jl->settings, "base_dir"), "/var/log/jobs");
    assert_true(jl->has_sweeper);
    assert_int_equal(jl->sweeper_duration, 14);
    assert_string_equal(config_map_get(&jl->sweeper_settings, "work_dir"), "/var/log/jobs");
    assert_null(config_map_get(&jl->settings, "work_dir"));
    assert_int_equal(cfg.nloggers, 1);
    assert_string_equal(cfg.loggers[0].name, "STD_OUTPUT");
    assert_int_equal(cfg.loggers[0].level, BERTH_LOG_INFO);
    assert_false(cfg.loggers[0].has_sweeper);
    assert_false(cfg.metric.enabled);
    assert_string_equal(cfg.metric.path, "/metrics");
    assert_int_equal(cfg.metric.port, 8001);
    assert_int_equal(cfg.max_update_hours, 24);
    assert_int_equal(cfg.max_dangling_hours, 168);
    assert_int_equal(cfg.max_retrieve_size_mb, 10);
    assert_int_equal(cfg.nwarnings, 0);
    assert_int_equal(cfg.env_overrides, 0);
}

static void test_sample_config_yml(void **state)
{
    (void)state;
    char path[1024];
    path_of(path, sizeof path, "config.yml");
    assert_int_equal(config_load_envp(path, NULL, &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.port, 8080);
    assert_string_equal(cfg.pool.redis_url, "");
    assert_int_equal(cfg.pool.redis.kind, CONFIG_REDIS_NONE);
    assert_true(cfg.embedded_redis.enabled);
    assert_string_equal(cfg.listen_address, "127.0.0.1");
    assert_string_equal(cfg.data_dir, "./data");
    assert_string_equal(cfg.job_loggers[0].name, "FILE");
    assert_string_equal(config_map_get(&cfg.job_loggers[0].settings, "base_dir"),
                        "./data/jobs");
    assert_string_equal(cfg.loggers[0].name, "STD_OUTPUT");
    assert_int_equal(cfg.nwarnings, 0);
}

static void test_missing_file(void **state)
{
    (void)state;
    assert_int_equal(config_load_envp("/nonexistent/berth.yml", NULL, &cfg, err, sizeof err),
                     BERTH_ECONFIG);
    assert_string_equal(err, "cannot open config file /nonexistent/berth.yml: "
                             "No such file or directory");
    assert_int_equal(config_load_envp("", NULL, &cfg, err, sizeof err), BERTH_ECONFIG);
    assert_string_equal(err, "no config file given (berthd -c <file>)");
}

static void test_too_big_file(void **state)
{
    (void)state;
    char path[] = "/tmp/berth-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < CONFIG_MAX_BYTES / 16 + 1; i++)
        fputs("# padding line.\n", f);
    fclose(f);
    int rc = config_load_envp(path, NULL, &cfg, err, sizeof err);
    unlink(path);
    assert_int_equal(rc, BERTH_ECONFIG);
    assert_non_null(strstr(err, "is larger than 1048576 bytes"));
}

static void test_empty(void **state)
{
    (void)state;
    expect_error("", "the config is empty (no YAML document)");
    expect_error("# only a comment\n\n", "the config is empty (no YAML document)");
    expect_error("---\n", "the config is empty (no YAML document)");
    expect_error("~\n", "the config is empty (no YAML document)");
    expect_error("- protocol: http\n",
                 "line 1, column 1: the top level must be a mapping of keys "
                 "(protocol, port, worker_pool, ...)");
}

/* ---- defaults ---- */

static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(load(MINIMAL), 0);
    assert_int_equal(cfg.pool.workers, 10);
    assert_string_equal(cfg.pool.redis_url, "");
    assert_int_equal(cfg.pool.idle_timeout_second, 0);
    assert_true(cfg.embedded_redis.enabled);
    assert_string_equal(cfg.embedded_redis.server_path, "redis-server");
    assert_string_equal(cfg.embedded_redis.appendfsync, "everysec");
    assert_string_equal(cfg.data_dir, "/var/lib/berth");
    assert_string_equal(cfg.listen_address, "");
    assert_int_equal(cfg.lease_seconds, 30);
    assert_int_equal(cfg.max_body_bytes, 1048576);
    assert_int_equal(cfg.http_threads, 0);
    assert_string_equal(cfg.http_server, "builtin");
    assert_int_equal(cfg.grace_seconds, 15);
    assert_int_equal(cfg.hooks_retry_hours, 24);
    assert_int_equal(cfg.stats_ttl_hours, 24);          /* Harbor's day */
    assert_int_equal(cfg.stats_error_ttl_hours, 168);   /* and week */
    assert_int_equal(cfg.misfire, BERTH_MISFIRE_ONCE);
    assert_int_equal(cfg.max_update_hours, 24);
    assert_int_equal(cfg.max_dangling_hours, 168);
    assert_int_equal(cfg.max_retrieve_size_mb, 0);
    assert_false(cfg.metric.enabled);
    assert_string_equal(cfg.metric.path, "/metrics");
    assert_string_equal(cfg.https.cert, "");
    /* Berth: absent logger lists become one STD_OUTPUT logger (Harbor refuses to start) */
    assert_int_equal(cfg.njob_loggers, 1);
    assert_string_equal(cfg.job_loggers[0].name, "STD_OUTPUT");
    assert_int_equal(cfg.job_loggers[0].level, BERTH_LOG_INFO);
    assert_int_equal(cfg.nloggers, 1);
    assert_string_equal(cfg.loggers[0].name, "STD_OUTPUT");
    assert_int_equal(cfg.nwarnings, 0);
}

static void test_harbor_floors(void **state)
{
    (void)state;
    assert_int_equal(load(MINIMAL "reaper: {max_update_hours: 5, max_dangling_hours: 100}\n"
                                  "max_retrieve_size_mb: -3\n"),
                     0);
    assert_int_equal(cfg.max_update_hours, 24);
    assert_int_equal(cfg.max_dangling_hours, 168);
    assert_int_equal(cfg.max_retrieve_size_mb, 0);
    assert_int_equal(load(MINIMAL "reaper: {max_update_hours: 48, max_dangling_hours: 200}\n"
                                  "worker_pool2: 1\n"),
                     0);
    assert_int_equal(cfg.max_update_hours, 48);
    assert_int_equal(cfg.max_dangling_hours, 200);
}

static void test_logger_defaults(void **state)
{
    (void)state;
    assert_int_equal(load(MINIMAL "job_loggers:\n"
                                  "  - {name: file, level: debug, settings: {base_dir: /j},\n"
                                  "     sweeper: {duration: 0, settings: {work_dir: /j}}}\n"
                                  "  - {name: STD_OUTPUT, level: verbose,\n"
                                  "     sweeper: {duration: -3}}\n"
                                  "  - {name: DB}\n"
                                  "loggers: [{name: REDIS, level: Error}]\n"),
                     0);
    assert_int_equal(cfg.njob_loggers, 3);
    assert_string_equal(cfg.job_loggers[0].name, "FILE"); /* names are case-insensitive */
    assert_int_equal(cfg.job_loggers[0].level, BERTH_LOG_DEBUG);
    assert_int_equal(cfg.job_loggers[0].sweeper_duration, 1); /* <= 0 → 1 day */
    assert_int_equal(cfg.job_loggers[1].level, BERTH_LOG_WARNING); /* unknown → WARNING */
    assert_int_equal(cfg.job_loggers[1].sweeper_duration, 1);
    assert_int_equal(cfg.job_loggers[2].level, BERTH_LOG_WARNING); /* absent → WARNING */
    assert_false(cfg.job_loggers[2].has_sweeper);
    assert_int_equal(cfg.loggers[0].level, BERTH_LOG_ERROR);
    assert_int_equal(cfg.nwarnings, 1);
    assert_string_equal(cfg.warnings[0],
                        "job_loggers[1].level: unknown level \"verbose\", using WARNING");
}

static void test_settings_map(void **state)
{
    (void)state;
    assert_int_equal(load(MINIMAL "job_loggers:\n"
                                  "  - name: STD_OUTPUT\n"
                                  "    settings:\n"
                                  "      output: std_err\n"
                                  "      n: 5\n"
                                  "      empty:\n"
                                  "      quoted: \"~\"\n"),
                     0);
    const config_map *m = &cfg.job_loggers[0].settings;
    assert_int_equal(m->count, 4);
    assert_string_equal(m->items[0].key, "output");
    assert_string_equal(config_map_get(m, "output"), "std_err");
    assert_string_equal(config_map_get(m, "n"), "5");
    assert_string_equal(config_map_get(m, "empty"), "");
    assert_string_equal(config_map_get(m, "quoted"), "~");
    assert_null(config_map_get(m, "missing"));
    assert_int_equal(cfg.nwarnings, 0);
    expect_error(MINIMAL "job_loggers:\n  - name: FILE\n    settings:\n      base_dir: [a]\n",
                 "line 10, column 17: job_loggers[0].settings: entries must be key: scalar");
    expect_error(MINIMAL "job_loggers:\n  - name: FILE\n    settings: /var/log\n",
                 "line 9, column 15: job_loggers[0].settings: expected a mapping");
    expect_error(MINIMAL "job_loggers:\n  - name: FILE\n    settings: {a: 1, a: 2}\n",
                 "line 9, column 25: job_loggers[0].settings.a: duplicate key");
    expect_error(MINIMAL "berth:\n  hooks: {retry_hours: 1}\n  hooks: {retry_hours: 2}\n",
                 "line 9, column 3: berth.hooks: duplicate key (first at line 8)");
}

static void test_redis_url_normalised(void **state)
{
    (void)state;
    assert_int_equal(load("protocol: http\nport: 8080\nworker_pool:\n  backend: redis\n"
                          "  redis_pool:\n    redis_url: redis-host:6380\n    namespace: ns\n"
                          "    idle_timeout_second: 60\n"),
                     0);
    assert_string_equal(cfg.pool.redis_url, "redis://redis-host:6380");
    assert_string_equal(cfg.pool.redis.hosts[0].host, "redis-host");
    assert_int_equal(cfg.pool.redis.hosts[0].port, 6380);
    assert_int_equal(cfg.pool.idle_timeout_second, 60);
    assert_false(cfg.embedded_redis.enabled);
    /* the URL's idle_timeout_seconds query wins over idle_timeout_second */
    assert_int_equal(load("protocol: http\nport: 8080\nworker_pool:\n  backend: redis\n"
                          "  redis_pool:\n    redis_url: redis://r/1?idle_timeout_seconds=5\n"
                          "    namespace: ns\n    idle_timeout_second: 60\n"),
                     0);
    assert_int_equal(cfg.pool.idle_timeout_second, 5);
}

static void test_https_config_forces_https(void **state)
{
    (void)state;
    char yaml[2048], crt[512], key[512];
    path_of(crt, sizeof crt, "tests/data/config/tls.crt");
    path_of(key, sizeof key, "tests/data/config/tls.key");
    snprintf(yaml, sizeof yaml, MINIMAL "https_config:\n  cert: %s\n  key: %s\n", crt, key);
    assert_int_equal(load(yaml), 0);
    assert_string_equal(cfg.protocol, "https");
    assert_true(cfg.https.present);
    assert_string_equal(cfg.https.cert, crt);
    assert_true(has_warning("https_config is present, so berthd serves https"));
    /* the forced https needs real files like an explicit one */
    expect_error(MINIMAL "https_config: {cert: /nonexistent.crt, key: /x}\n",
                 "https_config.cert: cannot use \"/nonexistent.crt\": No such file or directory");
}

/* berth.http_server from the environment: it overrides the file, and is checked as the
 * file is. */
static void test_http_server_env(void **state)
{
    (void)state;
    /* the environment overrides the file, and is checked as the file is */
    const char *const env[] = {"BERTH_HTTP_SERVER=builtin", NULL};
    assert_int_equal(load_env(MINIMAL "berth: {http_server: libmicrohttpd}\n", env), 0);
    assert_string_equal(cfg.http_server, "builtin");
    const char *const bad[] = {"BERTH_HTTP_SERVER=nginx", NULL};
    expect_error_env(MINIMAL, bad, "berth.http_server (from BERTH_HTTP_SERVER): must be "
                                   "builtin or libmicrohttpd, got \"nginx\"");
}

static void test_berth_keys(void **state)
{
    (void)state;
    assert_int_equal(load(MINIMAL "berth:\n  data_dir: /srv/berth\n  lease_seconds: 10\n"
                                  "  listen_address: \"::1\"\n  max_body_bytes: 4096\n"
                                  "  http_threads: 2\n  http_server: libmicrohttpd\n"
                                  "  grace_seconds: 0\n  misfire: all\n"
                                  "  hooks: {retry_hours: 2}\n"
                                  "  stats: {ttl_hours: 1, error_ttl_hours: 8760}\n"
                                  "  embedded_redis: {server_path: /opt/redis-server,"
                                  " appendfsync: always}\n"),
                     0);
    assert_string_equal(cfg.data_dir, "/srv/berth");
    assert_int_equal(cfg.lease_seconds, 10);
    assert_string_equal(cfg.listen_address, "::1");
    assert_int_equal(cfg.max_body_bytes, 4096);
    assert_int_equal(cfg.http_threads, 2);
    assert_string_equal(cfg.http_server, "libmicrohttpd");
    assert_int_equal(cfg.grace_seconds, 0);
    assert_int_equal(cfg.misfire, BERTH_MISFIRE_ALL);
    assert_int_equal(cfg.hooks_retry_hours, 2);
    assert_int_equal(cfg.stats_ttl_hours, 1);
    assert_int_equal(cfg.stats_error_ttl_hours, 8760);
    assert_string_equal(cfg.embedded_redis.server_path, "/opt/redis-server");
    assert_string_equal(cfg.embedded_redis.appendfsync, "always");
    assert_true(cfg.embedded_redis.enabled);
    assert_int_equal(load(MINIMAL "berth: {misfire: skip}\n"), 0);
    assert_int_equal(cfg.misfire, BERTH_MISFIRE_SKIP);
}

static void test_database_keys(void **state)
{
    (void)state;
    assert_int_equal(load(MINIMAL), 0);
    assert_string_equal(cfg.database.host, "");   /* ask Harbor core */
    assert_int_equal(cfg.database.port, 0);
    assert_int_equal(load(MINIMAL "berth:\n  database: {host: db.internal, port: 6432, "
                                  "username: harbor, password: pw, database: reg, sslmode: require,"
                                  " max_open_conns: 4, max_idle_conns: 1, "
                                  "statement_timeout_seconds: -1}\n"), 0);
    assert_string_equal(cfg.database.host, "db.internal");
    assert_int_equal(cfg.database.port, 6432);
    assert_string_equal(cfg.database.username, "harbor");
    assert_string_equal(cfg.database.password, "pw");
    assert_string_equal(cfg.database.name, "reg");
    assert_string_equal(cfg.database.sslmode, "require");
    assert_int_equal(cfg.database.max_open_conns, 4);
    assert_int_equal(cfg.database.max_idle_conns, 1);
    assert_int_equal(cfg.database.statement_timeout_seconds, -1);
    const char *env[] = {"POSTGRESQL_HOST=/run/postgresql", "POSTGRESQL_PORT=5433",
                         "POSTGRESQL_PASSWORD=from-env", NULL};
    assert_int_equal(load_env(MINIMAL "berth: {database: {host: x, password: y}}\n", env), 0);
    assert_string_equal(cfg.database.host, "/run/postgresql");
    assert_int_equal(cfg.database.port, 5433);
    assert_string_equal(cfg.database.password, "from-env");
    expect_error(MINIMAL "berth: {database: {sslmode: sometimes}}\n",
                 "berth.database.sslmode: must be disable, allow, prefer, require, verify-ca or "
                 "verify-full, got \"sometimes\"");
    expect_error(MINIMAL "berth: {database: {port: 70000}}\n",
                 "berth.database.port: must be 0..65535, got 70000");
    const char *bad[] = {"POSTGRESQL_PORT=54x", NULL};
    expect_error_env(MINIMAL, bad, "POSTGRESQL_PORT: \"54x\" is not an integer");
}

/* ---- environment ---- */

static void test_env_overrides(void **state)
{
    (void)state;
    const char *env[] = {"PATH=/bin",
                         "JOB_SERVICE_PROTOCOL=http",
                         "JOB_SERVICE_PORT=9443",
                         "JOB_SERVICE_POOL_BACKEND=redis",
                         "JOB_SERVICE_POOL_WORKERS=3",
                         "JOB_SERVICE_POOL_REDIS_URL=other:6379",
                         "JOB_SERVICE_POOL_REDIS_NAMESPACE=envns",
                         "JOB_SERVICE_POOL_REDIS_CONN_IDLE_TIMEOUT_SECOND=42",
                         "JOB_SERVICE_HTTPS_CERT=/ignored/for/http",
                         NULL};
    assert_int_equal(load_env("protocol: https\nport: 8080\n" MIN_POOL, env), 0);
    assert_string_equal(cfg.protocol, "http");
    assert_int_equal(cfg.port, 9443);
    assert_int_equal(cfg.pool.workers, 3);
    assert_string_equal(cfg.pool.redis_url, "redis://other:6379");
    assert_string_equal(cfg.pool.ns, "envns");
    assert_int_equal(cfg.pool.idle_timeout_second, 42);
    assert_string_equal(cfg.https.cert, ""); /* only read when the protocol is https */
    assert_false(cfg.embedded_redis.enabled);
    assert_int_equal(cfg.env_overrides,
                     CONFIG_ENV_PROTOCOL | CONFIG_ENV_PORT | CONFIG_ENV_BACKEND |
                         CONFIG_ENV_WORKERS | CONFIG_ENV_REDIS_URL | CONFIG_ENV_NAMESPACE |
                         CONFIG_ENV_IDLE_TIMEOUT);
}

static void test_env_https(void **state)
{
    (void)state;
    char crt[512], key[512], ecrt[640], ekey[640];
    path_of(crt, sizeof crt, "tests/data/config/tls.crt");
    path_of(key, sizeof key, "tests/data/config/tls.key");
    snprintf(ecrt, sizeof ecrt, "JOB_SERVICE_HTTPS_CERT=%s", crt);
    snprintf(ekey, sizeof ekey, "JOB_SERVICE_HTTPS_KEY=%s", key);
    const char *env[] = {"JOB_SERVICE_PROTOCOL=https", ecrt, ekey, NULL};
    assert_int_equal(load_env(MINIMAL, env), 0);
    assert_string_equal(cfg.protocol, "https");
    assert_true(cfg.https.present);
    assert_string_equal(cfg.https.cert, crt);
    assert_string_equal(cfg.https.key, key);
    assert_int_equal(cfg.env_overrides,
                     CONFIG_ENV_PROTOCOL | CONFIG_ENV_HTTPS_CERT | CONFIG_ENV_HTTPS_KEY);
    const char *bad[] = {"JOB_SERVICE_PROTOCOL=https", "JOB_SERVICE_HTTPS_CERT=/no/cert", NULL};
    expect_error_env(MINIMAL, bad,
                     "https_config.cert: cannot use \"/no/cert\" (from "
                     "JOB_SERVICE_HTTPS_CERT): No such file or directory");
    const char *nokey[] = {"JOB_SERVICE_PROTOCOL=https", ecrt, NULL};
    expect_error_env(MINIMAL, nokey, "https_config.key: required when protocol is https");
}

static void test_env_blank_is_unset(void **state)
{
    (void)state;
    const char *env[] = {"JOB_SERVICE_PROTOCOL=", "JOB_SERVICE_PORT=  ",
                         "JOB_SERVICE_POOL_REDIS_NAMESPACE=\t", NULL};
    assert_int_equal(load_env(MINIMAL, env), 0);
    assert_string_equal(cfg.protocol, "http");
    assert_int_equal(cfg.port, 8080);
    assert_string_equal(cfg.pool.ns, "ns");
    assert_int_equal(cfg.env_overrides, 0);
}

static void test_env_bad_values(void **state)
{
    (void)state;
    const char *port[] = {"JOB_SERVICE_PORT=80a", NULL};
    expect_error_env(MINIMAL, port, "JOB_SERVICE_PORT: \"80a\" is not an integer");
    const char *range[] = {"JOB_SERVICE_PORT=70000", NULL};
    expect_error_env(MINIMAL, range,
                     "port: must be 1..65535, got 70000 (from JOB_SERVICE_PORT)");
    const char *workers[] = {"JOB_SERVICE_POOL_WORKERS=-2", NULL};
    expect_error_env(MINIMAL, workers,
                     "JOB_SERVICE_POOL_WORKERS: \"-2\" is not a non-negative integer");
    const char *proto[] = {"JOB_SERVICE_PROTOCOL=ftp", NULL};
    expect_error_env(MINIMAL, proto,
                     "protocol: must be \"http\" or \"https\", got \"ftp\" "
                     "(from JOB_SERVICE_PROTOCOL)");
    const char *url[] = {"JOB_SERVICE_POOL_REDIS_URL=http://x", NULL};
    expect_error_env(MINIMAL, url,
                     "worker_pool.redis_pool.redis_url (from JOB_SERVICE_POOL_REDIS_URL): "
                     "unsupported scheme \"http\" (use redis://, rediss://, "
                     "redis+sentinel://, rediss+sentinel://, redis+cluster:// or unix://)");
    /* another backend: the redis_pool variables are not read, and the backend is refused */
    const char *backend[] = {"JOB_SERVICE_POOL_BACKEND=kafka",
                             "JOB_SERVICE_POOL_REDIS_NAMESPACE=x", NULL};
    expect_error_env(MINIMAL, backend,
                     "worker_pool.backend: must be \"redis\", got \"kafka\" "
                     "(from JOB_SERVICE_POOL_BACKEND)");
}

static void test_env_idle_timeout_not_integer(void **state)
{
    (void)state;
    const char *env[] = {"JOB_SERVICE_POOL_REDIS_CONN_IDLE_TIMEOUT_SECOND=soon", NULL};
    assert_int_equal(load_env(MINIMAL, env), 0);
    assert_int_equal(cfg.pool.idle_timeout_second, 0);
    assert_int_equal(cfg.env_overrides, 0);
    assert_int_equal(cfg.nwarnings, 1);
    assert_string_equal(cfg.warnings[0], "JOB_SERVICE_POOL_REDIS_CONN_IDLE_TIMEOUT_SECOND: "
                                         "\"soon\" is not an integer; ignored, keeping 0");
}

/* gocraft's MAX_JOB_DURATION_SECONDS (worker observation TTL): unset → 0 (the engine
 * uses max_update_hours), an integer as is, a non-integer → gocraft's 86400 with a warning,
 * ≤ 0 → 1 s (gocraft's EXPIRE deletes the hash at once). */
static void test_env_max_job_duration(void **state)
{
    (void)state;
    assert_int_equal(load_env(MINIMAL, NULL), 0);
    assert_int_equal(cfg.max_job_duration_s, 0);
    const char *ok[] = {"MAX_JOB_DURATION_SECONDS=3600", NULL};
    assert_int_equal(load_env(MINIMAL, ok), 0);
    assert_int_equal(cfg.max_job_duration_s, 3600);
    assert_int_equal(cfg.nwarnings, 0);
    const char *bad[] = {"MAX_JOB_DURATION_SECONDS=1.08e+06", NULL};
    assert_int_equal(load_env(MINIMAL, bad), 0);
    assert_int_equal(cfg.max_job_duration_s, 86400);
    assert_int_equal(cfg.nwarnings, 1);
    assert_string_equal(cfg.warnings[0], "MAX_JOB_DURATION_SECONDS: \"1.08e+06\" is not an "
                                         "integer; using 86400 as gocraft does");
    const char *neg[] = {"MAX_JOB_DURATION_SECONDS=-5", NULL};
    assert_int_equal(load_env(MINIMAL, neg), 0);
    assert_int_equal(cfg.max_job_duration_s, 1);
}

/* ---- validation ---- */

static void test_validation_errors(void **state)
{
    (void)state;
    static const struct { const char *yaml, *msg; } cases[] = {
        {"port: 8080\n" MIN_POOL, "protocol: must be \"http\" or \"https\", got \"\""},
        {"protocol: HTTP\nport: 8080\n" MIN_POOL,
         "protocol: must be \"http\" or \"https\", got \"HTTP\""},
        {"protocol: http\n" MIN_POOL, "port: must be 1..65535, got 0"},
        {"protocol: http\nport: 65536\n" MIN_POOL, "port: must be 1..65535, got 65536"},
        {"protocol: http\nport: 70000\n" MIN_POOL, "port: must be 1..65535, got 70000"},
        {"protocol: https\nport: 8443\n" MIN_POOL,
         "https_config.cert: required when protocol is https"},
        {"protocol: http\nport: 80\n", "worker_pool.backend: must be \"redis\", got \"\""},
        {"protocol: http\nport: 80\nworker_pool: {backend: redis}\n",
         "worker_pool.redis_pool.namespace: required (non-blank)"},
        {"protocol: http\nport: 80\nworker_pool: {backend: redis, redis_pool: {namespace: \" \"}}\n",
         "worker_pool.redis_pool.namespace: required (non-blank)"},
        {"protocol: http\nport: 80\nworker_pool: {workers: 20000, backend: redis}\n",
         "worker_pool.workers: must be at most 10000, got 20000"},
        {"protocol: http\nport: 80\nworker_pool: {backend: redis, redis_pool: "
         "{namespace: n, idle_timeout_second: -1}}\n",
         "worker_pool.redis_pool.idle_timeout_second: must be >= 0, got -1"},
        {"protocol: http\nport: 80\nworker_pool: {backend: redis, redis_pool: "
         "{namespace: n, redis_url: \"redis://h:0\"}}\n",
         "worker_pool.redis_pool.redis_url: invalid port (must be a number in 1..65535)"},
        {"protocol: http\nport: 80\nworker_pool: {backend: redis, redis_pool: "
         "{namespace: n, redis_url: \"redis://h\"}}\nberth: {embedded_redis: {enabled: true}}\n",
         "berth.embedded_redis.enabled: is true, but worker_pool.redis_pool.redis_url is set; "
         "use one or the other"},
        {MINIMAL "berth: {embedded_redis: {enabled: false}}\n",
         "worker_pool.redis_pool.redis_url: required when berth.embedded_redis.enabled is "
         "false"},
        {MINIMAL "job_loggers: [{name: SYSLOG}]\n",
         "job_loggers[0].name: must be STD_OUTPUT, FILE, DB or REDIS, got \"SYSLOG\""},
        {MINIMAL "loggers: [{name: STD_OUTPUT}, {}]\n",
         "loggers[1].name: must be STD_OUTPUT, FILE, DB or REDIS, got \"\""},
        {MINIMAL "job_loggers: [{name: FILE}]\n",
         "job_loggers[0].settings.base_dir: required for a FILE logger"},
        {MINIMAL "job_loggers: [{name: FILE, settings: {base_dir: /j}, sweeper: {duration: 1}}]\n",
         "job_loggers[0].sweeper.settings.work_dir: required for a FILE sweeper"},
        {MINIMAL "metric: {enabled: true}\n",
         "metric.port: must be 1..65535 when metric.enabled is true, got 0"},
        {MINIMAL "metric: {enabled: true, port: 8080}\n",
         "metric.port: 8080 is already the API port"},
        {MINIMAL "metric: {enabled: true, port: 9090, path: metrics}\n",
         "metric.path: must start with /, got \"metrics\""},
        {MINIMAL "berth: {lease_seconds: 0}\n", "berth.lease_seconds: must be 1..3600, got 0"},
        {MINIMAL "berth: {max_body_bytes: 100}\n",
         "berth.max_body_bytes: must be 1024..1073741824, got 100"},
        {MINIMAL "berth: {http_threads: 65}\n", "berth.http_threads: must be 0..64, got 65"},
        {MINIMAL "berth: {http_threads: -1}\n", "berth.http_threads: must be 0..64, got -1"},
        {MINIMAL "berth: {grace_seconds: -1}\n", "berth.grace_seconds: must be 0..3600, got -1"},
        {MINIMAL "berth: {http_server: mhd}\n",
         "berth.http_server: must be builtin or libmicrohttpd, got \"mhd\""},
        {MINIMAL "berth: {hooks: {retry_hours: 0}}\n",
         "berth.hooks.retry_hours: must be 1..8760, got 0"},
        {MINIMAL "berth: {stats: {ttl_hours: 0}}\n", "berth.stats.ttl_hours: must be 1..8760, got 0"},
        {MINIMAL "berth: {stats: {error_ttl_hours: 8761}}\n",
         "berth.stats.error_ttl_hours: must be 1..8760, got 8761"},
        {MINIMAL "berth: {stats: {ttl_hours: -5}}\n", "berth.stats.ttl_hours: must be 1..8760, got -5"},
        {MINIMAL "berth: {embedded_redis: {appendfsync: sometimes}}\n",
         "berth.embedded_redis.appendfsync: must be always, everysec or no, got \"sometimes\""},
        {MINIMAL "berth: {misfire: twice}\n",
         "berth.misfire: must be skip, once or all, got \"twice\""},
        {"protocol: \"ht\\ntp\"\nport: 8080\n" MIN_POOL, /* stays one line */
         "protocol: must be \"http\" or \"https\", got \"ht tp\""},
        {MINIMAL "berth: {listen_address: localhost}\n",
         "berth.listen_address: must be an IPv4 or IPv6 address, got \"localhost\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(cases[i].yaml, cases[i].msg);
}

static void test_metric_enabled_ok(void **state)
{
    (void)state;
    assert_int_equal(load(MINIMAL "metric: {enabled: Off, port: 9090}\n"), 0);
    assert_false(cfg.metric.enabled);
    assert_int_equal(load(MINIMAL "metric: {enabled: YES, port: 0x2382}\n"), 0);
    assert_true(cfg.metric.enabled);
    assert_int_equal(cfg.metric.port, 9090);
    assert_int_equal(load(MINIMAL "metric: {enabled: true, port: 9090}\n"), 0);
    assert_true(cfg.metric.enabled);
    assert_int_equal(cfg.metric.port, 9090);
    assert_string_equal(cfg.metric.path, "/metrics");
}

/* ---- YAML-level errors ---- */

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_error("protocol: http\nport: 8080\nworker_pool:\n  backend: \"redis\n",
                 "line 5, column 1: found unexpected end of stream (while scanning a quoted "
                 "scalar at line 4)");
    expect_error("protocol: http\n  port: 1\n",
                 "line 2, column 7: mapping values are not allowed in this context");
    expect_error("protocol: http\nport: 8080\n\tworkers: 1\n",
                 "line 3, column 1: found a tab character that violates indentation (while "
                 "scanning a plain scalar at line 2)");
    expect_error("protocol: http\nport: \xff\n",
                 "line 2: invalid leading UTF-8 octet (byte offset 21)");
}

static void test_type_errors(void **state)
{
    (void)state;
    expect_error("protocol: http\nport: abc\n",
                 "line 2, column 7: port: not an integer: 'abc'");
    expect_error("protocol: http\nport: -1\n",
                 "line 2, column 7: port: not a non-negative integer (or out of range): '-1'");
    expect_error("protocol: http\nport: 8080\nworker_pool:\n  workers: ten\n",
                 "line 4, column 12: worker_pool.workers: not an integer: 'ten'");
    expect_error(MINIMAL "job_loggers:\n  - name: FILE\n  - name: FILE\n    sweeper:\n"
                         "      duration: weekly\n",
                 "line 11, column 17: job_loggers[1].sweeper.duration: not an integer: "
                 "'weekly'");
    expect_error(MINIMAL "berth: {max_body_bytes: 1.5e6}\n",
                 "line 7, column 25: berth.max_body_bytes: not an integer: '1.5e6'");
    expect_error(MINIMAL "reaper: {max_update_hours: 1e3}\n",
                 "line 7, column 28: reaper.max_update_hours: not an integer: '1e3'");
    expect_error(MINIMAL "berth: {max_body_bytes: 99999999999999999999}\n",
                 "line 7, column 25: berth.max_body_bytes: not an integer (or out of range): "
                 "'99999999999999999999'");
    expect_error(MINIMAL "? [a]\n: b\n", "line 7, column 3: keys must be scalars");
    expect_error("protocol: [http]\n",
                 "line 1, column 11: protocol: expected a string, found a sequence");
    expect_error("protocol: http\nworker_pool: 5\n",
                 "line 2, column 14: worker_pool: expected a mapping, found a scalar");
    expect_error("protocol: http\njob_loggers: {name: FILE}\n",
                 "line 2, column 14: job_loggers: expected a sequence, found a mapping");
    expect_error(MINIMAL "metric: {enabled: maybe}\n",
                 "line 7, column 19: metric.enabled: not a boolean: 'maybe' (use true or false)");
    expect_error(MINIMAL "berth:\n  embedded_redis:\n    enabled: flase\n",
                 "line 9, column 14: berth.embedded_redis.enabled: not a boolean: 'flase' "
                 "(use true or false)");
    expect_error("protocol: http\nport: 1\nport: 2\n",
                 "line 3, column 1: port: duplicate key (first at line 2)");
    /* a leading 0 is octal (as in Go's decoder), so 09 is no integer; 010 is 8 */
    expect_error("protocol: http\nport: 09\n", "line 2, column 7: port: not an integer: '09'");
    assert_int_equal(load(MINIMAL "reaper: {max_update_hours: 010}\n"), 0);
    assert_int_equal(cfg.max_update_hours, 24); /* 8, floored */
    expect_error(MINIMAL "berth: {max_memory_fraction: info}\n",
                 "line 7, column 30: berth.max_memory_fraction: not a number: 'info'");
    expect_error(MINIMAL "berth: {max_memory_fraction: [1]}\n",
                 "line 7, column 30: berth.max_memory_fraction: expected a number, found a "
                 "sequence");
    expect_error("protocol: http\nport: {a: 1}\n",
                 "line 2, column 7: port: expected an integer, found a mapping");
    expect_error(MINIMAL "metric: {enabled: [x]}\n",
                 "line 7, column 19: metric.enabled: expected a boolean, found a sequence");
    expect_error(MINIMAL "job_loggers: [x]\n",
                 "line 7, column 15: job_loggers[0]: expected a mapping, found a scalar");
}

/* Empty values mean "absent"; a quoted "~" is a string, as in Go's decoder. */
static void test_empty_and_null_values(void **state)
{
    (void)state;
    assert_int_equal(load(MINIMAL "https_config: ''\nmetric:\nberth: {misfire: '', "
                                  "max_memory_fraction: , embedded_redis: {server_path: ~}}\n"
                                  "job_loggers: [{name: STD_OUTPUT, level: \"\", "
                                  "settings: ~, sweeper: }]\n"),
                     0);
    assert_false(cfg.https.present);
    assert_int_equal(cfg.misfire, BERTH_MISFIRE_ONCE);
    assert_true(cfg.max_memory_fraction == 0.9);
    assert_string_equal(cfg.embedded_redis.server_path, "redis-server");
    assert_int_equal(cfg.job_loggers[0].level, BERTH_LOG_WARNING);
    assert_false(cfg.job_loggers[0].has_sweeper);
    assert_int_equal(cfg.nwarnings, 0);
    expect_error(MINIMAL "berth: {embedded_redis: {appendfsync: \"~\"}}\n",
                 "berth.embedded_redis.appendfsync: must be always, everysec or no, got \"~\"");
    expect_error("protocol: http\nport:\n", "line 2, column 6: port: not an integer: ''");
}

static void test_aliases_refused(void **state)
{
    (void)state;
    expect_error("protocol: &p http\nport: 8080\nx: *p\n" MIN_POOL,
                 "line 3, column 1: x: YAML alias unsupported");
    /* an alias of a mapping inside itself: a cycle in the tree */
    expect_error("protocol: http\nworker_pool:\n  redis_pool: &a\n    namespace: x\n"
                 "    redis_url: *a\n",
                 "line 5, column 5: worker_pool.redis_pool.redis_url: YAML alias unsupported");
    expect_error("protocol: http\nk: [&a x, [*a]]\n", "line 2, column 11: k[1][0]: YAML alias "
                 "unsupported");
    /* nesting deeper than a config ever is */
    char deep[400] = "protocol: http\nk: ";
    for (int i = 0; i < 70; i++)
        strcat(deep, "[");
    for (int i = 0; i < 70; i++)
        strcat(deep, "]");
    assert_int_equal(load(deep), BERTH_ECONFIG);
    assert_non_null(strstr(err, "nested deeper than 64 levels"));
    /* a "billion laughs" file: 9 levels of 9 references, cheap as a tree, must fail fast */
    char yaml[4096] = "protocol: http\nport: 8080\na0: &a0 [x]\n";
    size_t used = strlen(yaml);
    for (int i = 1; i <= 9; i++) {
        used += (size_t)snprintf(yaml + used, sizeof yaml - used, "a%d: &a%d [", i, i);
        for (int j = 0; j < 9; j++)
            used += (size_t)snprintf(yaml + used, sizeof yaml - used, "%s*a%d", j ? "," : "",
                                     i - 1);
        used += (size_t)snprintf(yaml + used, sizeof yaml - used, "]\n");
    }
    used += (size_t)snprintf(yaml + used, sizeof yaml - used, "job_loggers: *a9\n");
    assert_int_equal(load(yaml), BERTH_ECONFIG);
    assert_non_null(strstr(err, "alias"));
}

/* ---- unknown keys ---- */

static void test_unknown_keys_warn(void **state)
{
    (void)state;
    assert_int_equal(load(MINIMAL "berth:\n  lease_second: 5\n  hooks: {retry_hour: 1}\n"
                                  "job_loggers:\n  - name: STD_OUTPUT\n    levle: INFO\n"
                                  "    settings: {anything: goes}\n"
                                  "extra_harbor_key: 1\n"),
                     0);
    assert_int_equal(cfg.lease_seconds, 30); /* the typo'd key is ignored */
    assert_int_equal(cfg.nwarnings, 4);
    assert_string_equal(cfg.warnings[0],
                        "line 8, column 3: unknown key \"berth.lease_second\" ignored");
    assert_string_equal(cfg.warnings[1],
                        "line 9, column 11: unknown key \"berth.hooks.retry_hour\" ignored");
    assert_string_equal(cfg.warnings[2],
                        "line 12, column 5: unknown key \"job_loggers[0].levle\" ignored");
    assert_string_equal(cfg.warnings[3],
                        "line 14, column 1: unknown key \"extra_harbor_key\" ignored");
}

static void test_warning_cap(void **state)
{
    (void)state;
    char yaml[8192] = MINIMAL;
    size_t used = strlen(yaml);
    for (int i = 0; i < 100; i++)
        used += (size_t)snprintf(yaml + used, sizeof yaml - used, "k%d: 1\n", i);
    assert_int_equal(load(yaml), 0);
    assert_int_equal(cfg.nwarnings, 64);
    assert_string_equal(cfg.warnings[63], "further config warnings omitted");
}

static void test_free_calls(void **state)
{
    (void)state;
    config_free(NULL);
    berth_config z;
    memset(&z, 0, sizeof z);
    config_free(&z);
    config_free(&z);
    assert_int_equal(load(MINIMAL), 0);
    config_free(&cfg);
    assert_null(cfg.protocol);
    assert_int_equal(cfg.njob_loggers, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_harbor_generated, teardown),
        cmocka_unit_test_teardown(test_sample_config_yml, teardown),
        cmocka_unit_test_teardown(test_missing_file, teardown),
        cmocka_unit_test_teardown(test_too_big_file, teardown),
        cmocka_unit_test_teardown(test_empty, teardown),
        cmocka_unit_test_teardown(test_defaults, teardown),
        cmocka_unit_test_teardown(test_harbor_floors, teardown),
        cmocka_unit_test_teardown(test_logger_defaults, teardown),
        cmocka_unit_test_teardown(test_settings_map, teardown),
        cmocka_unit_test_teardown(test_redis_url_normalised, teardown),
        cmocka_unit_test_teardown(test_https_config_forces_https, teardown),
        cmocka_unit_test_teardown(test_berth_keys, teardown),
        cmocka_unit_test_teardown(test_http_server_env, teardown),
        cmocka_unit_test_teardown(test_database_keys, teardown),
        cmocka_unit_test_teardown(test_env_overrides, teardown),
        cmocka_unit_test_teardown(test_env_https, teardown),
        cmocka_unit_test_teardown(test_env_blank_is_unset, teardown),
        cmocka_unit_test_teardown(test_env_bad_values, teardown),
        cmocka_unit_test_teardown(test_env_idle_timeout_not_integer, teardown),
        cmocka_unit_test_teardown(test_env_max_job_duration, teardown),
        cmocka_unit_test_teardown(test_validation_errors, teardown),
        cmocka_unit_test_teardown(test_metric_enabled_ok, teardown),
        cmocka_unit_test_teardown(test_syntax_errors, teardown),
        cmocka_unit_test_teardown(test_type_errors, teardown),
        cmocka_unit_test_teardown(test_empty_and_null_values, teardown),
        cmocka_unit_test_teardown(test_aliases_refused, teardown),
        cmocka_unit_test_teardown(test_unknown_keys_warn, teardown),
        cmocka_unit_test_teardown(test_warning_cap, teardown),
        cmocka_unit_test_teardown(test_free_calls, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
