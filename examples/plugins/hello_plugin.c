/* An example job plugin (docs/own-jobs.md): built by `make` as
 * build/<preset>/hello_plugin.so, loaded by berthd when its config lists it:
 *
 *   berth:
 *     plugins: [build/release/hello_plugin.so]
 *
 * It registers HELLO_PLUGIN, which greets its `who` parameter, checks in half way, and
 * holds for its `hold_ms` parameter (default 0) unless stopped. Everything it uses is the
 * public API; it links nothing: berthd provides libberth's symbols. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <berth/plugin.h>

/* `who`, when present, must be a string (a toy check: real plugins parse with a JSON
 * library). */
static int hello_validate(const char *params, char *err, size_t errlen, void *ud)
{
    (void)ud;
    const char *p = params ? strstr(params, "\"who\":") : NULL;
    if (p && p[6] != '"') {
        snprintf(err, errlen, "parameter 'who' must be a string");
        return -1;
    }
    return 0;
}

static unsigned hold_ms(const char *params)
{
    const char *p = params ? strstr(params, "\"hold_ms\":") : NULL;
    unsigned ms = 0;
    if (p && sscanf(p + 10, "%u", &ms) != 1)
        ms = 0;
    return ms;
}

static int hello_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ud;
    BERTH_JINFO(ctx, "hello from a plugin, job %s, parameters %s", berth_ctx_job_id(ctx),
                params ? params : "none");
    berth_ctx_checkin(ctx, "half way");
    if (berth_ctx_sleep(ctx, hold_ms(params))) {
        BERTH_JINFO(ctx, "stopped");
        return 0;
    }
    BERTH_JINFO(ctx, "done");
    return 0;
}

static int hello_register(berth_engine *e, char *err, size_t errlen)
{
    berth_job_type t = {.name = "HELLO_PLUGIN", .max_fails = 1, .validate = hello_validate,
                        .run = hello_run};
    int rc = berth_engine_register(e, &t);
    if (rc != 0)
        snprintf(err, errlen, "cannot register HELLO_PLUGIN: %s", berth_strerror(rc));
    return rc;
}

BERTH_PLUGIN("hello", hello_register)
