/* berth get ID [--watch [--interval MS]]: GET /api/v1/jobs/{id} as a table (or the reply
 * with --json); --watch follows the job to its end (watch.h). */
#include <stdio.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/path.h"
#include "cli/reply.h"
#include "cli/report.h"
#include "cli/watch.h"

enum { G_WATCH = 1, G_INTERVAL };

static const args_opt get_opts[] = {
    {"--watch", "-w", false, G_WATCH},
    {"--interval", NULL, true, G_INTERVAL},
    {NULL, NULL, false, 0},
};

typedef struct get_args {
    const char *id;
    bool watch;
    long interval_ms;
} get_args;

static int parse(int argc, char **argv, get_args *a)
{
    args_iter it;
    args_init(&it, argc, argv, 1);
    const char *val;
    int id;
    while ((id = args_next(&it, get_opts, &val)) != ARGS_END) {
        if (id == ARGS_ERR)
            return report_usage("get: %s", it.err);
        if (id == ARGS_POS && a->id)
            return report_usage("get: unexpected argument '%s'", val);
        if (id == ARGS_POS)
            a->id = val;
        else if (id == G_WATCH)
            a->watch = true;
        else if (!args_long(val, 50, 3600000, &a->interval_ms))
            return report_usage("--interval wants milliseconds in [50, 3600000], not '%s'", val);
    }
    if (!a->id)
        return report_usage("usage: berth get ID [--watch [--interval MS]]");
    return path_check_id(a->id);
}

static int get_once(const cli_cfg *cfg, const char *path)
{
    client c;
    client_resp r;
    client_resp_init(&r, NULL, 0);
    berth_stats *s = NULL;
    int rc = client_init(&c, cfg);
    if (!rc)
        rc = client_call(&c, "GET", path, NULL, &r);
    if (!rc && cfg->json)
        output_raw(r.body.p, r.body.len);
    else if (!rc && !(rc = reply_job(r.body.p, r.body.len, &s)))
        output_job(s);
    berth_stats_free(s);
    client_resp_free(&r);
    client_cleanup(&c);
    return rc;
}

int cmd_get(const cli_cfg *cfg, int argc, char **argv)
{
    get_args a = {.interval_ms = 1000};
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc;
    buf path;
    buf_init(&path, 0);  /* no cap: an id path_job checks against PATH_ID_MAX, escaped */
    path_job(&path, a.id, "");
    rc = a.watch ? watch_job(cfg, path.p, a.interval_ms) : get_once(cfg, path.p);
    buf_free(&path);
    return rc;
}
