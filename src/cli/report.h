/* Failures as one line on stderr and an exit code (cli.h):
 *   berth: <message> (<code> <details>)      Harbor's error body {"code","message","details"}
 *   berth: <first line of body> (HTTP <status>)   any other error reply
 *   berth: <reason>                             usage and transport errors
 * Text that comes from the server is cut to one line of printable characters. */
#ifndef BERTH_CLI_REPORT_H
#define BERTH_CLI_REPORT_H

#include <stddef.h>

#include "cli/cli.h"

/* Prints "berth: <reason>" plus a hint to run --help; returns CLI_USAGE. */
int report_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "berth: <reason>"; returns code. */
int report_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The exit code for an HTTP status: 2xx CLI_OK, 401 CLI_AUTH, 404 CLI_NOT_FOUND, other 4xx
 * and 501 CLI_REFUSED, everything else CLI_SERVER. */
int report_exit_for_status(long status);
/* For a non-2xx reply: prints its error line and returns the exit code. */
int report_http(long status, const char *body, size_t len);
/* After a 401: where the secret comes from, and which one was sent. */
void report_auth_hint(const cli_cfg *cfg);

#endif
