/* berth, the command-line client of berthd: splits the global flags from the command,
 * dispatches, and returns the command's exit code (cli.h). */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/globals.h"
#include "cli/report.h"

typedef struct command {
    const char *name;
    int (*run)(const cli_cfg *cfg, int argc, char **argv);
} command;

static const command commands[] = {
    {"submit", cmd_submit}, {"get", cmd_get},     {"stop", cmd_stop},
    {"log", cmd_log},       {"list", cmd_list},   {"executions", cmd_executions},
    {"stats", cmd_stats},   {"queues", cmd_queues}, {"pause", cmd_pause},
    {"resume", cmd_resume}, {"drain", cmd_drain},   {"policies", cmd_policies},
    {NULL, NULL},
};

static bool known(const char *name)
{
    for (const command *c = commands; c->name; c++)
        if (!strcmp(c->name, name))
            return true;
    return false;
}

/* `berth help [CMD]` and `berth CMD --help`: one command's text when one is named. */
static int help(const char *cmd)
{
    if (!cmd) {
        help_print(stdout);
        return CLI_OK;
    }
    if (!known(cmd) || !help_print_command(stdout, cmd))
        return report_usage("unknown command '%s'", cmd);
    return CLI_OK;
}

static int dispatch(const globals_parsed *p)
{
    if (p->help)
        return help(p->argc && strcmp(p->argv[0], "help") ? p->argv[0]
                    : p->argc > 1 ? p->argv[1] : NULL);
    if (p->argc && !strcmp(p->argv[0], "help"))
        return p->argc > 2 ? report_usage("help: one command at a time")
                           : help(p->argc > 1 ? p->argv[1] : NULL);
    if (p->version) {
        printf("berth %s\n", BERTH_VERSION);
        return CLI_OK;
    }
    if (!p->argc) {
        help_print(stderr);
        return CLI_USAGE;
    }
    for (const command *c = commands; c->name; c++)
        if (!strcmp(c->name, p->argv[0]))
            return c->run(&p->cfg, p->argc, p->argv);
    return report_usage("unknown command '%s'", p->argv[0]);
}

int main(int argc, char **argv)
{
    globals_parsed p;
    int rc = globals_parse(argc, argv, &p);
    if (!rc) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT))
            rc = report_fail(CLI_SERVER, "cannot initialise libcurl");
        else {
            rc = dispatch(&p);
            curl_global_cleanup();
        }
    }
    globals_free(&p);
    fflush(stdout);
    return rc;
}
