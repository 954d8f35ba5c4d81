/* berth list [--scheduled [--page N]] [--cursor C] [--size N]
 *   GET /api/v1/jobs?cursor=C[&page_size=N]          every job, by Redis SCAN: a page holds
 *                                                    any number of jobs; Next-Cursor 0 = done
 *   GET /api/v1/jobs?kind=Scheduled&page_number=N    jobs waiting for their time, 20 a page,
 *                                                    Total-Count = all of them
 * Human output: one row per job, then how to get the next page. --json:
 * {"jobs":[...],"next_cursor":N} or {"jobs":[...],"total":N}. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/reply.h"
#include "cli/report.h"

enum { L_SCHEDULED = 1, L_PAGE, L_CURSOR, L_SIZE };

static const args_opt list_opts[] = {
    {"--scheduled", NULL, false, L_SCHEDULED}, {"--page", NULL, true, L_PAGE},
    {"--cursor", NULL, true, L_CURSOR},        {"--size", NULL, true, L_SIZE},
    {NULL, NULL, false, 0},
};

typedef struct list_args {
    bool scheduled;
    long page, size;          /* -1: not given */
    const char *cursor;       /* decimal uint64 (Redis SCAN cursor); NULL: not given */
} list_args;

/* A Redis SCAN cursor: decimal, fits uint64. */
static bool cursor_ok(const char *s)
{
    if (!*s || strlen(s) > 20 || strspn(s, "0123456789") != strlen(s))
        return false;
    errno = 0;
    strtoull(s, NULL, 10);
    return errno == 0;
}

static int take(list_args *a, int id, const char *val)
{
    if (id == L_SCHEDULED) {
        a->scheduled = true;
        return CLI_OK;
    }
    if (id == L_CURSOR) {
        a->cursor = val;
        return cursor_ok(val) ? CLI_OK
                              : report_usage("list: --cursor wants a cursor from a previous "
                                             "page (digits), not '%s'", val);
    }
    if (!args_long(val, 1, UINT32_MAX, id == L_PAGE ? &a->page : &a->size))
        return report_usage("list: %s wants a whole number >= 1, not '%s'",
                            id == L_PAGE ? "--page" : "--size", val);
    return CLI_OK;
}

static int parse(int argc, char **argv, list_args *a)
{
    args_iter it;
    args_init(&it, argc, argv, 1);
    const char *val;
    int id;
    while ((id = args_next(&it, list_opts, &val)) != ARGS_END) {
        if (id == ARGS_ERR)
            return report_usage("list: %s", it.err);
        if (id == ARGS_POS)
            return report_usage("list: unexpected argument '%s'", val);
        if (take(a, id, val))
            return CLI_USAGE;
    }
    if (a->scheduled && (a->cursor || a->size >= 0))
        return report_usage("list: --scheduled pages by --page (20 a page), not --cursor/--size");
    if (!a->scheduled && a->page >= 0)
        return report_usage("list: --page goes with --scheduled; use --cursor otherwise");
    return CLI_OK;
}

static void query(const list_args *a, buf *q)
{
    if (a->scheduled) {
        buf_printf(q, "/api/v1/jobs?kind=Scheduled&page_number=%ld", a->page > 0 ? a->page : 1);
        return;
    }
    buf_printf(q, "/api/v1/jobs?cursor=%s", a->cursor ? a->cursor : "0");
    if (a->size > 0)
        buf_printf(q, "&page_size=%ld", a->size);
}

static void show_human(const list_args *a, const reply_jobs *l, const client_resp *r)
{
    output_job_rows(l);
    if (a->scheduled)
        printf("page %ld of scheduled jobs (20 a page), %s in all\n", a->page > 0 ? a->page : 1,
               r->total_count[0] ? r->total_count : "?");
    else if (r->next_cursor[0] && strcmp(r->next_cursor, "0"))
        printf("more: berth list --cursor %s\n", r->next_cursor);
}

int cmd_list(const cli_cfg *cfg, int argc, char **argv)
{
    list_args a = {false, -1, -1, NULL};
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc;
    buf q;
    buf_init(&q, 0);  /* no cap: a path and query of parsed numbers and short options */
    query(&a, &q);
    client c;
    client_resp r;
    client_resp_init(&r, NULL, 0);
    reply_jobs l = {0};
    rc = client_init(&c, cfg);
    if (!rc)
        rc = client_call(&c, "GET", q.p, NULL, &r);
    if (!rc)
        rc = reply_jobs_parse(r.body.p, r.body.len, &l);
    if (!rc && cfg->json)
        output_page_json(r.body.p, r.body.len, a.scheduled ? "total" : "next_cursor",
                         a.scheduled ? r.total_count : r.next_cursor);
    else if (!rc)
        show_human(&a, &l, &r);
    reply_jobs_free(&l);
    client_resp_free(&r);
    client_cleanup(&c);
    buf_free(&q);
    return rc;
}
