/* libFuzzer target for the launch request body of POST /api/v1/jobs: any bytes through
 * berth_request_parse (Go's decoding rules on jansson, the nesting cap, invalid UTF-8,
 * int64/uint64 limits) and berth_request_validate with hooks like berthd's, then what the
 * engine does with accepted parameters: the compact and canonical (unique-key) encodings.
 *
 * The body first goes through berth_params_signed_zeros, as in api_launch (Go keeps the
 * sign of -0). Checks beyond sanitizer reports: a failure always has a message; accepted
 * parameters are a JSON object whose compact form re-encodes to itself (Go's map
 * re-encoding is a fixed point, -0 included) and whose unique key ends with the canonical
 * form plus "\n"; the action parser agrees on the same bytes (never crashes, a string or
 * an error). */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "berth/period.h"
#include "fuzz_check.h"
#include "model/action.h"
#include "model/params.h"
#include "model/request.h"
#include "util/alloc.h"

static bool known(const char *name, void *ud)
{
    (void)ud;
    return strcmp(name, "DEMO") == 0;
}

static int cron_ok(const char *spec, char *err, size_t errlen, void *ud)
{
    (void)ud;
    return berth_period_check_cron(spec, err, errlen);
}

static void check_params(const char *params)
{
    json_t *j = json_loads(params, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, NULL);   /* Go writes 1e20 as digits */
    CHECK(j && json_is_object(j));
    json_decref(j);
    buf a, b, key;
    buf_init(&a, 4 << 20);
    buf_init(&b, 4 << 20);
    buf_init(&key, 4 << 20);
    CHECK(berth_params_compact(params, &a) == 0);
    CHECK(strcmp(a.p ? a.p : "", params) == 0);   /* parse stores the compact form */
    CHECK(berth_params_compact(a.p, &b) == 0);
    CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
    CHECK(berth_unique_key("ns", "DEMO", params, &key) == 0);
    CHECK(key.len > a.len && key.p[key.len - 1] == '\n');
    CHECK(memcmp(key.p + key.len - 1 - a.len, a.p, a.len) == 0);
    buf_free(&a);
    buf_free(&b);
    buf_free(&key);
}

static void run_request(const char *raw, size_t rawlen)
{
    berth_request *r = NULL;
    char err[1024];
    memset(err, 'X', sizeof err);
    buf fixed;                      /* as api_launch: -0 spelled -0.0 keeps its sign */
    buf_init(&fixed, 0);
    CHECK(berth_params_signed_zeros(raw, rawlen, &fixed) == 0);
    const char *body = fixed.p ? fixed.p : "";
    size_t len = fixed.len;
    int rc = berth_request_parse(body, len, &r, err, sizeof err);
    buf_free(&fixed);
    CHECK(memchr(err, '\0', sizeof err) != NULL || rc == 0);
    if (rc != 0) {
        CHECK(rc == BERTH_EINVAL && r == NULL && err[0] != '\0');
        return;
    }
    berth_validate_hooks hooks = {.known_job = known, .cron_check = cron_ok};
    rc = berth_request_validate(r, &hooks, err, sizeof err);
    CHECK(rc == 0 || ((rc == BERTH_EINVAL || rc == BERTH_EUNKNOWN) && err[0] != '\0'));
    if (r->parameters)
        check_params(r->parameters);
    berth_request_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    char *body = malloc(size + 1);
    memcpy(body, data, size);
    body[size] = '\0';   /* the HTTP layer hands handlers a NUL-terminated body */
    run_request(body, size);
    char *action = NULL, err[256];
    if (berth_action_parse(body, size, &action, err, sizeof err) == 0)
        berth_free(action);
    else
        CHECK(err[0] != '\0');
    free(body);
    return 0;
}
