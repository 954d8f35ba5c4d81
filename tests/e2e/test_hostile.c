/* Hostile and bad input against a real API server on loopback (issue 8, part 4): headers
 * past MHD's connection memory, slow-sent headers, JSON nested 10,000 deep, a 900 KiB
 * body of huge arrays, invalid UTF-8, integers past 64 bits, unknown fields, path
 * traversal and overlong ids on every {job_id} route, parameters that cannot form a
 * unique key, -0 in parameters. After each case the server still answers /healthz and
 * Redis holds exactly what it held before (its keys but the heartbeat's worker
 * observations, and the stats count), except where a job was accepted on purpose. The fixture (redis-server, engine with DEMO and SCHEDULER, server on port 0):
 * tests/support/api_fixture.c. Findings are recorded in docs/reliability.md. */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "api_fixture.h"
#include "engine_fixture.h"
#include "wait.h"

/* ---- helpers ------------------------------------------------------------------------ */

typedef struct snapshot {
    long long keys, stats;   /* key_count() and the stats count */
} snapshot;

/* The keys in Redis but the heartbeat's worker observations ({ns}:worker:<id>, written
 * for a worker the heartbeat saw busy and deleted at its next tick: one can land just after
 * a run ended, seen under TSan after the 900 KiB launch — the engine's own timer, not a
 * request's effect). */
static long long key_count(void)
{
    redisReply *k = redis_fixture_cmd(&af.rf, "KEYS *");
    long long n = 0;
    for (size_t i = 0; k && i < k->elements; i++)
        n += strstr(k->element[i]->str, "}:worker:") == NULL;
    if (k)
        freeReplyObject(k);
    return k ? n : -1;
}

/* The key count once it has held still for 200 ms (the engine's own keys appear after
 * start and as jobs finish), and the stats count. */
static bool held_still(void *arg)
{
    long long *n = arg, before = key_count();
    wait_sleep_ms(200);   /* the window the count must hold still over */
    *n = key_count();
    return *n == before;
}

static snapshot snap(void)
{
    long long n = -1;
    wait_until(held_still, &n, 10000);
    return (snapshot){n, af_count_stats()};
}

/* Every key, to name the one a failed check found added. */
static void print_keys(void)
{
    redisReply *k = redis_fixture_cmd(&af.rf, "KEYS *");
    for (size_t i = 0; k && i < k->elements; i++)
        fprintf(stderr, "  key %s\n", k->element[i]->str);
    if (k)
        freeReplyObject(k);
}

/* The server is alive and Redis holds nothing new: the same job stats and no more keys.
 * (The key count may drop: the engine's housekeeping removes the transient keys of jobs that
 * finished before the snapshot; nothing in these cases may add one.) */
static void expect_unchanged(snapshot before)
{
    hc_resp r;
    assert_int_equal(hc_get(&af.cli, "/healthz", NULL, &r), 0);
    af_expect(&r, 200, "ok\n");
    snapshot now = snap();
    if (now.keys > before.keys || now.stats != before.stats) {
        fprintf(stderr, "redis changed: keys %lld → %lld, stats %lld → %lld\n",
                before.keys, now.keys, before.stats, now.stats);
        print_keys();
    }
    assert_true(now.keys <= before.keys);
    assert_int_equal(now.stats, before.stats);
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* Reads what the server sends until it closes or ms pass; returns the bytes read, or -1
 * when the connection was still open at the deadline. */
static ssize_t read_until_close(int fd, char *out, size_t len, int ms)
{
    size_t n = 0;
    long long end = wait_now_ms() + ms;
    while (wait_now_ms() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t r = read(fd, out + n, len - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n + 1 >= len)
            break;
    }
    out[n] = '\0';
    return wait_now_ms() < end ? (ssize_t)n : -1;
}

static void expect_json_error(hc_resp *r, long status, int code)
{
    char want[32];
    snprintf(want, sizeof want, "{\"code\":%d,", code);
    if (r->status != status || strncmp(r->body, want, strlen(want)) != 0)
        fprintf(stderr, "got %ld %.300s\nwant %ld %s...\n", r->status, r->body, status, want);
    assert_int_equal(r->status, status);
    assert_memory_equal(r->body, want, strlen(want));
    hc_resp_free(r);
}

/* ---- headers -------------------------------------------------------------------------- */

/* 64 KiB of headers: past MHD's per-connection memory (32 KiB): refused with a 4xx (MHD
 * sends 431) or the connection is closed; nothing else happens. */
static void test_oversized_headers(void **state)
{
    (void)state;
    snapshot before = snap();
    int fd = dial(api_server_port(af.api));
    const char *head = "POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: " API_AUTH
                       "\r\nX-Big: ";
    assert_int_equal(write(fd, head, strlen(head)), (ssize_t)strlen(head));
    char chunk[4096];
    memset(chunk, 'a', sizeof chunk);
    for (int i = 0; i < 16; i++)
        if (write(fd, chunk, sizeof chunk) <= 0)
            break;                                    /* the server may close first */
    (void)!write(fd, "\r\nContent-Length: 2\r\n\r\n{}", 25);
    char buf[1024];
    ssize_t n = read_until_close(fd, buf, sizeof buf, 5000);
    close(fd);
    fprintf(stderr, "64 KiB header answered: %.40s\n", n > 0 ? buf : "(closed, no reply)");
    assert_true(n >= 0);                              /* closed within 5 s */
    assert_true(n == 0 || strncmp(buf, "HTTP/1.1 4", 10) == 0);
    /* many small headers: the same limit */
    hc_resp r;
    expect_unchanged(before);
    fd = dial(api_server_port(af.api));
    const char *start = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    assert_int_equal(write(fd, start, strlen(start)), (ssize_t)strlen(start));
    for (int i = 0; i < 4000; i++) {
        char h[32];
        int len = snprintf(h, sizeof h, "X-H%d: v\r\n", i);
        if (write(fd, h, (size_t)len) <= 0)
            break;
    }
    (void)!write(fd, "\r\n", 2);
    n = read_until_close(fd, buf, sizeof buf, 5000);
    close(fd);
    assert_true(n >= 0);
    assert_true(n == 0 || strncmp(buf, "HTTP/1.1 4", 10) == 0);
    (void)r;
    expect_unchanged(before);
}

/* Writes s to fd in pieces of n bytes, pausing ms after each; false when the server closed
 * the connection meanwhile (what it sent is left to read). */
static bool trickle(int fd, const char *s, size_t n, int ms)
{
    for (size_t i = 0; s[i]; i += n) {
        size_t k = strnlen(s + i, n);
        if (write(fd, s + i, k) != (ssize_t)k)
            return false;
        wait_sleep_ms(ms);
        char b;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 0) > 0 && recv(fd, &b, 1, MSG_PEEK) <= 0)
            return false;
        if (k < n)
            break;
    }
    return true;
}

/* Trickles header bytes (one per 100 ms) on fd, serving /healthz to another client every
 * second meanwhile, until the server closes fd or 6 s pass; returns how long it took. */
static long long trickle_until_cut(int fd, int port)
{
    hc c;
    hc_init(&c, port);
    long long start = wait_now_ms();
    bool cut = false;
    for (int i = 0; i < 60 && !cut; i++) {
        cut = !trickle(fd, "a", 1, 100);
        if (i % 10 == 0) {                            /* the server keeps serving others */
            hc_resp r;
            assert_int_equal(hc_get(&c, "/healthz", NULL, &r), 0);
            af_expect(&r, 200, "ok\n");
        }
    }
    hc_cleanup(&c);
    return cut ? wait_now_ms() - start : -1;
}

/* Sends head on fd, then trickles header bytes until the server closes fd, which must
 * happen about 1 s (the read timeout) later; closes fd. */
static void expect_trickle_cut(int fd, int port, const char *head, const char *what)
{
    assert_true(trickle(fd, head, strlen(head), 0));
    long long took = trickle_until_cut(fd, port);
    fprintf(stderr, "%s (1 byte/100 ms, read timeout 1 s): cut after %lld ms\n", what, took);
    assert_true(took >= 700 && took < 2500);
    close(fd);
}

/* Waits for the server to close fd, which must happen after 0.5 s to max_ms; closes fd. */
static void expect_closed(int fd, long long max_ms, const char *what)
{
    char buf[256];
    long long t0 = wait_now_ms();
    assert_true(read_until_close(fd, buf, sizeof buf, 5000) >= 0);
    long long waited = wait_now_ms() - t0;
    fprintf(stderr, "%s closed after %lld ms (timeouts 1 s)\n", what, waited);
    assert_true(waited >= 500 && waited < max_ms);
    close(fd);
}

/* Reads one whole response to GET /healthz (keep-alive) from fd. */
static void expect_healthz(int fd)
{
    char buf[512] = "";
    size_t n = 0;
    long long end = wait_now_ms() + 3000;
    while (!strstr(buf, "ok\n") && wait_now_ms() < end && n + 1 < sizeof buf) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        assert_true(r > 0);
        n += (size_t)r;
        buf[n] = '\0';
    }
    assert_memory_equal(buf, "HTTP/1.1 200", 12);
    assert_non_null(strstr(buf, "ok\n"));
}

/* Slowloris. A connection that sends part of its headers and then nothing is closed by the
 * timeout; one that trickles a byte every 100 ms is closed once its headers are not complete
 * within the read timeout (MHD's own timeout is an inactivity timeout, reset by every
 * byte: docs/reliability.md), while every other client is served as usual. On a kept-alive
 * connection each request gets its own deadline. */
static void test_slowloris(void **state)
{
    (void)state;
    api_ctx ctx = api_fixture_ctx(af.eng);
    ctx.read_timeout_s = 1;
    ctx.idle_timeout_s = 1;
    api_server *s = api_fixture_server(&ctx);
    int port = api_server_port(s);
    /* stalled headers: cut after the timeout */
    int fd = dial(port);
    assert_int_equal(write(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: ", 37), 37);
    expect_closed(fd, 5000, "stalled headers");
    /* trickled headers, a trickled request line (MHD has no URI to report yet): cut after
     * the read timeout (+ slack) */
    expect_trickle_cut(dial(port), port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ",
                       "trickled headers");
    expect_trickle_cut(dial(port), port, "GET /", "trickled request line");
    /* kept alive: a second request sent in pieces over 0.75 s, starting 0.7 s after the
     * first (done 1.45 s after the connection opened), is answered; a third that trickles
     * is cut about 1 s after its request line */
    fd = dial(port);
    const char *get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_true(trickle(fd, get, strlen(get), 0));
    expect_healthz(fd);
    wait_sleep_ms(700);   /* the test's input: the second request starts 0.7 s later */
    assert_true(trickle(fd, get, 8, 150));
    expect_healthz(fd);
    expect_trickle_cut(fd, port, "GET /healthz HTTP/1.1\r\nHost: x\r\n",
                       "kept-alive connection, third request");
    /* an idle kept-alive connection: closed by the idle timeout */
    fd = dial(port);
    assert_true(trickle(fd, get, strlen(get), 0));
    expect_healthz(fd);
    expect_closed(fd, 2500, "idle kept-alive connection");
    api_server_stop(s);
}

/* ---- bodies --------------------------------------------------------------------------- */

static void test_deep_json(void **state)
{
    (void)state;
    snapshot before = snap();
    const char *head = "{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Generic\"},"
                       "\"parameters\":{\"a\":";
    size_t depth = 10000, n = strlen(head) + 2 * depth + 8;
    char *body = malloc(n);
    size_t k = (size_t)snprintf(body, n, "%s", head);
    memset(body + k, '[', depth);
    memset(body + k + depth, ']', depth);
    snprintf(body + k + 2 * depth, n - k - 2 * depth, "}}}");
    hc_resp r = af_post("/api/v1/jobs", body);
    assert_non_null(strstr(r.body, "nests deeper than 64 levels"));
    expect_json_error(&r, 400, 10001);
    /* the same depth of objects, and an unclosed one */
    for (size_t i = 0; i < depth; i++)
        memcpy(body + k + 5 * (i % (depth / 5)), "{\"a\":", 5);
    r = af_post("/api/v1/jobs", body);
    expect_json_error(&r, 400, 10001);
    free(body);
    expect_unchanged(before);
}

/* 900 KiB of arrays in the parameters, on a server with a 1 MiB body cap: one job, in
 * bounded time; past the cap: 413 and nothing. */
static void test_huge_body(void **state)
{
    (void)state;
    api_ctx ctx = api_fixture_ctx(af.eng);
    ctx.max_body = 1 << 20;
    api_server *s = api_fixture_server(&ctx);
    hc c;
    hc_init(&c, api_server_port(s));
    size_t n = 900 * 1024;
    char *body = malloc(n + 64);
    size_t k = (size_t)snprintf(body, n, "{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":"
                                "\"Generic\"},\"parameters\":{\"image\":\"demo:1\",\"a\":[0");
    while (k < n - 16)
        k += (size_t)snprintf(body + k, n - k, ",[1,2.5,\"x\"]");
    k += (size_t)snprintf(body + k, n + 64 - k, "]}}}");
    snapshot before = snap();
    long long t0 = wait_now_ms();
    hc_resp r;
    assert_int_equal(hc_post(&c, "/api/v1/jobs", API_AUTH, body, &r), 0);
    fprintf(stderr, "900 KiB launch: %ld in %lld ms\n", r.status, wait_now_ms() - t0);
    assert_int_equal(r.status, 202);
    berth_stats *st = af_parse_stats(&r);
    hc_resp_free(&r);
    assert_true(engine_fixture_wait_status(af.eng, st->id, "Success", 15000));
    berth_stats_free(st);
    assert_int_equal(af_count_stats(), before.stats + 1);
    /* 2 MiB: refused before it is read */
    char *big = malloc(2 << 20);
    memset(big, ' ', 2 << 20);
    before = snap();
    /* The server answers 413 from the Content-Length and closes without reading the body;
     * a client still sending can meet the close first (TCP reset: "Failed sending data to
     * the peer", seen under TSan). Either way the launch is refused and nothing changes. */
    if (hc_do(&c, "POST", "/api/v1/jobs", API_AUTH, big, 2 << 20, 0, &r) == 0) {
        expect_json_error(&r, 413, 10000);
    } else {
        fprintf(stderr, "2 MiB launch: the server closed the connection during the upload\n");
        hc_resp_free(&r);
    }
    expect_unchanged(before);
    free(big);
    free(body);
    hc_cleanup(&c);
    api_server_stop(s);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    snapshot before = snap();
    /* a name that is not UTF-8 is read as U+FFFD (Go's rule) and is unknown */
    hc_resp r = af_post("/api/v1/jobs", "{\"job\":{\"name\":\"\xff\xfe\",\"metadata\":"
                                        "{\"kind\":\"Generic\"}}}");
    af_expect(&r, 400, "{\"code\":10013,\"message\":\"bad request\",\"details\":\"job with name "
                       "'\xef\xbf\xbd\xef\xbf\xbd' is unknown\"}");
    /* an overlong encoding and a lone surrogate in a key: still one JSON-safe launch */
    r = af_post("/api/v1/jobs", "{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Generic\"},"
                                "\"parameters\":{\"image\":\"demo:\xc0\xaf\",\"\xed\xa0\x80\":1}}}");
    assert_int_equal(r.status, 202);
    berth_stats *st = af_parse_stats(&r);
    assert_non_null(strstr(st->parameters, "\xef\xbf\xbd"));   /* replaced, not passed on */
    assert_true(engine_fixture_wait_status(af.eng, st->id, "Success", 15000));
    berth_stats_free(st);
    hc_resp_free(&r);
    assert_int_equal(af_count_stats(), before.stats + 1);
    /* a stop action that is not UTF-8: an unknown action, nothing stopped */
    before = snap();
    r = af_post("/api/v1/jobs/0123456789abcdef01234567", "{\"action\":\"st\xffop\"}");
    expect_json_error(&r, 501, 10008);
    expect_unchanged(before);
}

static void test_integer_overflow(void **state)
{
    (void)state;
    snapshot before = snap();
    static const char *const delays[] = {"18446744073709551616", "-9223372036854775809",
                                         "1e30", "1.5", "\"60\"", "99999999999999999999999",
                                         "-0"};   /* Go: ParseUint("-0") fails */
    for (size_t i = 0; i < sizeof delays / sizeof delays[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":"
                 "\"demo:1\"},\"metadata\":{\"kind\":\"Scheduled\",\"schedule_delay\":%s}}}",
                 delays[i]);
        hc_resp r = af_post("/api/v1/jobs", body);
        expect_json_error(&r, 400, 10001);
    }
    expect_unchanged(before);
    /* the largest uint64 (refused: it goes through float64 and comes out over the range)
     * and a century (accepted, run_at in the future). NOT tested yet: delays near INT64_MAX
     * ("9223372036854775807") overflow `now + delay` in src/engine/enqueue.c (UBSan abort;
     * docs/reliability.md, open findings). */
    static const char *const wide[] = {"18446744073709551615", "3153600000"};
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":"
                 "\"demo:1\"},\"metadata\":{\"kind\":\"Scheduled\",\"schedule_delay\":%s}}}",
                 wide[i]);
        hc_resp r = af_post("/api/v1/jobs", body);
        fprintf(stderr, "schedule_delay %s: %ld %.160s\n", wide[i], r.status, r.body);
        if (r.status == 202) {
            berth_stats *st = af_parse_stats(&r);
            assert_true(st->run_at > st->enqueue_time);
            assert_int_equal(berth_engine_stop_job(af.eng, st->id), 0);
            berth_stats_free(st);
            hc_resp_free(&r);
            before = snap();
        } else {
            assert_int_equal(r.status, 400);
            hc_resp_free(&r);
            expect_unchanged(before);
        }
    }
    hc_resp r;
    /* numbers past int64 inside parameters: Go keeps them as float64 and so does the
     * request parser, but the engine's parameter check re-reads the text with jansson's
     * int64 rule and refuses it (docs/reliability.md, open findings): a clear 400 and no
     * change, or (once fixed) one job with the float64 spelling */
    before = snap();
    r = af_post("/api/v1/jobs", "{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Generic\"},"
                                "\"parameters\":{\"image\":\"demo:1\",\"n\":18446744073709551616,"
                                "\"m\":-1e308}}}");
    fprintf(stderr, "parameter 2^64: %ld %.160s\n", r.status, r.body);
    if (r.status == 202) {
        berth_stats *st = af_parse_stats(&r);
        assert_non_null(strstr(st->parameters, "\"n\":18446744073709552000"));
        assert_true(engine_fixture_wait_status(af.eng, st->id, "Success", 15000));
        berth_stats_free(st);
        hc_resp_free(&r);
    } else {
        expect_json_error(&r, 400, 10013);
        expect_unchanged(before);
    }
}

static void test_unknown_fields(void **state)
{
    (void)state;
    long long stats = af_count_stats();
    char *id = af_launch("{\"x\":[1,{\"y\":null}],\"job\":{\"name\":\"DEMO\",\"evil\":{\"$ne\":1},"
                         "\"parameters\":{\"image\":\"demo:1\"},\"metadata\":{\"kind\":"
                         "\"Generic\",\"priority\":99,\"queue\":\"../../x\"},"
                         "\"revision\":-1,\"id\":\"0123456789abcdef01234567\"}}");
    assert_string_not_equal(id, "0123456789abcdef01234567");   /* ids are never chosen */
    assert_true(engine_fixture_wait_status(af.eng, id, "Success", 15000));
    assert_int_equal(af_count_stats(), stats + 1);
    free(id);
    snapshot before = snap();
    hc_resp r = af_post("/api/v1/jobs/0123456789abcdef01234567",
                        "{\"action\":\"stop\",\"force\":true,\"id\":\"*\"}");
    expect_json_error(&r, 404, 10010);
    expect_unchanged(before);
}

/* ---- ids ------------------------------------------------------------------------------ */

static void hostile_id(const char *id, const char *tail, const char *method)
{
    char path[12000];
    snprintf(path, sizeof path, "/api/v1/jobs/%s%s", id, tail);
    hc_resp r;
    assert_int_equal(hc_do(&af.cli, method, path, API_AUTH,
                           strcmp(method, "POST") == 0 ? "{\"action\":\"stop\"}" : NULL,
                           strcmp(method, "POST") == 0 ? 17 : 0, 0, &r), 0);
    /* a redirect to a clean path, a refusal, or not found: never a 2xx; a 5xx only where
     * Harbor gives one (the log route's id check: 500/10009 "invalid ... log identify") */
    bool log_check = r.status == 500 && strstr(r.body, "log identify") && strstr(tail, "/log");
    if (r.status < 300 || (r.status >= 500 && !log_check))
        fprintf(stderr, "%s %.80s → %ld %.200s\n", method, path, r.status, r.body);
    assert_true(r.status >= 300 && (r.status < 500 || log_check));
    if (r.status == 301) {                     /* the redirect stays on this server */
        char loc[12000];
        assert_non_null(hc_header(&r, "Location", loc, sizeof loc));
        assert_true(loc[0] == '/' && loc[1] != '/');
        assert_null(strstr(loc, "/../"));
    }
    hc_resp_free(&r);
}

static void test_hostile_ids(void **state)
{
    (void)state;
    char overlong[10001];
    memset(overlong, 'a', sizeof overlong - 1);
    overlong[sizeof overlong - 1] = '\0';
    const char *ids[] = {"..", "../..", "../../../etc/passwd", "%2e%2e", "%2e%2e%2f%2e%2e",
                         "..%2f..%2fetc%2fpasswd", "%2E%2E", "a%00b", "%00", "x%0d%0aSet-Cookie:%20a",
                         "..%5c..%5cwin.ini", "%252e%252e", "*", "{t}:job_stats:x", "a'\"<>",
                         "0123456789abcdef01234567@-1", "0123456789abcdef01234567@99999999999999999999",
                         "%ff%fe", overlong};
    const char *tails[][2] = {{"", "GET"}, {"", "POST"}, {"/log", "GET"}, {"/executions", "GET"}};
    snapshot before = snap();
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        for (size_t j = 0; j < sizeof tails / sizeof tails[0]; j++)
            hostile_id(ids[i], tails[j][0], tails[j][1]);
    expect_unchanged(before);
    /* the log route refuses a '..' before touching the file system (Harbor's text) */
    hc_resp r = af_get("/api/v1/jobs/..%5c..%5cetc/log");
    af_expect(&r, 400, "invalid Job ID: ..\\..\\etc");
}

/* ---- parameters that cannot form a unique key ----------------------------------------- */

static void test_unique_key_breakers(void **state)
{
    (void)state;
    snapshot before = snap();
    static const char *const params[] = {"[1,2]", "\"str\"", "5", "true", "NaN", "Infinity",
                                         "-Infinity", "1e999", "{\"a\":NaN}", "{\"a\":1e999}",
                                         "{\"a\":-1e999}", "{\"a\":01}", "{\"a\":.5}", "{\"a\":1,}"};
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        char body[512];
        snprintf(body, sizeof body, "{\"job\":{\"name\":\"DEMO\",\"parameters\":%s,"
                 "\"metadata\":{\"kind\":\"Generic\",\"unique\":true}}}", params[i]);
        hc_resp r = af_post("/api/v1/jobs", body);
        expect_json_error(&r, 400, 10001);
    }
    /* 65 levels of objects in a unique job's parameters: over the nesting cap */
    char deep[1024] = "{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Generic\","
                      "\"unique\":true},\"parameters\":";
    for (int i = 0; i < 65; i++)
        strcat(deep, "{\"a\":");
    strcat(deep, "1");
    for (int i = 0; i < 65; i++)
        strcat(deep, "}");
    strcat(deep, "}}");
    hc_resp r = af_post("/api/v1/jobs", deep);
    expect_json_error(&r, 400, 10001);
    expect_unchanged(before);
    /* keys that only differ by escaping, order or number spelling are one unique key (a
     * Scheduled job holds its key until it runs) */
    char *id = af_launch("{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Scheduled\","
                         "\"schedule_delay\":3600,\"unique\":true},\"parameters\":{\"image\":"
                         "\"demo:u\",\"k\":\"<\",\"n\":1.0}}}");
    before = snap();
    r = af_post("/api/v1/jobs", "{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Scheduled\","
                                "\"schedule_delay\":60,\"unique\":true},\"parameters\":{\"n\":1e0,"
                                "\"k\":\"\\u003c\",\"image\":\"demo:u\"}}}");
    if (!strstr(r.body, id))
        fprintf(stderr, "duplicate: %ld %s\n", r.status, r.body);
    assert_non_null(strstr(r.body, id));
    expect_json_error(&r, 500, 10003);
    expect_unchanged(before);
    assert_int_equal(berth_engine_stop_job(af.eng, id), 0);
    free(id);
}

/* The number -0 in parameters is a negative zero, as Go reads it (docs/reliability.md,
 * finding 8): the reply shows -0 and the unique key has -0, so -0 and -0.0 are one key and 0
 * is another. */
static void test_negative_zero(void **state)
{
    (void)state;
    static const char fmt[] = "{\"job\":{\"name\":\"DEMO\",\"metadata\":{\"kind\":\"Scheduled\","
                              "\"schedule_delay\":3600,\"unique\":true},\"parameters\":"
                              "{\"image\":\"demo:z\",\"n\":%s}}}";
    char body[256];
    snprintf(body, sizeof body, fmt, "-0");
    hc_resp r = af_post("/api/v1/jobs", body);
    fprintf(stderr, "-0 launched: %ld %.300s\n", r.status, r.body);
    assert_int_equal(r.status, 202);
    assert_non_null(strstr(r.body, "\"n\":-0}"));
    berth_stats *st = af_parse_stats(&r);
    hc_resp_free(&r);
    snprintf(body, sizeof body, fmt, "-0.0");
    r = af_post("/api/v1/jobs", body);
    assert_non_null(strstr(r.body, st->id));                  /* the same key */
    expect_json_error(&r, 500, 10003);
    snprintf(body, sizeof body, fmt, "0");
    char *other = af_launch(body);                            /* another key */
    assert_int_equal(berth_engine_stop_job(af.eng, other), 0);
    assert_int_equal(berth_engine_stop_job(af.eng, st->id), 0);
    free(other);
    berth_stats_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oversized_headers),
        cmocka_unit_test(test_slowloris),
        cmocka_unit_test(test_deep_json),
        cmocka_unit_test(test_huge_body),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_integer_overflow),
        cmocka_unit_test(test_unknown_fields),
        cmocka_unit_test(test_hostile_ids),
        cmocka_unit_test(test_unique_key_breakers),
        cmocka_unit_test(test_negative_zero),
    };
    return cmocka_run_group_tests(tests, api_fixture_setup, api_fixture_teardown);
}
