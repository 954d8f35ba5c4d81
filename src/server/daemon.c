/* berthd's assembly; see daemon.h. */
#include "server/daemon.h"
#include "server/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "berth/jobs.h"
#include "joblog/joblog.h"
#include "server/api.h"
#include "server/metrics_server.h"
#include "server/daemon_jobs.h"
#include "server/daemon_tls.h"
#include "server/daemon_log.h"
#include "server/dirlock.h"
#include "server/embedded_redis.h"
#include "server/listener.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"

/* One namespace served: worker_pool's (tenant 0, which Harbor's API addresses) or one of
 * berth.namespaces (under /ns/<name>). Each has its own engine, so its own connections to
 * the master that serves its slot, workers, subscriber and periodic enqueuer; what it
 * borrows (job logs, jobs' settings) is freed after its engine. */
typedef struct tenant {
    const char *ns;              /* cfg's */
    unsigned workers;
    berth_engine *engine;
    joblog_set *joblogs;         /* job_loggers; outlives the engine */
    daemon_jobs *own_jobs;       /* berth.jobs and berth.plugins; outlive the engine */
    berth_jobs_db *db_jobs;      /* Harbor's database jobs' pool; outlives the engine */
    int stop_rc;                 /* berth_engine_stop's, at shutdown */
} tenant;

struct daemon {
    const berth_config *cfg;
    daemon_log *log;
    embedded_redis *redis;
    tenant *tenant;              /* 1 + cfg->ntenants; [0] is worker_pool's namespace */
    size_t ntenants;
    api_server *api;
    metrics_server *metrics;     /* when metric.enabled */
    char job_log_dir[1024];
    char redis_dir[1024];
    char embedded_url[1100];     /* unix://<socket>: what GET /api/v1/config reports */
    berth_hostport sentinels[CONFIG_MAX_SENTINELS]; /* sentinels or cluster seeds: cfg's hosts */
    dirlock *data_lock;          /* berth.data_dir, with the embedded Redis */
    dirlock *job_log_lock;       /* the FILE job-log directory */
    int listen_fd;               /* bound before anything starts; the API takes it (> 0) */
    berth_jobs_http http_jobs;   /* WEBHOOK/SLACK settings; outlive the engines */
    pthread_mutex_t engine_mu;   /* daemon_hurry vs freeing the engines */
    bool down;                   /* daemon_shutdown ran */
};

#define LOG(d, lvl, ...) daemon_log_printf((d)->log, lvl, __FILE__, __LINE__, __VA_ARGS__)

static void daemon_log_printf(daemon_log *dl, berth_log_level lvl, const char *file, int line,
                              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void daemon_log_printf(daemon_log *dl, berth_log_level lvl, const char *file, int line,
                              const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    daemon_log_write(lvl, file, line, msg, dl);
}

int daemon_listen_address(const char *configured, bool have_secret, char *out, size_t outlen,
                          char *err, size_t errlen)
{
    const char *addr = configured && *configured ? configured : have_secret ? "0.0.0.0" : "127.0.0.1";
    struct in_addr a4;
    struct in6_addr a6;
    bool loopback = (inet_pton(AF_INET, addr, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127) ||
                    (inet_pton(AF_INET6, addr, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6));
    if (!loopback && !have_secret) {
        snprintf(err, errlen, "refusing to listen on %s without CORE_SECRET: set the secret, "
                 "or listen on 127.0.0.1", addr);
        return BERTH_ECONFIG;
    }
    snprintf(out, outlen, "%s", addr);
    return 0;
}

/* One sink of the daemon's own log from a `loggers` entry: STD_OUTPUT (std_out|std_err) or
 * FILE <base_dir>/berthd.log. DB and REDIS have no meaning for the service's own lines. */
static int add_log_sink(daemon_t *d, const config_logger *lg, char *err, size_t errlen)
{
    char path[1024] = "";
    FILE *stream = stdout;
    if (strcmp(lg->name, "FILE") == 0) {
        const char *dir = config_map_get(&lg->settings, "base_dir");
        snprintf(path, sizeof path, "%s/berthd.log", dir ? dir : ".");
        if (dir && dirlock_make_dirs(dir, err, errlen) != 0)
            return BERTH_EIO;
    } else if (strcmp(lg->name, "STD_OUTPUT") == 0) {
        const char *out = config_map_get(&lg->settings, "output");
        if (out && strcmp(out, "std_err") == 0)
            stream = stderr;
    } else {
        return 1;                /* not a sink: the caller warns once the log is open */
    }
    if (!d->log) {
        d->log = daemon_log_new(path, stream, lg->level, err, errlen);
        return d->log ? 0 : BERTH_EIO;
    }
    return daemon_log_add(d->log, path, stream, lg->level, err, errlen);
}

/* The daemon's own log: every entry of `loggers`, each with its level. */
static int open_log(daemon_t *d, char *err, size_t errlen)
{
    const berth_config *c = d->cfg;
    int rc = 0;
    bool skipped = false;
    for (size_t i = 0; rc >= 0 && i < c->nloggers; i++) {
        rc = add_log_sink(d, &c->loggers[i], err, errlen);
        skipped |= rc == 1;
    }
    if (rc < 0)
        return rc;
    if (!d->log)
        d->log = daemon_log_new(NULL, stdout, BERTH_LOG_INFO, err, errlen);
    for (size_t i = 0; skipped && i < c->nloggers; i++)
        if (strcmp(c->loggers[i].name, "FILE") && strcmp(c->loggers[i].name, "STD_OUTPUT"))
            LOG(d, BERTH_LOG_WARNING, "loggers[%zu]: %s is not a sink for the service's own "
                "log; ignored", i, c->loggers[i].name);
    return d->log ? 0 : BERTH_EIO;
}

/* FILE job logs: their directories exist before the engine starts. */
static int job_logs(daemon_t *d, char *err, size_t errlen)
{
    for (size_t i = 0; i < d->cfg->njob_loggers; i++) {
        const config_logger *lg = &d->cfg->job_loggers[i];
        const char *dir = config_map_get(&lg->settings, "base_dir");
        if (strcmp(lg->name, "FILE") == 0 && dir && *dir && dirlock_make_dirs(dir, err, errlen) != 0)
            return BERTH_EIO;
        if (strcmp(lg->name, "FILE") == 0 && dir && *dir && !d->job_log_dir[0])
            snprintf(d->job_log_dir, sizeof d->job_log_dir, "%s", dir);
    }
    /* Its sweeper deletes old files there, and run logs are appended by id: one owner. */
    if (d->job_log_dir[0])
        return dirlock_take(d->job_log_dir, "berthd-job-logs.lock", "job log directory",
                            &d->job_log_lock, err, errlen);
    return 0;
}

/* A size setting ("1048576"); false when present but not a positive integer. */
static bool size_setting(const config_map *m, const char *key, size_t *out)
{
    const char *v = config_map_get(m, key);
    if (!v || !*v)
        return true;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (*end || n == 0 || v[0] == '-')
        return false;
    *out = (size_t)n;
    return true;
}

/* One job_loggers entry as a backend; 1 when the entry is skipped (DB). Only the first
 * namespace's set sweeps (sweep): the FILE directory is shared by all. */
static int job_backend(daemon_t *d, size_t i, bool sweep, joblog_backend_cfg *b,
                       size_t *run_max, char *err, size_t errlen)
{
    const config_logger *lg = &d->cfg->job_loggers[i];
    *b = (joblog_backend_cfg){.level = lg->level,
                              .sweep_days = lg->has_sweeper && sweep ? lg->sweeper_duration : 0};
    size_t cap = 0;
    if (!size_setting(&lg->settings, "max_run_bytes", &cap) ||
        !size_setting(&lg->settings, "max_bytes", &b->max_bytes)) {
        snprintf(err, errlen, "job_loggers[%zu].settings: max_bytes and max_run_bytes must "
                 "be positive integers (bytes)", i);
        return BERTH_ECONFIG;
    }
    if (cap && (!*run_max || cap < *run_max))
        *run_max = cap;
    if (strcmp(lg->name, "FILE") == 0) {
        b->kind = JOBLOG_FILE;
        b->base_dir = config_map_get(&lg->settings, "base_dir");
        b->sweep_dir = config_map_get(&lg->sweeper_settings, "work_dir");
    } else if (strcmp(lg->name, "REDIS") == 0) {
        b->kind = JOBLOG_REDIS;
    } else if (strcmp(lg->name, "STD_OUTPUT") == 0) {
        const char *out = config_map_get(&lg->settings, "output");
        b->kind = JOBLOG_STDOUT;
        b->std_err = out && strcmp(out, "std_err") == 0;
    } else {
        LOG(d, BERTH_LOG_WARNING, "job_loggers[%zu]: %s (PostgreSQL) is not supported by "
            "Berth; ignored (use REDIS for logs any node can serve)", i, lg->name);
        return 1;
    }
    return 0;
}

/* The job-log backend set from job_loggers, on the engine's Redis (ec's target). */
static int job_log_set(daemon_t *d, tenant *t, berth_engine_config *ec, char *err,
                       size_t errlen)
{
    joblog_backend_cfg b[JOBLOG_MAX_BACKENDS];
    size_t n = 0, run_max = 0;
    for (size_t i = 0; i < d->cfg->njob_loggers && n < JOBLOG_MAX_BACKENDS; i++) {
        int rc = job_backend(d, i, t == &d->tenant[0], &b[n], &run_max, err, errlen);
        if (rc < 0)
            return rc;
        n += rc == 0;
    }
    rtarget rt;
    rtarget_from_config(&rt, ec, NULL);
    joblog_config jc = {.backends = b, .nbackends = n, .run_max_bytes = run_max,
                        .redis = &rt, .ns = ec->ns,
                        .log = {daemon_log_write, d->log, BERTH_LOG_DEBUG}};
    int rc = joblog_set_new(&jc, &t->joblogs, err, errlen);
    rtarget_free(&rt);
    if (rc == 0) {
        joblog_set_start(t->joblogs);
        ec->job_logs = t->joblogs;
    }
    return rc;
}

/* Where Redis is: the embedded server's socket, or the configured URL. */
static int redis_target(daemon_t *d, berth_engine_config *ec, char *err, size_t errlen)
{
    const config_redis_addr *r = &d->cfg->pool.redis;
    if (r->kind == CONFIG_REDIS_NONE && d->redis) {   /* started for the first namespace */
        ec->redis_unix = embedded_redis_socket(d->redis);
        return 0;
    }
    if (r->kind == CONFIG_REDIS_NONE) {
        snprintf(d->redis_dir, sizeof d->redis_dir, "%s/redis", d->cfg->data_dir);
        int rc = dirlock_make_dirs(d->cfg->data_dir, err, errlen);
        embedded_redis_opts o = {.server_path = d->cfg->embedded_redis.server_path,
                                 .data_dir = d->redis_dir,
                                 .appendfsync = d->cfg->embedded_redis.appendfsync,
                                 .log = daemon_log_write, .log_userdata = d->log};
        if (rc == 0)
            rc = embedded_redis_start(&o, &d->redis, err, errlen);
        if (rc == 0)
            ec->redis_unix = embedded_redis_socket(d->redis);
        if (rc == 0)   /* Berth's URL form for a socket; core cannot dial it (docs/api.md) */
            snprintf(d->embedded_url, sizeof d->embedded_url, "unix://%s", ec->redis_unix);
        return rc;
    }
    if (r->tls) {
        snprintf(err, errlen, "worker_pool.redis_pool.redis_url: TLS (rediss://) is not "
                 "supported yet (hiredis 0.14 has no TLS); use redis://, unix:// or a tunnel");
        return BERTH_ECONFIG;
    }
    if (r->kind == CONFIG_REDIS_SENTINEL) {
        for (size_t i = 0; i < r->nhosts; i++) /* the URL parser allows at most that many */
            d->sentinels[i] = (berth_hostport){r->hosts[i].host, r->hosts[i].port};
        ec->redis_sentinels = d->sentinels;
        ec->redis_nsentinels = r->nhosts;
        ec->redis_master = r->master;
        ec->redis_password = r->password;
        ec->redis_db = r->db;
        return 0;
    }
    if (r->kind == CONFIG_REDIS_CLUSTER) {
        for (size_t i = 0; i < r->nhosts; i++) /* the URL parser allows at most that many */
            d->sentinels[i] = (berth_hostport){r->hosts[i].host, r->hosts[i].port};
        ec->redis_cluster = d->sentinels;   /* one list or the other, never both */
        ec->redis_ncluster = r->nhosts;
        ec->redis_password = r->password;
        return 0;
    }
    ec->redis_unix = r->kind == CONFIG_REDIS_UNIX ? r->path : NULL;
    ec->redis_host = r->nhosts ? r->hosts[0].host : NULL;
    ec->redis_port = r->nhosts ? r->hosts[0].port : 6379;
    ec->redis_password = r->password;
    ec->redis_db = r->db;
    return 0;
}

/* Redis may still be coming up (a shared one): retry with back-off, logging once. */
static int start_engine(daemon_t *d, tenant *t, char *err, size_t errlen)
{
    int backoff = 100, rc = 0;
    for (int tries = 0; tries < 60; tries++) {
        rc = berth_engine_start(t->engine);
        if (rc != BERTH_EREDIS)
            break;
        if (tries == 0)
            LOG(d, BERTH_LOG_WARNING, "redis is not answering yet; retrying for up to a minute");
        clock_sleep_ms(backoff);
        backoff = backoff < 2000 ? backoff * 2 : 2000;
    }
    if (rc != 0)
        snprintf(err, errlen, "cannot start the engine: %s%s%s%s", berth_strerror(rc),
                 d->cfg->ntenants ? " (namespace " : "", d->cfg->ntenants ? t->ns : "",
                 d->cfg->ntenants ? ")" : "");
    return rc;
}

static unsigned demo_hold_ms(void)
{
    const char *v = getenv("BERTH_DEMO_HOLD_MS");   /* tests and demos; Harbor holds 30 s */
    return v && *v ? (unsigned)strtoul(v, NULL, 10) : 30000;
}

/* Harbor's job types (spec harbor-jobs §1.3), with the settings Harbor reads from its
 * environment; a value that does not parse is logged with Harbor's warning and ignored. */
/* The database jobs' access (docs/config.md): berth.database when its host is set, else
 * Harbor core's settings (CORE_URL, JOBSERVICE_SECRET) asked on every run. */
static int db_jobs_new(daemon_t *d, tenant *t, char *err, size_t errlen)
{
    const berth_config *c = d->cfg;
    berth_jobs_db_config dc = {
        .host = c->database.host, .port = c->database.port,
        .username = *c->database.username ? c->database.username : NULL,
        .password = c->database.password,
        .database = *c->database.name ? c->database.name : NULL,
        .sslmode = *c->database.sslmode ? c->database.sslmode : NULL,
        .max_open_conns = c->database.max_open_conns,
        .max_idle_conns = c->database.max_idle_conns,
        .statement_timeout_s = c->database.statement_timeout_seconds,
        .core_url = getenv("CORE_URL"), .core_secret = getenv("JOBSERVICE_SECRET"),
        .max_dangling_hours = (unsigned)c->max_dangling_hours,
        .log = daemon_log_write, .log_userdata = d->log};
    int rc = berth_jobs_db_new(&dc, &t->db_jobs, err, errlen);
    if (rc == 0)
        rc = berth_jobs_register_db(t->engine, t->db_jobs);
    if (rc == 0)
        rc = berth_jobs_register_scan(t->engine, t->db_jobs);
    return rc;
}

/* Every namespace runs the same job types (the settings read once, for the first). */
static int register_jobs(daemon_t *d, tenant *t, char *err, size_t errlen)
{
    char warn[1024];
    if (t == &d->tenant[0] && berth_jobs_http_from_env(&d->http_jobs, warn, sizeof warn) > 0)
        LOG(d, BERTH_LOG_WARNING, "%s", warn);
    berth_engine *e = t->engine;
    if (berth_jobs_register_demo(e, demo_hold_ms()) != 0 ||
        berth_jobs_register_scheduler(e) != 0 || berth_jobs_register_replication(e) != 0 ||
        berth_jobs_register_webhook(e, &d->http_jobs) != 0 ||
        berth_jobs_register_slack(e, &d->http_jobs) != 0 ||
        berth_jobs_register_preheat(e, NULL) != 0) {
        snprintf(err, errlen, "cannot register the built-in jobs");
        return BERTH_EINVAL;
    }
    return db_jobs_new(d, t, err, errlen);
}

/* Tests only: BERTH_HOOK_BACKOFF_SCALE scales the hook back-off and retry period (the
 * browser test parks hooks in seconds), BERTH_RETRY_BACKOFF_SCALE a failed job's retry
 * delay (a retry after a database outage within the test); unset or not in (0, 1] → 1,
 * the real ones. */
static double backoff_scale(const char *env)
{
    const char *v = getenv(env);
    double s = v && *v ? strtod(v, NULL) : 1;
    return s > 0 && s <= 1 ? s : 1;
}

static int make_engine(daemon_t *d, tenant *t, char *err, size_t errlen)
{
    const berth_config *c = d->cfg;
    berth_engine_config ec = {.ns = t->ns, .workers = t->workers,
                              .lease_ms = (unsigned)c->lease_seconds * 1000,
                              .grace_ms = (unsigned)c->grace_seconds * 1000,
                              .max_update_hours = (unsigned)c->max_update_hours,
                              .max_job_duration_s = (unsigned)c->max_job_duration_s,
                              .hook_retry_hours = (unsigned)c->hooks_retry_hours,
                              .stats_ttl_s = (unsigned)c->stats_ttl_hours * 3600,
                              .stats_error_ttl_s = (unsigned)c->stats_error_ttl_hours * 3600,
                              .hook_backoff_scale = backoff_scale("BERTH_HOOK_BACKOFF_SCALE"),
                              .backoff_scale = backoff_scale("BERTH_RETRY_BACKOFF_SCALE"),
                              .job_log_dir = d->job_log_dir[0] ? d->job_log_dir : NULL,
                              .log = daemon_log_write, .log_userdata = d->log,
                              .log_level = daemon_log_min_level(d->log),
                              .periodic = {.enabled = true, .misfire = c->misfire}};
    int rc = redis_target(d, &ec, err, errlen);
    if (rc == 0)
        rc = job_log_set(d, t, &ec, err, errlen);
    if (rc == 0)
        rc = berth_engine_new(&ec, &t->engine, err, errlen);
    if (rc == 0)
        rc = register_jobs(d, t, err, errlen);
    const char *trace = getenv("BERTH_CHAOS_TRACE");   /* the chaos tests' job, off by default */
    if (rc == 0 && trace && *trace && berth_jobs_register_chaos(t->engine, trace) != 0) {
        snprintf(err, errlen, "cannot open the chaos trace %s", trace);
        rc = BERTH_EINVAL;
    }
    if (rc == 0)
        rc = daemon_jobs_register(t->engine, c, daemon_log_write, d->log, &t->own_jobs, err,
                                  errlen);
    if (rc == 0)
        rc = start_engine(d, t, err, errlen);   /* the periodic enqueuer with it */
    return rc;
}

/* One engine per namespace: worker_pool's, then berth.namespaces in order. */
static int make_engines(daemon_t *d, char *err, size_t errlen)
{
    const berth_config *c = d->cfg;
    d->tenant = berth_calloc(1 + c->ntenants, sizeof *d->tenant);
    if (!d->tenant) {
        snprintf(err, errlen, "out of memory");
        return BERTH_ENOMEM;
    }
    d->tenant[0] = (tenant){.ns = c->pool.ns, .workers = (unsigned)c->pool.workers};
    for (size_t i = 0; i < c->ntenants; i++)
        d->tenant[i + 1] = (tenant){.ns = c->tenants[i].name,
                                    .workers = (unsigned)c->tenants[i].workers};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < 1 + c->ntenants; i++) {
        pthread_mutex_lock(&d->engine_mu);   /* daemon_hurry reads the count */
        d->ntenants = i + 1;
        pthread_mutex_unlock(&d->engine_mu);
        rc = make_engine(d, &d->tenant[i], err, errlen);
        if (rc == 0 && c->ntenants)
            LOG(d, BERTH_LOG_INFO, "namespace %s: %u workers%s", d->tenant[i].ns,
                d->tenant[i].workers, i ? "" : " (Harbor's API)");
    }
    return rc;
}

/* What can be refused without starting anything. */
static int precheck(const berth_config *c, bool have_secret, char *host, size_t hostlen,
                    char *err, size_t errlen)
{
    int rc = daemon_listen_address(c->listen_address, have_secret, host, hostlen, err, errlen);
    return rc == 0 ? daemon_tls_check(c, err, errlen) : rc;
}

/* berth.http_server as http.h's HTTP_SERVER_*: the API and the metrics endpoint are served
 * alike (HTTPS always by libmicrohttpd) */
static int http_server_of(const berth_config *c)
{
    return strcmp(c->http_server, "libmicrohttpd") == 0 ? HTTP_SERVER_MHD : HTTP_SERVER_BUILTIN;
}

static int start_api(daemon_t *d, const char *secret, const char *host, char *err,
                     size_t errlen)
{
    const berth_config *c = d->cfg;
    bool have_secret = secret && *secret;
    daemon_tls tls;
    int rc = daemon_tls_load(c, &tls, err, errlen);
    if (rc != 0)
        return rc;
    api_tenant more[CONFIG_MAX_TENANTS];
    for (size_t i = 1; i < d->ntenants; i++)
        more[i - 1] = (api_tenant){d->tenant[i].ns, d->tenant[i].engine};
    api_ctx ctx = {.engine = d->tenant[0].engine, .secret = secret,
                   .tenants = more, .ntenants = d->ntenants - 1,
                   .listen_fd = d->listen_fd,
                   .redis_url = *c->pool.redis_url ? c->pool.redis_url : d->embedded_url,
                   .ns = c->pool.ns, .idle_timeout_second = c->pool.idle_timeout_second,
                   .job_log_dir = d->job_log_dir[0] ? d->job_log_dir : NULL,
                   .max_retrieve_bytes = (long)c->max_retrieve_size_mb << 20,
                   .max_body = (size_t)c->max_body_bytes, .threads = (unsigned)c->http_threads,
                   .http_server = http_server_of(c),
                   .max_memory_fraction = c->max_memory_fraction,
                   .log = daemon_log_write, .log_userdata = d->log,
                   .tls_cert_pem = tls.cert, .tls_key_pem = tls.key,
                   .tls_client_ca_pem = tls.client_ca};
    rc = api_server_start(&ctx, host, c->port, &d->api, err, errlen);
    d->listen_fd = 0;            /* the server owns it now, started or not */
    if (rc == 0 && tls.client_ca)
        LOG(d, BERTH_LOG_INFO, "mTLS enabled: clients need a certificate signed by a CA of %s",
            tls.client_ca_path);
    if (rc == 0 && daemon_tls_warning(c))
        LOG(d, BERTH_LOG_WARNING, "%s", daemon_tls_warning(c));
    daemon_tls_free(&tls);
    if (rc == 0)
        LOG(d, BERTH_LOG_INFO, "berthd listening on %s://%s:%d%s", c->protocol, host,
            api_server_port(d->api),
            have_secret ? "" : " (no CORE_SECRET: loopback only, every authenticated route answers 401)");
    return rc;
}

/* Harbor's Prometheus server (metric.enabled), on the API's address. */
static int start_metrics(daemon_t *d, const char *host, char *err, size_t errlen)
{
    const berth_config *c = d->cfg;
    if (!c->metric.enabled)
        return 0;
    metrics_tenant more[CONFIG_MAX_TENANTS];
    for (size_t i = 1; i < d->ntenants; i++)
        more[i - 1] = (metrics_tenant){d->tenant[i].ns, d->tenant[i].engine,
                                       d->tenant[i].workers};
    metrics_ctx mc = {.engine = d->tenant[0].engine, .ns = c->pool.ns, .path = c->metric.path,
                      .tenants = more, .ntenants = d->ntenants - 1,
                      .workers = (unsigned)c->pool.workers, .http_server = http_server_of(c),
                      .log = daemon_log_write, .log_userdata = d->log};
    int rc = metrics_server_start(&mc, host, c->metric.port, &d->metrics, err, errlen);
    if (rc == 0)
        LOG(d, BERTH_LOG_INFO, "metrics on http://%s:%d%s", host,
            metrics_server_port(d->metrics), c->metric.path);
    return rc;
}

int daemon_start(const berth_config *cfg, const char *secret, daemon_t **out, char *err,
                 size_t errlen)
{
    char host[64];
    int rc = precheck(cfg, secret && *secret, host, sizeof host, err, errlen);
    if (rc != 0)
        return rc;
    daemon_t *d = berth_calloc(1, sizeof *d);
    d->cfg = cfg;
    pthread_mutex_init(&d->engine_mu, NULL);
    /* Refuse a second berthd before touching anything it could break: the data directory
     * its Redis writes, then the port; only then the log, Redis and the engine. */
    if (cfg->pool.redis.kind == CONFIG_REDIS_NONE)
        rc = dirlock_take(cfg->data_dir, "berthd.lock", "berth.data_dir", &d->data_lock,
                          err, errlen);
    if (rc == 0) {
        d->listen_fd = listener_bind(host, cfg->port, err, errlen);
        rc = d->listen_fd < 0 ? d->listen_fd : 0;
    }
    if (rc == 0)
        rc = open_log(d, err, errlen);
    for (size_t i = 0; rc == 0 && i < cfg->nwarnings; i++)
        LOG(d, BERTH_LOG_WARNING, "config: %s", cfg->warnings[i]);
    if (rc == 0)
        rc = job_logs(d, err, errlen);
    if (rc == 0)
        rc = make_engines(d, err, errlen);
    if (rc == 0)
        rc = start_api(d, secret, host, err, errlen);
    if (rc == 0)
        rc = start_metrics(d, host, err, errlen);
    if (rc != 0) {
        daemon_stop(d);
        return rc;
    }
    *out = d;
    return 0;
}

int daemon_port(const daemon_t *d)
{
    return api_server_port(d->api);
}

void daemon_reopen_logs(daemon_t *d)
{
    if (daemon_log_reopen(d->log) != 0)
        LOG(d, BERTH_LOG_ERROR, "cannot reopen the log file");
}

/* The shutdown line says what it waits for, and how not to. */
static void say_shutdown(daemon_t *d)
{
    unsigned n = 0;
    for (size_t i = 0; i < d->ntenants; i++)
        n += d->tenant[i].engine ? berth_engine_running_jobs(d->tenant[i].engine) : 0;
    if (n == 0)
        LOG(d, BERTH_LOG_INFO, "berthd shutting down (no job running)");
    else
        LOG(d, BERTH_LOG_INFO, "berthd shutting down: waiting up to %d s (grace_seconds) for "
            "%u running job(s) to finish; press Ctrl-C again to hand them back to their "
            "queues now", d->cfg->grace_seconds, n);
}

void daemon_hurry(daemon_t *d)
{
    pthread_mutex_lock(&d->engine_mu);
    bool any = false;
    for (size_t i = 0; i < d->ntenants; i++)
        if (d->tenant[i].engine) {
            berth_engine_hurry(d->tenant[i].engine);
            any = true;
        }
    if (any)
        LOG(d, BERTH_LOG_INFO, "second stop signal: handing running jobs back now");
    pthread_mutex_unlock(&d->engine_mu);
}

static void *stop_one(void *arg)
{
    tenant *t = arg;
    t->stop_rc = berth_engine_stop(t->engine);
    return NULL;
}

/* Every engine at once, so that the whole stop waits one grace period, not one per
 * namespace (one in this thread when a thread cannot be made). Then frees them and what
 * they borrowed, unless a job thread still runs in it (berth_engine_stop's BERTH_ESTATE). */
static void stop_engines(daemon_t *d)
{
    pthread_t th[1 + CONFIG_MAX_TENANTS];
    bool started[1 + CONFIG_MAX_TENANTS] = {false};
    for (size_t i = 0; i < d->ntenants; i++)
        if (d->tenant[i].engine)
            started[i] = pthread_create(&th[i], NULL, stop_one, &d->tenant[i]) == 0;
    for (size_t i = 0; i < d->ntenants; i++)
        if (started[i])
            pthread_join(th[i], NULL);
        else if (d->tenant[i].engine)
            stop_one(&d->tenant[i]);
    for (size_t i = 0; i < d->ntenants; i++) {
        tenant *t = &d->tenant[i];
        pthread_mutex_lock(&d->engine_mu);
        berth_engine_free(t->engine);
        t->engine = NULL;
        pthread_mutex_unlock(&d->engine_mu);
        if (t->stop_rc == 0)             /* else a job thread still runs in them: leave them */
            daemon_jobs_free(t->own_jobs);
        if (t->stop_rc == 0)
            berth_jobs_db_free(t->db_jobs);
        t->own_jobs = NULL;
        t->db_jobs = NULL;
        joblog_set_free(t->joblogs);     /* after the engine: no run writes any more */
        t->joblogs = NULL;
    }
}

void daemon_shutdown(daemon_t *d)
{
    if (!d || d->down)
        return;
    d->down = true;
    bool had_engine = d->ntenants && d->tenant[0].engine;
    if (d->log && d->api)
        say_shutdown(d);
    api_server_stop(d->api);
    d->api = NULL;
    metrics_server_stop(d->metrics);
    d->metrics = NULL;
    stop_engines(d);   /* the long part: daemon_hurry may cut it short */
    embedded_redis_stop(d->redis);
    d->redis = NULL;
    if (d->listen_fd > 0)
        close(d->listen_fd);     /* bound, but startup failed before the API took it */
    d->listen_fd = 0;
    dirlock_release(d->job_log_lock);
    dirlock_release(d->data_lock);
    d->job_log_lock = d->data_lock = NULL;
    if (d->log && had_engine)
        LOG(d, BERTH_LOG_INFO, "berthd stopped");
}

void daemon_stop(daemon_t *d)
{
    if (!d)
        return;
    daemon_shutdown(d);
    berth_free(d->tenant);
    daemon_log_free(d->log);
    pthread_mutex_destroy(&d->engine_mu);
    berth_free(d);
}
