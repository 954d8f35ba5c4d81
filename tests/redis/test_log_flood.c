/* A job that writes 1 GiB of log (issue 8, part 4): the run's cap (4 MiB by default)
 * bounds what reaches the FILE and REDIS job logs, the job still finishes Success in
 * bounded time, one notice says lines were dropped, and a quiet job running beside it
 * is not held up. Prints the time the flood took. */
#include "test.h"

#include <hiredis/hiredis.h>
#include <sys/stat.h>

#include "berth/berth.h"
#include "berth/context.h"
#include "engine_fixture.h"
#include "joblog/joblog.h"
#include "wait.h"

#define LINE_BYTES 1024
#define FLOOD_BYTES ((long long)1 << 30)

static redis_fixture rf;

static int flood_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params, (void)ud;
    char msg[LINE_BYTES];
    memset(msg, 'x', sizeof msg - 1);
    msg[sizeof msg - 1] = '\0';
    for (long long sent = 0; sent < FLOOD_BYTES; sent += LINE_BYTES)
        BERTH_JLOG(ctx, BERTH_LOG_INFO, "%s", msg);
    return 0;
}

static int quiet_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)params, (void)ud;
    BERTH_JLOG(ctx, BERTH_LOG_INFO, "quiet job done");
    return 0;
}

static void test_one_gib_of_log_is_capped(void **state)
{
    (void)state;
    assert_int_equal(redis_fixture_start(&rf, NULL), 0);
    char dir[200];
    snprintf(dir, sizeof dir, "%s/logs", rf.dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    rtarget t = {.unix_path = rf.sock};
    joblog_backend_cfg b[2] = {{.kind = JOBLOG_FILE, .level = BERTH_LOG_INFO, .base_dir = dir},
                               {.kind = JOBLOG_REDIS, .level = BERTH_LOG_INFO}};
    joblog_set *logs = NULL;
    char err[256];
    assert_int_equal(joblog_set_new(&(joblog_config){.backends = b, .nbackends = 2, .redis = &t,
                                                     .ns = "t"}, &logs, err, sizeof err), 0);
    joblog_set_start(logs);
    berth_engine_config c = engine_fixture_config(&rf);
    c.job_logs = logs;
    berth_engine *e = engine_fixture_start(&c, (berth_job_type[]){
        {.name = "FLOOD", .run = flood_run}, {.name = "QUIET", .run = quiet_run}, {0}});

    long long t0 = wait_now_ms();
    char *flood = engine_fixture_launch(e, "FLOOD");
    char *quiet = engine_fixture_launch(e, "QUIET");
    assert_true(engine_fixture_wait_status(e, quiet, "Success", 5000));
    long long quiet_ms = wait_now_ms() - t0;
    assert_true(engine_fixture_wait_status(e, flood, "Success", 240000));
    long long flood_ms = wait_now_ms() - t0;

    char path[300];
    snprintf(path, sizeof path, "%s/%s.log", dir, flood);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    size_t cap = JOBLOG_RUN_MAX_DEFAULT;
    assert_true((size_t)sb.st_size <= cap + 2 * LINE_BYTES);    /* cap, separator, notice */
    assert_true((size_t)sb.st_size >= cap - 2 * LINE_BYTES);    /* it did fill the cap */
    /* the flusher writes what it holds before joblog_set_free returns: Redis has it all */
    assert_int_equal(berth_engine_stop(e), 0);
    berth_engine_free(e);
    joblog_set_free(logs);
    redisContext *rc = redisConnectUnix(rf.sock);
    redisReply *r = redisCommand(rc, "STRLEN {t}:berth:joblog:%s", flood);
    long long in_redis = r->integer;
    freeReplyObject(r);
    redisFree(rc);
    assert_true(in_redis > 0 && (size_t)in_redis <= cap + 2 * LINE_BYTES);
    FILE *f = fopen(path, "r");
    char line[2048];
    int notices = 0;
    while (f && fgets(line, sizeof line, f))
        notices += strstr(line, "reached its cap") != NULL;
    if (f)
        fclose(f);
    assert_int_equal(notices, 1);
    fprintf(stderr, "log flood: 1 GiB written by the job in %lld ms; kept %lld bytes in the "
                    "file and %lld in redis (cap %zu); a quiet job beside it done in %lld ms\n",
            flood_ms, (long long)sb.st_size, in_redis, cap, quiet_ms);
    free(flood);
    free(quiet);
    redis_fixture_stop(&rf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_gib_of_log_is_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
