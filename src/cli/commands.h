/* The commands. Each takes the resolved global settings and its own arguments (argv[0] is
 * the command name; global flags already removed), prints its result, and returns an exit
 * code (cli.h). */
#ifndef BERTH_CLI_COMMANDS_H
#define BERTH_CLI_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"

int cmd_submit(const cli_cfg *cfg, int argc, char **argv);
int cmd_get(const cli_cfg *cfg, int argc, char **argv);     /* --watch: watch.c */
int cmd_stop(const cli_cfg *cfg, int argc, char **argv);
int cmd_log(const cli_cfg *cfg, int argc, char **argv);
int cmd_list(const cli_cfg *cfg, int argc, char **argv);
int cmd_executions(const cli_cfg *cfg, int argc, char **argv);
int cmd_stats(const cli_cfg *cfg, int argc, char **argv);
int cmd_queues(const cli_cfg *cfg, int argc, char **argv);    /* cmd_queues.c */
int cmd_pause(const cli_cfg *cfg, int argc, char **argv);
int cmd_resume(const cli_cfg *cfg, int argc, char **argv);
int cmd_drain(const cli_cfg *cfg, int argc, char **argv);
int cmd_policies(const cli_cfg *cfg, int argc, char **argv);

/* The usage text (help.c): the whole of it, or one command's (false for an unknown one). */
void help_print(FILE *to);
bool help_print_command(FILE *to, const char *cmd);

#endif
