/* Harbor-Secret authentication; see auth.h. Whitespace trimming follows Go's
 * strings.TrimSpace (unicode.IsSpace), so a header Harbor accepts is accepted here. */
#include <string.h>

#include "model/api_error.h"
#include "server/auth.h"

#define PREFIX "Harbor-Secret"

static bool is_space_rune(unsigned cp)
{
    switch (cp) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

/* The code point of the exactly-k-byte UTF-8 sequence at s (k = 1..3), or ~0u. */
static unsigned decode(const unsigned char *s, size_t k)
{
    if (k == 1)
        return s[0] < 0x80 ? s[0] : ~0u;
    if (k == 2 && (s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
        unsigned cp = ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
        return cp >= 0x80 ? cp : ~0u;
    }
    if (k == 3 && (s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        unsigned cp = ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
        return cp >= 0x800 ? cp : ~0u;
    }
    return ~0u;
}

/* Go's TrimSpace on s[0..*n): returns the new start and updates *n. */
static const char *trim(const char *s, size_t *n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = *n;
    for (bool again = true; again && len > 0;) {
        again = false;
        for (size_t k = 1; k <= 3 && k <= len; k++)
            if (is_space_rune(decode(p, k))) {
                p += k, len -= k, again = true;
                break;
            }
    }
    for (bool again = true; again && len > 0;) {
        again = false;
        for (size_t k = 1; k <= 3 && k <= len; k++)
            if (is_space_rune(decode(p + len - k, k))) {
                len -= k, again = true;
                break;
            }
    }
    *n = len;
    return (const char *)p;
}

bool auth_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < alen; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

const char *auth_check(const char *header, const char *secret)
{
    size_t n = header ? strlen(header) : 0;
    const char *h = header ? trim(header, &n) : "";
    if (n == 0)
        return "header 'Authorization' missing";
    size_t plen = strlen(PREFIX);
    if (n < plen || memcmp(h, PREFIX, plen) != 0)
        return "'Authorization' should start with 'Harbor-Secret'";
    size_t slen = n - plen;
    const char *got = trim(h + plen, &slen);
    if (slen == 0)
        return "empty secret is not allowed";
    if (!secret || !*secret || !auth_equal(got, slen, secret, strlen(secret)))
        return "unauthorized";
    return NULL;
}

bool auth_exempt(const char *uri)
{
    return strcmp(uri, "/api/v1/stats") == 0 || strcmp(uri, "/healthz") == 0;
}

bool auth_request(const http_req *req, const char *secret, http_resp *resp)
{
    if (auth_exempt(req->uri))
        return true;
    const char *why = auth_check(http_req_header(req, "Authorization"), secret);
    if (!why)
        return true;
    resp->status = 401;
    http_resp_header(resp, "Content-Type", "text/plain; charset=utf-8");
    berth_api_error_body(BERTH_API_UNAUTHORIZED, why, &resp->body);
    return false;
}
