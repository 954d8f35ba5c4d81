/* berth_demo: the built-in DEMO job through the library. It runs an engine against the
 * Redis at the unix socket BERTH_REDIS_SOCK (unset: 127.0.0.1:6379), launches two DEMO jobs
 * (one succeeds; the second waits behind it, DEMO allows one at a time, and is stopped),
 * shows a launch DEMO's validation refuses, and prints every status change and check-in as
 * the engine records it (berth_engine_config.on_event). Exit 0 when both jobs ended as
 * expected (Success, Stopped). examples/hello_job.c is the smaller starting point. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth/berth.h"
#include "berth/jobs.h"

static void on_event(const berth_status_event *ev, void *ud)
{
    (void)ud;
    if (ev->check_in)
        printf("  job %s  check-in: %s\n", ev->job_id, ev->check_in);
    else
        printf("  job %s  -> %s (revision %lld)\n", ev->job_id, ev->status,
               (long long)ev->revision);
    fflush(stdout);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int main(void)
{
    const char *sock = getenv("BERTH_REDIS_SOCK");
    berth_engine_config c = {.redis_unix = sock, .ns = "berth_demo", .workers = 4,
                             .on_event = on_event};
    berth_engine *e = NULL;
    char err[256];
    if (berth_engine_new(&c, &e, err, sizeof err) != 0 || berth_jobs_register_demo(e, 3000) != 0 ||
        berth_engine_start(e) != 0) {
        fprintf(stderr, "berth_demo: cannot start the engine (is Redis at %s?)\n",
                sock ? sock : "127.0.0.1:6379");
        return 1;
    }
    printf("berth engine %s running; launching DEMO jobs\n", berth_engine_pool_id(e));
    berth_stats *a = NULL, *b = NULL;
    berth_launch l = {.name = "DEMO", .params_json = "{\"image\":\"demo:latest\"}"};
    if (berth_engine_launch(e, &l, &a, err, sizeof err) != 0 ||
        berth_engine_launch(e, &l, &b, err, sizeof err) != 0) {
        fprintf(stderr, "berth_demo: launch refused: %s\n", err);
        berth_stats_free(a);
        berth_engine_free(e);
        return 1;
    }
    printf("launched %s and %s; stopping the second one after 2 s\n", a->id, b->id);
    berth_launch bad = {.name = "DEMO", .params_json = "{\"image\":\"nginx\"}"};
    if (berth_engine_validate(e, "DEMO", bad.params_json, err, sizeof err) != 0)
        printf("a launch with image nginx is refused: %s\n", err);
    sleep_ms(2000);
    if (berth_engine_stop_job(e, b->id) != 0)
        fprintf(stderr, "berth_demo: cannot stop %s\n", b->id);
    sleep_ms(5000);
    berth_stats *fa = NULL, *fb = NULL;
    if (berth_engine_get_stats(e, a->id, &fa) != 0 || berth_engine_get_stats(e, b->id, &fb) != 0)
        fprintf(stderr, "berth_demo: cannot read the jobs' stats\n");
    printf("final: %s is %s, %s is %s\n", a->id, fa ? fa->status : "?", b->id,
           fb ? fb->status : "?");
    bool ok = fa && fb && !strcmp(fa->status, "Success") && !strcmp(fb->status, "Stopped");
    berth_stats_free(a), berth_stats_free(b), berth_stats_free(fa), berth_stats_free(fb);
    berth_engine_free(e);
    return ok ? 0 : 1;
}
