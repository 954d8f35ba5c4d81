/* berth queues | pause NAME | resume NAME | drain NAME: the queue routes of berthd
 * (docs/api.md "Queues"), on the Redis keys Harbor core's dashboard uses.
 *   queues        GET /api/v1/queues; a table NAME WAITING RUNNING OLDEST PAUSED
 *   pause NAME    PUT /api/v1/queues/NAME {"action":"pause"}  (NAME `all`: every queue)
 *   resume NAME   ... {"action":"resume"}
 *   drain NAME    ... {"action":"stop"}: stop every job waiting in the queue
 * --json prints the server's reply. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/path.h"
#include "cli/report.h"
#include "model/action.h"

/* "12s", "5m3s", "2h7m", "3d4h"; "-" for 0. */
static const char *age(long long s, char out[32])
{
    if (s <= 0)
        snprintf(out, 32, "-");
    else if (s < 60)
        snprintf(out, 32, "%llds", s);
    else if (s < 3600)
        snprintf(out, 32, "%lldm%llds", s / 60, s % 60);
    else if (s < 86400)
        snprintf(out, 32, "%lldh%lldm", s / 3600, s % 3600 / 60);
    else
        snprintf(out, 32, "%lldd%lldh", s / 86400, s % 86400 / 3600);
    return out;
}

static int show_queues(const client_resp *r)
{
    json_t *j = json_loadb(r->body.p, r->body.len, 0, NULL);
    if (!json_is_array(j)) {
        json_decref(j);
        return report_fail(CLI_SERVER, "cannot read the server's reply: not a JSON array");
    }
    printf("%-32s %9s %9s %10s %s\n", "QUEUE", "WAITING", "RUNNING", "OLDEST", "PAUSED");
    size_t i;
    json_t *q;
    json_array_foreach(j, i, q) {
        char a[32];
        const char *name = json_string_value(json_object_get(q, "name"));
        printf("%-32s %9lld %9lld %10s %s\n", name ? name : "-",
               (long long)json_integer_value(json_object_get(q, "waiting")),
               (long long)json_integer_value(json_object_get(q, "running")),
               age(json_integer_value(json_object_get(q, "oldest_age")), a),
               json_is_true(json_object_get(q, "paused")) ? "yes" : "no");
    }
    json_decref(j);
    return CLI_OK;
}

/* One request and its output: the reply's JSON with --json, else show(r) or say. */
static int call(const cli_cfg *cfg, const char *method, const char *path, const char *body,
                int (*show)(const client_resp *), client_resp *r)
{
    int rc = client_run(cfg, method, path, body, r);
    if (!rc && cfg->json)
        output_raw(r->body.p, r->body.len);
    else if (!rc && show)
        rc = show(r);
    return rc;
}

int cmd_queues(const cli_cfg *cfg, int argc, char **argv)
{
    if (argc > 1)
        return report_usage("queues: unexpected argument '%s'", argv[1]);
    client_resp r;
    client_resp_init(&r, NULL, 0);
    int rc = call(cfg, "GET", "/api/v1/queues", NULL, show_queues, &r);
    client_resp_free(&r);
    return rc;
}

/* pause / resume / drain NAME. */
static int queue_action(const cli_cfg *cfg, int argc, char **argv, const char *action,
                        const char *done)
{
    if (argc != 2)
        return report_usage("usage: berth %s NAME  (NAME: a job type, or all)", argv[0]);
    int rc = path_check_segment("queue name", argv[1]);
    if (rc)
        return rc;
    buf path, body;
    /* no cap: a name path_check_segment checked; {"action":"<word>"} */
    buf_init(&path, 0);
    buf_init(&body, 0);
    path_segment(&path, "/api/v1/queues/", argv[1], "");
    berth_action_to_json(action, &body);
    client_resp r;
    client_resp_init(&r, NULL, 0);
    rc = call(cfg, "PUT", path.p, body.p, NULL, &r);
    if (!rc && !cfg->json) {
        json_t *j = json_loadb(r.body.p, r.body.len, 0, NULL);
        long long stopped = json_integer_value(json_object_get(j, "stopped"));
        if (strcmp(action, "stop") == 0)
            printf("%s: %lld pending job(s) stopped\n", argv[1], stopped);
        else
            printf("%s: %s\n", argv[1], done);
        json_decref(j);
    }
    client_resp_free(&r);
    buf_free(&path);
    buf_free(&body);
    return rc;
}

int cmd_pause(const cli_cfg *cfg, int argc, char **argv)
{
    return queue_action(cfg, argc, argv, "pause", "paused");
}

int cmd_resume(const cli_cfg *cfg, int argc, char **argv)
{
    return queue_action(cfg, argc, argv, "resume", "resumed");
}

int cmd_drain(const cli_cfg *cfg, int argc, char **argv)
{
    return queue_action(cfg, argc, argv, "stop", "");
}
