/* The global flags (--addr, --secret, --json, --timeout, --help, --version), accepted before
 * or after the command, and their environment fallbacks:
 *   address: --addr, else $BERTH_ADDR, else http://127.0.0.1:8080
 *   secret:  --secret, else $BERTH_SECRET, else $CORE_SECRET, else none */
#ifndef BERTH_CLI_GLOBALS_H
#define BERTH_CLI_GLOBALS_H

#include "cli/cli.h"

typedef struct globals_parsed {
    cli_cfg cfg;
    bool help;          /* -h/--help seen */
    bool version;       /* --version seen */
    int argc;           /* what is left: the command and its own arguments */
    char **argv;        /* caller frees with globals_free (the strings point into argv) */
} globals_parsed;

/* Takes the global flags out of argv[1..] and resolves the settings. CLI_OK, or CLI_USAGE
 * after printing the reason. */
int globals_parse(int argc, char **argv, globals_parsed *out);
void globals_free(globals_parsed *p);

#endif
