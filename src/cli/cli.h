/* The berth CLI: what every command shares — the exit codes scripts rely on and the global
 * settings (address, secret, output mode, timeout) resolved from flags and environment.
 *
 * Layout of src/cli (one concept per file):
 *   main.c      splits global flags from the command and dispatches
 *   args.c      option scanning (--flag, --flag=value, -h) shared by every command
 *   config.c    the global flags and their environment fallbacks
 *   client.c    one libcurl easy handle: request, timeouts, capped reply, streaming
 *   report.c    error lines on stderr and the exit code for each failure
 *   reply.c     decoding the server's JSON replies (job, job lists)
 *   output.c    human-readable tables and times
 *   launch.c    the launch request body (POST /api/v1/jobs)
 *   path.c      job id checks and URL building
 *   cmd_*.c     one command each; help.c the usage text. */
#ifndef BERTH_CLI_H
#define BERTH_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "berth/version.h"

/* Exit codes (docs/cli.md, `berth --help`). */
enum cli_exit {
    CLI_OK = 0,           /* done */
    CLI_JOB_FAILED = 1,   /* get --watch: the job ended Error or Stopped */
    CLI_USAGE = 2,        /* bad flags or arguments, refused before any request */
    CLI_NOT_FOUND = 3,    /* HTTP 404 */
    CLI_AUTH = 4,         /* HTTP 401 */
    CLI_REFUSED = 5,      /* HTTP 400, 409, 413, 501 and other 4xx */
    CLI_SERVER = 6,       /* HTTP 5xx (but 501), 3xx, or a reply the CLI cannot read */
    CLI_CONNECT = 7,      /* cannot connect, timeout, transfer broken */
};

#define CLI_DEFAULT_ADDR "http://127.0.0.1:8080"
#define CLI_DEFAULT_TIMEOUT_MS 10000L
#define CLI_ADDR_MAX 1024
/* Largest reply body kept in memory (and largest log printed by `berth log`). */
#define CLI_REPLY_MAX ((size_t)16 << 20)

typedef struct cli_cfg {
    char addr[CLI_ADDR_MAX];  /* base URL without a trailing '/' */
    const char *secret;       /* NULL: no Authorization header; points into argv/environ */
    const char *secret_from;  /* where it came from: "--secret", "BERTH_SECRET", "CORE_SECRET" */
    bool json;                /* --json: machine output */
    long timeout_ms;          /* per request; connect timeout for streams */
} cli_cfg;

#endif
