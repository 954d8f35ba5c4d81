/* The Prometheus endpoint; see metrics_server.h. The text is built per scrape from the engine's
 * snapshot (berth/metrics.h) and /proc/self, so nothing here runs between scrapes. */
#include "server/metrics_server.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "berth/context.h"
#include "berth/metrics.h"
#include "joblog/joblog.h"
#include "server/http.h"
#include "util/alloc.h"

struct metrics_server {
    http_server *http;
    metrics_tenant *all;     /* the engine, then the tenants; names owned */
    size_t nall;             /* 1: no namespace label (Harbor's output) */
    char *path;
};

static void prefix(char *out, size_t len)
{
    const char *ns = getenv("METRIC_NAMESPACE"), *sub = getenv("METRIC_SUBSYSTEM");
    snprintf(out, len, "%s_%s_", ns && *ns ? ns : "harbor", sub && *sub ? sub : "jobservice");
}

/* A label value with \, " and newline escaped as the exposition format wants. */
static void label(buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            buf_printf(b, "\\%c", *v);
        else if (*v == '\n')
            buf_printf(b, "\\n");
        else
            buf_append(b, v, 1);
    }
}

/* One namespace's engine and its metrics snapshot (ns NULL: no namespace label). */
typedef struct snap {
    const char *ns;
    berth_engine *e;
    unsigned workers;
    berth_type_metrics *t;
    size_t n;
} snap;

/* `namespace="<ns>",` opening a label set, when there is a namespace to name. */
static void ns_label(buf *b, const char *ns)
{
    if (!ns)
        return;
    buf_puts(b, "namespace=\"");
    label(b, ns);
    buf_puts(b, "\",");
}

static void info(buf *b, const char *p, const snap *s, size_t ns)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    buf_printf(b, "# HELP %sinfo the information of jobservice\n# TYPE %sinfo gauge\n", p, p);
    for (size_t k = 0; k < ns; k++) {
        buf_printf(b, "%sinfo{", p);
        ns_label(b, s[k].ns);
        buf_puts(b, "node=\"");
        label(b, host);
        buf_printf(b, "\",pool=\"%s\",workers=\"%u\"} 1\n", berth_engine_pool_id(s[k].e),
                   s[k].workers);
    }
}

static void summary(buf *b, const char *p, const char *ns, const berth_type_metrics *t,
                    size_t n);

/* Only the (type, outcome) pairs that have runs, as a Go CounterVec shows them. */
static void tasks(buf *b, const char *p, const snap *s, size_t ns)
{
    buf_printf(b, "# HELP %stask_total The number of processed tasks\n"
                  "# TYPE %stask_total counter\n", p, p);
    for (size_t k = 0; k < ns; k++)
        for (size_t i = 0; i < s[k].n; i++)
            for (int o = 0; o < BERTH_RUN_OUTCOMES; o++)
                if (s[k].t[i].by[o].count) {
                    buf_printf(b, "%stask_total{", p);
                    ns_label(b, s[k].ns);
                    buf_printf(b, "status=\"%s\",type=\"",
                               berth_run_outcome_name((berth_run_outcome)o));
                    label(b, s[k].t[i].name);
                    buf_printf(b, "\"} %llu\n", (unsigned long long)s[k].t[i].by[o].count);
                }
    buf_printf(b, "# HELP %stask_process_time_seconds The time duration of the task processing "
                  "time\n# TYPE %stask_process_time_seconds summary\n", p, p);
    for (size_t k = 0; k < ns; k++)
        summary(b, p, s[k].ns, s[k].t, s[k].n);
}

static void summary(buf *b, const char *p, const char *ns, const berth_type_metrics *t,
                    size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int o = 0; o < BERTH_RUN_OUTCOMES; o++) {
            const berth_run_metrics *m = &t[i].by[o];
            if (!m->count)
                continue;
            const double q[3] = {m->q50, m->q90, m->q99};
            const char *qn[3] = {"0.5", "0.9", "0.99"};
            for (int k = 0; k < 3; k++) {
                buf_printf(b, "%stask_process_time_seconds{", p);
                ns_label(b, ns);
                buf_printf(b, "status=\"%s\",type=\"",
                           berth_run_outcome_name((berth_run_outcome)o));
                label(b, t[i].name);
                buf_printf(b, "\",quantile=\"%s\"} %.6f\n", qn[k], q[k]);
            }
            const char *suffix[2] = {"sum", "count"};
            for (int k = 0; k < 2; k++) {
                buf_printf(b, "%stask_process_time_seconds_%s{", p, suffix[k]);
                ns_label(b, ns);
                buf_printf(b, "status=\"%s\",type=\"",
                           berth_run_outcome_name((berth_run_outcome)o));
                label(b, t[i].name);
                if (k == 0)
                    buf_printf(b, "\"} %.6f\n", m->sum_seconds);
                else
                    buf_printf(b, "\"} %llu\n", (unsigned long long)m->count);
            }
        }
}

/* Field k (1-based, as proc(5) numbers them) of /proc/self/stat, after the command name. */
static unsigned long long stat_field(const char *stat, int k)
{
    const char *p = strrchr(stat, ')');
    if (!p)
        return 0;
    p++;
    for (int f = 3; f < k && *p; f++) {        /* field 3 (state) follows the ')' */
        while (*p == ' ')
            p++;
        while (*p && *p != ' ')
            p++;
    }
    return strtoull(p, NULL, 10);
}

static long long boot_time(void)
{
    FILE *f = fopen("/proc/stat", "r");
    char line[256];
    long long bt = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "btime %lld", &bt) == 1)
            break;
    if (f)
        fclose(f);
    return bt;
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n > 2 ? n - 3 : 0;   /* ".", ".." and the directory's own descriptor */
}

/* The standard process collector's names (Go's includes them; so do we). */
static void process(buf *b)
{
    char stat[1024] = "";
    FILE *f = fopen("/proc/self/stat", "r");
    if (f) {
        if (!fgets(stat, sizeof stat, f))
            stat[0] = '\0';
        fclose(f);
    }
    double tick = (double)sysconf(_SC_CLK_TCK), page = (double)sysconf(_SC_PAGESIZE);
    double cpu = (double)(stat_field(stat, 14) + stat_field(stat, 15)) / tick;
    double start = (double)boot_time() + (double)stat_field(stat, 22) / tick;
    buf_printf(b, "# HELP process_cpu_seconds_total Total user and system CPU time spent in "
                  "seconds.\n# TYPE process_cpu_seconds_total counter\n"
                  "process_cpu_seconds_total %.2f\n", cpu);
    buf_printf(b, "# HELP process_open_fds Number of open file descriptors.\n"
                  "# TYPE process_open_fds gauge\nprocess_open_fds %d\n", open_fds());
    buf_printf(b, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                  "# TYPE process_resident_memory_bytes gauge\n"
                  "process_resident_memory_bytes %.0f\n", (double)stat_field(stat, 24) * page);
    buf_printf(b, "# HELP process_start_time_seconds Start time of the process since unix "
                  "epoch in seconds.\n# TYPE process_start_time_seconds gauge\n"
                  "process_start_time_seconds %.2f\n", start);
    buf_printf(b, "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
                  "# TYPE process_virtual_memory_bytes gauge\n"
                  "process_virtual_memory_bytes %llu\n", stat_field(stat, 23));
}

/* Berth's own: what the REDIS job-log backend lost (joblog_set_drops), per namespace whose
 * engine has one; nothing at all without (Harbor's output stays Harbor's). */
static void joblog_drops(buf *b, const snap *s, size_t ns)
{
    static const char *const fam[2][2] = {
        {"berth_joblog_dropped_bytes_total", "Job-log bytes that never reached Redis."},
        {"berth_joblog_dropped_lines_total", "Job-log lines that never reached Redis."}};
    uint64_t v[1 + METRICS_MAX_TENANTS][2];
    bool has[1 + METRICS_MAX_TENANTS], any = false;
    for (size_t k = 0; k < ns; k++)
        any |= has[k] = joblog_set_drops(berth_engine_job_logs(s[k].e), &v[k][0], &v[k][1]);
    for (int f = 0; any && f < 2; f++) {
        buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n", fam[f][0], fam[f][1], fam[f][0]);
        for (size_t k = 0; k < ns; k++) {
            if (!has[k])
                continue;
            buf_puts(b, fam[f][0]);
            if (s[k].ns) {
                buf_puts(b, "{namespace=\"");
                label(b, s[k].ns);
                buf_puts(b, "\"}");
            }
            buf_printf(b, " %llu\n", (unsigned long long)v[k][f]);
        }
    }
}

/* n engines; labelled says whether their series get a namespace label. */
static void render(const metrics_tenant *all, size_t n, bool labelled, buf *b)
{
    char p[128];
    prefix(p, sizeof p);
    snap s[1 + METRICS_MAX_TENANTS];
    n = n < sizeof s / sizeof s[0] ? n : sizeof s / sizeof s[0];
    bool ok = true;
    for (size_t k = 0; k < n; k++) {
        s[k] = (snap){labelled ? all[k].ns : NULL, all[k].engine, all[k].workers, NULL, 0};
        ok = ok && berth_engine_metrics(s[k].e, &s[k].t, &s[k].n) == 0;
    }
    info(b, p, s, n);
    if (ok)
        tasks(b, p, s, n);
    for (size_t k = 0; k < n; k++)
        berth_metrics_free(s[k].t);
    joblog_drops(b, s, n);
    process(b);
}

void metrics_render(berth_engine *e, unsigned workers, buf *b)
{
    metrics_tenant one = {NULL, e, workers};
    render(&one, 1, false, b);
}


static void handle(const http_req *req, http_resp *resp, void *ctx)
{
    metrics_server *m = ctx;
    if (strcmp(req->path, m->path) != 0) {
        http_resp_text(resp, 404, "404 page not found\n");
        return;
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        http_resp_header(resp, "Allow", "GET, HEAD");
        http_resp_text(resp, 405, "method not allowed\n");
        return;
    }
    resp->status = 200;
    http_resp_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    render(m->all, m->nall, m->nall > 1, &resp->body);
}

int metrics_server_start(const metrics_ctx *ctx, const char *host, int port,
                         metrics_server **out, char *err, size_t errlen)
{
    metrics_server *m = berth_calloc(1, sizeof *m);
    size_t more = ctx->tenants ? ctx->ntenants : 0;
    m->all = berth_calloc(1 + more, sizeof *m->all);
    m->all[0] = (metrics_tenant){berth_strdup(ctx->ns ? ctx->ns : ""), ctx->engine,
                                 ctx->workers};
    for (size_t i = 0; i < more; i++)
        m->all[i + 1] = (metrics_tenant){berth_strdup(ctx->tenants[i].ns),
                                         ctx->tenants[i].engine, ctx->tenants[i].workers};
    m->nall = 1 + more;
    m->path = berth_strdup(ctx->path && *ctx->path ? ctx->path : "/metrics");
    http_config hc = {.host = host, .port = port, .threads = 1, .max_connections = 64,
                      .max_body = 1024, .handler = handle, .ctx = m, .log = ctx->log,
                      .log_userdata = ctx->log_userdata, .server = ctx->http_server};
    int rc = http_server_start(&hc, &m->http, err, errlen);
    if (rc != 0) {
        metrics_server_stop(m);
        return rc;
    }
    *out = m;
    return 0;
}

int metrics_server_port(const metrics_server *m)
{
    return http_server_port(m->http);
}

void metrics_server_stop(metrics_server *m)
{
    if (!m)
        return;
    http_server_stop(m->http);
    for (size_t i = 0; i < m->nall; i++)
        berth_free((char *)m->all[i].ns);
    berth_free(m->all);
    berth_free(m->path);
    berth_free(m);
}
