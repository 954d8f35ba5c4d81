/* berth executions ID [--page N] [--size N] [--non-dead-only]:
 * GET /api/v1/jobs/{id}/executions?page_number=N&page_size=S[&non_dead_only=true], the runs
 * of a Periodic job, newest first; Total-Count is the number of them all. --json:
 * {"jobs":[...],"total":N} (Harbor's `null` for none is printed as []). */
#include <stdint.h>
#include <stdio.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/path.h"
#include "cli/reply.h"
#include "cli/report.h"

enum { E_PAGE = 1, E_SIZE, E_NON_DEAD };

static const args_opt exec_opts[] = {
    {"--page", NULL, true, E_PAGE},
    {"--size", NULL, true, E_SIZE},
    {"--non-dead-only", NULL, false, E_NON_DEAD},
    {NULL, NULL, false, 0},
};

typedef struct exec_args {
    const char *id;
    long page, size;
    bool non_dead_only;
} exec_args;

static int take(exec_args *a, int id, const char *val)
{
    if (id == E_NON_DEAD)
        a->non_dead_only = true;
    else if (!args_long(val, 1, UINT32_MAX, id == E_PAGE ? &a->page : &a->size))
        return report_usage("executions: %s wants a whole number >= 1, not '%s'",
                            id == E_PAGE ? "--page" : "--size", val);
    return CLI_OK;
}

static int parse(int argc, char **argv, exec_args *a)
{
    args_iter it;
    args_init(&it, argc, argv, 1);
    const char *val;
    int id;
    while ((id = args_next(&it, exec_opts, &val)) != ARGS_END) {
        if (id == ARGS_ERR)
            return report_usage("executions: %s", it.err);
        if (id == ARGS_POS && a->id)
            return report_usage("executions: unexpected argument '%s'", val);
        if (id == ARGS_POS)
            a->id = val;
        else if (take(a, id, val))
            return CLI_USAGE;
    }
    if (!a->id)
        return report_usage("usage: berth executions ID [--page N] [--size N] [--non-dead-only]");
    return path_check_id(a->id);
}

static int run(const cli_cfg *cfg, const exec_args *a, const char *path)
{
    client c;
    client_resp r;
    client_resp_init(&r, NULL, 0);
    reply_jobs l = {0};
    int rc = client_init(&c, cfg);
    if (!rc)
        rc = client_call(&c, "GET", path, NULL, &r);
    if (!rc)
        rc = reply_jobs_parse(r.body.p, r.body.len, &l);
    if (!rc && cfg->json)
        output_page_json(r.body.p, r.body.len, "total", r.total_count);
    if (!rc && !cfg->json) {
        output_job_rows(&l);
        printf("page %ld (%ld a page), %s executions in all\n", a->page, a->size,
               r.total_count[0] ? r.total_count : "?");
    }
    reply_jobs_free(&l);
    client_resp_free(&r);
    client_cleanup(&c);
    return rc;
}

int cmd_executions(const cli_cfg *cfg, int argc, char **argv)
{
    exec_args a = {NULL, 1, 25, false};
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc;
    buf path;
    buf_init(&path, 0);  /* no cap: an id path_job checks against PATH_ID_MAX, and numbers */
    path_job(&path, a.id, "/executions");
    buf_printf(&path, "?page_number=%ld&page_size=%ld%s", a.page, a.size,
               a.non_dead_only ? "&non_dead_only=true" : "");
    rc = run(cfg, &a, path.p);
    buf_free(&path);
    return rc;
}
