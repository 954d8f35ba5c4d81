/* Launch body (launch.h). --params and --param combine: the pairs are set on top of the
 * --params object, later ones winning. */
#include "cli/launch.h"

#include <jansson.h>
#include <string.h>

#include "berth/job.h"
#include "cli/cli.h"
#include "cli/report.h"
#include "model/json_parse.h"
#include "model/json_write.h"

/* Parses JSON text; CLI_OK or CLI_USAGE naming `what`. */
static int load(const char *text, const char *what, json_t **out)
{
    char err[200];
    if (berth__json_parse(text, strlen(text), BERTH_JSON_MAX_DEPTH, out, NULL, err,
                          sizeof err))
        return report_usage("%s is not valid JSON: %s", what, err);
    return CLI_OK;
}

/* Sets one "k=v" (string) or "k:=JSON" pair on obj. */
static int set_pair(json_t *obj, const char *pair)
{
    const char *eq = strchr(pair, '=');
    if (!eq || eq == pair || (eq == pair + 1 && pair[0] == ':'))
        return report_usage("--param wants key=value or key:=JSON, not '%s'", pair);
    bool raw = eq[-1] == ':';
    char key[256];
    size_t klen = (size_t)(eq - pair) - raw;
    if (klen >= sizeof key)
        return report_usage("--param key is longer than %zu bytes", sizeof key - 1);
    memcpy(key, pair, klen);
    key[klen] = '\0';
    json_t *v = NULL;
    if (raw && load(eq + 1, "--param value", &v))
        return CLI_USAGE;
    if (!raw)
        v = json_string(eq + 1);
    if (!v)
        return report_usage("--param value of '%s' is not valid UTF-8", key);
    json_object_set_new(obj, key, v);
    return CLI_OK;
}

/* The parameters object (or JSON null) from --params and --param. */
static int params_tree(const launch_args *a, json_t **out)
{
    json_t *p = NULL;
    if (a->params && load(a->params, "--params", &p))
        return CLI_USAGE;
    if (p && !json_is_object(p) && !json_is_null(p)) {
        json_decref(p);
        return report_usage("--params must be a JSON object, like '{\"key\":\"value\"}'");
    }
    if (a->npairs && !json_is_object(p)) {
        json_decref(p);
        p = json_object();
    }
    for (size_t i = 0; i < a->npairs; i++) {
        if (set_pair(p, a->pairs[i])) {
            json_decref(p);
            return CLI_USAGE;
        }
    }
    *out = p ? p : json_null();
    return CLI_OK;
}

/* The kind to send, checked: exactly Generic, Scheduled or Periodic. */
static int pick_kind(const launch_args *a, const char **kind)
{
    if (a->delay && a->cron)
        return report_usage("--delay and --cron do not go together");
    *kind = a->kind ? a->kind
            : a->cron ? BERTH_KIND_PERIODIC
            : a->delay ? BERTH_KIND_SCHEDULED
                       : BERTH_KIND_GENERIC;
    if (!berth_kind_valid(*kind))
        return report_usage("unknown kind '%s' (Generic, Scheduled or Periodic)", *kind);
    if (!strcmp(*kind, BERTH_KIND_SCHEDULED) && !a->delay)
        return report_usage("a Scheduled job needs --delay SECONDS");
    if (!strcmp(*kind, BERTH_KIND_PERIODIC) && !a->cron)
        return report_usage("a Periodic job needs --cron SPEC");
    return CLI_OK;
}

static int write_body(const launch_args *a, const char *kind, const json_t *params, buf *out)
{
    JSON_WRITE_TRY(buf_puts(out, "{\"job\":{\"name\":"));
    JSON_WRITE_TRY(berth__json_write_cstr(out, a->name));
    JSON_WRITE_TRY(buf_puts(out, ",\"parameters\":"));
    JSON_WRITE_TRY(berth__json_write_value(out, params));
    JSON_WRITE_TRY(buf_puts(out, ",\"metadata\":{\"kind\":"));
    JSON_WRITE_TRY(berth__json_write_cstr(out, kind));
    if (a->delay)
        JSON_WRITE_TRY(buf_printf(out, ",\"schedule_delay\":%llu", (unsigned long long)a->delay));
    if (a->cron) {
        JSON_WRITE_TRY(buf_puts(out, ",\"cron_spec\":"));
        JSON_WRITE_TRY(berth__json_write_cstr(out, a->cron));
    }
    JSON_WRITE_TRY(
        buf_printf(out, ",\"unique\":%s},\"status_hook\":", a->unique ? "true" : "false"));
    JSON_WRITE_TRY(berth__json_write_cstr(out, a->hook));
    return buf_puts(out, "}}");
}

int launch_body(const launch_args *a, buf *out)
{
    const char *kind = NULL;
    json_t *params = NULL;
    if (!a->name || !*a->name)
        return report_usage("submit needs a job name");
    if (pick_kind(a, &kind) || params_tree(a, &params))
        return CLI_USAGE;
    int rc = write_body(a, kind, params, out);
    json_decref(params);
    if (rc)
        return report_usage("the job request is larger than %zu KiB", LAUNCH_BODY_MAX >> 10);
    return CLI_OK;
}
