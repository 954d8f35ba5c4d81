/* The REDIS job log's promises when a run ends (docs/logs.md): the worker does not wait for
 * the sink, yet every line a run wrote is in Redis by the time its final status is — checked
 * on the engine's event for Success (called right after the status is written) and through
 * GET /api/v1/jobs/{id}/log as each Success status hook arrives; Redis refusing the lines
 * (a real redis-server at maxmemory: OOM errors) holds the final status back, and the lines
 * are retried and all arrive once, in order, when Redis takes writes again; a run that
 * writes no line leaves no key and no file, and its log reads as 200 and empty; a huge line
 * and a flood of lines stay within the documented bounds.
 *
 * The job-log set reaches Redis through a slow link: a relay in this file that forwards the
 * bytes it reads from the sink to redis-server's TCP port 50 ms late (the real protocol,
 * only delayed). The sink's writes then take longer than the completer's, so a final
 * status that did not wait for the lines would be seen without them. */
#include "test.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_fixture.h"
#include "berth/context.h"
#include "engine_fixture.h"
#include "hook_receiver.h"
#include "joblog_check.h"
#include "joblog/joblog.h"
#include "wait.h"

#define NJOBS 300
#define NLINES 20
#define HTTP_CHECKS 40          /* Success hooks followed at once by GET .../log */

#define RELAY_DELAY_MS 50

static redis_fixture rf;
static char logdir[256];
static joblog_set *logs;
static berth_engine *eng;
static api_server *api;
static hc cli;
static hook_receiver *hr;


/* ---- the slow link ------------------------------------------------------------------- */

typedef struct pipe_ends {
    int from, to;
    bool slow;
} pipe_ends;

static int relay_fd = -1;
static pthread_t relay_th;

static void *pump(void *arg)
{
    pipe_ends p = *(pipe_ends *)arg;
    free(arg);
    char b[65536];
    for (ssize_t n; (n = read(p.from, b, sizeof b)) > 0;) {
        if (p.slow)
            wait_sleep_ms(RELAY_DELAY_MS);   /* pacing: the slow link itself */
        for (ssize_t off = 0, w; off < n; off += w)
            if ((w = write(p.to, b + off, (size_t)(n - off))) <= 0)
                return NULL;
    }
    shutdown(p.to, SHUT_WR);
    return NULL;
}

static void start_pump(int from, int to, bool slow)
{
    pipe_ends *p = malloc(sizeof *p);
    *p = (pipe_ends){from, to, slow};
    pthread_t t;
    if (pthread_create(&t, NULL, pump, p) == 0)
        pthread_detach(t);
}

static void *relay_main(void *arg)
{
    (void)arg;
    for (int c; (c = accept(relay_fd, NULL, NULL)) >= 0;) {
        int r = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)rf.port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (connect(r, (struct sockaddr *)&a, sizeof a) != 0) {
            close(c);
            close(r);
            continue;
        }
        start_pump(c, r, true);
        start_pump(r, c, false);
    }
    return NULL;
}

/* Listens on a free loopback port; returns it, or -1. */
static int relay_start(void)
{
    relay_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(relay_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(relay_fd, 16) != 0 ||
        getsockname(relay_fd, (struct sockaddr *)&a, &len) != 0 ||
        pthread_create(&relay_th, NULL, relay_main, NULL) != 0)
        return -1;
    return ntohs(a.sin_port);
}

static void relay_stop(void)
{
    shutdown(relay_fd, SHUT_RDWR);   /* wakes accept */
    pthread_join(relay_th, NULL);
    close(relay_fd);
}

/* ---- the engine ---------------------------------------------------------------------- */

/* Checked by the engine's event callback (the completer's thread): each Success run's key
 * must already hold its last line. */
static pthread_mutex_t ev_mu = PTHREAD_MUTEX_INITIALIZER;
static redisContext *ev_redis;
static atomic_int ev_success, ev_missing;
static atomic_bool gate_open;

/* What the set reported through its logger. */
static pthread_mutex_t said_mu = PTHREAD_MUTEX_INITIALIZER;
static int said_cannot, said_again;

static void on_log(berth_log_level lvl, const char *file, int line, const char *msg, void *ud)
{
    (void)ud, (void)lvl, (void)file, (void)line;
    pthread_mutex_lock(&said_mu);
    said_cannot += strstr(msg, "cannot write job logs to Redis") != NULL;
    said_again += strstr(msg, "job logs reach Redis again") != NULL;
    pthread_mutex_unlock(&said_mu);
}

static int lines_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params, (void)ud;
    for (int i = 1; i < NLINES; i++)
        BERTH_JINFO(ctx, "line %d", i);
    BERTH_JINFO(ctx, "last line of %s", berth_ctx_job_id(ctx));
    return 0;
}

static int quiet_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ctx, (void)params, (void)ud;
    return 0;
}

/* Writes line 1, waits for the test to open the gate, then lines 2..5. */
static int gated_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params, (void)ud;
    BERTH_JINFO(ctx, "gated line 1");
    for (int i = 0; i < 600 && !atomic_load(&gate_open); i++)
        berth_ctx_sleep(ctx, 50);
    for (int i = 2; i <= 5; i++)
        BERTH_JINFO(ctx, "gated line %d", i);
    return 0;
}

static void on_event(const berth_status_event *ev, void *ud)
{
    (void)ud;
    if (!ev->status || strcmp(ev->status, "Success") != 0)
        return;
    pthread_mutex_lock(&ev_mu);
    redisReply *r = redisCommand(ev_redis, "GET {t}:berth:joblog:%s", ev->job_id);
    char want[64];
    snprintf(want, sizeof want, "last line of %s\n", ev->job_id);
    bool lines_job = r && r->type == REDIS_REPLY_STRING && strstr(r->str, "]: line 1\n");
    if (lines_job) {
        atomic_fetch_add(&ev_success, 1);
        if (!strstr(r->str, want))
            atomic_fetch_add(&ev_missing, 1);
    }
    freeReplyObject(r);
    pthread_mutex_unlock(&ev_mu);
}

static int setup(void **state)
{
    (void)state;
    if (redis_fixture_start(&rf, NULL) != 0 || !(ev_redis = redisConnectUnix(rf.sock)))
        return -1;
    snprintf(logdir, sizeof logdir, "%s/logs", rf.dir);
    if (mkdir(logdir, 0700) != 0)
        return -1;
    int port = relay_start();
    if (port < 0)
        return -1;
    rtarget t = {.host = "127.0.0.1", .port = port};
    joblog_backend_cfg b[2] = {{.kind = JOBLOG_REDIS, .level = BERTH_LOG_DEBUG},
                               {.kind = JOBLOG_FILE, .level = BERTH_LOG_DEBUG, .base_dir = logdir}};
    char err[256];
    if (joblog_set_new(&(joblog_config){.backends = b, .nbackends = 2, .redis = &t, .ns = "t",
                                        .log = {.fn = on_log, .min = BERTH_LOG_DEBUG}},
                       &logs, err, sizeof err) != 0)
        return -1;
    joblog_set_start(logs);
    berth_engine_config c = engine_fixture_config(&rf);
    c.job_logs = logs;
    c.on_event = on_event;
    eng = engine_fixture_start(&c, (berth_job_type[]){{.name = "LINES", .run = lines_run},
                                                      {.name = "QUIET", .run = quiet_run},
                                                      {.name = "GATED", .run = gated_run},
                                                      {0}});
    api_ctx ctx = {.engine = eng, .secret = API_SECRET, .ns = "t", .max_retrieve_bytes = 1 << 20};
    if (!eng || api_server_start(&ctx, "127.0.0.1", 0, &api, err, sizeof err) != 0)
        return -1;
    hc_init(&cli, api_server_port(api));
    hr = hr_start();
    return hr ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    hc_cleanup(&cli);
    api_server_stop(api);
    berth_engine_free(eng);
    joblog_set_free(logs);
    hr_stop(hr);
    redisFree(ev_redis);
    relay_stop();
    redis_fixture_stop(&rf);
    return 0;
}

static char *get_log(const char *id, long *status)
{
    char path[160];
    snprintf(path, sizeof path, "/api/v1/jobs/%s/log", id);
    hc_resp r;
    assert_int_equal(hc_get(&cli, path, API_AUTH, &r), 0);
    *status = r.status;
    char *body = strdup(r.body ? r.body : "");
    hc_resp_free(&r);
    return body;
}

/* The job id of a Success hook body, or "" (a Running hook). */
static void success_id(const char *body, char *id, size_t idlen)
{
    id[0] = '\0';
    const char *p = strstr(body, "\"job_id\":\"");
    if (strstr(body, "\"status\":\"Success\"") && p)
        snprintf(id, idlen, "%.24s", p + 10);
}

/* Every run's lines are in Redis when its Success is: on the engine's event for all runs,
 * and through the API for the first HTTP_CHECKS Success hooks, read as each arrives. */
static void test_lines_visible_with_final_status(void **state)
{
    (void)state;
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", hr_port(hr));
    berth_launch l = {.name = "LINES", .params_json = "{}", .status_hook = url};
    berth_launch batch[NJOBS];
    for (int i = 0; i < NJOBS; i++)
        batch[i] = l;
    assert_int_equal(berth_engine_launch_batch(eng, batch, NJOBS, NULL, NULL), 0);
    /* every hook (Running and Success per job); as each Success arrives, read its log */
    char **bodies = calloc(2 * NJOBS, sizeof *bodies);
    size_t seen = 0, checked = 0, successes = 0;
    long long until = wait_now_ms() + 60000;
    while (successes < NJOBS && wait_now_ms() < until) {
        size_t n = hr_wait(hr, seen + 1, 200);
        if (n <= seen)
            continue;
        for (size_t i = 0; i < seen; i++)
            free(bodies[i]);
        n = hr_delivered(hr, bodies, 2 * NJOBS);
        for (size_t i = seen; i < n; i++) {
            char id[32];
            success_id(bodies[i], id, sizeof id);
            if (!id[0])
                continue;
            if (++successes > HTTP_CHECKS)
                continue;            /* each read crosses the slow link twice: 100 ms */
            long status = 0;
            char *log = get_log(id, &status);
            char want[64];
            snprintf(want, sizeof want, "]: last line of %s\n", id);
            if (status != 200 || !strstr(log, want) || jl_count(log, "]: line ") != NLINES - 1)
                fail_msg("job %s: Success hook received but log incomplete (%ld):\n%s", id,
                         status, log);
            free(log);
            checked++;
        }
        seen = n;
    }
    for (size_t i = 0; i < seen; i++)
        free(bodies[i]);
    free(bodies);
    assert_int_equal(successes, NJOBS);
    assert_int_equal(checked, HTTP_CHECKS);
    assert_int_equal(atomic_load(&ev_success), NJOBS);   /* the event saw them all ... */
    assert_int_equal(atomic_load(&ev_missing), 0);       /* ... each with its last line */
}

/* Runs a command that must answer OK. */
static void redis_do(const char *cmd)
{
    redisContext *c = redisConnectUnix(rf.sock);
    redisReply *r = c ? redisCommand(c, cmd) : NULL;
    assert_true(r && r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    redisFree(c);
}

/* The set has said "cannot write" more often than *arg times. */
static bool said_refusal(void *arg)
{
    pthread_mutex_lock(&said_mu);
    bool yes = said_cannot > *(int *)arg;
    pthread_mutex_unlock(&said_mu);
    return yes;
}

static void test_redis_refusing_holds_the_status_back(void **state)
{
    (void)state;
    atomic_store(&gate_open, false);
    char *id = engine_fixture_launch(eng, "GATED");
    assert_true(wait_until(jl_key_holds, &(jl_key_has){&rf, id, "]: gated line 1\n"}, 10000));
    assert_true(engine_fixture_wait_status(eng, id, "Running", 10000));
    /* Redis refuses every write now (OOM errors), the job's lines and its status alike.
     * The count before the gate opens: a refusal said between the open and a later read
     * would not be counted, and the test would wait for one that never comes. */
    pthread_mutex_lock(&said_mu);
    int cannot0 = said_cannot;
    pthread_mutex_unlock(&said_mu);
    redis_do("CONFIG SET maxmemory 1");
    atomic_store(&gate_open, true);
    /* The refusal is said at the first flush of line 2 (200 ms apart): polled, not assumed
     * within the window below, which a loaded sanitizer run may spend before that flush. */
    assert_true(wait_until(said_refusal, &cannot0, 10000));
    /* a negative window: nothing may become final while the lines are refused */
    wait_sleep_ms(2000);
    char st[32];
    engine_fixture_status(eng, id, st, sizeof st);
    assert_string_equal(st, "Running");
    assert_false(jl_key_holds(&(jl_key_has){&rf, id, "gated line 2"}));
    pthread_mutex_lock(&said_mu);
    assert_int_equal(said_cannot, cannot0 + 1);   /* said once for the outage */
    pthread_mutex_unlock(&said_mu);
    redis_do("CONFIG SET maxmemory 0");
    assert_true(engine_fixture_wait_status(eng, id, "Success", 15000));
    long status = 0;
    char *log = get_log(id, &status);
    assert_int_equal(status, 200);
    jl_assert_lines(log, "gated line", 5);   /* every line once, in order */
    pthread_mutex_lock(&said_mu);
    assert_true(said_again >= 1);
    pthread_mutex_unlock(&said_mu);
    free(log);
    free(id);
}

static int files_in(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void test_quiet_runs_leave_nothing(void **state)
{
    (void)state;
    redis_do("CONFIG SET maxmemory 0");   /* in case the test before failed half-way */
    redis_fixture_flush(&rf);
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", hr_port(hr));
    int files0 = files_in(logdir);
    char *ids[20];
    for (int i = 0; i < 20; i++)
        ids[i] = engine_fixture_launch(eng, "QUIET");
    for (int i = 0; i < 20; i++)
        assert_true(engine_fixture_wait_status(eng, ids[i], "Success", 10000));
    redisContext *c = redisConnectUnix(rf.sock);
    redisReply *r = redisCommand(c, "KEYS {t}:berth:joblog:*");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    redisFree(c);
    assert_int_equal(files_in(logdir), files0);
    long status = 0;
    char *log = get_log(ids[0], &status);        /* it ran: an empty log, as in Harbor */
    assert_int_equal(status, 200);
    assert_string_equal(log, "");
    free(log);
    log = get_log("0123456789abcdef01234567", &status);   /* no such job: still 404 */
    assert_int_equal(status, 404);
    free(log);
    for (int i = 0; i < 20; i++)
        free(ids[i]);
}

static void test_bounds(void **state)
{
    (void)state;
    rtarget t = {.unix_path = rf.sock};
    joblog_backend_cfg b = {.kind = JOBLOG_REDIS, .level = BERTH_LOG_DEBUG, .max_bytes = 20000};
    joblog_set *s = NULL;
    char err[256];
    assert_int_equal(joblog_set_new(&(joblog_config){.backends = &b, .nbackends = 1, .redis = &t,
                                                     .ns = "b"}, &s, err, sizeof err), 0);
    joblog_set_start(s);
    const char *id = "00000000000000000000abcd";
    char *huge = malloc(100001);
    memset(huge, 'h', 100000);
    huge[100000] = '\0';
    joblog_run *r = joblog_run_open(s, id, 1, "p");
    joblog_run_write(r, BERTH_LOG_INFO, "a.c", 1, huge);      /* one line, cut at 4 KiB */
    for (int i = 0; i < 1000; i++)                             /* ~100 KB: past the key cap */
        joblog_run_write(r, BERTH_LOG_INFO, "a.c", 2, "a line of about a hundred bytes, "
                         "written a thousand times to fill the key's cap of 20000");
    r = joblog_run_end(r, true);
    assert_non_null(r);                                        /* its bytes are on their way */
    assert_true(joblog_run_wait(r, 5000));
    joblog_run_free(r);
    redisContext *c = redisConnectUnix(rf.sock);
    redisReply *g = redisCommand(c, "GET {b}:berth:joblog:%s", id);
    assert_int_equal(g->type, REDIS_REPLY_STRING);
    assert_true(g->len <= 20000 + 256);                        /* the cap, then one notice */
    assert_int_equal(jl_count(g->str, "reached its cap in Redis"), 1);
    const char *line = strstr(g->str, "]: hhhh");
    const char *end = line ? strchr(line, '\n') : NULL;
    assert_non_null(end);
    assert_true(end - g->str < 4096 + 64);                     /* separator + one cut line */
    assert_int_equal(g->str[g->len - 1], '\n');
    freeReplyObject(g);
    long long ttl = redis_fixture_int(&rf, "TTL {b}:berth:joblog:%s", id);
    assert_true(ttl > 86000 && ttl <= 86400);                   /* 1 d after a successful run */
    redisReply *m = redisCommand(c, "MEMORY USAGE {b}:berth:joblog:%s", id);
    assert_true(m->type == REDIS_REPLY_INTEGER && m->integer <= 2 * 20256 + 256);
    freeReplyObject(m);
    redisFree(c);
    free(huge);
    joblog_set_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_visible_with_final_status),
        cmocka_unit_test(test_redis_refusing_holds_the_status_back),
        cmocka_unit_test(test_quiet_runs_leave_nothing),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
