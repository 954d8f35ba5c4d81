/* Unit tests of the API's pure pieces: gorilla/mux's path cleaning (Go's path.Clean with
 * the trailing slash kept), Harbor-Secret checks with Go's TrimSpace, the auth exemption,
 * route matching through router_dispatch with a fake handler, and the HTTP server's thread
 * count (its threads counted in /proc/self/task by their names). */
#include "test.h"

#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

#include "server/auth.h"
#include "server/http.h"
#include "server/router.h"
#include "util/alloc.h"
#include "wait.h"

static void test_clean_path(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"", "/"}, {"/", "/"}, {"//", "/"}, {"abc", "/abc"}, {"/abc/", "/abc/"},
        {"/a//b", "/a/b"}, {"/a/./b", "/a/b"}, {"/a/b/..", "/a"}, {"/a/b/../", "/a/"},
        {"/..", "/"}, {"/../..//x", "/x"}, {"/a/../../b", "/b"}, {"/a/.", "/a"},
        {"/a/./", "/a/"}, {"/a/..b/c", "/a/..b/c"}, {"/.a/b.", "/.a/b."},
        {"/api/v1/jobs/x/..//", "/api/v1/jobs/"}, {"/api/v1/jobs", "/api/v1/jobs"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = router_clean_path(cases[i][0]);
        if (strcmp(got, cases[i][1]) != 0)
            fprintf(stderr, "clean(%s) = %s, want %s\n", cases[i][0], got, cases[i][1]);
        assert_string_equal(got, cases[i][1]);
        berth_free(got);
    }
}

static void test_auth_check(void **state)
{
    (void)state;
    const char *missing = "header 'Authorization' missing";
    const char *prefix = "'Authorization' should start with 'Harbor-Secret'";
    const char *empty = "empty secret is not allowed";
    assert_string_equal(auth_check(NULL, "s"), missing);
    assert_string_equal(auth_check("", "s"), missing);
    assert_string_equal(auth_check(" \t\xc2\xa0 ", "s"), missing);       /* NBSP is space */
    assert_string_equal(auth_check("Basic s", "s"), prefix);
    assert_string_equal(auth_check("harbor-secret s", "s"), prefix);
    assert_string_equal(auth_check("\xc0\xa0Harbor-Secret s", "s"), prefix); /* overlong */
    assert_string_equal(auth_check("Harbor-Secret", "s"), empty);
    assert_string_equal(auth_check("Harbor-Secret \xe3\x80\x80", "s"), empty); /* U+3000 */
    assert_string_equal(auth_check("Harbor-Secret x", "s"), "unauthorized");
    assert_string_equal(auth_check("Harbor-Secret ss", "s"), "unauthorized");
    assert_string_equal(auth_check("Harbor-Secret s", ""), "unauthorized");
    assert_string_equal(auth_check("Harbor-Secret s", NULL), "unauthorized");
    assert_null(auth_check("Harbor-Secret s", "s"));
    assert_null(auth_check("Harbor-Secrets", "s"));                /* no space needed */
    assert_null(auth_check("\xe2\x80\x83Harbor-Secret\t s \xc2\x85", "s")); /* EM SPACE, NEL */
    assert_null(auth_check("Harbor-Secret a b", "a b"));
    assert_true(auth_equal("abc", 3, "abc", 3));
    assert_false(auth_equal("abc", 3, "abd", 3));
    assert_false(auth_equal("abc", 3, "abcd", 4));
}

static void test_auth_exempt(void **state)
{
    (void)state;
    assert_true(auth_exempt("/api/v1/stats"));
    assert_true(auth_exempt("/healthz"));
    assert_false(auth_exempt("/api/v1/stats?x=1"));
    assert_false(auth_exempt("/api/v1/stats?"));
    assert_false(auth_exempt("/api/v1/stats/"));
    assert_false(auth_exempt("/api/v1/%73tats"));
    assert_false(auth_exempt("http://h/api/v1/stats"));
    assert_false(auth_exempt("/api/v1/config"));
}

static int calls;
static char last_id[64];

static void fake(const http_req *req, http_resp *resp, void *ctx)
{
    calls++;
    snprintf(last_id, sizeof last_id, "%s", req->job_id ? req->job_id : "(none)");
    resp->status = *(int *)ctx;
}

static void route_one(const char *method, const char *path, const char *uri, http_resp *resp)
{
    static const route table[] = {
        {"GET", "/api/v1/jobs", fake}, {"POST", "/api/v1/jobs/{job_id}", fake},
        {"GET", "/api/v1/jobs/{job_id}/log", fake},
    };
    http_req req = {.method = method, .path = path, .uri = uri ? uri : path};
    int status = 299;
    http_resp_init(resp);
    router_dispatch(table, sizeof table / sizeof table[0], &req, resp, &status);
}

static void test_router(void **state)
{
    (void)state;
    http_resp r;
    calls = 0;
    route_one("GET", "/api/v1/jobs", NULL, &r);
    assert_int_equal(r.status, 299);
    assert_string_equal(last_id, "(none)");
    http_resp_clear(&r);
    route_one("GET", "/api/v1/jobs/abc@12/log", NULL, &r);
    assert_int_equal(r.status, 299);
    assert_string_equal(last_id, "abc@12");
    http_resp_clear(&r);
    assert_int_equal(calls, 2);
    route_one("GET", "/api/v1/jobs/abc", NULL, &r);       /* known path, wrong method */
    assert_int_equal(r.status, 405);
    assert_int_equal(r.body.len, 0);
    http_resp_clear(&r);
    route_one("GET", "/api/v1/jobs//log", NULL, &r);      /* unclean → redirect */
    assert_int_equal(r.status, 301);
    assert_string_equal(r.hname[0], "Location");
    assert_string_equal(r.hvalue[0], "/api/v1/jobs/log");
    http_resp_clear(&r);
    route_one("GET", "/api/v1/jobs/a b/../x", "/api/v1/jobs/a%20b/../x?q=1&r", &r);
    assert_int_equal(r.status, 301);
    assert_string_equal(r.hvalue[0], "/api/v1/jobs/x?q=1&r");
    http_resp_clear(&r);
    route_one("GET", "/api/v1/jobs/\xc3\xa9 x/./log", NULL, &r);
    assert_string_equal(r.hvalue[0], "/api/v1/jobs/%C3%A9%20x/log");
    http_resp_clear(&r);
    route_one("POST", "/api/v1/jobsx", NULL, &r);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body.p, "404 page not found\n");
    http_resp_clear(&r);
    assert_int_equal(calls, 2);
    /* paths on either side of the stack buffer's size (router.c: cleaned without an
     * allocation up to 510 bytes), clean and not: the same answers */
    for (size_t len = 505; len <= 515; len++) {
        char path[600], dirty[600];
        memcpy(path, "/api/v1/jobs/", 13);
        memset(path + 13, 'i', len - 13 - 4);
        memcpy(path + len - 4, "/log", 5);
        route_one("GET", path, NULL, &r);
        assert_int_equal(r.status, 299);
        assert_int_equal(strlen(last_id), len - 17 < 63 ? len - 17 : 63);   /* last_id's size */
        http_resp_clear(&r);
        snprintf(dirty, sizeof dirty, "%.*s//log", (int)(len - 4), path);   /* one byte more */
        assert_int_equal(strlen(dirty), len + 1);
        route_one("GET", dirty, NULL, &r);
        assert_int_equal(r.status, 301);
        assert_string_equal(r.hvalue[0], path);
        http_resp_clear(&r);
    }
    assert_int_equal(calls, 2 + 11);
}

static void answer_204(const http_req *req, http_resp *resp, void *ctx)
{
    (void)req, (void)ctx;
    resp->status = 204;
}

/* Threads of this process named as the HTTP servers name theirs: libmicrohttpd's MHD-worker
 * and MHD-single, berthd's own loop's berth-http. */
static int mhd_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        char path[300], name[64] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = e->d_name[0] != '.' ? fopen(path, "r") : NULL;
        if (f && fgets(name, sizeof name, f) && (strncmp(name, "MHD-", 4) == 0 || strncmp(name, "berth-http", 10) == 0))
            n++;
        if (f)
            fclose(f);
    }
    closedir(d);
    return n;
}

/* MHD names a worker from inside it, after MHD_start_daemon may have returned. */
static bool mhd_threads_are(void *want)
{
    return mhd_threads() == *(int *)want;
}

/* threads 0: one per online CPU, at most 4; else as many as asked; both servers. */
static void thread_count(int server)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int want_default = cpus < 1 ? 1 : cpus > 4 ? 4 : (int)cpus;
    const unsigned asked[] = {0, 3, 1};
    for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
        http_config cfg = {.host = "127.0.0.1", .threads = asked[i], .handler = answer_204,
                           .server = server};
        http_server *s = NULL;
        char err[256] = "";
        assert_int_equal(http_server_start(&cfg, &s, err, sizeof err), 0);
        int want = asked[i] ? (int)asked[i] : want_default, none = 0;
        if (!wait_until(mhd_threads_are, &want, 5000))
            fail_msg("%d HTTP threads for threads = %u, want %d", mhd_threads(), asked[i], want);
        http_server_stop(s);
        assert_true(wait_until(mhd_threads_are, &none, 5000));
    }
}

static void test_thread_count(void **state)
{
    (void)state;
    thread_count(HTTP_SERVER_BUILTIN);
    thread_count(HTTP_SERVER_MHD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_path),
        cmocka_unit_test(test_auth_check),
        cmocka_unit_test(test_auth_exempt),
        cmocka_unit_test(test_router),
        cmocka_unit_test(test_thread_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
