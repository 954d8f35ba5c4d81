/* libFuzzer target for what Berth reads back from Redis. Redis is trusted to store what
 * Berth wrote, but its data can also be written by Harbor core, operators, another
 * version of Berth, or a corrupted AOF, so every reader must survive anything:
 *   - RESP bytes through hiredis's reply reader, each reply handled the way Berth does:
 *     an HGETALL array → field/value arrays (engine_load_stats) → berth_stats_from_hash →
 *     the stats JSON and hash encoders; a SENTINEL get-master-addr-by-name array; a
 *     SCAN reply's cursor and keys;
 *   - the same bytes as a queued job's JSON (jsonscan: the "args" member, as the fetcher
 *     and worker cut it) and its unique key; as a status-retry record
 *     (berth_simple_change_parse), an ACK, a hook payload, an execution id, and an
 *     INFO memory reply (berth_memory_info_parse).
 * Checks beyond sanitizer reports: encoders accept whatever the hash reader produced
 * (stats JSON is valid JSON); jsonscan never points outside its input. */
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "berth/memguard.h"
#include "model/ack.h"
#include "model/id.h"
#include "model/params.h"
#include "model/simple_change.h"
#include "model/stats_hash.h"
#include "model/stats_json.h"
#include "model/status_change.h"
#include "util/alloc.h"
#include "util/jsonscan.h"

#define CHECK(c) \
    do { \
        if (!(c)) \
            abort(); \
    } while (0)

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
static void as_hash(const redisReply *r)
{
    size_t n = r->elements / 2;
    const char **f = berth_calloc(n + 1, sizeof *f), **v = berth_calloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        f[i] = r->element[2 * i]->str;
        v[i] = r->element[2 * i + 1]->str;
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

static void replies(const uint8_t *data, size_t size)
{
    if (huge_array(data, size))
        return;
    redisReader *rd = redisReaderCreate();
    redisReaderFeed(rd, (const char *)data, size);
    void *reply = NULL;
    for (int i = 0; i < 16 && redisReaderGetReply(rd, &reply) == REDIS_OK && reply; i++) {
        const redisReply *r = reply;
        if (r->type == REDIS_REPLY_ARRAY)
            as_hash(r);
        if ((r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) && r->str) {
            uint64_t used, max;
            (void)berth_memory_info_parse(r->str, r->len, &used, &max);
        }
        freeReplyObject(reply);
        reply = NULL;
    }
    redisReaderFree(rd);
}

/* A queued job's JSON: what the fetcher and worker cut out of it. */
static void job_json(const char *raw, size_t size)
{
    size_t len = 0;
    const char *args = jsonscan_member(raw, "args", &len);
    if (args) {
        CHECK(args >= raw && args + len <= raw + size);
        char *params = berth_strndup(args, len);
        buf key;
        buf_init(&key, 8 << 20);
        (void)berth_unique_key("t", "DEMO", params, &key);
        buf_free(&key);
        berth_free(params);
    }
    size_t n = jsonscan_value(raw, size);
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
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    job_json(text, strlen(text));
    records(text, strlen(text));
    free(text);
    return 0;
}
