/* berth stats: GET /api/v1/stats (no auth needed by Harbor; the secret is sent anyway when
 * set), the worker pools and their health:
 *   {"worker_pools":[{"worker_pool_id","started_at","heartbeat_at","job_names":[..],
 *     "concurrency","status":"Healthy"|"Dead"}]}
 * Human output: one row per pool, dead ones last; --json: the reply. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/report.h"
#include "util/buf.h"

static void print_pool(const json_t *p)
{
    char started[OUTPUT_TIME_SIZE], beat[OUTPUT_TIME_SIZE];
    const char *id = json_string_value(json_object_get(p, "worker_pool_id"));
    const char *st = json_string_value(json_object_get(p, "status"));
    buf names;
    buf_init(&names, 4096);
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(p, "job_names"), i, n)
        if (json_is_string(n))
            buf_printf(&names, "%s%s", i ? "," : "", json_string_value(n));
    printf("%-24s %-8s %11lld %-20s %-20s %s\n", id ? id : "-", st ? st : "-",
           (long long)json_integer_value(json_object_get(p, "concurrency")),
           output_time(json_integer_value(json_object_get(p, "started_at")), started),
           output_time(json_integer_value(json_object_get(p, "heartbeat_at")), beat),
           names.len ? names.p : "-");
    buf_free(&names);
}

static bool is_dead(const json_t *p)
{
    const char *st = json_string_value(json_object_get(p, "status"));
    return st && strcmp(st, "Healthy") != 0;
}

static int show_human(const client_resp *r)
{
    json_t *j = json_loadb(r->body.p, r->body.len, 0, NULL);
    json_t *pools = json_object_get(j, "worker_pools");
    if (!json_is_array(pools)) {
        json_decref(j);
        return report_fail(CLI_SERVER, "cannot read the server's reply: no worker_pools array");
    }
    printf("%-24s %-8s %11s %-20s %-20s %s\n", "POOL", "STATUS", "CONCURRENCY", "STARTED",
           "HEARTBEAT", "JOBS");
    /* Healthy pools first: a node that died stays listed until the service removes it
     * (berthd: about 5 minutes after its last heartbeat), below the live ones. */
    size_t i, dead = 0;
    json_t *p;
    json_array_foreach(pools, i, p)
        if (!is_dead(p))
            print_pool(p);
    json_array_foreach(pools, i, p)
        if (is_dead(p) && ++dead)
            print_pool(p);
    if (dead)
        printf("(%zu dead pool(s), listed last: berthd removes a pool about 5 minutes after "
               "its last heartbeat)\n", dead);
    json_decref(j);
    return CLI_OK;
}

int cmd_stats(const cli_cfg *cfg, int argc, char **argv)
{
    if (argc > 1)
        return report_usage("stats: unexpected argument '%s'", argv[1]);
    client_resp r;
    client_resp_init(&r, NULL, 0);
    int rc = client_run(cfg, "GET", "/api/v1/stats", NULL, &r);
    if (!rc && cfg->json)
        output_raw(r.body.p, r.body.len);
    else if (!rc)
        rc = show_human(&r);
    client_resp_free(&r);
    return rc;
}
