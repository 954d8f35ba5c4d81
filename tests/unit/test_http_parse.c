/* berthd's own HTTP/1.1 request reader (src/server/http_parse.c): request lines, header
 * fields, framing (Content-Length, Transfer-Encoding), connection rules, each bad input
 * with the status it gets; pipelined heads; real clients' requests fed at every prefix
 * length; chunked bodies split at every byte; path and query decoding against
 * libmicrohttpd's own MHD_http_unescape. */
#include "test.h"

#include <microhttpd.h>

#include "http_client.h"

#include "server/http_parse.h"

#define MAX_HEAD 8192

/* Parses req (a C string) in one piece from a copy; returns the result. */
static int parse(const char *req, char *copy, size_t cap, http_head *h)
{
    size_t len = strlen(req), scanned = 0;
    assert_true(len < cap);
    memcpy(copy, req, len + 1);
    return http_parse_head(copy, len, MAX_HEAD, &scanned, h);
}

static void expect_status(const char *req, int want)
{
    static char copy[MAX_HEAD * 2];
    http_head h;
    int rc = parse(req, copy, sizeof copy, &h);
    if (rc != want)
        print_error("request %s\n", req);
    assert_int_equal(rc, want);
    if (want < 0)
        assert_string_equal(copy, req);   /* an error writes nothing */
}

static void test_request_line(void **state)
{
    (void)state;
    char copy[512];
    http_head h;
    assert_int_equal(parse("POST /api/v1/jobs?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", copy,
                           sizeof copy, &h), HTTP_PARSE_DONE);
    assert_string_equal(h.method, "POST");
    assert_string_equal(h.target, "/api/v1/jobs?x=1");
    assert_int_equal(h.minor, 1);
    assert_true(h.keep_alive);
    assert_int_equal(parse("OPTIONS * HTTP/1.0\r\n\r\n", copy, sizeof copy, &h),
                     HTTP_PARSE_DONE);
    assert_string_equal(h.target, "*");
    assert_int_equal(h.minor, 0);
    assert_false(h.keep_alive);
    /* leading empty lines are skipped and counted */
    const char *lead = "\r\n\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_int_equal(parse(lead, copy, sizeof copy, &h), HTTP_PARSE_DONE);
    assert_int_equal(h.head_len, strlen(lead));
    assert_string_equal(h.method, "GET");
}

static void test_bad_request_lines(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",     /* absolute-form */
        "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n",     /* authority-form */
        "GET * HTTP/1.1\r\nHost: a\r\n\r\n",             /* asterisk, not OPTIONS */
        "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
        "GET /\tx HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n",
        "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",              /* method not a token */
        " GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / http/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.x\r\nHost: a\r\n\r\n",
        "GET / HTTP/11\r\nHost: a\r\n\r\n",
        "GET / HTTP/10.1\r\nHost: a\r\n\r\n",
        "GET /\r\n\r\n",                                 /* HTTP/0.9 */
        "GET\r\n\r\n",
        "\r\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_status(bad[i], -400);
    expect_status("GET / HTTP/2.0\r\nHost: a\r\n\r\n", -505);
    expect_status("GET / HTTP/1.2\r\nHost: a\r\n\r\n", -505);
    expect_status("GET / HTTP/0.9\r\nHost: a\r\n\r\n", -505);
}

static void test_fields(void **state)
{
    (void)state;
    char copy[512];
    http_head h;
    assert_int_equal(parse("GET / HTTP/1.1\nHost:a\nX-Empty:\nX-Pad: \t v a l \t\n"
                           "x-case: 1\n\n", copy, sizeof copy, &h), HTTP_PARSE_DONE);
    assert_int_equal(h.nhdr, 4);
    assert_string_equal(h.hdr[0].name, "Host");
    assert_string_equal(h.hdr[0].value, "a");
    assert_string_equal(h.hdr[1].value, "");
    assert_string_equal(h.hdr[2].value, "v a l");
    assert_string_equal(http_head_get(&h, "X-CASE"), "1");
    assert_null(http_head_get(&h, "X-None"));
    assert_int_equal(h.head_len, strlen("GET / HTTP/1.1\nHost:a\nX-Empty:\nX-Pad: \t v a l "
                                        "\t\nx-case: 1\n\n"));
    static const char *const bad[] = {
        "GET / HTTP/1.1\r\nHost : a\r\n\r\n",            /* space before ':' */
        "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  folded\r\n\r\n",
        "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX(: v\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: \x7f\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",                        /* no Host in 1.1 */
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_status(bad[i], -400);
    expect_status("GET / HTTP/1.0\r\n\r\n", HTTP_PARSE_DONE);
    expect_status("GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n", HTTP_PARSE_DONE);
}

static void test_too_many_fields(void **state)
{
    (void)state;
    static char req[MAX_HEAD];
    size_t n = (size_t)snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 1; i < HTTP_PARSE_MAX_HEADERS; i++)
        n += (size_t)snprintf(req + n, sizeof req - n, "X-%d: v\r\n", i);
    snprintf(req + n, sizeof req - n, "\r\n");
    expect_status(req, HTTP_PARSE_DONE);
    snprintf(req + n, sizeof req - n, "X-last: v\r\n\r\n");
    expect_status(req, -431);
}

static void test_max_head(void **state)
{
    (void)state;
    char buf[64] = "GET / HTTP/1.1\r\nHost: a\r\nX: 0123456789\r\n\r\n";
    size_t len = strlen(buf), scanned = 0;
    http_head h;
    assert_int_equal(http_parse_head(buf, len, len, &scanned, &h), HTTP_PARSE_DONE);
    scanned = 0;
    assert_int_equal(http_parse_head(buf, len - 1, len, &scanned, &h), HTTP_PARSE_MORE);
    assert_int_equal(http_parse_head(buf, len, len - 1, &scanned, &h), -431);
    scanned = 0;   /* more bytes than the limit, the head still unfinished */
    assert_int_equal(http_parse_head(buf, len - 1, 10, &scanned, &h), -431);
}

static void test_content_length(void **state)
{
    (void)state;
    char copy[256];
    http_head h;
    assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0012 \r\n\r\n", copy,
                           sizeof copy, &h), HTTP_PARSE_DONE);
    assert_true(h.has_length);
    assert_int_equal(h.content_length, 12);
    assert_false(h.chunked);
    assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
                           "9223372036854775807\r\ncontent-length: 9223372036854775807\r\n\r\n",
                           copy, sizeof copy, &h), HTTP_PARSE_DONE);
    assert_true(h.content_length == 9223372036854775807ULL);
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", copy, sizeof copy, &h),
                     HTTP_PARSE_DONE);
    assert_false(h.has_length);
    static const char *const bad[] = {
        "9223372036854775808", "18446744073709551616", "99999999999999999999999", "-1",
        "+5", "0x10", "1 2", "", "5,5", "1.0", "\t"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char req[256];
        snprintf(req, sizeof req, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %s\r\n\r\n",
                 bad[i]);
        expect_status(req, -400);
    }
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                  -400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 05\r\n\r\n",
                  -400);
}

static void test_transfer_encoding(void **state)
{
    (void)state;
    char copy[256];
    http_head h;
    assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n",
                           copy, sizeof copy, &h), HTTP_PARSE_DONE);
    assert_true(h.chunked);
    assert_false(h.has_length);
    static const char *const unsupported[] = {"gzip", "gzip, chunked", "chunked, gzip",
                                              "chunked, chunked", "", "chunked;q=1",
                                              "identity"};
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
        char req[256];
        snprintf(req, sizeof req, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: %s\r\n\r\n",
                 unsupported[i]);
        expect_status(req, -501);
    }
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n", -501);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                  "Content-Length: 5\r\n\r\n", -400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n", -400);
    expect_status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", -400);
}

static void test_connection_and_expect(void **state)
{
    (void)state;
    static const struct {
        const char *req;
        bool keep, expect;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true, false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false, false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n", false, false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", true, false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", true, false},
        {"GET / HTTP/1.0\r\n\r\n", false, false},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true, false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false, false},
        {"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n\r\n", true, true},
        {"POST / HTTP/1.1\r\nHost: a\r\nExpect: something-else\r\n\r\n", true, false},
        {"POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char copy[256];
        http_head h;
        assert_int_equal(parse(cases[i].req, copy, sizeof copy, &h), HTTP_PARSE_DONE);
        if (h.keep_alive != cases[i].keep || h.expect_continue != cases[i].expect)
            print_error("case %zu: %s\n", i, cases[i].req);
        assert_int_equal(h.keep_alive, cases[i].keep);
        assert_int_equal(h.expect_continue, cases[i].expect);
    }
}

static void test_pipelined(void **state)
{
    (void)state;
    char buf[] = "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n";
    size_t len = strlen(buf), scanned = 0;
    http_head h;
    assert_int_equal(http_parse_head(buf, len, MAX_HEAD, &scanned, &h), HTTP_PARSE_DONE);
    assert_int_equal(h.head_len, len / 2);
    assert_string_equal(h.target, "/a");
    scanned = 0;
    assert_int_equal(http_parse_head(buf + h.head_len, len - h.head_len, MAX_HEAD, &scanned, &h),
                     HTTP_PARSE_DONE);
    assert_string_equal(h.target, "/b");
}

/* Offsets of a parsed head's strings, to compare two parses of the same bytes. */
static void same_head(const http_head *a, const char *abuf, const http_head *b,
                      const char *bbuf)
{
    assert_int_equal(a->head_len, b->head_len);
    assert_memory_equal(abuf, bbuf, a->head_len);
    assert_int_equal(a->method - abuf, b->method - bbuf);
    assert_int_equal(a->target - abuf, b->target - bbuf);
    assert_int_equal(a->nhdr, b->nhdr);
    for (size_t i = 0; i < a->nhdr; i++) {
        assert_int_equal(a->hdr[i].name - abuf, b->hdr[i].name - bbuf);
        assert_int_equal(a->hdr[i].value - abuf, b->hdr[i].value - bbuf);
    }
    assert_int_equal(a->minor, b->minor);
    assert_int_equal(a->has_length, b->has_length);
    assert_true(a->content_length == b->content_length);
    assert_int_equal(a->chunked, b->chunked);
    assert_int_equal(a->keep_alive, b->keep_alive);
    assert_int_equal(a->expect_continue, b->expect_continue);
}

/* Feeds req one more byte at a time on the same buffer: MORE until whole, then the same
 * result as in one piece. */
static void feed_prefixes(const char *req)
{
    static char whole[4096], grow[4096];
    size_t len = strlen(req), scanned = 0;
    http_head hw, hg;
    assert_true(len < sizeof whole);
    memcpy(whole, req, len);
    int want = http_parse_head(whole, len, MAX_HEAD, &scanned, &hw);
    assert_int_equal(want, HTTP_PARSE_DONE);
    scanned = 0;
    for (size_t n = 0; n <= len; n++) {
        if (n > 0)
            grow[n - 1] = req[n - 1];
        int rc = http_parse_head(grow, n, MAX_HEAD, &scanned, &hg);
        if (n < hw.head_len) {
            assert_int_equal(rc, HTTP_PARSE_MORE);
            assert_memory_equal(grow, req, n);   /* MORE writes nothing */
            assert_true(scanned <= n && scanned + 1 >= n);   /* linear: 1 byte rescanned */
        } else {
            assert_int_equal(rc, HTTP_PARSE_DONE);
            same_head(&hw, whole, &hg, grow);
            memcpy(grow, req, n);   /* the next parse starts from the raw bytes again */
            scanned = 0;
        }
    }
}

static void test_split_real_requests(void **state)
{
    (void)state;
    /* Go's net/http client (Harbor core's launch) */
    feed_prefixes("POST /api/v1/jobs HTTP/1.1\r\nHost: jobservice:8080\r\n"
                  "User-Agent: Go-http-client/1.1\r\nContent-Length: 214\r\n"
                  "Authorization: Harbor-Secret 0123456789abcdef\r\n"
                  "Content-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n"
                  "{\"name\":\"DEMO\"}");
    /* curl */
    feed_prefixes("POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                  "User-Agent: curl/7.88.1\r\nAccept: */*\r\n"
                  "Content-Type: application/json\r\nContent-Length: 15\r\n\r\n");
    /* HTTP/1.0, bare LF line ends, leading empty lines */
    feed_prefixes("\r\n\nGET /api/v1/stats?x=1 HTTP/1.0\nConnection: keep-alive\n\n");
    /* chunked upload with 100-continue (curl -T) */
    feed_prefixes("POST /api/v1/jobs/abc HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                  "Expect: 100-continue\r\n\r\n");
}

/* Decodes body fed in pieces of `step` bytes (the caller keeps what was not consumed, as
 * the event loop does): the result, with the data to out and the bytes used to *used. */
static int decode_split(const char *body, size_t len, size_t step, char *out, size_t *outlen,
                        size_t *used)
{
    char buf[8192];
    http_chunked c;
    http_chunked_init(&c);
    size_t have = 0, fed = 0, consumed = 0, n = 0;
    *outlen = 0, *used = 0;
    for (;;) {
        size_t add = len - fed < step ? len - fed : step;
        memcpy(buf + have, body + fed, add);
        have += add, fed += add;
        int rc = http_chunked_decode(&c, buf, have, &consumed, &n);
        if (rc < 0)
            return rc;
        memcpy(out + *outlen, buf, n);
        *outlen += n, *used += consumed;
        memmove(buf, buf + consumed, have - consumed);
        have -= consumed;
        if (rc == HTTP_PARSE_DONE || fed == len)
            return rc;
    }
}

static void chunked_ok(const char *body, const char *data, size_t rest)
{
    size_t len = strlen(body);
    for (size_t step = 1; step <= len; step++) {
        char out[8192];
        size_t outlen, used;
        assert_int_equal(decode_split(body, len, step, out, &outlen, &used), HTTP_PARSE_DONE);
        assert_int_equal(outlen, strlen(data));
        assert_memory_equal(out, data, outlen);
        assert_int_equal(used, len - rest);
    }
}

static void chunked_bad(const char *body)
{
    size_t len = strlen(body);
    for (size_t step = 1; step <= len; step++) {
        char out[8192];
        size_t outlen, used;
        if (decode_split(body, len, step, out, &outlen, &used) != -400)
            print_error("body %s step %zu\n", body, step);
        assert_int_equal(decode_split(body, len, step, out, &outlen, &used), -400);
    }
}

/* pre, n times c, post: into dst (6000 bytes). */
static void long_body(char *dst, const char *pre, char c, size_t n, const char *post)
{
    size_t a = strlen(pre), b = strlen(post);
    assert_true(a + n + b < 6000);
    memcpy(dst, pre, a);
    memset(dst + a, c, n);
    memcpy(dst + a + n, post, b + 1);
}

static void test_chunked(void **state)
{
    (void)state;
    chunked_ok("0\r\n\r\n", "", 0);
    chunked_ok("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", 0);
    chunked_ok("5;name=v;x\r\nhello\r\nA \t;e\r\n0123456789\r\n000\r\n\r\n",
               "hello0123456789", 0);
    chunked_ok("3\nabc\r\n0\nTrailer: x\nOther: y\r\n\r\nGET / HTTP/1.1\r\n", "abc",
               strlen("GET / HTTP/1.1\r\n"));
    chunked_ok("f\r\n0123456789abcde\r\n0\r\n\n", "0123456789abcde", 0);
    chunked_ok("00000000000000000000001\r\nx\r\n0\r\n\r\n", "x", 0);
    chunked_bad("\r\n");
    chunked_bad("x\r\n");
    chunked_bad(" 5\r\nhello\r\n0\r\n\r\n");
    chunked_bad("5 5\r\nhello\r\n0\r\n\r\n");
    chunked_bad("-5\r\nhello\r\n0\r\n\r\n");
    chunked_bad("5\rhello\r\n0\r\n\r\n");
    chunked_bad("5\r\nhelloX\r\n0\r\n\r\n");
    chunked_bad("5\r\nhello\n0\r\n\r\n");           /* data ends in CR LF (Go) */
    chunked_bad("10000000000000000\r\n");             /* 2^64: overflow */
    chunked_bad("0\r\nX: a\rb\r\n\r\n");
    chunked_bad("0\r\nX: \x01\r\n\r\n");
    chunked_bad("5;\x01\r\nhello\r\n0\r\n\r\n");
    /* a size line or trailer line over 4 KiB */
    static char longline[6000];
    long_body(longline, "5;", 'e', 4100, "\r\nhello\r\n0\r\n\r\n");
    chunked_bad(longline);
    long_body(longline, "0\r\nX: ", 'v', 4100, "\r\n\r\n");
    chunked_bad(longline);
    long_body(longline, "5;", 'e', 4094, "\nhello\r\n0\r\n\r\n");   /* exactly 4 KiB */
    chunked_ok(longline, "hello", 0);
    long_body(longline, "5;", 'e', 4095, "\nhello\r\n0\r\n\r\n");   /* one byte more */
    chunked_bad(longline);
    long_body(longline, "0\r\nX: ", 'v', 4093, "\r\n\r\n");          /* exactly 4 KiB */
    chunked_ok(longline, "", 0);
    long_body(longline, "5;", 'e', 4000, "\r\nhello\r\n0\r\n\r\n");
    chunked_ok(longline, "hello", 0);
}

static void test_chunked_more(void **state)
{
    (void)state;
    char buf[] = "5\r\nhel";
    http_chunked c;
    http_chunked_init(&c);
    size_t consumed, n;
    assert_int_equal(http_chunked_decode(&c, buf, strlen(buf), &consumed, &n), HTTP_PARSE_MORE);
    assert_int_equal(consumed, strlen(buf));
    assert_int_equal(n, 3);
    assert_memory_equal(buf, "hel", 3);
    char big[] = "7fffffffffffffff\r\nabc";   /* a huge chunk is fine: it streams */
    http_chunked_init(&c);
    assert_int_equal(http_chunked_decode(&c, big, strlen(big), &consumed, &n), HTTP_PARSE_MORE);
    assert_int_equal(n, 3);
    assert_true(c.left == 0x7fffffffffffffffULL - 3);
}

/* The path as MHD_http_unescape decodes it (MHD handed Berth that string). */
static void path_as_mhd(const char *target)
{
    char mine[256], mhd[256];
    size_t n = strcspn(target, "?#");
    memcpy(mhd, target, n);
    mhd[n] = '\0';
    size_t want = MHD_http_unescape(mhd);
    long got = http_target_path(target, mine, sizeof mine);
    assert_int_equal(got, (long)want);
    assert_memory_equal(mine, mhd, want + 1);
}

static void test_path(void **state)
{
    (void)state;
    static const char *const targets[] = {
        "/", "/api/v1/jobs", "/a%20b+c", "/%41%4a%4A%7e", "/%", "/%4", "/%zz%4g", "/a%2Fb",
        "/a%00b", "/%%41", "/%e2%82%ac", "/x?y=%41", "/x#frag?q", "*", "/%C3%A9%"};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        path_as_mhd(targets[i]);
    char small[4];
    assert_int_equal(http_target_path("/abcd", small, sizeof small), -1);
    assert_int_equal(http_target_path("/a%41", small, sizeof small), -1); /* room for target */
    assert_int_equal(http_target_path("/ab", small, sizeof small), 3);
}

static void test_query(void **state)
{
    (void)state;
    static const struct {
        const char *target, *name, *want;
    } cases[] = {
        {"/j?page_size=10&page_number=2", "page_number", "2"},
        {"/j?page_size=10&page_size=20", "page_size", "10"},
        {"/j?a=x+y%20z%2B", "a", "x y z+"},
        {"/j?a%5Fb=1", "a_b", "1"},
        {"/j?a+b=1", "a b", "1"},
        {"/j?flag&x=1", "flag", NULL},
        {"/j?flag=&x=1", "flag", ""},
        {"/j?x=1", "y", NULL},
        {"/j", "x", NULL},
        {"/j?&&x=%zz%4", "x", "%zz%4"},
        {"/j?x=a=b", "x", "a=b"},
        {"/j?xx=1&x=2", "x", "2"},
        {"/j?=v", "", "v"},
        {"/j?x=1#frag", "x", "1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char dst[64];
        const char *got = http_target_query(cases[i].target, cases[i].name, dst, sizeof dst);
        if (!cases[i].want)
            assert_null(got);
        else
            assert_string_equal(got, cases[i].want);
    }
    char small[3];
    assert_null(http_target_query("/j?x=abc", "x", small, sizeof small));
    assert_string_equal(http_target_query("/j?x=ab", "x", small, sizeof small), "ab");
}

/* ---- against libmicrohttpd itself: a real MHD daemon on loopback answers with the path
 * it handed the handler and the query argument named by the Authorization header (the
 * test client's one free header) ----------------------------------------------------------- */

static enum MHD_Result echo_lookup(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version,
                                   const char *upload, size_t *upload_len, void **ctx)
{
    (void)cls, (void)method, (void)version, (void)upload, (void)upload_len, (void)ctx;
    const char *name = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name ? name : "");
    char body[1024];
    int n = snprintf(body, sizeof body, "%s\n%s", url, v ? v : "(null)");
    struct MHD_Response *r =
        MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return rc;
}

static void test_query_against_mhd(void **state)
{
    (void)state;
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                                            echo_lookup, NULL, MHD_OPTION_END);
    assert_non_null(d);
    int port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    static const char *const targets[] = {
        "/j?page_size=10&page_number=2", "/j?page_size=10&page_size=20", "/j?a=x+y%20z%2B",
        "/j?a%5Fb=1", "/j?a+b=1", "/j?flag&x=1", "/j?flag=&x=1", "/j?&&x=%zz%4", "/j?x=a=b",
        "/j?xx=1&x=2", "/j?=v", "/j?x", "/j?x=1&x", "/a%20b+c/%41%zz%4?x=%", "/%2F%2f?x=%C3%A9"};
    static const char *const names[] = {"page_number", "page_size", "a", "a_b", "a b",
                                        "flag", "x", "", "xx"};
    hc c;
    hc_init(&c, port);
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++)
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            char want[1024], path[256], val[256];
            hc_resp r;
            assert_int_equal(hc_get(&c, targets[t], names[i], &r), 0);
            assert_int_equal(r.status, 200);
            assert_true(http_target_path(targets[t], path, sizeof path) >= 0);
            const char *v = http_target_query(targets[t], names[i], val, sizeof val);
            snprintf(want, sizeof want, "%s\n%s", path, v ? v : "(null)");
            if (strcmp(r.body, want) != 0)
                print_error("target %s name '%s'\n", targets[t], names[i]);
            assert_string_equal(r.body, want);
            hc_resp_free(&r);
        }
    hc_cleanup(&c);
    MHD_stop_daemon(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_line),
        cmocka_unit_test(test_bad_request_lines),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_too_many_fields),
        cmocka_unit_test(test_max_head),
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_transfer_encoding),
        cmocka_unit_test(test_connection_and_expect),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_split_real_requests),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_chunked_more),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_query_against_mhd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
