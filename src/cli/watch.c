/* Watching one job (watch.h). */
#include "cli/watch.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/output.h"
#include "cli/reply.h"
#include "util/alloc.h"
#include "util/clock.h"

/* What the last poll saw. */
typedef struct watch_seen {
    bool any;             /* a reply was seen */
    char status[16];      /* last status ("" at first) */
    int64_t check_in_at;  /* last check-in second */
    int64_t revision;     /* last revision: a new one while Running means a new run */
} watch_seen;

/* Prints what changed since *seen and records it; true when anything changed. */
static bool report_changes(const cli_cfg *cfg, const client_resp *r, const berth_stats *s,
                           watch_seen *seen)
{
    const char *st = s->status ? s->status : "";
    bool status_new = !seen->any || strcmp(seen->status, st);
    bool checkin_new = s->check_in_at && s->check_in_at != seen->check_in_at;
    /* Running again under a new revision, with no Error between: the run before ended
     * without an outcome, its node died (or shut down) and the job was requeued. */
    bool rerun = seen->any && !strcmp(seen->status, "Running") && !strcmp(st, "Running") &&
                 s->revision && seen->revision && s->revision != seen->revision;
    char ts[OUTPUT_TIME_SIZE];
    if (cfg->json && (status_new || checkin_new || rerun))
        output_raw(r->body.p, r->body.len);
    /* A check-in comes after the job started running and before it ended. */
    bool checkin_first = berth_status_final(berth_status_parse(st));
    if (!cfg->json && checkin_new && checkin_first)
        printf("%s check-in\n", output_time(s->check_in_at, ts));
    if (!cfg->json && status_new)
        printf("%s status %s\n", output_time(s->update_time, ts), st);
    if (!cfg->json && rerun)
        printf("%s requeued: the node running it died or shut down before it ended; it is "
               "running again (revision %lld)\n", output_time(s->update_time, ts),
               (long long)s->revision);
    if (!cfg->json && checkin_new && !checkin_first)
        printf("%s check-in\n", output_time(s->check_in_at, ts));
    fflush(stdout);
    seen->any = true;
    snprintf(seen->status, sizeof seen->status, "%s", st);
    seen->check_in_at = s->check_in_at;
    seen->revision = s->revision;
    return status_new || checkin_new || rerun;
}

/* One poll: CLI_OK with *done and *exit_code set, or the request's exit code. */
static int poll_once(client *c, const char *path, watch_seen *seen, bool *done, int *exit_code)
{
    client_resp r;
    client_resp_init(&r, NULL, 0);
    berth_stats *s = NULL;
    int rc = client_call(c, "GET", path, NULL, &r);
    if (!rc)
        rc = reply_job(r.body.p, r.body.len, &s);
    if (!rc) {
        report_changes(c->cfg, &r, s, seen);
        berth_status st = berth_status_parse(s->status ? s->status : "");
        *done = berth_status_final(st);
        *exit_code = st == BERTH_STATUS_SUCCESS ? CLI_OK : CLI_JOB_FAILED;
    }
    berth_stats_free(s);
    client_resp_free(&r);
    return rc;
}

int watch_job(const cli_cfg *cfg, const char *path, long interval_ms)
{
    client c;
    int rc = client_init(&c, cfg), exit_code = CLI_OK;
    watch_seen seen = {0};
    bool done = false;
    while (!rc && !done) {
        rc = poll_once(&c, path, &seen, &done, &exit_code);
        if (!rc && !done)
            clock_sleep_ms(interval_ms);
    }
    client_cleanup(&c);
    return rc ? rc : exit_code;
}
