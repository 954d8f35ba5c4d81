/* Harbor's inbound authentication (spec §2.2): `Authorization: Harbor-Secret <secret>`
 * compared with CORE_SECRET in constant time.
 *
 * Steps, first failure wins, each with Harbor's reason text:
 *   trim the header (Go's TrimSpace); empty → "header 'Authorization' missing"
 *   no "Harbor-Secret" prefix (case-sensitive; no space needed after it)
 *                                   → "'Authorization' should start with 'Harbor-Secret'"
 *   the rest, trimmed, is empty     → "empty secret is not allowed"
 *   it differs from the secret      → "unauthorized"
 * An empty or NULL configured secret fails every request with "unauthorized". */
#ifndef BERTH_SERVER_AUTH_H
#define BERTH_SERVER_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "server/http.h"

/* Checks an Authorization header value (NULL = absent) against secret. Returns NULL when it
 * passes, else the reason text (static). */
const char *auth_check(const char *header, const char *secret);
/* Does this request skip auth? Only when the raw request target is exactly "/api/v1/stats"
 * (Harbor compares the whole URL, so "/api/v1/stats?x=1" needs auth) or "/healthz". */
bool auth_exempt(const char *uri);
/* Applies both to req: false after writing the 401 reply
 * {"code":10011,"message":"unauthorized","details":"<reason>"} into resp. */
bool auth_request(const http_req *req, const char *secret, http_resp *resp);
/* Equal strings, in time that depends only on their lengths. */
bool auth_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif
