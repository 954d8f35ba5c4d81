/* The id and name of a fetched job (src/engine/fetch_names.c): after the code when fetch.lua
 * sent them, else cut from the JSON's head. Every input here is one Redis could hold or a
 * foreign script could send; each bad one is refused (-1) without reading past its length
 * (the inputs are copied into buffers of exactly their length, so ASan sees any overread). */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "engine/fetch_names.h"

typedef struct {
    const char *id, *name;
    size_t idlen, namelen;
    char *code, *raw;   /* exact-length copies the results point into */
} got;

static int read_names(got *g, const char *code, size_t codelen, const char *raw, size_t rawlen)
{
    memset(g, 0, sizeof *g);
    g->code = malloc(codelen ? codelen : 1);
    g->raw = malloc(rawlen ? rawlen : 1);
    assert_non_null(g->code);
    assert_non_null(g->raw);
    memcpy(g->code, code, codelen);
    memcpy(g->raw, raw, rawlen);
    return fetch_names(g->code, codelen, g->raw, rawlen, &g->id, &g->idlen, &g->name,
                       &g->namelen);
}

static void got_free(got *g)
{
    free(g->code);
    free(g->raw);
}

/* A short code and a JSON with Berth's head: both cut from the JSON. */
static int from_head(got *g, const char *raw)
{
    return read_names(g, "R", 1, raw, strlen(raw));
}

static void assert_names(const got *g, const char *id, const char *name)
{
    assert_int_equal(g->idlen, strlen(id));
    assert_memory_equal(g->id, id, g->idlen);
    assert_int_equal(g->namelen, strlen(name));
    assert_memory_equal(g->name, name, g->namelen);
}

static void test_berth_head(void **state)
{
    (void)state;
    got g;
    assert_int_equal(from_head(&g, "{\"name\":\"DEMO\",\"id\":\"0123456789abcdef01234567\","
                                   "\"t\":1700000000,\"args\":{\"a\":1}}"), 0);
    assert_names(&g, "0123456789abcdef01234567", "DEMO");
    got_free(&g);
    assert_int_equal(from_head(&g, "{\"name\":\"\",\"id\":\"\""), 0);   /* empty, as stored */
    assert_names(&g, "", "");
    got_free(&g);
}

/* Harbor's jobservice queues gocraft's JSON (name, id, t, args, unique): the same head, so
 * a job a Harbor node queued is read the same way. */
static void test_harbor_job(void **state)
{
    (void)state;
    got g;
    assert_int_equal(from_head(&g, "{\"name\":\"IMAGE_SCAN\",\"id\":\"5f3c1ab2e4d9c8b7a6f50413\","
                                   "\"t\":1701234567,\"args\":{\"registration\":\"x\"},"
                                   "\"unique\":true}"), 0);
    assert_names(&g, "5f3c1ab2e4d9c8b7a6f50413", "IMAGE_SCAN");
    got_free(&g);
}

/* A writer that orders the keys otherwise, or adds spaces: no head, so fetch.lua decodes it
 * and sends the names after the code; a short code with it is refused. */
static void test_foreign_json(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"id\":\"abc\",\"name\":\"DEMO\",\"t\":1}",
        "{ \"name\":\"DEMO\",\"id\":\"abc\"}",
        "{\"name\": \"DEMO\",\"id\":\"abc\"}",
        "{\"name\":\"DEMO\", \"id\":\"abc\"}",
        "{\"name\":\"DEMO\",\"t\":1,\"id\":\"abc\"}",
        "[\"name\",\"DEMO\"]",
        "null",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        got g;
        assert_int_equal(from_head(&g, bad[i]), -1);
        got_free(&g);
    }
    got g;   /* the same JSON with the names after the code */
    static const char code[] = "R\0abc\0DEMO";
    assert_int_equal(read_names(&g, code, sizeof code - 1, bad[0], strlen(bad[0])), 0);
    assert_names(&g, "abc", "DEMO");
    got_free(&g);
}

static void test_no_head(void **state)
{
    (void)state;
    got g;
    assert_int_equal(read_names(&g, "R", 1, "", 0), -1);
    got_free(&g);
    assert_int_equal(read_names(&g, "", 0, "{\"name\":\"a\",\"id\":\"b\"", 20), -1);  /* no code */
    got_free(&g);
}

/* Cut anywhere before the id's closing quote: refused, and nothing read past the end. */
static void test_truncated(void **state)
{
    (void)state;
    static const char full[] = "{\"name\":\"DEMO\",\"id\":\"abc\"";
    for (size_t len = 0; len < sizeof full - 1; len++) {
        got g;
        assert_int_equal(read_names(&g, "R", 1, full, len), -1);
        got_free(&g);
    }
    got g;
    assert_int_equal(read_names(&g, "R", 1, full, sizeof full - 1), 0);
    assert_names(&g, "abc", "DEMO");
    got_free(&g);
}

/* An escape in the name or id: the text between the quotes is not the value (and an escaped
 * quote would end the cut early or late), so it is refused; fetch.lua sends such a job's
 * names after its code, unescaped. */
static void test_escapes_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"name\":\"a\\\"b\",\"id\":\"abc\"}",          /* a\"b */
        "{\"name\":\"a\\\",\\\"id\\\":\\\"x\",\"id\":\"abc\"}",
        "{\"name\":\"a\\\\\",\"id\":\"abc\"}",           /* a\\ : the quote is the end */
        "{\"name\":\"\\u0044EMO\",\"id\":\"abc\"}",
        "{\"name\":\"DEMO\",\"id\":\"a\\\"bc\"}",
        "{\"name\":\"DEMO\",\"id\":\"abc\\\\\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        got g;
        assert_int_equal(from_head(&g, bad[i]), -1);
        got_free(&g);
    }
    got g;   /* the names after the code are fetch.lua's decoded text: taken as they are */
    static const char code[] = "r\0a\"b\\c\0N\"A\\ME";
    assert_int_equal(read_names(&g, code, sizeof code - 1, bad[0], strlen(bad[0])), 0);
    assert_names(&g, "a\"b\\c", "N\"A\\ME");
    got_free(&g);
}

/* Codes of two or more bytes that are not "<code>\0<id>\0<name>". */
static void test_bad_codes(void **state)
{
    (void)state;
    static const char raw[] = "{\"name\":\"DEMO\",\"id\":\"abc\"}";
    static const struct { const char *code; size_t len; } bad[] = {
        {"RR", 2}, {"R\0", 2}, {"R\0abc", 5}, {"Rx\0abc\0N", 8},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        got g;
        assert_int_equal(read_names(&g, bad[i].code, bad[i].len, raw, sizeof raw - 1), -1);
        got_free(&g);
    }
    got g;   /* an empty id and name: read as sent (fetch.lua's 'D' code) */
    assert_int_equal(read_names(&g, "D\0\0", 3, raw, sizeof raw - 1), 0);
    assert_names(&g, "", "");
    got_free(&g);
}

/* Huge inputs: a name of 8 MiB with no closing quote is refused; with one, it is read whole. */
static void test_huge(void **state)
{
    (void)state;
    size_t n = 8u << 20;
    char *raw = malloc(n);
    assert_non_null(raw);
    memcpy(raw, "{\"name\":\"", 9);
    memset(raw + 9, 'x', n - 9);
    got g;
    assert_int_equal(read_names(&g, "R", 1, raw, n), -1);
    got_free(&g);
    memcpy(raw + n - 11, "\",\"id\":\"z\"", 10);
    raw[n - 1] = '}';
    assert_int_equal(read_names(&g, "R", 1, raw, n), 0);
    assert_int_equal(g.namelen, n - 20);
    assert_int_equal(g.idlen, 1);
    assert_memory_equal(g.id, "z", 1);
    got_free(&g);
    free(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_berth_head),
        cmocka_unit_test(test_harbor_job),
        cmocka_unit_test(test_foreign_json),
        cmocka_unit_test(test_no_head),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_escapes_refused),
        cmocka_unit_test(test_bad_codes),
        cmocka_unit_test(test_huge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
