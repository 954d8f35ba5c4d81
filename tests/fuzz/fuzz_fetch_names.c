/* libFuzzer target for the fetch reply's name reader (src/engine/fetch_names.c): a job's
 * code entry and queued JSON from Redis, any bytes.
 *
 * Input: the first byte is the code's length (capped at what follows), then the code, then
 * the JSON; each is copied into a buffer of exactly its length (no NUL), so that a read past
 * either end is an ASan report. Checks beyond that: the result is 0 or -1; on 0 the id and
 * name lie inside the entry they were read from and rebuild it: "<c>\0<id>\0<name>" is the
 * whole code (the id holding no NUL), or for a one-byte code the JSON starts
 * '{"name":"<name>","id":"<id>"' with neither holding a quote or a backslash; on -1 a
 * one-byte code's JSON has no such head. Build: make fuzz (CMake -DBERTH_FUZZ=ON, clang). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/fetch_names.h"
#include "fuzz_check.h"

static bool inside(const char *p, size_t len, const char *buf, size_t buflen)
{
    return p >= buf && len <= buflen && (size_t)(p - buf) <= buflen - len;
}

static bool plain(const char *p, size_t len)
{
    return !memchr(p, '"', len) && !memchr(p, '\\', len);
}

/* Berth's head with this name and id, compared with raw's start. */
static bool has_head(const char *raw, size_t rawlen, const char *name, size_t namelen,
                     const char *id, size_t idlen)
{
    size_t n = 9 + namelen + 8 + idlen + 1;
    return rawlen >= n && memcmp(raw, "{\"name\":\"", 9) == 0 &&
           memcmp(raw + 9, name, namelen) == 0 && memcmp(raw + 9 + namelen, "\",\"id\":\"", 8) == 0 &&
           memcmp(raw + 17 + namelen, id, idlen) == 0 && raw[n - 1] == '"';
}

/* Is there any head: the reader's answer checked by a second, naive reading. */
static bool any_head(const char *raw, size_t rawlen)
{
    if (rawlen < 9 || memcmp(raw, "{\"name\":\"", 9) != 0)
        return false;
    size_t i = 9;
    while (i < rawlen && raw[i] != '"' && raw[i] != '\\')
        i++;
    if (rawlen - i < 8 || memcmp(raw + i, "\",\"id\":\"", 8) != 0)
        return false;
    for (i += 8; i < rawlen && raw[i] != '\\'; i++)
        if (raw[i] == '"')
            return true;
    return false;
}

static void check(const char *code, size_t codelen, const char *raw, size_t rawlen)
{
    const char *id = NULL, *name = NULL;
    size_t idlen = 0, namelen = 0;
    int rc = fetch_names(code, codelen, raw, rawlen, &id, &idlen, &name, &namelen);
    CHECK(rc == 0 || rc == -1);
    if (rc != 0) {
        CHECK(codelen != 1 || !any_head(raw, rawlen));
        return;
    }
    CHECK(codelen > 0);
    if (codelen > 1) {
        CHECK(inside(id, idlen, code, codelen) && inside(name, namelen, code, codelen));
        CHECK(code[1] == '\0' && id == code + 2 && !memchr(id, '\0', idlen));
        CHECK(id[idlen] == '\0' && name == id + idlen + 1 && name + namelen == code + codelen);
        return;
    }
    CHECK(inside(id, idlen, raw, rawlen) && inside(name, namelen, raw, rawlen));
    CHECK(plain(id, idlen) && plain(name, namelen));
    CHECK(has_head(raw, rawlen, name, namelen, id, idlen));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t codelen = data[0] < size - 1 ? data[0] : size - 1, rawlen = size - 1 - codelen;
    char *code = malloc(codelen ? codelen : 1), *raw = malloc(rawlen ? rawlen : 1);
    CHECK(code && raw);
    memcpy(code, data + 1, codelen);
    memcpy(raw, data + 1 + codelen, rawlen);
    check(code, codelen, raw, rawlen);
    free(code);
    free(raw);
    return 0;
}
