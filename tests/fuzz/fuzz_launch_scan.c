/* libFuzzer target for the launch body's fast scanner (src/model/launch_scan.c): for any
 * body, the scanner either declines or gives exactly the request the jansson path
 * (berth__request_parse_json) gives: the same fields, byte for byte the same parameters
 * text; and a body the scanner reads is one the jansson path reads without error.
 * berth_request_parse (scanner, then jansson) must agree with the jansson path as well. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "model/launch_scan.h"
#include "model/request.h"

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void same_request(const berth_request *a, const berth_request *b)
{
    CHECK(a->has_job == b->has_job && a->has_metadata == b->has_metadata);
    CHECK(same_str(a->name, b->name) && same_str(a->parameters, b->parameters));
    CHECK(same_str(a->kind, b->kind) && same_str(a->cron_spec, b->cron_spec));
    CHECK(same_str(a->status_hook, b->status_hook));
    CHECK(a->schedule_delay == b->schedule_delay && a->unique == b->unique);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    const char *body = (const char *)data;
    berth_request *scanned = NULL, *json = NULL, *both = NULL;
    char err1[512], err2[512];
    int rs = berth__launch_scan(body, size, &scanned);
    int rj = berth__request_parse_json(body, size, &json, err1, sizeof err1);
    int rb = berth_request_parse(body, size, &both, err2, sizeof err2);
    CHECK(rs == 0 || rs == BERTH_LAUNCH_SCAN_DECLINED);
    CHECK(rb == rj);
    if (rs == 0) {
        CHECK(rj == 0);
        same_request(scanned, json);
    }
    if (rj == 0)
        same_request(both, json);
    else
        CHECK(strcmp(err1, err2) == 0);
    berth_request_free(scanned);
    berth_request_free(json);
    berth_request_free(both);
    return 0;
}
