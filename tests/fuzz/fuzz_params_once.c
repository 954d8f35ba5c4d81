/* libFuzzer target for the launch parameters parsed once (berth_params_stored_as_is): the
 * input is a launch body, parsed as api_launch parses it (Go's -0, then the request parser);
 * the parameters it re-encodes are read by the engine both ways — parsed again, and taken as
 * they are where the check allows it — and the two must agree: the same result, and the same
 * bytes stored. The raw input is also given to both as parameter text (no claim about the
 * answer: it only must not crash). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "model/params.h"
#include "model/request.h"

static void both_ways(const char *text)
{
    char *parsed = NULL, *taken = NULL, e1[512] = "", e2[512] = "";
    int rc1 = berth_params_stored(text, false, &parsed, e1, sizeof e1);
    int rc2 = berth_params_stored(text, true, &taken, e2, sizeof e2);
    CHECK(rc1 == rc2);
    if (rc1 == 0)
        CHECK(parsed && taken && strcmp(parsed, taken) == 0);
    free(parsed);
    free(taken);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_text(data, size);
    buf b;
    buf_init(&b, 0);
    berth_params_signed_zeros(body, size, &b);
    berth_request *r = NULL;
    char err[1024];
    if (!b.err && berth_request_parse(b.p ? b.p : "", b.len, &r, err, sizeof err) == 0) {
        if (r->parameters)
            both_ways(r->parameters);
        berth_request_free(r);
    }
    buf_free(&b);
    char *out = NULL;
    if (berth_params_stored(body, true, &out, err, sizeof err) == 0)
        CHECK(out != NULL);
    free(out);
    free(body);
    return 0;
}
