/* berth log ID [--follow]: GET /api/v1/jobs/{id}/log, the text copied to stdout as it
 * arrives. Without --follow at most CLI_REPLY_MAX bytes are printed, then a note on stderr
 * says the log was cut (exit 0). --follow asks for ?follow=true and keeps printing until the
 * server ends the stream; only the connect phase has a timeout then. A server without
 * follow support answers 400 or 404, which is reported like any error. --json changes
 * nothing: the log is text. */
#include <stdio.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/path.h"
#include "cli/report.h"

enum { L_FOLLOW = 1 };

static const args_opt log_opts[] = {
    {"--follow", "-f", false, L_FOLLOW},
    {NULL, NULL, false, 0},
};

static int parse(int argc, char **argv, const char **job, bool *follow)
{
    args_iter it;
    args_init(&it, argc, argv, 1);
    const char *val;
    int id;
    while ((id = args_next(&it, log_opts, &val)) != ARGS_END) {
        if (id == ARGS_ERR)
            return report_usage("log: %s", it.err);
        if (id == L_FOLLOW)
            *follow = true;
        else if (*job)
            return report_usage("log: unexpected argument '%s'", val);
        else
            *job = val;
    }
    return *job ? path_check_id(*job) : report_usage("usage: berth log ID [--follow]");
}

static int fetch(const cli_cfg *cfg, const char *path, bool follow)
{
    client c;
    client_resp r;
    client_resp_init(&r, stdout, follow ? 0 : CLI_REPLY_MAX);
    int rc = client_init(&c, cfg);
    if (!rc)
        rc = client_do(&c, "GET", path, NULL, follow, &r);
    if (!rc && (r.status < 200 || r.status >= 300))
        rc = report_http(r.status, r.body.p, r.body.len);
    if (r.status == 401)
        report_auth_hint(cfg);
    else if (!rc && r.truncated) {
        fflush(stdout);
        fprintf(stderr, "berth: log truncated: only the first %zu MiB are shown\n",
                CLI_REPLY_MAX >> 20);
    }
    client_cleanup(&c);
    client_resp_free(&r);
    return rc;
}

int cmd_log(const cli_cfg *cfg, int argc, char **argv)
{
    const char *job = NULL;
    bool follow = false;
    int rc = parse(argc, argv, &job, &follow);
    if (rc)
        return rc;
    buf path;
    buf_init(&path, 0);  /* no cap: an id path_job checks against PATH_ID_MAX, escaped */
    path_job(&path, job, follow ? "/log?follow=true" : "/log");
    rc = fetch(cfg, path.p, follow);
    buf_free(&path);
    return rc;
}
