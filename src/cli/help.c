/* The usage texts: `berth --help` (every command in one screen) and `berth CMD --help` /
 * `berth help CMD` (one command's options, with examples). docs/cli.md says the same at
 * more length. A command without its own text here gets its lines of the overview. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static const char usage[] =
    "usage: berth [global flags] COMMAND [arguments]\n"
    "       berth help COMMAND   (or berth COMMAND --help): one command's options\n"
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
    "  --secret S        Harbor-Secret (env BERTH_SECRET, else CORE_SECRET;\n"
    "                    `make run` keeps it in data/secret)\n"
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

static const char submit_help[] =
    "usage: berth submit NAME [options]\n"
    "\n"
    "Launches a job of the registered type NAME (POST /api/v1/jobs) and prints its id and\n"
    "a summary line. `berth stats` lists the names the server runs.\n"
    "\n"
    "Options:\n"
    "  --params JSON         all parameters as one JSON object: --params '{\"image\":\"demo:1\"}'\n"
    "  -p, --param k=v       one string parameter (repeatable): -p image=demo:latest\n"
    "  -p, --param k:=JSON   one parameter as JSON: -p retries:=3 -p tags:='[\"a\"]'\n"
    "  --kind K              Generic (default), Scheduled (with --delay) or Periodic (with --cron)\n"
    "  --delay SECONDS       run once, this many seconds from now (implies Scheduled)\n"
    "  --cron SPEC           run on a schedule (implies Periodic); format below\n"
    "  --unique              refuse a second queued job with the same name and parameters\n"
    "  --hook URL            POST each status change of the job to URL\n"
    "  -q, --quiet           print only the id\n"
    "\n"
    "Cron format (Harbor's): six fields, SECONDS FIRST, separated by spaces:\n"
    "  sec(0-59) min(0-59) hour(0-23) day-of-month(1-31) month(1-12) day-of-week(0-6, 0=Sunday)\n"
    "  *  any value    5  one value    1-5  a range    */15  every 15th    a,b,c  a list\n"
    "  Names JAN-DEC and SUN-SAT are accepted. No @daily, no L/W/#, no year field.\n"
    "Examples:\n"
    "  --cron '0 * * * * *'        every minute, at second 0\n"
    "  --cron '*/30 * * * * *'     every 30 seconds\n"
    "  --cron '0 0 3 * * *'        every day at 03:00:00 UTC (all times are UTC)\n"
    "  --cron '0 30 9 * * 1-5'     weekdays at 09:30 UTC\n"
    "  --cron '0 0 0 1 * *'        midnight on the first of each month\n"
    "More in docs/cron.md.\n"
    "\n"
    "Examples:\n"
    "  berth submit DEMO -p image=demo:latest\n"
    "  berth submit DEMO -p image=demo:1 --delay 60\n"
    "  berth submit DEMO -p image=demo:1 --cron '0 */5 * * * *' --hook http://127.0.0.1:9000/\n";

static const char get_help[] =
    "usage: berth get ID [--watch [--interval MS]]\n"
    "\n"
    "Shows one job (GET /api/v1/jobs/ID): status, kind, times, check-in, parameters.\n"
    "\n"
    "Options:\n"
    "  -w, --watch           follow the job: print each status change and check-in until\n"
    "                        it ends; says so when the job was requeued because the node\n"
    "                        running it died or shut down. Exit 0 Success, 1 Error/Stopped.\n"
    "  --interval MS         poll every MS milliseconds while watching (default 1000)\n"
    "\n"
    "Example:\n"
    "  berth get $ID --watch\n";

static const char stop_help[] =
    "usage: berth stop ID\n"
    "\n"
    "Stops a job that is queued, scheduled or running (POST /api/v1/jobs/ID with\n"
    "{\"action\":\"stop\"}); for a Periodic job it removes the schedule. A job that already\n"
    "finished is left alone, and berth says so.\n"
    "\n"
    "Example:\n"
    "  berth stop $ID\n";

static const char log_help[] =
    "usage: berth log ID [--follow]\n"
    "\n"
    "Prints the job's own log (GET /api/v1/jobs/ID/log).\n"
    "\n"
    "Options:\n"
    "  -f, --follow          keep printing new lines until the job ends\n"
    "\n"
    "Example:\n"
    "  berth log $ID --follow\n";

static const char list_help[] =
    "usage: berth list [--cursor C] [--size N]\n"
    "       berth list --scheduled [--page N]\n"
    "\n"
    "Lists jobs (GET /api/v1/jobs). Without --scheduled: every job, one Redis SCAN page at a\n"
    "time; the last line says how to get the next page. With --scheduled: jobs waiting for\n"
    "their time (Scheduled, and the next runs of Periodic jobs), 20 a page.\n"
    "\n"
    "Options:\n"
    "  --cursor C            continue from the cursor the previous page printed\n"
    "  --size N              jobs to ask for per SCAN page\n"
    "  --scheduled           list scheduled jobs instead\n"
    "  --page N              page of the scheduled list (from 1)\n";

static const char executions_help[] =
    "usage: berth executions ID [--page N] [--size N] [--non-dead-only]\n"
    "\n"
    "Lists the runs of the Periodic job ID, newest first\n"
    "(GET /api/v1/jobs/ID/executions).\n"
    "\n"
    "Options:\n"
    "  --page N              page number (from 1)\n"
    "  --size N              runs per page\n"
    "  --non-dead-only       only runs that have not ended\n";

static const char stats_help[] =
    "usage: berth stats\n"
    "\n"
    "Shows the worker pools (berthd nodes) of the service (GET /api/v1/stats): status\n"
    "(Healthy, or Dead once its heartbeat is 10 s old; dead pools are listed last and leave\n"
    "the list about 5 minutes after their last heartbeat), workers, start and last heartbeat,\n"
    "and the job names each one runs.\n";

static const struct {
    const char *name, *text;
} texts[] = {
    {"submit", submit_help}, {"get", get_help},   {"stop", stop_help},
    {"log", log_help},       {"list", list_help}, {"executions", executions_help},
    {"stats", stats_help},   {NULL, NULL},
};

void help_print(FILE *to)
{
    fputs(usage, to);
}

/* True when the command column of an overview line ("pause NAME | resume NAME ...") names
 * cmd: as its first word or right after a "| ". */
static bool names(const char *col, size_t len, const char *cmd, size_t n)
{
    for (size_t i = 0; i + n < len; i++) {
        bool at_word = i == 0 || (i >= 2 && col[i - 2] == '|' && col[i - 1] == ' ');
        if (at_word && strncmp(col + i, cmd, n) == 0 && (col[i + n] == ' ' || col[i + n] == '\n'))
            return true;
        if (col[i] == ' ' && col[i + 1] == ' ')
            break;                   /* the description starts: stop looking */
    }
    return false;
}

/* The overview's lines for cmd: its line and the indented lines that continue it. */
static bool print_overview_lines(FILE *to, const char *cmd)
{
    size_t n = strlen(cmd);
    bool in = false, any = false;
    for (const char *l = usage; *l;) {
        const char *end = strchr(l, '\n');
        size_t len = end ? (size_t)(end - l) + 1 : strlen(l);
        bool starts = strncmp(l, "  ", 2) == 0 && l[2] != ' ' && names(l + 2, len - 2, cmd, n);
        bool continues = in && strncmp(l, "         ", 9) == 0;
        in = starts || continues;
        if (in) {
            fwrite(l, 1, len, to);
            any = true;
        }
        l += len;
    }
    return any;
}

bool help_print_command(FILE *to, const char *cmd)
{
    for (size_t i = 0; texts[i].name; i++)
        if (strcmp(texts[i].name, cmd) == 0) {
            fputs(texts[i].text, to);
            fputs("\nGlobal flags: --addr URL, --secret S, --json, --timeout SECONDS "
                  "(berth --help).\n", to);
            return true;
        }
    if (!print_overview_lines(to, cmd))
        return false;
    fputs("\nGlobal flags: --addr URL, --secret S, --json, --timeout SECONDS "
          "(berth --help).\n", to);
    return true;
}
