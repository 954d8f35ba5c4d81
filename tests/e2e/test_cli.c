/* End-to-end tests of the `berth` CLI: the real binary ($BERTH_BINARY_DIR/berth) runs as a
 * child process against a real HTTP server in this process.
 *
 * The server here is a TEST DOUBLE of berthd's routes, written only for these tests with
 * libmicrohttpd: it answers each request from a table of canned, Harbor-shaped replies
 * (spec §2, §14.1) and records what it received (method, raw URI with query, Authorization
 * header, body), so each test can assert both what the CLI printed and exited with and
 * what it sent. It knows nothing about jobs. */
#include "test.h"

#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "berth/version.h"
#include "cli_run.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "wait.h"

extern char **environ;

/* ---- the fake server ------------------------------------------------------------------ */

#define MAX_RULES 16
#define MAX_SEEN 32

/* One canned reply: the first rule whose method and path match, with uses left, answers. */
typedef struct rule {
    const char *method;
    const char *path;      /* exact path, query not included */
    int status;
    const char *body;      /* NULL: empty */
    size_t body_len;       /* 0: strlen(body) */
    const char *hname, *hvalue;  /* one extra header, optional */
    int times;             /* answers this many requests; 0 = any number */
    int delay_ms;          /* waits before answering */
    bool stream;           /* chunked: "chunk-1\n", wait for fake.release, "chunk-2\n" */
    int used;
} rule;

/* One request as received. */
typedef struct seen {
    char method[8];
    char uri[512];         /* raw request target: path + "?" + query */
    char *auth;            /* Authorization header or NULL */
    char *body;            /* "" when none */
} seen;

static struct {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rule rules[MAX_RULES];
    int nrules;
    seen seen[MAX_SEEN];
    int nseen;
    bool release;          /* lets a streaming reply send its second chunk */
    char *owned;           /* a body freed after the server stopped */
} fake = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* Per-request state: the raw URI (from MHD's URI log callback) and the body so far. */
typedef struct fake_req {
    char *uri;
    buf body;
    bool started;
} fake_req;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    fake_req *r = berth_calloc(1, sizeof *r);
    r->uri = berth_strdup(uri);
    buf_init(&r->body, 1 << 20);
    buf_append(&r->body, "", 0);
    return r;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    fake_req *r = *con_cls;
    if (!r)
        return;
    berth_free(r->uri);
    buf_free(&r->body);
    berth_free(r);
    *con_cls = NULL;
}

static void record(struct MHD_Connection *c, const char *method, const fake_req *r)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    pthread_mutex_lock(&fake.mu);
    if (fake.nseen < MAX_SEEN) {
        seen *s = &fake.seen[fake.nseen++];
        snprintf(s->method, sizeof s->method, "%s", method);
        snprintf(s->uri, sizeof s->uri, "%s", r->uri);
        s->auth = auth ? berth_strdup(auth) : NULL;
        s->body = berth_strdup(r->body.p);
    }
    pthread_mutex_unlock(&fake.mu);
}

/* The rule that answers (its use counted), copied out; false when none matches. */
static bool pick(const char *method, const char *uri, rule *out)
{
    size_t plen = strcspn(uri, "?");
    bool found = false;
    pthread_mutex_lock(&fake.mu);
    for (int i = 0; i < fake.nrules && !found; i++) {
        rule *ru = &fake.rules[i];
        if (strcmp(ru->method, method) || strlen(ru->path) != plen ||
            strncmp(ru->path, uri, plen) || (ru->times && ru->used >= ru->times))
            continue;
        ru->used++;
        *out = *ru;
        found = true;
    }
    pthread_mutex_unlock(&fake.mu);
    return found;
}

static ssize_t stream_chunk(void *cls, uint64_t pos, char *out, size_t max)
{
    int *step = cls;
    bool released = true;
    if (*step == 1) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 5;
        pthread_mutex_lock(&fake.mu);
        while (!fake.release && pthread_cond_timedwait(&fake.cv, &fake.mu, &until) == 0)
            ;
        released = fake.release;
        pthread_mutex_unlock(&fake.mu);
    }
    if ((*step)++ >= 2)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (!released) /* the client never showed chunk 1: it does not stream */
        return snprintf(out, max, "chunk-1 was not printed in time\n");
    return snprintf(out, max, "chunk-%d\n", *step);
}

static struct MHD_Response *make_response(const rule *ru)
{
    if (ru->stream)
        return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, stream_chunk,
                                                 berth_calloc(1, sizeof(int)), berth_free);
    const char *b = ru->body ? ru->body : "";
    size_t n = ru->body_len ? ru->body_len : strlen(b);
    return MHD_create_response_from_buffer(n, (void *)b, MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    fake_req *r = *con_cls;
    if (!r->started) {
        r->started = true;
        return MHD_YES;
    }
    if (*upload_size) {
        buf_append(&r->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    record(c, method, r);
    rule ru = {.status = 404, .body = "404 page not found\n"};
    pick(method, r->uri, &ru);
    if (ru.delay_ms)
        wait_sleep_ms(ru.delay_ms);   /* the fake server's slow reply, not a check */
    struct MHD_Response *resp = make_response(&ru);
    if (ru.hname)
        MHD_add_response_header(resp, ru.hname, ru.hvalue);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)ru.status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static int fake_start(void **state)
{
    (void)state;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    fake.d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
                              0, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                              MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
                              MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
    if (!fake.d)
        return -1;
    fake.port = MHD_get_daemon_info(fake.d, MHD_DAEMON_INFO_BIND_PORT)->port;
    return 0;
}

static int fake_stop(void **state)
{
    (void)state;
    pthread_mutex_lock(&fake.mu);
    fake.release = true; /* never leave a streaming reply waiting */
    pthread_cond_broadcast(&fake.cv);
    pthread_mutex_unlock(&fake.mu);
    MHD_stop_daemon(fake.d);
    berth_free(fake.owned);
    fake.owned = NULL;
    for (int i = 0; i < fake.nseen; i++) {
        berth_free(fake.seen[i].auth);
        berth_free(fake.seen[i].body);
    }
    fake.nseen = fake.nrules = 0;
    fake.release = false;
    fake.d = NULL;
    return 0;
}

/* A rule: method, path, status, body, then optional designated fields. */
#define R(m, p, st, b, ...) \
    ((rule){.method = (m), .path = (p), .status = (st), .body = (b), __VA_ARGS__})

static void add_rule(rule r)
{
    assert_true(fake.nrules < MAX_RULES);
    pthread_mutex_lock(&fake.mu);      /* the server's connection threads read the rules */
    fake.rules[fake.nrules++] = r;
    pthread_mutex_unlock(&fake.mu);
}

static const seen *seen_at(int i)
{
    pthread_mutex_lock(&fake.mu);      /* pairs with record(): what it wrote is visible */
    int n = fake.nseen;
    pthread_mutex_unlock(&fake.mu);
    assert_true(i < n);
    return &fake.seen[i];
}

static int seen_count(void)
{
    pthread_mutex_lock(&fake.mu);
    int n = fake.nseen;
    pthread_mutex_unlock(&fake.mu);
    return n;
}

static void fake_release(void)
{
    pthread_mutex_lock(&fake.mu);
    fake.release = true;
    pthread_cond_broadcast(&fake.cv);
    pthread_mutex_unlock(&fake.mu);
}

/* ---- running the berth binary ----------------------------------------------------------- */

/* "http://127.0.0.1:<port>" of the fake server (static buffer). */
static const char *addr(void)
{
    static char a[64];
    snprintf(a, sizeof a, "http://127.0.0.1:%d", fake.port);
    return a;
}

/* berth --addr <fake> --secret s3cret <args...> */
#define RUN(...) cli_run_env(NULL, NULL, ARGS("--addr", addr(), "--secret", "s3cret", __VA_ARGS__))

/* ---- canned replies (spec §14.1) --------------------------------------------------------- */

#define JOB_ID "2b7e1f0c9d8a6b5c4d3e2f10"
#define JOB_PATH "/api/v1/jobs/" JOB_ID
#define LAUNCH_REPLY                                                                             \
    "{\"job\":{\"id\":\"" JOB_ID "\",\"status\":\"Pending\",\"name\":\"DEMO\",\"kind\":"          \
    "\"Generic\",\"unique\":false,\"ref_link\":\"/api/v1/jobs/" JOB_ID "\",\"enqueue_time\":"     \
    "1700000000,\"update_time\":1700000000,\"parameters\":{\"image\":\"demo:latest\"}}}"
#define GET_REPLY                                                                                \
    "{\"job\":{\"id\":\"" JOB_ID "\",\"status\":\"Success\",\"name\":\"DEMO\",\"kind\":"          \
    "\"Generic\",\"unique\":false,\"ref_link\":\"/api/v1/jobs/" JOB_ID "\",\"enqueue_time\":"     \
    "1700000000,\"update_time\":1700000033,\"check_in_at\":1700000002,\"web_hook_url\":"          \
    "\"http://core:8080/service/notifications/tasks/11\",\"parameters\":{\"image\":"              \
    "\"demo:latest\"},\"revision\":1700000000,\"ack\":{\"status\":\"Success\",\"revision\":"      \
    "1700000000,\"check_in_at\":1700000002}}}"
/* A job in status st, updated at up, last check-in at ci (0: none). */
#define JOB_AT(st, up, ci)                                                                       \
    "{\"job\":{\"id\":\"" JOB_ID "\",\"status\":\"" st "\",\"name\":\"DEMO\",\"kind\":"           \
    "\"Generic\",\"unique\":false,\"enqueue_time\":1700000000,\"update_time\":" up               \
    ",\"check_in_at\":" ci "}}"
#define NOT_FOUND "{\"code\":10010,\"message\":\"object is not found\",\"details\":\"nope\"}"
#define LIST_REPLY                                                                               \
    "[{\"job\":{\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaa\",\"status\":\"Running\",\"name\":\"DEMO\","      \
    "\"kind\":\"Generic\",\"unique\":false,\"enqueue_time\":1,\"update_time\":1700000000}},"      \
    "{\"job\":{\"id\":\"bbbbbbbbbbbbbbbbbbbbbbbb@1700006400\",\"status\":\"Scheduled\","          \
    "\"name\":\"SCHEDULER\",\"kind\":\"Scheduled\",\"unique\":false,\"enqueue_time\":1,"         \
    "\"update_time\":1700000000}}]"
#define STATS_REPLY                                                                              \
    "{\"worker_pools\":[{\"worker_pool_id\":\"5d2c8e1f7a9b3c4d6e0f1a2b\",\"started_at\":"         \
    "1699990000,\"heartbeat_at\":1700000000,\"job_names\":[\"DEMO\",\"SCHEDULER\"],"              \
    "\"concurrency\":10,\"status\":\"Healthy\"}]}"

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected to find\n  %s\nin\n  %s", needle, hay);
}

/* ---- submit ------------------------------------------------------------------------------ */

static void test_submit_human(void **state)
{
    add_rule(R("POST", "/api/v1/jobs", 202, LAUNCH_REPLY));
    cli_run_out r = RUN("submit", "DEMO", "--params", "{\"image\":\"demo:latest\"}", "--hook",
                    "http://core/x");
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out.p, JOB_ID "\nPending Generic job DEMO, enqueued "
                                         "2023-11-14T22:13:20Z\n");
    assert_string_equal(r.err.p, "");
    assert_int_equal(seen_count(), 1);
    assert_string_equal(seen_at(0)->method, "POST");
    assert_string_equal(seen_at(0)->uri, "/api/v1/jobs");
    assert_string_equal(seen_at(0)->auth, "Harbor-Secret s3cret");
    assert_string_equal(seen_at(0)->body,
                        "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo:latest\"},"
                        "\"metadata\":{\"kind\":\"Generic\",\"unique\":false},"
                        "\"status_hook\":\"http://core/x\"}}");
    cli_run_free(&r);
}

/* --json after the command; --param pairs merged over --params; a delay makes it Scheduled. */
static void test_submit_json_pairs_scheduled(void **state)
{
    add_rule(R("POST", "/api/v1/jobs", 202, LAUNCH_REPLY));
    cli_run_out r = RUN("submit", "GC", "--json", "--params", "{\"z\":true,\"a\":0}", "--param",
                    "a=1", "-p", "n:=2.50", "--delay", "90", "--unique", "-q");
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out.p, LAUNCH_REPLY "\n");
    assert_string_equal(seen_at(0)->body,
                        "{\"job\":{\"name\":\"GC\",\"parameters\":{\"a\":\"1\",\"n\":2.5,"
                        "\"z\":true},\"metadata\":{\"kind\":\"Scheduled\",\"schedule_delay\":90,"
                        "\"unique\":true},\"status_hook\":\"\"}}");
    cli_run_free(&r);
}

static void test_submit_periodic_quiet(void **state)
{
    add_rule(R("POST", "/api/v1/jobs", 202, LAUNCH_REPLY));
    cli_run_out r = RUN("submit", "SCHEDULER", "--cron", "0 0 0 * * *", "-q");
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out.p, JOB_ID "\n");
    assert_string_equal(seen_at(0)->body,
                        "{\"job\":{\"name\":\"SCHEDULER\",\"parameters\":null,\"metadata\":"
                        "{\"kind\":\"Periodic\",\"cron_spec\":\"0 0 0 * * *\",\"unique\":false},"
                        "\"status_hook\":\"\"}}");
    cli_run_free(&r);
}

/* Bad input is refused before anything is sent: exit 2, one clear line. */
static void test_submit_malformed(void **state)
{
    static const char *const cases[][3] = {
        {"--params", "{\"image\":", "--params is not valid JSON"},
        {"--params", "[1,2]", "--params must be a JSON object"},
        {"--param", "novalue", "--param wants key=value or key:=JSON"},
        {"--param", "n:={", "--param value is not valid JSON"},
        {"--kind", "generic", "unknown kind 'generic'"},
        {"--delay", "-5", "--delay wants whole seconds"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cli_run_out r = RUN("submit", "DEMO", cases[i][0], cases[i][1]);
        assert_int_equal(r.code, 2);
        assert_contains(r.err.p, cases[i][2]);
        assert_string_equal(r.out.p, "");
        cli_run_free(&r);
    }
    cli_run_out r = RUN("submit", "DEMO", "--kind", "Scheduled");
    assert_int_equal(r.code, 2);
    assert_contains(r.err.p, "needs --delay");
    cli_run_free(&r);
    assert_int_equal(seen_count(), 0);
}

/* Each HTTP error maps to its exit code, with Harbor's error body as one line. */
static void test_error_exit_codes(void **state)
{
    static const struct { int status; int code; } cases[] = {
        {400, 5}, {409, 5}, {413, 5}, {501, 5}, {404, 3}, {401, 4}, {500, 6}, {503, 6},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        add_rule(R("POST", "/api/v1/jobs", cases[i].status,
                        "{\"code\":10013,\"message\":\"bad request\",\"details\":\"job with "
                        "name 'NOPE' is unknown\"}",
                        .times = 1));
        cli_run_out r = RUN("submit", "NOPE");
        if (r.code != cases[i].code)
            fail_msg("HTTP %d: exit %d, want %d; stderr: %s", cases[i].status, r.code,
                     cases[i].code, r.err.p);
        static const char first[] = "berth: bad request (10013 job with name 'NOPE' is "
                                    "unknown)\n";
        assert_memory_equal(r.err.p, first, sizeof first - 1);   /* hints may follow */
        assert_string_equal(r.out.p, "");
        cli_run_free(&r);
    }
    assert_int_equal(seen_count(), 9);   /* the 400 also asked /api/v1/stats for the names */
}

/* An unknown name: the names the pools run, from /api/v1/stats. A known name refused for
 * another reason gets no such line. */
static void test_submit_unknown_name_lists_names(void **state)
{
    add_rule(R("POST", "/api/v1/jobs", 400,
               "{\"code\":10013,\"message\":\"bad request\",\"details\":\"job with "
               "name 'DEMOO' is unknown\"}"));
    add_rule(R("GET", "/api/v1/stats", 200, STATS_REPLY));
    cli_run_out r = RUN("submit", "DEMOO");
    assert_int_equal(r.code, 5);
    assert_contains(r.err.p, "berth: no worker pool runs a job named 'DEMOO'; the registered "
                             "names are: DEMO, SCHEDULER\n");
    cli_run_free(&r);
    assert_string_equal(seen_at(1)->uri, "/api/v1/stats");
    r = RUN("submit", "DEMO", "-p", "image=x");
    assert_int_equal(r.code, 5);
    assert_null(strstr(r.err.p, "registered names"));
    cli_run_free(&r);
}

/* ---- get ---------------------------------------------------------------------------------- */

static void test_get_human_and_json(void **state)
{
    add_rule(R("GET", JOB_PATH, 200, GET_REPLY));
    cli_run_out r = RUN("get", JOB_ID);
    assert_int_equal(r.code, 0);
    assert_contains(r.out.p, "id           " JOB_ID "\n");
    assert_contains(r.out.p, "status       Success\n");
    assert_contains(r.out.p, "updated      2023-11-14T22:13:53Z (1700000033)\n");
    assert_contains(r.out.p, "checked in   2023-11-14T22:13:22Z (1700000002)\n");
    assert_contains(r.out.p, "hook ack     Success (revision 1700000000, check-in 1700000002)");
    assert_contains(r.out.p, "parameters   {\"image\":\"demo:latest\"}\n");
    cli_run_free(&r);
    r = RUN("--json", "get", JOB_ID);
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out.p, GET_REPLY "\n");
    cli_run_free(&r);
    assert_int_equal(seen_count(), 2);
    assert_string_equal(seen_at(1)->method, "GET");
    assert_string_equal(seen_at(1)->uri, JOB_PATH);
}

static void test_get_not_found(void **state)
{
    add_rule(R("GET", "/api/v1/jobs/nope", 404, NOT_FOUND));
    cli_run_out r = RUN("get", "nope");
    assert_int_equal(r.code, 3);
    assert_string_equal(r.err.p, "berth: object is not found (10010 nope)\n");
    cli_run_free(&r);
}

/* Ids that could leave /api/v1/jobs/{id} are refused locally. */
static void test_bad_ids_refused(void **state)
{
    static const char *const cmds[] = {"get", "stop", "log", "executions"};
    static const char *const ids[] = {"a/b", "..", "x..y", ""};
    for (size_t c = 0; c < 4; c++) {
        for (size_t i = 0; i < 4; i++) {
            cli_run_out r = RUN(cmds[c], ids[i]);
            assert_int_equal(r.code, 2);
            assert_contains(r.err.p, "job id");
            cli_run_free(&r);
        }
    }
    assert_int_equal(seen_count(), 0);
}

/* An execution id keeps its '@'; anything outside the safe set is percent-encoded. */
static void test_id_escaping(void **state)
{
    add_rule(R("GET", "/api/v1/jobs/p@17", 200, GET_REPLY));
    cli_run_out r = RUN("get", "p@17");
    assert_int_equal(r.code, 0);
    cli_run_free(&r);
    r = RUN("get", "a b?c");
    assert_int_equal(r.code, 3); /* no rule: the fake answers 404 page not found */
    assert_string_equal(r.err.p, "berth: 404 page not found (HTTP 404)\n");
    cli_run_free(&r);
    assert_string_equal(seen_at(0)->uri, "/api/v1/jobs/p@17");
    assert_string_equal(seen_at(1)->uri, "/api/v1/jobs/a%20b%3Fc");
}

/* ---- get --watch -------------------------------------------------------------------------- */

static void test_watch_success(void **state)
{
    add_rule(R("GET", JOB_PATH, 200, JOB_AT("Pending", "1700000000", "0"), .times = 1));
    add_rule(R("GET", JOB_PATH, 200, JOB_AT("Running", "1700000001", "1700000002"),
               .times = 2)); /* seen twice: printed once */
    add_rule(R("GET", JOB_PATH, 200, JOB_AT("Running", "1700000003", "1700000003"),
               .times = 1));
    add_rule(R("GET", JOB_PATH, 200, JOB_AT("Success", "1700000009", "1700000008")));
    cli_run_out r = RUN("get", JOB_ID, "--watch", "--interval", "50");
    assert_int_equal(r.code, 0);
    /* status before a check-in while running; the last check-in before the final status */
    assert_string_equal(r.out.p, "2023-11-14T22:13:20Z status Pending\n"
                                 "2023-11-14T22:13:21Z status Running\n"
                                 "2023-11-14T22:13:22Z check-in\n"
                                 "2023-11-14T22:13:23Z check-in\n"
                                 "2023-11-14T22:13:28Z check-in\n"
                                 "2023-11-14T22:13:29Z status Success\n");
    assert_int_equal(seen_count(), 5); /* stops polling at the final status */
    for (int i = 0; i < 5; i++)
        assert_string_equal(seen_at(i)->auth, "Harbor-Secret s3cret");
    cli_run_free(&r);
}

static void test_watch_error_and_stopped(void **state)
{
    add_rule(R("GET", JOB_PATH, 200, JOB_AT("Running", "1700000001", "0"), .times = 1));
    add_rule(R("GET", JOB_PATH, 200, JOB_AT("Error", "1700000005", "0"), .times = 1));
    add_rule(R("GET", JOB_PATH, 200, JOB_AT("Stopped", "1700000007", "0")));
    cli_run_out r = RUN("get", JOB_ID, "-w", "--interval", "50");
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out.p, "2023-11-14T22:13:21Z status Running\n"
                                 "2023-11-14T22:13:25Z status Error\n");
    cli_run_free(&r);
    r = RUN("--json", "get", JOB_ID, "--watch", "--interval", "50");
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out.p, JOB_AT("Stopped", "1700000007", "0") "\n");
    cli_run_free(&r);
}

/* A watched job that disappears ends the watch with the error's code. */
static void test_watch_not_found(void **state)
{
    add_rule(R("GET", JOB_PATH, 200, JOB_AT("Running", "1700000001", "0"), .times = 1));
    add_rule(R("GET", JOB_PATH, 404, NOT_FOUND));
    cli_run_out r = RUN("get", JOB_ID, "--watch", "--interval", "50");
    assert_int_equal(r.code, 3);
    assert_string_equal(r.err.p, "berth: object is not found (10010 nope)\n");
    cli_run_free(&r);
}

/* Running under a new revision: the node running it died, the job was requeued. */
#define JOB_REV(st, up, rev)                                                                     \
    "{\"job\":{\"id\":\"" JOB_ID "\",\"status\":\"" st "\",\"name\":\"DEMO\",\"kind\":"           \
    "\"Generic\",\"unique\":false,\"enqueue_time\":1700000000,\"update_time\":" up               \
    ",\"revision\":" rev "}}"

static void test_watch_requeued(void **state)
{
    add_rule(R("GET", JOB_PATH, 200, JOB_REV("Running", "1700000001", "1700000000"), .times = 2));
    add_rule(R("GET", JOB_PATH, 200, JOB_REV("Running", "1700000040", "1700000040"), .times = 1));
    add_rule(R("GET", JOB_PATH, 200, JOB_REV("Success", "1700000050", "1700000040")));
    cli_run_out r = RUN("get", JOB_ID, "--watch", "--interval", "50");
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out.p, "2023-11-14T22:13:21Z status Running\n"
                                 "2023-11-14T22:14:00Z requeued: the node running it died or "
                                 "shut down before it ended; it is running again (revision "
                                 "1700000040)\n"
                                 "2023-11-14T22:14:10Z status Success\n");
    cli_run_free(&r);
}

/* ---- stop, log ------------------------------------------------------------------------- */

static void test_stop(void **state)
{
    add_rule(R("GET", JOB_PATH, 200, JOB_AT("Running", "1700000001", "0"), .times = 1));
    add_rule(R("GET", JOB_PATH, 404, NOT_FOUND));
    add_rule(R("POST", JOB_PATH, 204, NULL));
    cli_run_out r = RUN("stop", JOB_ID);
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out.p, "stop requested for " JOB_ID "\n");
    cli_run_free(&r);
    r = RUN("stop", JOB_ID, "--json");
    assert_int_equal(r.code, 3);
    assert_string_equal(r.out.p, "");
    cli_run_free(&r);
    assert_string_equal(seen_at(0)->method, "GET");
    assert_string_equal(seen_at(1)->method, "POST");
    assert_string_equal(seen_at(1)->uri, JOB_PATH);
    assert_string_equal(seen_at(1)->body, "{\"action\":\"stop\"}");
    assert_int_equal(seen_count(), 3);             /* not found: no stop sent */
}

/* A job that already ended: berth says so and sends no stop. */
static void test_stop_finished(void **state)
{
    add_rule(R("GET", JOB_PATH, 200, JOB_AT("Success", "1700000009", "0")));
    add_rule(R("POST", JOB_PATH, 204, NULL));
    cli_run_out r = RUN("stop", JOB_ID);
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out.p, "job " JOB_ID " had already finished (Success at "
                                 "2023-11-14T22:13:29Z): nothing to stop\n");
    cli_run_free(&r);
    assert_int_equal(seen_count(), 1);
    assert_string_equal(seen_at(0)->method, "GET");
}

static void test_log(void **state)
{
    static const char text[] = "2023-11-14T22:13:20Z [INFO] Sample job starting\n"
                               "2023-11-14T22:13:20Z [INFO] Params: {\"image\":1}\n";
    add_rule(R("GET", JOB_PATH "/log", 200, text));
    add_rule(R("GET", "/api/v1/jobs/bad@x/log", 400, "invalid Job ID: bad@x"));
    cli_run_out r = RUN("log", JOB_ID);
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out.p, text);
    cli_run_free(&r);
    r = RUN("log", "bad@x");
    assert_int_equal(r.code, 5);
    assert_string_equal(r.err.p, "berth: invalid Job ID: bad@x (HTTP 400)\n");
    cli_run_free(&r);
    r = RUN("log", "gone");
    assert_int_equal(r.code, 3);
    cli_run_free(&r);
    assert_string_equal(seen_at(0)->uri, JOB_PATH "/log");
}

/* Follow prints each chunk as it arrives: the fake sends chunk 2 only after the test has
 * seen chunk 1 on berth's stdout, so a client that buffered would never finish. */
static void on_follow_out(const buf *out)
{
    if (strstr(out->p, "chunk-1\n"))
        fake_release();
}

static void test_log_follow_streams(void **state)
{
    add_rule(R("GET", JOB_PATH "/log", 200, NULL, .stream = true));
    cli_run_out r = cli_run_env(NULL, on_follow_out,
                        ARGS("--addr", addr(), "--timeout", "2", "log", JOB_ID, "--follow"));
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out.p, "chunk-1\nchunk-2\n");
    assert_string_equal(seen_at(0)->uri, JOB_PATH "/log?follow=true");
    cli_run_free(&r);
}

static void test_log_follow_unsupported(void **state)
{
    add_rule(R("GET", JOB_PATH "/log", 400,
                    "{\"code\":10013,\"message\":\"bad request\",\"details\":\"follow is not "
                    "supported\"}"));
    cli_run_out r = RUN("log", "-f", JOB_ID);
    assert_int_equal(r.code, 5);
    assert_string_equal(r.err.p, "berth: bad request (10013 follow is not supported)\n");
    assert_string_equal(r.out.p, "");
    cli_run_free(&r);
}

/* A log over 16 MiB: the first 16 MiB, a note, exit 0 (no unbounded reads). */
static void test_log_truncated(void **state)
{
    size_t n = (17u << 20) + 5;
    char *big = fake.owned = berth_malloc(n);
    memset(big, 'x', n);
    add_rule(R("GET", JOB_PATH "/log", 200, big, .body_len = n));
    add_rule(R("GET", JOB_PATH, 200, big, .body_len = n));
    cli_run_out r = RUN("log", JOB_ID);
    assert_int_equal(r.code, 0);
    assert_int_equal(r.out.len, 16u << 20);
    assert_contains(r.err.p, "log truncated");
    cli_run_free(&r);
    r = RUN("get", JOB_ID); /* a JSON reply over the cap is an error, not half a job */
    assert_int_equal(r.code, 6);
    assert_contains(r.err.p, "larger than 16 MiB");
    cli_run_free(&r);
}

/* ---- list, executions, stats ---------------------------------------------------------- */

static void test_list(void **state)
{
    add_rule(R("GET", "/api/v1/jobs", 200, LIST_REPLY, .hname = "Next-Cursor",
                    .hvalue = "7", .times = 1));
    add_rule(R("GET", "/api/v1/jobs", 200, "[]", .hname = "Next-Cursor", .hvalue = "0"));
    cli_run_out r = RUN("list");
    assert_int_equal(r.code, 0);
    assert_contains(r.out.p, "ID ");
    assert_contains(r.out.p, "aaaaaaaaaaaaaaaaaaaaaaaa                 Running   Generic   DEMO");
    assert_contains(r.out.p, "bbbbbbbbbbbbbbbbbbbbbbbb@1700006400      Scheduled Scheduled");
    assert_contains(r.out.p, "more: berth list --cursor 7\n");
    cli_run_free(&r);
    r = RUN("list", "--cursor", "7", "--size", "50", "--json");
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out.p, "{\"jobs\":[],\"next_cursor\":0}\n");
    cli_run_free(&r);
    assert_string_equal(seen_at(0)->uri, "/api/v1/jobs?cursor=0");
    assert_string_equal(seen_at(1)->uri, "/api/v1/jobs?cursor=7&page_size=50");
    r = RUN("list", "--cursor", "18446744073709551615");
    assert_int_equal(r.code, 0);
    cli_run_free(&r);
    assert_string_equal(seen_at(2)->uri, "/api/v1/jobs?cursor=18446744073709551615");
    static const char *const bad[][2] = {{"--scheduled", "--cursor=3"}, {"--cursor", "-1"},
                                         {"--cursor", "18446744073709551616"}, {"--page", "2"}};
    for (size_t i = 0; i < 4; i++) {
        r = RUN("list", bad[i][0], bad[i][1]);
        assert_int_equal(r.code, 2);
        cli_run_free(&r);
    }
    assert_int_equal(seen_count(), 3);
}

static void test_list_scheduled(void **state)
{
    add_rule(R("GET", "/api/v1/jobs", 200, LIST_REPLY, .hname = "Total-Count",
                    .hvalue = "21"));
    cli_run_out r = RUN("list", "--scheduled", "--page", "2");
    assert_int_equal(r.code, 0);
    assert_contains(r.out.p, "page 2 of scheduled jobs (20 a page), 21 in all\n");
    cli_run_free(&r);
    r = RUN("--json", "list", "--scheduled");
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out.p, "{\"jobs\":" LIST_REPLY ",\"total\":21}\n");
    cli_run_free(&r);
    assert_string_equal(seen_at(0)->uri, "/api/v1/jobs?kind=Scheduled&page_number=2");
    assert_string_equal(seen_at(1)->uri, "/api/v1/jobs?kind=Scheduled&page_number=1");
}

static void test_executions(void **state)
{
    add_rule(R("GET", JOB_PATH "/executions", 200, LIST_REPLY, .hname = "Total-Count",
                    .hvalue = "5", .times = 1));
    add_rule(R("GET", JOB_PATH "/executions", 200, "null", .hname = "Total-Count",
                    .hvalue = "0"));
    cli_run_out r = RUN("executions", JOB_ID, "--page", "3", "--size", "2", "--non-dead-only");
    assert_int_equal(r.code, 0);
    assert_contains(r.out.p, "bbbbbbbbbbbbbbbbbbbbbbbb@1700006400");
    assert_contains(r.out.p, "page 3 (2 a page), 5 executions in all\n");
    cli_run_free(&r);
    r = RUN("executions", JOB_ID, "--json");
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out.p, "{\"jobs\":[],\"total\":0}\n");
    cli_run_free(&r);
    assert_string_equal(seen_at(0)->uri,
                        JOB_PATH "/executions?page_number=3&page_size=2&non_dead_only=true");
    assert_string_equal(seen_at(1)->uri, JOB_PATH "/executions?page_number=1&page_size=25");
}

static void test_stats(void **state)
{
    add_rule(R("GET", "/api/v1/stats", 200, STATS_REPLY, .times = 2));
    add_rule(R("GET", "/api/v1/stats", 500,
                    "{\"code\":10004,\"message\":\"check stats of server failed with error\","
                    "\"details\":\"failed to get stats of worker pools\"}"));
    cli_run_out r = RUN("stats");
    assert_int_equal(r.code, 0);
    assert_contains(r.out.p, "POOL");
    assert_contains(r.out.p, "5d2c8e1f7a9b3c4d6e0f1a2b Healthy           10 "
                             "2023-11-14T19:26:40Z 2023-11-14T22:13:20Z DEMO,SCHEDULER\n");
    cli_run_free(&r);
    r = RUN("stats", "--json");
    assert_string_equal(r.out.p, STATS_REPLY "\n");
    cli_run_free(&r);
    r = RUN("stats");
    assert_int_equal(r.code, 6);
    assert_string_equal(r.err.p, "berth: check stats of server failed with error (10004 failed "
                                 "to get stats of worker pools)\n");
    cli_run_free(&r);
    assert_string_equal(seen_at(0)->uri, "/api/v1/stats");
}

/* A 200 whose body is not what the route returns is a server fault (6), not a crash. */
static void test_unreadable_reply(void **state)
{
    add_rule(R("GET", JOB_PATH, 200, "{\"job\":{\"status\":5}}"));
    add_rule(R("GET", "/api/v1/jobs", 200, "{\"not\":\"a list\"}"));
    cli_run_out r = RUN("get", JOB_ID);
    assert_int_equal(r.code, 6);
    assert_contains(r.err.p, "cannot read the server's reply");
    cli_run_free(&r);
    r = RUN("list");
    assert_int_equal(r.code, 6);
    cli_run_free(&r);
}

/* ---- address, secret, transport ------------------------------------------------------------ */

/* A port nothing listens on: bound, then closed. */
static int dead_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
    close(s);
    return ntohs(sa.sin_port);
}

/* --secret beats BERTH_SECRET beats CORE_SECRET; no secret sends no header. */
static void test_secret_precedence(void **state)
{
    add_rule(R("GET", "/api/v1/stats", 200, STATS_REPLY));
    char env_addr[80];
    snprintf(env_addr, sizeof env_addr, "BERTH_ADDR=%s/", addr()); /* trailing '/' trimmed */
    const char *const core[] = {env_addr, "CORE_SECRET=core", NULL};
    const char *const both[] = {env_addr, "CORE_SECRET=core", "BERTH_SECRET=bs", NULL};
    const char *const none[] = {env_addr, NULL};
    cli_run_out r = cli_run_env(core, NULL, ARGS("stats"));
    assert_int_equal(r.code, 0);
    cli_run_free(&r);
    r = cli_run_env(both, NULL, ARGS("stats"));
    cli_run_free(&r);
    r = cli_run_env(both, NULL, ARGS("stats", "--secret", "flag"));
    cli_run_free(&r);
    r = cli_run_env(none, NULL, ARGS("stats"));
    assert_int_equal(r.code, 0);
    cli_run_free(&r);
    assert_int_equal(seen_count(), 4);
    assert_string_equal(seen_at(0)->uri, "/api/v1/stats");
    assert_string_equal(seen_at(0)->auth, "Harbor-Secret core");
    assert_string_equal(seen_at(1)->auth, "Harbor-Secret bs");
    assert_string_equal(seen_at(2)->auth, "Harbor-Secret flag");
    assert_null(seen_at(3)->auth);
}

/* --addr beats BERTH_ADDR: env names the live server, the flag a dead port. */
static void test_addr_precedence_and_refused(void **state)
{
    char env_addr[80], flag[80];
    snprintf(env_addr, sizeof env_addr, "BERTH_ADDR=%s", addr());
    snprintf(flag, sizeof flag, "http://127.0.0.1:%d", dead_port());
    const char *const env[] = {env_addr, NULL};
    cli_run_out r = cli_run_env(env, NULL, ARGS("--addr", flag, "get", JOB_ID));
    assert_int_equal(r.code, 7);
    assert_contains(r.err.p, "berth: GET http://127.0.0.1:");
    assert_contains(r.err.p, "onnect");
    assert_string_equal(r.out.p, "");
    cli_run_free(&r);
    assert_int_equal(seen_count(), 0);
    r = cli_run_env(env, NULL, ARGS("--addr", "ftp://x", "get", JOB_ID));
    assert_int_equal(r.code, 2);
    cli_run_free(&r);
}

static void test_auth_failure(void **state)
{
    add_rule(R("GET", JOB_PATH, 401,
                    "{\"code\":10011,\"message\":\"unauthorized\",\"details\":\"unauthorized\"}"));
    cli_run_out r = RUN("get", JOB_ID);
    assert_int_equal(r.code, 4);
    /* the error, then where the secret comes from and which one was sent */
    assert_string_equal(r.err.p, "berth: unauthorized (10011 unauthorized)\n"
                                 "berth: the server refused the secret from --secret: it must "
                                 "be the CORE_SECRET berthd was started with (a berthd without "
                                 "one refuses every secret)\n"
                                 "berth: `make run` keeps berthd's secret in data/secret: "
                                 "export BERTH_SECRET=$(cat data/secret)\n");
    cli_run_free(&r);
    const char *const env[] = {"BERTH_SECRET=wrong", NULL};
    r = cli_run_env(env, NULL, ARGS("--addr", addr(), "get", JOB_ID));
    assert_int_equal(r.code, 4);
    assert_contains(r.err.p, "refused the secret from BERTH_SECRET");
    cli_run_free(&r);
    r = cli_run_env(NULL, NULL, ARGS("--addr", addr(), "get", JOB_ID));
    assert_int_equal(r.code, 4);
    assert_contains(r.err.p, "berth: no secret was sent: pass --secret S or export "
                             "BERTH_SECRET=S");
    assert_contains(r.err.p, "data/secret");
    cli_run_free(&r);
}

/* `berth CMD --help`, `berth CMD -h` and `berth help CMD` print that command's options
 * (the same text), with no request; submit's has the cron format with examples. */
static void test_command_help(void **state)
{
    static const char *const cmds[] = {"submit", "get", "stop", "log", "list", "executions",
                                       "stats"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        cli_run_out a = cli_run_env(NULL, NULL, ARGS(cmds[i], "--help"));
        cli_run_out b = cli_run_env(NULL, NULL, ARGS("help", cmds[i]));
        cli_run_out c = cli_run_env(NULL, NULL, ARGS(cmds[i], "-h"));
        assert_int_equal(a.code, 0);
        assert_int_equal(b.code, 0);
        char want[64];
        snprintf(want, sizeof want, "usage: berth %s", cmds[i]);
        assert_memory_equal(a.out.p, want, strlen(want));
        assert_string_equal(a.out.p, b.out.p);
        assert_string_equal(a.out.p, c.out.p);
        assert_null(strstr(a.out.p, "Exit codes:"));   /* not the overview */
        cli_run_free(&a), cli_run_free(&b), cli_run_free(&c);
    }
    cli_run_out r = cli_run_env(NULL, NULL, ARGS("submit", "--help"));
    assert_contains(r.out.p, "--cron SPEC");
    assert_contains(r.out.p, "six fields, SECONDS FIRST");
    assert_contains(r.out.p, "--cron '0 * * * * *'        every minute, at second 0\n");
    assert_contains(r.out.p, "--cron '0 0 3 * * *'");
    assert_contains(r.out.p, "-p, --param k=v");
    cli_run_free(&r);
    r = cli_run_env(NULL, NULL, ARGS("get", "--help"));
    assert_contains(r.out.p, "--interval MS");
    cli_run_free(&r);
    r = cli_run_env(NULL, NULL, ARGS("resume", "--help"));   /* its lines of the overview */
    assert_int_equal(r.code, 0);
    assert_contains(r.out.p, "resume NAME");
    assert_null(strstr(r.out.p, "Exit codes:"));
    cli_run_free(&r);
    r = cli_run_env(NULL, NULL, ARGS("help"));
    assert_int_equal(r.code, 0);
    assert_contains(r.out.p, "Exit codes:");
    cli_run_free(&r);
    r = cli_run_env(NULL, NULL, ARGS("help", "frobnicate"));
    assert_int_equal(r.code, 2);
    assert_contains(r.err.p, "unknown command 'frobnicate'");
    cli_run_free(&r);
    assert_int_equal(seen_count(), 0);
}

/* A dead pool (sorted first by id) is listed after the healthy ones, with a note. */
static void test_stats_dead_last(void **state)
{
    add_rule(R("GET", "/api/v1/stats", 200,
               "{\"worker_pools\":[{\"worker_pool_id\":\"000000000000000000000000\","
               "\"started_at\":1699990000,\"heartbeat_at\":1699990100,\"job_names\":[\"DEMO\"],"
               "\"concurrency\":4,\"status\":\"Dead\"},{\"worker_pool_id\":"
               "\"ffffffffffffffffffffffff\",\"started_at\":1699990000,\"heartbeat_at\":"
               "1700000000,\"job_names\":[\"DEMO\"],\"concurrency\":10,\"status\":\"Healthy\"}]}"));
    cli_run_out r = RUN("stats");
    assert_int_equal(r.code, 0);
    const char *healthy = strstr(r.out.p, "ffffffffffffffffffffffff Healthy");
    const char *dead = strstr(r.out.p, "000000000000000000000000 Dead");
    assert_non_null(healthy);
    assert_non_null(dead);
    assert_true(healthy < dead);
    assert_contains(r.out.p, "(1 dead pool(s), listed last");
    cli_run_free(&r);
}

static void test_timeout(void **state)
{
    add_rule(R("GET", JOB_PATH, 200, GET_REPLY, .delay_ms = 1500));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cli_run_out r = RUN("--timeout", "0.3", "get", JOB_ID);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(r.code, 7);
    assert_contains(r.err.p, "imed out");
    assert_true(t1.tv_sec - t0.tv_sec < 2); /* gave up before the reply came */
    cli_run_free(&r);
}

/* ---- usage --------------------------------------------------------------------------------- */

static void test_usage(void **state)
{
    static const char *const bad[][3] = {
        {"frobnicate", NULL, NULL}, {"get", "--nope", "x"}, {"get", "a", "b"},
        {"--timeout", "0", "stats"}, {"stats", "extra", NULL}, {"get", "x", "--interval=5"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cli_run_out r = cli_run_env(NULL, NULL, ARGS("--addr", addr(), bad[i][0], bad[i][1], bad[i][2]));
        assert_int_equal(r.code, 2);
        assert_true(r.err.len > 0);
        cli_run_free(&r);
    }
    cli_run_out r = cli_run_env(NULL, NULL, ARGS("--help"));
    assert_int_equal(r.code, 0);
    assert_contains(r.out.p, "Exit codes:");
    assert_contains(r.out.p, "7 cannot connect");
    cli_run_free(&r);
    r = cli_run_env(NULL, NULL, ARGS("stats", "--version"));
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out.p, "berth " BERTH_VERSION "\n");
    cli_run_free(&r);
    r = cli_run_env(NULL, NULL, ARGS("--secret", "a\nb", "stats"));
    assert_int_equal(r.code, 2);
    cli_run_free(&r);
    assert_int_equal(seen_count(), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_start, fake_stop)

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        T(test_submit_human),         T(test_submit_json_pairs_scheduled),
        T(test_submit_periodic_quiet), T(test_submit_malformed),
        T(test_error_exit_codes),     T(test_get_human_and_json),
        T(test_get_not_found),        T(test_bad_ids_refused),
        T(test_id_escaping),          T(test_watch_success),
        T(test_watch_error_and_stopped), T(test_watch_not_found),
        T(test_stop),                 T(test_log),
        T(test_stop_finished),        T(test_watch_requeued),
        T(test_submit_unknown_name_lists_names), T(test_command_help),
        T(test_stats_dead_last),
        T(test_log_follow_streams),   T(test_log_follow_unsupported),
        T(test_log_truncated),        T(test_list),
        T(test_list_scheduled),       T(test_executions),
        T(test_stats),                T(test_unreadable_reply),
        T(test_secret_precedence),    T(test_addr_precedence_and_refused),
        T(test_auth_failure),         T(test_timeout),
        T(test_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
