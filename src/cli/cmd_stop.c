/* berth stop ID: POST /api/v1/jobs/{id} {"action":"stop"} (Harbor answers 204). Stopping a
 * job that already ended is not an error (Harbor does nothing and answers 204), but saying
 * "stop requested" would mislead: the job is read first, and a finished one is reported as
 * such (exit 0, nothing sent). Stopping a Periodic job unschedules its policy. */
#include <stdio.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/path.h"
#include "cli/reply.h"
#include "cli/report.h"
#include "model/action.h"

static const args_opt stop_opts[] = {{NULL, NULL, false, 0}};

static int parse(int argc, char **argv, const char **job)
{
    args_iter it;
    args_init(&it, argc, argv, 1);
    const char *val;
    int id;
    while ((id = args_next(&it, stop_opts, &val)) != ARGS_END) {
        if (id == ARGS_ERR)
            return report_usage("stop: %s", it.err);
        if (*job)
            return report_usage("stop: unexpected argument '%s'", val);
        *job = val;
    }
    return *job ? path_check_id(*job) : report_usage("usage: berth stop ID");
}

/* Reads the job; true (with the line printed) when it already ended. */
static bool already_finished(client *c, const char *path, const char *job, int *rc)
{
    client_resp r;
    client_resp_init(&r, NULL, 0);
    berth_stats *s = NULL;
    *rc = client_call(c, "GET", path, NULL, &r);
    if (!*rc)
        *rc = reply_job(r.body.p, r.body.len, &s);
    bool done = !*rc && berth_status_final(berth_status_parse(s->status ? s->status : ""));
    char ts[OUTPUT_TIME_SIZE];
    if (done && c->cfg->json)
        output_raw(r.body.p, r.body.len);
    else if (done)
        printf("job %s had already finished (%s at %s): nothing to stop\n", job, s->status,
               output_time(s->update_time, ts));
    berth_stats_free(s);
    client_resp_free(&r);
    return done;
}

int cmd_stop(const cli_cfg *cfg, int argc, char **argv)
{
    const char *job = NULL;
    int rc = parse(argc, argv, &job);
    if (rc)
        return rc;
    buf path, body;
    /* no cap: an id path_job checks against PATH_ID_MAX; {"action":"stop"} */
    buf_init(&path, 0);
    buf_init(&body, 0);
    path_job(&path, job, "");
    berth_action_to_json(BERTH_ACTION_STOP, &body);
    client c;
    client_resp r;
    client_resp_init(&r, NULL, 0);
    rc = client_init(&c, cfg);
    bool done = !rc && already_finished(&c, path.p, job, &rc);
    if (!rc && !done)
        rc = client_call(&c, "POST", path.p, body.p, &r);
    if (!rc && !done && !cfg->json)
        printf("stop requested for %s\n", job);
    client_cleanup(&c);
    client_resp_free(&r);
    buf_free(&path);
    buf_free(&body);
    return rc;
}
