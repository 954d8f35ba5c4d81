/* hello_job: a complete program using libberth as a library (README, "Using the library").
 *
 *   hello_job [REDIS_UNIX_SOCKET]      (no argument: Redis on 127.0.0.1:6379)
 *
 * It registers one job type, HELLO, starts an engine with 2 workers, launches one HELLO
 * job, waits (at most 30 s) until the job's status is final, prints it and stops. Every
 * return code is checked; the engine's log and the job's own log lines go to stderr
 * through cfg.log. Exit 0 when the job ended Success, 1 otherwise.
 *
 * Build it in the tree with `make build` (build/release/hello_job), or against an
 * installed libberth: cc examples/hello_job.c -o hello_job $(pkg-config --cflags --libs berth) */
#define _POSIX_C_SOURCE 200809L    /* nanosleep under -std=c11 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <berth/berth.h>

/* The engine never prints: it hands its lines (and, with no job-log backend configured,
 * the jobs' own lines) to this callback. */
static void log_line(berth_log_level lvl, const char *file, int line, const char *msg, void *ud)
{
    (void)ud;
    fprintf(stderr, "[%s] %s:%d: %s\n", berth_log_level_name(lvl), file, line, msg);
}

/* Refuses a launch without parameters: the API user gets this text back. */
static int hello_validate(const char *params, char *err, size_t errlen, void *ud)
{
    (void)ud;
    if (!params || !strstr(params, "\"who\"")) {
        snprintf(err, errlen, "HELLO needs a parameter \"who\"");
        return -1;
    }
    return 0;
}

/* The work, on a worker thread. A job returns 0 for Success; on failure it says why. */
static int hello_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ud;
    BERTH_JINFO(ctx, "hello, %s", params);
    if (berth_ctx_checkin(ctx, "half way") != 0)
        return berth_ctx_fail(ctx, "cannot record the check-in");
    /* Wait like a real job would, but wake at once when stopped or shutting down. */
    if (berth_ctx_sleep(ctx, 500)) {
        BERTH_JINFO(ctx, "stopping early: %s",
                    berth_ctx_stop_reason(ctx) == BERTH_STOP_USER ? "stopped by a user"
                                                                  : "the engine is shutting down");
        return 0;
    }
    BERTH_JINFO(ctx, "done");
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls the job's status until it is final or 30 s pass; 0 and *out filled, or an error. */
static int wait_final(berth_engine *e, const char *id, berth_stats **out)
{
    for (int i = 0; i < 300; i++) {
        berth_stats *s = NULL;
        int rc = berth_engine_get_stats(e, id, &s);
        if (rc != 0)
            return rc;
        if (berth_status_final(berth_status_parse(s->status))) {
            *out = s;
            return 0;
        }
        berth_stats_free(s);
        sleep_ms(100);
    }
    return BERTH_ESTATE;
}

int main(int argc, char **argv)
{
    berth_engine_config cfg = {.ns = "hello_job", .workers = 2, .log = log_line,
                               .log_level = BERTH_LOG_INFO};
    if (argc > 1)
        cfg.redis_unix = argv[1];
    char err[256] = "";
    berth_engine *e = NULL;
    int rc = berth_engine_new(&cfg, &e, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "hello_job: cannot create the engine: %s\n", err);
        return 1;
    }
    berth_job_type hello = {.name = "HELLO", .validate = hello_validate, .run = hello_run};
    rc = berth_engine_register(e, &hello);
    if (rc == 0)
        rc = berth_engine_start(e);    /* BERTH_EREDIS when Redis does not answer */
    berth_stats *launched = NULL, *final = NULL;
    berth_launch l = {.name = "HELLO", .params_json = "{\"who\":\"world\"}"};
    if (rc == 0)
        rc = berth_engine_launch(e, &l, &launched, err, sizeof err);
    if (rc == 0)
        printf("launched HELLO job %s\n", launched->id);
    if (rc == 0)
        rc = wait_final(e, launched->id, &final);
    if (rc == 0)
        printf("job %s ended %s\n", final->id, final->status);
    else
        fprintf(stderr, "hello_job: %s%s%s\n", berth_strerror(rc), *err ? ": " : "", err);
    bool ok = rc == 0 && strcmp(final->status, "Success") == 0;
    berth_stats_free(launched);
    berth_stats_free(final);
    if (berth_engine_stop(e) != 0)     /* graceful: waits for running jobs (grace_ms) */
        fprintf(stderr, "hello_job: a job ignored the stop request\n");
    berth_engine_free(e);
    return ok ? 0 : 1;
}
