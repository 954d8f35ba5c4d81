/* libFuzzer target for berthd's HTTP/1.1 request reader (src/server/http_parse.c).
 *
 * Input: one byte of split count (low two bits), that many split bytes, then the request
 * bytes. Checks beyond sanitizer reports:
 *   - the head parsed in one piece and fed as growing prefixes cut at the chosen points
 *     (resuming with *scanned, as the event loop does) give the same result, the same
 *     offsets of every string and the same rewritten bytes; every prefix before the end
 *     answers MORE and writes nothing;
 *   - no method, target, field name or value handed out holds a CR, an LF or another
 *     control byte (a tab inside a value aside);
 *   - the decoded path equals what libmicrohttpd's own MHD_http_unescape makes of it (the
 *     string MHD handed Berth before), and query lookups stay inside their buffer;
 *   - the bytes after the head (or the whole input when there is no head) decoded as a
 *     chunked body in one piece and in pieces cut at the same points give the same data,
 *     the same bytes consumed and the same result. */
#include <microhttpd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "server/http_parse.h"

#define MAX_IN (1 << 14)
#define MAX_HEAD 4096

/* The split points, ascending, inside (0, len). */
static size_t cuts(const uint8_t *sel, size_t nsel, size_t len, size_t *at)
{
    size_t n = 0;
    for (size_t i = 0; i < nsel && len > 1; i++) {
        size_t p = 1 + (size_t)sel[i] * (len - 1) / 256;
        if (n == 0 || p > at[n - 1])
            at[n++] = p;
    }
    at[n++] = len;
    return n;
}

static void same_head(const http_head *a, const char *abuf, const http_head *b,
                      const char *bbuf)
{
    CHECK(a->head_len == b->head_len);
    CHECK(memcmp(abuf, bbuf, a->head_len) == 0);
    CHECK(a->method - abuf == b->method - bbuf && a->target - abuf == b->target - bbuf);
    CHECK(a->nhdr == b->nhdr);
    for (size_t i = 0; i < a->nhdr; i++)
        CHECK(a->hdr[i].name - abuf == b->hdr[i].name - bbuf &&
              a->hdr[i].value - abuf == b->hdr[i].value - bbuf);
    CHECK(a->minor == b->minor && a->has_length == b->has_length &&
          a->content_length == b->content_length && a->chunked == b->chunked &&
          a->keep_alive == b->keep_alive && a->expect_continue == b->expect_continue);
}

/* Feeds in the growing prefixes at[0..n): every one but the result's answers MORE. */
static int parse_split(const char *in, size_t len, const size_t *at, size_t n, char *buf,
                       http_head *h)
{
    size_t scanned = 0, have = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(buf + have, in + have, at[i] - have);
        have = at[i];
        int rc = http_parse_head(buf, have, MAX_HEAD, &scanned, h);
        if (rc != HTTP_PARSE_MORE)
            return rc;
        CHECK(memcmp(buf, in, have) == 0 && scanned <= have && scanned + 1 >= have);
    }
    (void)len;
    return HTTP_PARSE_MORE;
}

/* No string handed out holds a line end or a control byte (HTAB inside values aside). */
static void check_clean(const http_head *h)
{
    for (const char *p = h->method; *p; p++)
        CHECK((unsigned char)*p > 0x20 && *p != 0x7f);
    for (const char *p = h->target; *p; p++)
        CHECK((unsigned char)*p > 0x20 && *p != 0x7f);
    for (size_t i = 0; i < h->nhdr; i++) {
        CHECK(h->hdr[i].name[0] != '\0');
        for (const char *p = h->hdr[i].name; *p; p++)
            CHECK((unsigned char)*p > 0x20 && *p != 0x7f && *p != ':');
        for (const char *p = h->hdr[i].value; *p; p++)
            CHECK(*p == '\t' || ((unsigned char)*p >= 0x20 && *p != 0x7f));
    }
}

static void check_target(const http_head *h)
{
    static char mine[MAX_HEAD], mhd[MAX_HEAD];
    size_t n = strcspn(h->target, "?#");
    memcpy(mhd, h->target, n);
    mhd[n] = '\0';
    size_t want = MHD_http_unescape(mhd);
    long got = http_target_path(h->target, mine, sizeof mine);
    CHECK(got == (long)want && memcmp(mine, mhd, want + 1) == 0);
    static const char *const names[] = {"page_number", "x", "", "a b"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char small[8];
        const char *v = http_target_query(h->target, names[i], small, sizeof small);
        CHECK(v == NULL || (v == small && strlen(small) < sizeof small));
    }
}

/* Decodes body[0, len) cut at at[0..n) (keeping what was not consumed, as the event loop
 * does): the result, data to out (len bytes room), bytes used to *used. */
static int chunked_split(const char *body, const size_t *at, size_t n, char *work, char *out,
                         size_t *outlen, size_t *used)
{
    http_chunked c;
    http_chunked_init(&c);
    size_t have = 0, fed = 0;
    int rc = HTTP_PARSE_MORE;
    *outlen = *used = 0;
    for (size_t i = 0; i < n && rc == HTTP_PARSE_MORE; i++) {
        memcpy(work + have, body + fed, at[i] - fed);
        have += at[i] - fed;
        fed = at[i];
        size_t consumed = 0, dlen = 0;
        rc = http_chunked_decode(&c, work, have, &consumed, &dlen);
        if (rc < 0)
            return rc;
        CHECK(consumed <= have && dlen <= consumed);
        memcpy(out + *outlen, work, dlen);
        *outlen += dlen, *used += consumed;
        memmove(work, work + consumed, have - consumed);
        have -= consumed;
    }
    return rc;
}

static void check_chunked(const char *body, size_t len, const uint8_t *sel, size_t nsel)
{
    static char work[MAX_IN], out1[MAX_IN], out2[MAX_IN];
    size_t whole = len, at[4], n = cuts(sel, nsel, len, at);
    size_t l1, u1, l2, u2;
    if (len == 0)
        return;
    int r1 = chunked_split(body, &whole, 1, work, out1, &l1, &u1);
    int r2 = chunked_split(body, at, n, work, out2, &l2, &u2);
    CHECK(r1 == r2);
    if (r1 >= 0)
        CHECK(l1 == l2 && u1 == u2 && memcmp(out1, out2, l1) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char whole[MAX_IN], split[MAX_IN];
    if (size < 1 || size > MAX_IN)
        return 0;
    size_t nsel = data[0] & 3;
    if (size < 1 + nsel)
        return 0;
    const uint8_t *sel = data + 1;
    const char *in = (const char *)data + 1 + nsel;
    size_t len = size - 1 - nsel, scanned = 0, at[4], n = cuts(sel, nsel, len, at);
    http_head h1, h2;
    memcpy(whole, in, len);
    int r1 = http_parse_head(whole, len, MAX_HEAD, &scanned, &h1);
    int r2 = len ? parse_split(in, len, at, n, split, &h2) : r1;
    CHECK(r1 == r2);
    CHECK(r1 == HTTP_PARSE_MORE || r1 == HTTP_PARSE_DONE || r1 == -400 || r1 == -431 ||
          r1 == -501 || r1 == -505);
    if (r1 != HTTP_PARSE_DONE)
        CHECK(memcmp(whole, in, len) == 0);
    if (r1 == HTTP_PARSE_DONE && len) {
        same_head(&h1, whole, &h2, split);
        CHECK(h1.head_len <= len && h1.head_len <= MAX_HEAD);
        check_clean(&h1);
        check_target(&h1);
    }
    size_t off = r1 == HTTP_PARSE_DONE ? h1.head_len : 0;
    check_chunked(in + off, len - off, sel, nsel);
    return 0;
}
