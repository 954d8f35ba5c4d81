/* Real berthd nodes for the chaos tests; see cluster.h. */
#include "cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "redis_fixture.h"
#include "wait.h"

long long cluster_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);   /* the CHAOS trace's clock */
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cluster_pace(long long t0_ms, int n, int rate)
{
    long long due = t0_ms + (long long)n * 1000 / rate, now = cluster_now_ms();
    if (now < due)
        wait_sleep_ms((int)(due - now));
}

int cluster_full_scale(void)
{
    const char *s = getenv("BERTH_CHAOS_SCALE");
    return s && strcmp(s, "full") == 0;
}

static int write_config(const cluster_node *nd, const cluster_opts *o)
{
    FILE *f = fopen(nd->config, "w");
    if (!f)
        return -1;
    fprintf(f, "protocol: http\nport: %d\nworker_pool:\n  workers: %d\n  backend: redis\n"
               "  redis_pool:\n    namespace: " CLUSTER_NS "\n", nd->port, o->workers);
    if (o->redis_url)
        fprintf(f, "    redis_url: %s\n", o->redis_url);
    if (o->file_job_logs)
        fprintf(f, "job_loggers:\n  - name: FILE\n    level: INFO\n    settings:\n"
                   "      base_dir: %s/joblogs\n", nd->data);
    else
        fprintf(f, "job_loggers:\n  - name: STD_OUTPUT\n    level: ERROR\n");
    fprintf(f, "loggers:\n  - name: STD_OUTPUT\n    level: INFO\n"
               "berth:\n  data_dir: %s\n  listen_address: \"127.0.0.1\"\n"
               "  lease_seconds: %d\n  grace_seconds: 1\n", nd->data, o->lease_seconds);
    if (o->appendfsync)
        fprintf(f, "  embedded_redis:\n    appendfsync: %s\n", o->appendfsync);
    if (o->extra_berth)
        fprintf(f, "%s\n", o->extra_berth);
    return fclose(f) == 0 ? 0 : -1;
}

int cluster_init(cluster *c, const cluster_opts *o)
{
    memset(c, 0, sizeof *c);
    snprintf(c->dir, sizeof c->dir, "/tmp/berth-chaos-XXXXXX");
    if (!mkdtemp(c->dir) || o->nodes < 1 || o->nodes > CLUSTER_MAX_NODES) {
        fprintf(stderr, "cluster: cannot make %s or bad node count\n", c->dir);
        return -1;
    }
    snprintf(c->trace, sizeof c->trace, "%s/trace", c->dir);
    c->n = o->nodes;
    c->env = o->env;
    for (int i = 0; i < c->n; i++) {
        cluster_node *nd = &c->nodes[i];
        nd->port = redis_fixture_free_port();
        snprintf(nd->config, sizeof nd->config, "%s/node%d.yml", c->dir, i);
        snprintf(nd->data, sizeof nd->data, "%s/node%d", c->dir, i);
        snprintf(nd->log, sizeof nd->log, "%s/node%d.log", c->dir, i);
        if (write_config(nd, o) != 0) {
            fprintf(stderr, "cluster: cannot write %s\n", nd->config);
            return -1;
        }
    }
    return 0;
}

int cluster_start(cluster *c, int i)
{
    cluster_node *nd = &c->nodes[i];
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* no node outlives a crashed test */
        int fd = open(nd->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0)
            dup2(fd, 1), dup2(fd, 2);
        char bin[512];
        snprintf(bin, sizeof bin, "%s/berthd", getenv("BERTH_BINARY_DIR"));
        setenv("CORE_SECRET", CLUSTER_SECRET, 1);
        setenv("BERTH_CHAOS_TRACE", c->trace, 1);
        for (const char *const *e = c->env; e && *e; e++)
            putenv((char *)*e);   /* the child execs at once: the strings outlive it */
        execl(bin, bin, "-c", nd->config, (char *)NULL);
        _exit(127);
    }
    if (pid < 0)
        return -1;
    nd->pid = pid;
    nd->starts++;
    if (!hc_wait_healthy(nd->port, 10000)) {
        fprintf(stderr, "cluster: node %d did not answer /healthz (log %s)\n", i, nd->log);
        return -1;
    }
    return 0;
}

int cluster_signal(cluster *c, int i, int sig)
{
    cluster_node *nd = &c->nodes[i];
    if (!nd->pid)
        return -1;
    kill(nd->pid, sig);
    int code = wait_exit(nd->pid, 15000);
    if (code < 0) {
        int status = 0;
        kill(nd->pid, SIGKILL);
        waitpid(nd->pid, &status, 0);
        code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    nd->pid = 0;
    return code;
}

void cluster_stop(cluster *c, int keep)
{
    for (int i = 0; i < c->n; i++)
        if (c->nodes[i].pid)
            cluster_signal(c, i, SIGTERM);
    if (keep || getenv("BERTH_CHAOS_KEEP")) {
        fprintf(stderr, "cluster: kept %s\n", c->dir);
        return;
    }
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", c->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cluster: cannot remove %s\n", c->dir);
}

/* Counts node i's log lines holding needle, copying them to out when it is not NULL. */
static int log_lines(const cluster *c, int i, const char *needle, FILE *out)
{
    FILE *f = fopen(c->nodes[i].log, "r");
    if (!f)
        return 0;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, needle))
            continue;
        n++;
        if (out)
            fputs(line, out);
    }
    fclose(f);
    return n;
}

int cluster_log_count(const cluster *c, int i, const char *needle)
{
    return log_lines(c, i, needle, NULL);
}

void cluster_log_print(const cluster *c, int i, const char *needle)
{
    log_lines(c, i, needle, stderr);
}

int cluster_find_log(const cluster *c, const char *needle)
{
    for (int i = 0; i < c->n; i++)
        if (cluster_log_count(c, i, needle) > 0)
            return i;
    return -1;
}

long cluster_launch(hc *cli, unsigned ms, const char *extra_json, char *id, size_t idlen)
{
    char body[512];
    snprintf(body, sizeof body, "{\"job\":{\"name\":\"CHAOS\",\"parameters\":{\"ms\":%u},"
             "\"metadata\":{\"kind\":\"Generic\"}}%s%s}", ms, extra_json ? "," : "",
             extra_json ? extra_json : "");
    return cluster_post_job(cli, body, id, idlen);
}

long cluster_post_job(hc *cli, const char *body, char *id, size_t idlen)
{
    hc_resp r;
    hc_post(cli, "/api/v1/jobs", CLUSTER_AUTH, body, &r);
    long status = r.status;
    const char *p = status == 202 ? strstr(r.body, "\"id\":\"") : NULL;
    if (p)
        snprintf(id, idlen, "%.*s", (int)strcspn(p + 6, "\""), p + 6);
    else if (status == 202)
        status = -202;   /* accepted without an id: the caller's assertion reports it */
    hc_resp_free(&r);
    return status;
}

hc_resp cluster_api(cluster *c, int i, const char *method, const char *path, const char *body)
{
    hc cli;
    hc_init(&cli, c->nodes[i].port);
    hc_resp r = {0};
    int rc = body ? hc_post(&cli, path, CLUSTER_AUTH, body, &r)
                  : hc_do(&cli, method, path, CLUSTER_AUTH, NULL, 0, 0, &r);
    if (rc != 0)
        r.status = 0;
    hc_cleanup(&cli);
    return r;
}

typedef struct status_wait {
    cluster *c;
    int node;
    char path[128], got[32];
    const char *want;
} status_wait;

static bool status_is(void *arg)
{
    status_wait *w = arg;
    hc_resp r = cluster_api(w->c, w->node, "GET", w->path, NULL);
    json_t *o = r.status == 200 && r.body ? json_loads(r.body, 0, NULL) : NULL;
    const char *s = json_string_value(json_object_get(json_object_get(o, "job"), "status"));
    snprintf(w->got, sizeof w->got, "%s", s ? s : "");
    json_decref(o);
    hc_resp_free(&r);
    return strcmp(w->got, w->want) == 0;
}

int cluster_wait_status(cluster *c, int i, const char *id, const char *want, int ms, char *got,
                        size_t gotlen)
{
    status_wait w = {.c = c, .node = i, .want = want};
    snprintf(w.path, sizeof w.path, "/api/v1/jobs/%s", id);
    bool ok = wait_until(status_is, &w, ms);
    snprintf(got, gotlen, "%s", w.got);
    return ok;
}

char *cluster_job_log(cluster *c, int i, const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s/log", id);
    hc_resp r = cluster_api(c, i, "GET", path, NULL);
    char *text = strdup(r.status == 200 && r.body ? r.body : "");
    hc_resp_free(&r);
    return text;
}

static int run_cmp(const void *a, const void *b)
{
    const chaos_run *x = a, *y = b;
    int d = strcmp(x->id, y->id);
    if (d)
        return d;
    return x->start_ms < y->start_ms ? -1 : x->start_ms > y->start_ms;
}

/* The open run of (id, rev, pid), searching back from the newest: ends follow starts. */
static chaos_run *open_run(chaos_run *runs, long n, const char *id, long long rev, int pid)
{
    for (long k = n - 1; k >= 0; k--)
        if (runs[k].end_ms == 0 && runs[k].rev == rev && runs[k].pid == pid &&
            strcmp(runs[k].id, id) == 0)
            return &runs[k];
    return NULL;
}

long cluster_trace_read(const cluster *c, chaos_run **out)
{
    FILE *f = fopen(c->trace, "r");
    if (!f)
        return -1;
    long n = 0, cap = 1024;
    chaos_run *runs = malloc((size_t)cap * sizeof *runs);
    char kind, id[40];
    long long rev, ms;
    int pid, bad = 0;
    while (runs && fscanf(f, " %c %39s %lld %d %lld", &kind, id, &rev, &pid, &ms) == 5) {
        if (kind == 'E') {
            chaos_run *r = open_run(runs, n, id, rev, pid);
            if (r)
                r->end_ms = ms;
            else
                bad = 1;   /* an end without its start: the trace is broken */
            continue;
        }
        if (n == cap) {
            chaos_run *more = realloc(runs, (size_t)(cap *= 2) * sizeof *runs);
            if (!more) {
                bad = 1;
                break;
            }
            runs = more;
        }
        chaos_run *r = &runs[n++];
        snprintf(r->id, sizeof r->id, "%s", id);
        r->rev = rev, r->pid = pid, r->start_ms = ms, r->end_ms = 0;
    }
    fclose(f);
    if (!runs || bad) {
        free(runs);
        return -1;
    }
    qsort(runs, (size_t)n, sizeof *runs, run_cmp);
    *out = runs;
    return n;
}

int cluster_count_status(struct redisContext *c, char (*ids)[40], int n, const char *want)
{
    for (int k = 0; k < n; k++)
        redisAppendCommand(c, "HGET {" CLUSTER_NS "}:job_stats:%s status", ids[k]);
    int match = 0;
    for (int k = 0; k < n; k++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK)
            return -1;
        match += r->type == REDIS_REPLY_STRING && strcmp(r->str, want) == 0;
        freeReplyObject(r);
    }
    return match;
}
