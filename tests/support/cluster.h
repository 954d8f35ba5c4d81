/* Real berthd processes for the chaos tests (label slow): N nodes on loopback, each with
 * its own config, port, data dir and log file, sharing one Redis (or each with its
 * embedded one), killed and restarted at will. The CHAOS job is registered in every node
 * (BERTH_CHAOS_TRACE) and writes its runs to one shared trace file; cluster_trace_read
 * turns that file into runs a test can check. */
#ifndef BERTH_TEST_CLUSTER_H
#define BERTH_TEST_CLUSTER_H

#include <stddef.h>
#include <sys/types.h>

#include "http_client.h"

#define CLUSTER_MAX_NODES 4
#define CLUSTER_SECRET "chaos-secret"
#define CLUSTER_AUTH "Harbor-Secret " CLUSTER_SECRET
#define CLUSTER_NS "chaos"

typedef struct cluster_node {
    int port;             /* the API's loopback port (the same across restarts) */
    char config[192];     /* <dir>/nodeN.yml */
    char data[160];       /* <dir>/nodeN: data_dir (embedded Redis), job logs */
    char log[192];        /* <dir>/nodeN.log: stdout + stderr of every start, appended */
    pid_t pid;            /* 0 while down */
    int starts;
} cluster_node;

typedef struct cluster {
    char dir[96];         /* mkdtemp, removed by cluster_stop */
    char trace[160];      /* the CHAOS jobs' trace file */
    int n;
    cluster_node nodes[CLUSTER_MAX_NODES];
    const char *const *env;   /* cluster_opts.env */
} cluster;

typedef struct cluster_opts {
    int nodes;                /* 1..CLUSTER_MAX_NODES */
    const char *redis_url;    /* shared Redis; NULL: every node runs its embedded Redis */
    int workers;
    int lease_seconds;
    const char *appendfsync;  /* embedded Redis's AOF policy; NULL: the default */
    const char *extra_berth;  /* more YAML lines under `berth:` (indented 2), or NULL */
    int file_job_logs;        /* job logs in FILE under each node's data dir, level INFO (for
                                 GET /api/v1/jobs/<id>/log); else STD_OUTPUT at ERROR */
    const char *const *env;   /* "NAME=value" entries added to every node's environment,
                                 NULL-terminated (kept by the caller while nodes start) */
} cluster_opts;

/* Makes the temp dir and writes every node's config. 0, or -1 with a message on stderr. */
int cluster_init(cluster *c, const cluster_opts *o);
/* Starts node i and waits until its /healthz answers (up to 10 s). 0 or -1. */
int cluster_start(cluster *c, int i);
/* Sends sig to node i and reaps it (SIGKILL after 15 s). Returns the node's exit code
 * (128 + signal when killed), -1 if it was not running. */
int cluster_signal(cluster *c, int i, int sig);
/* SIGTERM to every running node, reaps them, removes the dir unless keep (or the
 * environment has BERTH_CHAOS_KEEP, for looking at the logs after a run). */
void cluster_stop(cluster *c, int keep);
/* Number of lines of node i's log containing needle. */
int cluster_log_count(const cluster *c, int i, const char *needle);
/* Copies node i's log lines holding needle to stderr (a failed check names what it saw). */
void cluster_log_print(const cluster *c, int i, const char *needle);

/* One run of a CHAOS job as its trace tells it. */
typedef struct chaos_run {
    char id[40];
    long long rev;
    int pid;
    long long start_ms;
    long long end_ms;     /* 0: never ended (killed with its node, stopped or handed back) */
} chaos_run;

/* Reads the trace and pairs starts with ends (by id, revision and pid). *runs is sorted
 * by (id, start); the caller frees it with free. Returns the number of runs, -1 on error. */
long cluster_trace_read(const cluster *c, chaos_run **runs);

/* Launches a CHAOS job sleeping ms through cli (a client of some node); extra_json, when
 * set, is appended to the request object, outside the job object (a status_hook given
 * this way is ignored: put it in the job, through cluster_post_job). Returns the HTTP status
 * (0: transport error; the caller should then start cli afresh) and, on 202, the job id. */
long cluster_launch(hc *cli, unsigned ms, const char *extra_json, char *id, size_t idlen);
/* Posts a whole launch request body (any kind: a status hook, a Periodic policy) the same
 * way; same return and id as cluster_launch. */
long cluster_post_job(hc *cli, const char *body, char *id, size_t idlen);
/* A GET or POST (body) to node i's API with CLUSTER_AUTH; status 0 on a transport error.
 * Free with hc_resp_free. */
hc_resp cluster_api(cluster *c, int i, const char *method, const char *path, const char *body);
/* Waits up to ms until node i's API reports job id with status want; true when it did.
 * got receives the last status seen ("" when the job could not be read). */
int cluster_wait_status(cluster *c, int i, const char *id, const char *want, int ms, char *got,
                        size_t gotlen);
/* The job's log as node i serves it (GET /api/v1/jobs/<id>/log), malloc'd; "" when none. */
char *cluster_job_log(cluster *c, int i, const char *id);
/* The first node whose log has a line containing needle (e.g. a pool id), or -1. */
int cluster_find_log(const cluster *c, const char *needle);

/* How many of the jobs ids[0..n) have status want, asked in one pipeline on c; -1 when
 * the connection fails. */
struct redisContext;
int cluster_count_status(struct redisContext *c, char (*ids)[40], int n, const char *want);

/* Wall-clock milliseconds (CLOCK_REALTIME): the CHAOS trace's clock. Waits: wait.h. */
long long cluster_now_ms(void);
/* Sleeps until launch number n of a run that began at t0_ms is due at rate per second. */
void cluster_pace(long long t0_ms, int n, int rate);
/* True when BERTH_CHAOS_SCALE=full (make test-chaos): the tests' full sizes. */
int cluster_full_scale(void);

#endif
