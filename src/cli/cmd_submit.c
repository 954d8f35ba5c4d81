/* berth submit NAME [--params JSON] [--param k=v|k:=JSON ...] [--kind K] [--delay S]
 *                   [--cron SPEC] [--unique] [--hook URL] [-q]
 * POST /api/v1/jobs; prints the new id and a summary line (or the id alone with -q, or the
 * reply with --json). Harbor answers 202; any 2xx is taken. */
#include <stdio.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/launch.h"
#include "cli/names.h"
#include "cli/output.h"
#include "cli/reply.h"
#include "cli/report.h"
#include "util/alloc.h"

enum { S_PARAMS = 1, S_PARAM, S_KIND, S_DELAY, S_CRON, S_UNIQUE, S_HOOK, S_QUIET };

static const args_opt submit_opts[] = {
    {"--params", NULL, true, S_PARAMS}, {"--param", "-p", true, S_PARAM},
    {"--kind", NULL, true, S_KIND},     {"--delay", NULL, true, S_DELAY},
    {"--cron", NULL, true, S_CRON},     {"--unique", NULL, false, S_UNIQUE},
    {"--hook", NULL, true, S_HOOK},     {"--quiet", "-q", false, S_QUIET},
    {NULL, NULL, false, 0},
};

static int take(launch_args *a, int id, const char *val, bool *quiet)
{
    long d;
    switch (id) {
    case S_PARAMS: a->params = val; break;
    case S_PARAM: a->pairs[a->npairs++] = val; break;
    case S_KIND: a->kind = val; break;
    case S_DELAY:
        if (!args_long(val, 1, 100L * 365 * 86400, &d))
            return report_usage("--delay wants whole seconds > 0, not '%s'", val);
        a->delay = (uint64_t)d;
        break;
    case S_CRON: a->cron = val; break;
    case S_UNIQUE: a->unique = true; break;
    case S_HOOK: a->hook = val; break;
    default: *quiet = true; break;
    }
    return CLI_OK;
}

static int parse(int argc, char **argv, launch_args *a, bool *quiet)
{
    args_iter it;
    args_init(&it, argc, argv, 1);
    const char *val;
    int id;
    while ((id = args_next(&it, submit_opts, &val)) != ARGS_END) {
        if (id == ARGS_ERR)
            return report_usage("submit: %s", it.err);
        if (id == ARGS_POS && a->name)
            return report_usage("submit: unexpected argument '%s'", val);
        if (id == ARGS_POS)
            a->name = val;
        else if (take(a, id, val, quiet))
            return CLI_USAGE;
    }
    return a->name ? CLI_OK : report_usage("usage: berth submit NAME [options]");
}

static int show(const cli_cfg *cfg, const client_resp *r, bool quiet)
{
    if (cfg->json) {
        output_raw(r->body.p, r->body.len);
        return CLI_OK;
    }
    berth_stats *s = NULL;
    int rc = reply_job(r->body.p, r->body.len, &s);
    if (rc)
        return rc;
    char ts[OUTPUT_TIME_SIZE];
    printf("%s\n", s->id ? s->id : "");
    if (!quiet)
        printf("%s %s job %s, %s %s\n", s->status ? s->status : "?", s->kind ? s->kind : "?",
               s->name ? s->name : "?", s->run_at ? "runs at" : "enqueued",
               output_time(s->run_at ? s->run_at : s->enqueue_time, ts));
    berth_stats_free(s);
    return CLI_OK;
}

int cmd_submit(const cli_cfg *cfg, int argc, char **argv)
{
    launch_args a = {.pairs = berth_calloc((size_t)argc, sizeof(char *))};
    bool quiet = false;
    buf body;
    buf_init(&body, LAUNCH_BODY_MAX);
    client c = {0};
    client_resp r;
    client_resp_init(&r, NULL, 0);
    int rc = parse(argc, argv, &a, &quiet);
    if (!rc)
        rc = launch_body(&a, &body);
    if (!rc)
        rc = client_init(&c, cfg);
    if (!rc)
        rc = client_call(&c, "POST", "/api/v1/jobs", body.p, &r);
    if (rc == CLI_REFUSED && r.status == 400)
        names_hint_unknown(&c, a.name);   /* a typo in the name: say which ones exist */
    if (!rc)
        rc = show(cfg, &r, quiet);
    client_cleanup(&c);
    client_resp_free(&r);
    buf_free(&body);
    berth_free(a.pairs);
    return rc;
}
