/* berth policies: GET /api/v1/policies, the stored periodic policies with their next fire
 * times; a table ID JOB CRON NEXT-FIRE, or the server's JSON with --json. A policy's runs:
 * `berth executions ID`. */
#include <jansson.h>
#include <stdio.h>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/report.h"

static int show(const client_resp *r)
{
    json_t *j = json_loadb(r->body.p, r->body.len, 0, NULL);
    if (!json_is_array(j)) {
        json_decref(j);
        return report_fail(CLI_SERVER, "cannot read the server's reply: not a JSON array");
    }
    printf("%-24s %-24s %-20s %s\n", "POLICY", "JOB", "NEXT FIRE", "CRON");
    size_t i;
    json_t *p;
    json_array_foreach(j, i, p) {
        char next[OUTPUT_TIME_SIZE];
        const char *id = json_string_value(json_object_get(p, "id"));
        const char *name = json_string_value(json_object_get(p, "job_name"));
        const char *cron = json_string_value(json_object_get(p, "cron_spec"));
        printf("%-24s %-24s %-20s %s\n", id ? id : "-", name ? name : "-",
               output_time(json_integer_value(json_object_get(p, "next_fire_at")), next),
               cron ? cron : "-");
    }
    json_decref(j);
    return CLI_OK;
}

int cmd_policies(const cli_cfg *cfg, int argc, char **argv)
{
    if (argc > 1)
        return report_usage("policies: unexpected argument '%s'", argv[1]);
    client_resp r;
    client_resp_init(&r, NULL, 0);
    int rc = client_run(cfg, "GET", "/api/v1/policies", NULL, &r);
    if (!rc && cfg->json)
        output_raw(r.body.p, r.body.len);
    else if (!rc)
        rc = show(&r);
    client_resp_free(&r);
    return rc;
}
