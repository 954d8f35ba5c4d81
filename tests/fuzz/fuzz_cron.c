/* libFuzzer target for the cron parser (src/period/cron.c): any bytes as a spec.
 *
 * Checks beyond "no crash, no sanitizer report": the error text is always terminated,
 * valid UTF-8 and within its buffer; bad_field is one of the documented names; a parsed
 * schedule's next/prev results are fire times in the right order and agree with each
 * other. Build: clang -fsanitize=fuzzer,address,undefined -Iinclude -Isrc
 * tests/fuzz/fuzz_cron.c src/period/cron.c (CMake: -DBERTH_FUZZ=ON with clang). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "fuzz_check.h"
#include "period/cron.h"

static bool valid_utf8(const unsigned char *p)
{
    while (*p) {
        size_t n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3
                 : (*p & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || (n == 2 && *p < 0xC2) || (n == 4 && *p > 0xF4))
            return false;
        for (size_t i = 1; i < n; i++)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        p += n;
    }
    return true;
}

static bool known_field(const char *f)
{
    static const char *const names[] = {"sec", "min", "hour", "dom", "month", "dow", "tz"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (f == names[i] || strcmp(f, names[i]) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *spec = malloc(size + 1);
    if (!spec)
        return 0;
    memcpy(spec, data, size);
    spec[size] = '\0';  /* a C string stops at the first NUL, as callers' strings do */

    cron_schedule s;
    char err[200];
    memset(err, 'X', sizeof err);
    const char *field = "unset";
    size_t errlen = size % 7 == 0 ? 16 : sizeof err;  /* exercise truncation too */
    int rc = cron_parse(spec, &s, err, errlen, &field);
    CHECK(memchr(err, '\0', errlen) != NULL);
    CHECK(valid_utf8((const unsigned char *)err));
    if (rc != 0) {
        CHECK(rc == BERTH_EINVAL);
        CHECK(err[0] != '\0');
        CHECK(field == NULL || known_field(field));
    } else {
        CHECK(field == NULL && err[0] == '\0');
        CHECK(s.sec >> 60 == 0 && s.min >> 60 == 0 && s.hour >> 24 == 0);
        CHECK((s.dom & 1) == 0 && s.dom >> 32 == 0 && (s.month & 1) == 0 && s.month >> 13 == 0);
        CHECK(s.dow >> 7 == 0);
        int64_t t = 946684800 + (int64_t)(size * 7919u % 1000000000u);  /* 2000 .. 2031 */
        int64_t n = cron_next(&s, t);
        CHECK(n == 0 || (n > t && cron_matches(&s, n) && cron_prev(&s, n) == n));
        CHECK(n == 0 || cron_prev(&s, n - 1) <= t);
        int64_t p = cron_prev(&s, t);
        CHECK(p == 0 || (p <= t && cron_matches(&s, p)));
        CHECK(p == 0 || cron_next(&s, p) == 0 || cron_next(&s, p) > t);
        int64_t out[4];
        int k = cron_next_n(&s, t, t + 86400, out, 4);
        CHECK(k >= 0 && k <= 4);
        for (int i = 1; i < k; i++)
            CHECK(out[i] > out[i - 1]);
    }
    free(spec);
    return 0;
}
