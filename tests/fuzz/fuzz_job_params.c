/* libFuzzer target for the parameter checks of Harbor's jobs that validate at launch
 * (DEMO, SLACK, P2P_PREHEAT: what a launch body's `parameters` reach through
 * berth_engine_validate, on an engine that never connects), P2P_PREHEAT's provider/image
 * documents directly (src/jobs/preheat_params.c), and the two URL checks of the jobs that
 * call out (jhttp_check_url, ph_client_check_url) on the same bytes as a URL.
 *
 * Checks beyond sanitizer reports: a refusal always has a message; an accepted preheat has
 * a vendor, an endpoint, an image name, a tag and headers; a checked provider URL is
 * http(s). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "berth/berth.h"
#include "berth/error.h"
#include "berth/jobs.h"
#include "fuzz_check.h"
#include "jobs/jhttp.h"
#include "jobs/preheat_client.h"
#include "jobs/preheat_params.h"

static berth_engine *engine(void)
{
    static berth_engine *e;
    static berth_jobs_http http = {.max_fails = 3, .timeout_ms = 3000, .slack_pause_ms = 1000};
    if (!e) {
        berth_engine_config c = {.redis_unix = "/nonexistent", .ns = "fuzz"};
        char err[256];
        CHECK(berth_engine_new(&c, &e, err, sizeof err) == 0);
        CHECK(berth_jobs_register_demo(e, 0) == 0 && berth_jobs_register_slack(e, &http) == 0 &&
              berth_jobs_register_webhook(e, &http) == 0 &&
              berth_jobs_register_preheat(e, NULL) == 0);
    }
    return e;
}

static void validate_all(const char *text)
{
    static const char *const names[] = {"DEMO", "SLACK", "WEBHOOK", "P2P_PREHEAT"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char err[1024] = "";
        int rc = berth_engine_validate(engine(), names[i], text, err, sizeof err);
        CHECK(rc == 0 || (rc == BERTH_EINVAL && err[0]));
    }
}

static void preheat_params(const char *text)
{
    ph_params p;
    char err[1024] = "";
    if (ph_params_parse(text, &p, err, sizeof err) == 0) {
        CHECK(p.provider.vendor[0] && p.provider.endpoint[0] && p.image.image[0] &&
              p.image.tag[0] && json_object_size(p.image.headers) > 0);
    } else {
        CHECK(err[0]);
    }
    ph_params_free(&p);
}

static void urls(const char *text)
{
    char err[1024] = "", out[4096] = "";
    if (jhttp_check_url(text, err, sizeof err) != 0)
        CHECK(err[0]);
    err[0] = '\0';
    if (ph_client_check_url(text, out, sizeof out, err, sizeof err) == 0)
        CHECK(!strncmp(out, "http://", 7) || !strncmp(out, "https://", 8));
    else
        CHECK(err[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *text = fuzz_text(data, size);
    validate_all(text);
    preheat_params(text);
    urls(text);
    free(text);
    return 0;
}
