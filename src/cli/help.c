/* The usage text of `berth --help` (docs/cli.md says the same at more length). */
#include <stdio.h>

#include "cli/commands.h"

static const char usage[] =
    "usage: berth [global flags] COMMAND [arguments]\n"
    "\n"
    "Talks to berthd (or any Harbor job service) over its REST API /api/v1.\n"
    "\n"
    "Commands:\n"
    "  submit NAME [--params JSON] [--param k=v | --param k:=JSON ...]\n"
    "         [--kind Generic|Scheduled|Periodic] [--delay SECONDS] [--cron SPEC]\n"
    "         [--unique] [--hook URL] [-q]      launch a job, print its id\n"
    "  get ID [--watch [--interval MS]]        show a job; --watch follows it to its end\n"
    "  stop ID                                 stop a job (or unschedule a Periodic one)\n"
    "  log ID [--follow]                       print the job's log\n"
    "  list [--cursor C] [--size N]            list jobs (Redis SCAN pages)\n"
    "  list --scheduled [--page N]             list jobs waiting for their time\n"
    "  executions ID [--page N] [--size N] [--non-dead-only]\n"
    "                                          runs of a Periodic job\n"
    "  stats                                   worker pools and their health\n"
    "  queues                                  queues: waiting, running, oldest, paused\n"
    "  pause NAME | resume NAME                stop or restart taking jobs from a queue\n"
    "                                          (NAME: a job type, or all)\n"
    "  drain NAME                              stop every job waiting in a queue\n"
    "  policies                                periodic policies and their next fire\n"
    "\n"
    "Global flags (before or after the command):\n"
    "  --addr URL        server (env BERTH_ADDR; default " CLI_DEFAULT_ADDR ")\n"
    "  --secret S        Harbor-Secret (env BERTH_SECRET, else CORE_SECRET)\n"
    "  --json            print the server's JSON instead of tables\n"
    "  --timeout SECONDS per request (default 10)\n"
    "  -h, --help        this text;  --version  the version\n"
    "\n"
    "Exit codes:\n"
    "  0 ok                     4 authentication failed (401)\n"
    "  1 watched job ended      5 request refused (400, 409, 413, 501, other 4xx)\n"
    "    Error or Stopped       6 server error (5xx) or unreadable reply\n"
    "  2 usage error            7 cannot connect, timeout, broken transfer\n"
    "  3 not found (404)\n";

void help_print(FILE *to)
{
    fputs(usage, to);
}
