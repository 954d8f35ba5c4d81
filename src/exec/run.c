/* One run of a command job, on the worker thread that took it (the contract is in
 * command.h and docs/own-jobs.md).
 *
 * How: the child is spawned (proc.c) and supervised by one poll loop over its stdin (the
 * parameters, written as the pipe takes them, so a child that never reads cannot block
 * us), stdout, stderr, the control descriptor and its pidfd. Each turn of the loop also
 * looks at the run's stop flag (berth_ctx_op_command, raised by an API stop or by a
 * shutdown past its grace) and at the timeout; either ends the group: SIGTERM (+SIGCONT,
 * so a stopped process sees it), then SIGKILL after stop_grace_ms. When the child has been
 * reaped, anything left in its group is ended the same way, its orphans are reaped, and
 * output still open is drained for a moment more, so a run never returns while a process
 * it started is alive, and never waits forever on a pipe a runaway process holds.
 * Logging costs are bounded: lines are capped (lines.c), the output logged per run is
 * capped (the rest is read and thrown away, so the child never blocks on a full pipe),
 * and check-ins are coalesced to at most one per CHECKIN_GAP_MS. */
#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exec/command.h"
#include "exec/lines.h"
#include "exec/proc.h"
#include "util/alloc.h"
#include "util/clock.h"

#define TICK_MS 50            /* how often stop flags and deadlines are looked at */
#define CHECKIN_GAP_MS 100    /* check-ins closer than this are coalesced (last one wins) */
#define LINE_COST 64          /* bytes counted per logged line on top of its text */
#define DRAIN_MS 200          /* output kept open this long after the group is gone */
#define GIVE_UP_MS 2000       /* after SIGKILL: stop waiting for the group to vanish */
#define MAX_CTL_WARNINGS 10   /* bad control lines reported per run */
#define READS_PER_TURN 16     /* chunks read from one stream before looking around */
#define STR_(x) #x
#define STR(x) STR_(x)
#define LINE_MAX_TEXT STR(EXEC_LINE_MAX)

typedef struct runner {
    berth_ctx *ctx;
    const exec_command *c;
    exec_proc p;
    const char *in;                    /* the parameters text written to stdin */
    size_t in_len, in_off;
    exec_lines out, err, ctl;
    unsigned long nout, nerr;          /* line numbers, shown as [stdout:N] in the log */
    size_t budget;                     /* log bytes left for stdout and stderr */
    size_t discarded;                  /* output bytes past the budget */
    bool capped;                       /* the budget notice was logged */
    int ctl_warnings;
    char last_err[256];                /* last non-empty stderr line */
    char fail[512];                    /* a {"fail":...} reason */
    char checkin[512];                 /* a coalesced check-in waiting for its turn */
    long long last_checkin;
    long long started, kill_at, give_up_at, drain_until;
    const char *ending;                /* why the group is being ended, NULL while not */
    bool killed, stopped, timed_out;
} runner;

/* ---- output ---- */

static void log_line(runner *r, berth_log_level lvl, const char *stream, unsigned long n,
                     const char *line, size_t len, bool cut)
{
    if (r->budget < len + LINE_COST) {
        r->discarded += len + 1;
        if (!r->capped)
            BERTH_JWARN(r->ctx, "output over %zu bytes: the rest is read and discarded",
                        r->c->max_output_bytes);
        r->capped = true;
        r->budget = 0;
        return;
    }
    r->budget -= len + LINE_COST;
    berth_ctx_log(r->ctx, lvl, stream, (int)n, "%s%s", line,
                  cut ? " [line cut at " LINE_MAX_TEXT " bytes]" : "");
}

static void on_stdout(const char *line, size_t len, bool cut, void *ud)
{
    runner *r = ud;
    log_line(r, BERTH_LOG_INFO, "stdout", ++r->nout, line, len, cut);
}

static void on_stderr(const char *line, size_t len, bool cut, void *ud)
{
    runner *r = ud;
    if (len > 0)
        snprintf(r->last_err, sizeof r->last_err, "%s", line);
    log_line(r, BERTH_LOG_WARNING, "stderr", ++r->nerr, line, len, cut);
}

/* ---- control channel ---- */

static void flush_checkin(runner *r, bool force)
{
    long long now = clock_mono_ms();
    if (!r->checkin[0] || (!force && now - r->last_checkin < CHECKIN_GAP_MS))
        return;
    berth_ctx_checkin(r->ctx, r->checkin);
    r->checkin[0] = '\0';
    r->last_checkin = now;
}

static void ctl_warn(runner *r, const char *why, const char *line)
{
    if (++r->ctl_warnings <= MAX_CTL_WARNINGS)
        BERTH_JWARN(r->ctx, "control channel: %s: %.200s (expected {\"checkin\":\"...\"} or "
                    "{\"fail\":\"...\"}, one per line)", why, line);
}

static void on_control(const char *line, size_t len, bool cut, void *ud)
{
    runner *r = ud;
    if (cut) {
        ctl_warn(r, "line over " LINE_MAX_TEXT " bytes ignored", line);
        return;
    }
    if (len == 0)
        return;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
    const char *ci = json_string_value(json_object_get(o, "checkin"));
    const char *fail = json_string_value(json_object_get(o, "fail"));
    if (!ci && !fail)
        ctl_warn(r, json_is_object(o) ? "not understood" : "not a JSON object", line);
    if (ci && *ci) {
        snprintf(r->checkin, sizeof r->checkin, "%s", ci);
        flush_checkin(r, false);
    }
    if (fail) {
        snprintf(r->fail, sizeof r->fail, "%s", *fail ? fail : "failed (no reason given)");
        BERTH_JERROR(r->ctx, "the job reports failure: %s", r->fail);
    }
    json_decref(o);
}

/* ---- the streams ---- */

static void feed_stdin(runner *r)
{
    ssize_t w = write(r->p.in, r->in + r->in_off, r->in_len - r->in_off);
    if (w > 0)
        r->in_off += (size_t)w;
    if (r->in_off == r->in_len || (w < 0 && errno != EAGAIN && errno != EINTR))
        exec_proc_close_fd(&r->p.in);     /* all written, or the child closed its end */
}

/* Reads what fd has (a bounded number of chunks); closes it at EOF. */
static void drain(runner *r, int *fd, exec_lines *l, exec_line_fn fn)
{
    char chunk[65536];
    for (int i = 0; i < READS_PER_TURN; i++) {
        ssize_t n = read(*fd, chunk, sizeof chunk);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            exec_lines_end(l, fn, r);
            exec_proc_close_fd(fd);
            return;
        }
        if (fn == on_stdout && r->capped)
            r->discarded += (size_t)n;    /* past the budget: not even split */
        else
            exec_lines_feed(l, chunk, (size_t)n, fn, r);
    }
}

static int add_fd(struct pollfd *fds, int n, int fd, short events)
{
    if (fd < 0)
        return n;
    fds[n] = (struct pollfd){.fd = fd, .events = events};
    return n + 1;
}

static int wait_ms(const runner *r)
{
    int ms = r->p.pidfd < 0 && !r->p.reaped ? 10 : TICK_MS;
    long long now = clock_mono_ms();
    if (r->ending && !r->killed && r->kill_at - now < ms)
        ms = (int)(r->kill_at > now ? r->kill_at - now : 0);
    if (r->checkin[0] && ms > CHECKIN_GAP_MS)
        ms = CHECKIN_GAP_MS;
    return ms;
}

static void poll_streams(runner *r)
{
    struct pollfd fds[5];
    int n = add_fd(fds, 0, r->p.in, POLLOUT);
    n = add_fd(fds, n, r->p.out, POLLIN);
    n = add_fd(fds, n, r->p.err, POLLIN);
    n = add_fd(fds, n, r->p.ctl, POLLIN);
    n = add_fd(fds, n, r->p.reaped ? -1 : r->p.pidfd, POLLIN);
    if (poll(fds, (nfds_t)n, wait_ms(r)) <= 0)
        return;
    for (int i = 0; i < n; i++) {
        if (!fds[i].revents)
            continue;
        int fd = fds[i].fd;
        if (fd == r->p.in)
            feed_stdin(r);
        else if (fd == r->p.out)
            drain(r, &r->p.out, &r->out, on_stdout);
        else if (fd == r->p.err)
            drain(r, &r->p.err, &r->err, on_stderr);
        else if (fd == r->p.ctl)
            drain(r, &r->p.ctl, &r->ctl, on_control);
    }
}

/* ---- ending the group ---- */

static void end_group(runner *r, const char *why)
{
    r->ending = why;
    r->kill_at = clock_mono_ms() + r->c->stop_grace_ms;
    BERTH_JINFO(r->ctx, "%s: sending SIGTERM to the job's process group (SIGKILL in %u ms)",
                why, r->c->stop_grace_ms);
    exec_proc_signal(&r->p, SIGTERM);
    exec_proc_signal(&r->p, SIGCONT);
}

/* Stop, shutdown, timeout, leftovers, and SIGKILL when the grace is over. */
static void supervise(runner *r)
{
    long long now = clock_mono_ms();
    if (!r->p.reaped && !r->ending) {
        berth_stop_reason why = berth_ctx_stop_reason(r->ctx);
        if (why != BERTH_STOP_NONE) {
            r->stopped = true;
            end_group(r, why == BERTH_STOP_SHUTDOWN ? "shutdown (the run is handed back)"
                                                   : "stop requested");
        } else if (r->c->timeout_ms && now - r->started >= (long long)r->c->timeout_ms) {
            r->timed_out = true;
            end_group(r, "timeout");
        }
    }
    if (r->p.reaped && !r->ending && exec_proc_group_alive(&r->p))
        end_group(r, "the program exited but left processes in its group");
    bool left = !r->p.reaped || exec_proc_group_alive(&r->p);  /* the child may have left */
    if (r->ending && !r->killed && now >= r->kill_at && left) {
        BERTH_JWARN(r->ctx, "still running after %u ms: sending SIGKILL to the job's process "
                    "group", r->c->stop_grace_ms);
        exec_proc_signal(&r->p, SIGKILL);
        r->killed = true;
        r->give_up_at = now + GIVE_UP_MS;
    }
}

/* Done once the child is reaped, its group is gone (or will not go), and its output is
 * closed or has had DRAIN_MS to close. */
static bool finished(runner *r)
{
    if (!r->p.reaped)
        return false;
    if (r->p.in >= 0)
        exec_proc_close_fd(&r->p.in);
    long long now = clock_mono_ms();
    if (exec_proc_group_alive(&r->p)) {
        if (!(r->killed && now >= r->give_up_at))
            return false;
        BERTH_JWARN(r->ctx, "processes of the job's group are still there %d ms after "
                    "SIGKILL (zombies another process must reap?): not waiting longer",
                    GIVE_UP_MS);
        return true;
    }
    bool open = r->p.out >= 0 || r->p.err >= 0 || r->p.ctl >= 0;
    if (!open)
        return true;
    if (!r->drain_until)
        r->drain_until = now + DRAIN_MS;
    if (now < r->drain_until)
        return false;
    BERTH_JWARN(r->ctx, "output still open after the job's processes ended (a process left "
                "the job's process group?): closed");
    return true;
}

/* ---- the run ---- */

static int fail_with(runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_with(runner *r, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    BERTH_JERROR(r->ctx, "%s", msg);
    return berth_ctx_fail(r->ctx, "%s", msg);
}

static int outcome(runner *r)
{
    char sig[32];
    if (r->discarded)
        BERTH_JWARN(r->ctx, "%zu bytes of output were not logged", r->discarded);
    if (!r->p.reaped)
        return fail_with(r, "the program could not be waited for");
    if (r->stopped) {
        BERTH_JINFO(r->ctx, "stopped");
        return 0;
    }
    if (r->timed_out)
        return fail_with(r, "timed out after %.3g s", r->c->timeout_ms / 1000.0);
    if (r->fail[0])
        return fail_with(r, "%s", r->fail);
    if (!r->p.exited)
        return fail_with(r, "killed by %s%s", exec_proc_signame(r->p.code, sig, sizeof sig),
                         r->p.core ? " (core dumped)" : "");
    if (r->p.code != 0)
        return fail_with(r, "exit code %d%s%s", r->p.code, r->last_err[0] ? ": " : "",
                         r->last_err);
    return 0;
}

/* The child's environment: the job's resolved allowlist plus the run's own names; NULL
 * when memory ran out. */
static const char **run_env(berth_ctx *ctx, const exec_job *j, char own[4][200])
{
    size_t n = exec_job_nenv(j);
    const char **envp = berth_calloc(n + 5, sizeof *envp);
    if (!envp)
        return NULL;
    memcpy(envp, exec_job_env(j), n * sizeof *envp);
    snprintf(own[0], 200, "BERTH_JOB_ID=%s", berth_ctx_job_id(ctx));
    snprintf(own[1], 200, "BERTH_JOB_NAME=%s", exec_job_command(j)->name);
    snprintf(own[2], 200, "BERTH_JOB_REVISION=%s", berth_ctx_get(ctx, "revision"));
    snprintf(own[3], 200, "BERTH_CONTROL_FD=3");
    for (int i = 0; i < 4; i++)
        envp[n + (size_t)i] = own[i];
    return envp;
}

static void runner_init(runner *r, berth_ctx *ctx, const exec_command *c, const char *params)
{
    memset(r, 0, sizeof *r);
    r->ctx = ctx;
    r->c = c;
    r->in = params ? params : "{}";
    r->in_len = strlen(r->in);
    r->budget = c->max_output_bytes;
    exec_lines_init(&r->out);
    exec_lines_init(&r->err);
    exec_lines_init(&r->ctl);
    r->started = clock_mono_ms();
}

int exec_run(berth_ctx *ctx, const char *params, void *ud)
{
    const exec_job *j = ud;
    char own[4][200], err[512];
    runner *r = berth_malloc(sizeof *r);
    const char **envp = r ? run_env(ctx, j, own) : NULL;
    if (!envp) {
        berth_free(r);
        berth_ctx_fail(ctx, "out of memory starting the command");
        return BERTH_ENOMEM;
    }
    runner_init(r, ctx, exec_job_command(j), params);
    exec_spawn_opts o = {.argv = (const char *const *)r->c->argv, .envp = envp,
                         .dir = r->c->dir};
    int rc = exec_proc_spawn(&o, &r->p, err, sizeof err);
    berth_free(envp);
    if (rc != 0) {
        rc = fail_with(r, "%s", err);
        berth_free(r);
        return rc;
    }
    while (!finished(r)) {
        poll_streams(r);
        exec_proc_reap(&r->p);
        supervise(r);
        flush_checkin(r, false);
    }
    flush_checkin(r, true);
    exec_proc_close(&r->p);
    rc = outcome(r);
    berth_free(r);
    return rc;
}
