/* REPLICATION's adapters (spec §7.3, §7.5). Both are the native Registry v2 client; the
 * harbor type adds a version probe at creation, Harbor-Secret when its URL is exactly
 * CORE_URL (the local Harbor), blob mounts found through Harbor's repository search (v2)
 * and tag deletion through its REST API. Any other type is refused with Harbor's text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "jobs/replication.h"

static bool stop_cb(void *ud)
{
    berth_ctx *ctx = ud;
    return berth_ctx_op_command(ctx) != NULL || berth_ctx_system_done(ctx);
}

int repl_adapter_new(repl_job *j, const repl_registry *r, repl_adapter *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    bool harbor = strcmp(r->type, "harbor") == 0;
    if (!harbor && strcmp(r->type, "docker-registry") != 0) {
        snprintf(err, errlen, "adapter factory for %s not found", r->type);
        return BERTH_EINVAL;
    }
    const char *core = getenv("CORE_URL");
    bool local = harbor && core && *core && strcmp(core, r->url) == 0;
    reg_settings s = {.url = r->url, .username = r->access_key, .password = r->access_secret,
                      .harbor_secret = local ? (r->access_secret ? r->access_secret : "") : NULL,
                      .insecure = r->insecure, .ca_pem = r->ca_certificate,
                      .timeout_s = j->timeout_s, .stop = stop_cb, .stop_ud = j->ctx};
    int rc = reg_client_new(&s, &out->cli, err, errlen);
    out->harbor = harbor;
    if (rc == 0 && harbor) {
        rc = reg_harbor_probe(out->cli, out->api_base, sizeof out->api_base, &out->harbor_v2);
        if (rc != 0)
            snprintf(err, errlen, "%s", reg_client_error(out->cli));
    }
    if (rc != 0)
        repl_adapter_free(out);
    return rc;
}

void repl_adapter_free(repl_adapter *a)
{
    reg_client_free(a->cli);
    a->cli = NULL;
}

int repl_adapter_can_mount(repl_adapter *a, const char *digest, char *repo, size_t repolen,
                           char *err, size_t errlen)
{
    repo[0] = '\0';
    if (!a->harbor || !a->harbor_v2)
        return 0;
    int rc = reg_harbor_mount_source(a->cli, a->api_base, digest, repo, repolen);
    if (rc != 0)
        snprintf(err, errlen, "%s", reg_client_error(a->cli));
    return rc;
}

int repl_adapter_delete_tag(repl_adapter *a, const char *repo, const char *tag,
                            bool *not_found, char *err, size_t errlen)
{
    *not_found = false;
    if (!a->harbor || !a->harbor_v2) {
        snprintf(err, errlen, "the tag deletion isn't supported");
        return BERTH_EINVAL;
    }
    int rc = reg_harbor_delete_tag(a->cli, a->api_base, repo, tag);
    if (rc != 0) {
        *not_found = reg_client_status(a->cli) == 404;
        snprintf(err, errlen, "%s", reg_client_error(a->cli));
    }
    return rc;
}
