/* libFuzzer target for the token server reply parser (src/registry/auth.c,
 * reg_token_parse): any bytes as the body of a 200 from a token realm.
 *
 * Checks beyond sanitizer reports: a failure has a message and no token; a success gives a
 * token of printable ASCII without spaces (it goes into an Authorization header) and an
 * expiry that is 0 (never reuse) or no later than now + 1e9 s (an issued_at ahead of the
 * clock counts as now). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "fuzz_check.h"
#include "registry/internal.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *token = (char *)1;
    int64_t exp = -5;
    char err[200] = "";
    int rc = reg_token_parse((const char *)data, size, 1700000000, &token, &exp, err, sizeof err);
    if (rc != 0) {
        CHECK(rc == BERTH_EINVAL && err[0] && token == NULL && exp == 0);
        return 0;
    }
    CHECK(token != NULL);
    for (const char *p = token; *p; p++)
        CHECK(*p > 0x20 && *p < 0x7f);
    CHECK(exp == 0 || (exp > -100000000000LL && exp <= 1700000000LL + 1000000000LL));
    berth_free(token);
    return 0;
}
