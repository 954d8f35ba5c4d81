/* libFuzzer target for what Berth reads back from Redis. Redis is trusted to store what
 * Berth wrote, but its data can also be written by Harbor core, operators, another
 * version of Berth, or a corrupted AOF, so every reader must survive anything:
 *   - RESP bytes through the store's reply parser (rreply_parse), each reply read through
 *     the accessors of store/reply.h the way Berth does: every checked accessor on the reply
 *     and on each element (a wrong shape must be an error with a message, never a crash),
 *     an HGETALL array → field/value arrays (engine_load_stats) → berth_stats_from_hash →
 *     the stats JSON and hash encoders; a fetch reply's 5-entry jobs; a SCAN reply;
 *   - the same bytes as a queued job's JSON (json_scan: the "args" member, as the fetcher
 *     and worker cut it) and its unique key; as a status-retry record
 *     (berth_simple_change_parse), an ACK, a hook payload, an execution id, and an
 *     INFO memory reply (berth_memory_info_parse).
 * Checks beyond sanitizer reports: encoders accept whatever the hash reader produced
 * (stats JSON is valid JSON); json_scan never points outside its input. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "berth/memguard.h"
#include "fuzz_check.h"
#include "model/ack.h"
#include "model/id.h"
#include "model/params.h"
#include "model/simple_change.h"
#include "model/stats_hash.h"
#include "model/stats_json.h"
#include "model/status_change.h"
#include "store/redis.h"
#include "util/alloc.h"
#include "util/json_scan.h"

static void encode_stats(const berth_stats *s)
{
    buf out;
    buf_init(&out, 8 << 20);
    if (berth_stats_to_json(s, true, true, &out) == 0) {
        json_t *j = json_loadb(out.p, out.len, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, NULL);
        CHECK(j != NULL);
        json_decref(j);
    }
    buf_free(&out);
    berth_stats_hash *h = NULL;
    CHECK(berth_stats_to_hash(s, &h) == 0);
    berth_stats_hash_free(h);
}

/* An HGETALL-shaped reply, converted as engine_load_stats does (non-strings give NULL). */
static void as_hash(const rreply *r)
{
    size_t n = rreply_len(r) / 2;
    const char **f = berth_calloc(n + 1, sizeof *f), **v = berth_calloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        f[i] = rreply_str(rreply_at(r, 2 * i));
        v[i] = rreply_str(rreply_at(r, 2 * i + 1));
    }
    berth_stats *s = NULL;
    int rc = berth_stats_from_hash(f, v, n, &s);
    CHECK(rc == 0 || rc == BERTH_ENOTFOUND);
    if (rc == 0)
        encode_stats(s);
    berth_stats_free(s);
    berth_free(f);
    berth_free(v);
}

/* hiredis 0.14 allocates an array of whatever length the header claims ("*999999999"):
 * Redis never sends that, and guarding it is hiredis's job, so such inputs are skipped. */
static bool huge_array(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        size_t d = 0;
        while (data[i] == '*' && i + 1 + d < size && data[i + 1 + d] >= '0' &&
               data[i + 1 + d] <= '9')
            d++;
        if (d > 6)
            return true;
    }
    return false;
}

/* Every checked accessor on r: each either succeeds with a value or fails with a message,
 * and agrees with the lenient ones. Recurses into arrays (bounded depth). */
static void accessors(rconn *rc, const rreply *r, int depth)
{
    const char *s = NULL;
    size_t len = 0;
    long long iv = 0;
    double dv = 0;
    rc->err[0] = '\0';
    if (rreply_array(rc, r, RREPLY_ANY) == 0) {
        CHECK(rreply_array(rc, r, rreply_len(r)) == 0);
        CHECK(rreply_array(rc, r, rreply_len(r) + 1) != 0 && rc->err[0]);
        CHECK(rreply_at(r, rreply_len(r)) == NULL);
        for (size_t i = 0; depth < 8 && i < rreply_len(r); i++) {
            CHECK(rreply_at(r, i) != NULL);
            accessors(rc, rreply_at(r, i), depth + 1);
        }
    } else {
        CHECK(rc->err[0] && rreply_len(r) == 0 && rreply_at(r, 0) == NULL);
    }
    rc->err[0] = '\0';
    if (rreply_string(rc, r, &s, &len) == 0)
        CHECK(s == rreply_str(r) && strlen(s) <= len);
    else
        CHECK(rc->err[0] && !rreply_str(r));
    rc->err[0] = '\0';
    if (rreply_integer(rc, r, &iv) != 0)
        CHECK(rc->err[0]);
    rc->err[0] = '\0';
    if (rreply_number(rc, r, &dv) != 0)
        CHECK(rc->err[0]);
    CHECK(!rreply_is_error(r) || rreply_error(r));
}

/* A fetch reply as the fetcher reads it: 5 entries per job, each checked. */
static void as_fetch(rconn *rc, const rreply *r)
{
    for (size_t i = 0; i + 5 <= rreply_len(r); i += 5) {
        const char *code, *id, *name, *raw;
        long long rev;
        if (rreply_string(rc, rreply_at(r, i), &code, NULL) == 0 &&
            rreply_string(rc, rreply_at(r, i + 1), &id, NULL) == 0 &&
            rreply_string(rc, rreply_at(r, i + 2), &name, NULL) == 0 &&
            rreply_integer(rc, rreply_at(r, i + 3), &rev) == 0 &&
            rreply_string(rc, rreply_at(r, i + 4), &raw, NULL) == 0)
            CHECK(code && id && name && raw);
    }
}

static void replies(const uint8_t *data, size_t size)
{
    if (huge_array(data, size))
        return;
    rtarget t = {.host = "127.0.0.1", .port = 1};
    rconn rc;
    rconn_init(&rc, &t, 1000);   /* only for its error text: no I/O */
    rreply *got[16];
    size_t n = rreply_parse((const char *)data, size, got, 16);
    for (size_t i = 0; i < n; i++) {
        const rreply *r = got[i];
        accessors(&rc, r, 0);
        as_fetch(&rc, r);
        if (rreply_len(r) > 0)
            as_hash(r);
        const char *s = NULL;
        size_t len = 0;
        if (rreply_string(&rc, r, &s, &len) == 0) {
            uint64_t used, max;
            (void)berth_memory_info_parse(s, len, &used, &max);
        }
        rreply_free(got[i]);
    }
    rconn_close(&rc);
}

/* A queued job's JSON: what the fetcher and worker cut out of it. */
static void job_json(const char *raw, size_t size)
{
    size_t len = 0;
    const char *args = json_scan_member(raw, "args", &len);
    if (args) {
        CHECK(args >= raw && args + len <= raw + size);
        char *params = berth_strndup(args, len);
        buf key;
        buf_init(&key, 8 << 20);
        (void)berth_unique_key("t", "DEMO", params, &key);
        buf_free(&key);
        berth_free(params);
    }
    size_t n = json_scan_value(raw, size);
    CHECK(n <= size);
}

static void records(const char *text, size_t size)
{
    char err[256];
    berth_simple_change *c = NULL;
    if (berth_simple_change_parse(text, size, &c, err, sizeof err) == 0)
        berth_simple_change_free(c);
    berth_ack a = {0};
    if (berth_ack_parse(text, &a) == 0)
        berth_free(a.status);
    berth_status_change *sc = NULL;
    if (berth_status_change_parse(text, size, &sc, err, sizeof err) == 0)
        berth_status_change_free(sc);
    char policy[25];
    int64_t epoch = 0;
    if (berth_execution_id_split(text, policy, &epoch) == 0)
        CHECK(epoch >= 0 && berth_id_valid(policy));
    uint64_t used, max;
    (void)berth_memory_info_parse(text, size, &used, &max);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    replies(data, size);
    char *text = fuzz_text(data, size);
    job_json(text, strlen(text));
    records(text, strlen(text));
    free(text);
    return 0;
}
