/* Redis Sentinel: the engine asks a real redis-sentinel for the master and runs a job
 * there; an unknown master name is a clear Redis error, not a hang. */
#include "test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "wait.h"

static redis_fixture rf;
static pid_t sentinel;
static int sport;

static bool sentinel_knows_master(void *arg)
{
    (void)arg;
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", sport, tv);
    int ok = 0;
    if (c && !c->err) {
        redisReply *r = redisCommand(c, "SENTINEL get-master-addr-by-name m");
        ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2;
        freeReplyObject(r);
    }
    if (c)
        redisFree(c);
    return ok;
}

static int setup(void **state)
{
    (void)state;
    if (redis_fixture_start(&rf, NULL) != 0)
        return -1;
    sport = redis_fixture_free_port();
    char conf[256];
    snprintf(conf, sizeof conf, "%s/sentinel.conf", rf.dir);
    FILE *f = fopen(conf, "w");
    fprintf(f, "port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor m 127.0.0.1 %d 1\n", sport,
            rf.dir, rf.port);
    fclose(f);
    sentinel = fork();
    if (sentinel == 0) {
        /* dies with the test, and holds none of ctest's pipes: a crashed test must not
         * leave it running with ctest waiting on it until the timeout */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int devnull = open("/dev/null", 1);
        dup2(devnull, 1), dup2(devnull, 2);
        execlp("redis-server", "redis-server", conf, "--sentinel", (char *)NULL);
        _exit(127);
    }
    return wait_until(sentinel_knows_master, NULL, 5000) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    kill(sentinel, SIGKILL);
    waitpid(sentinel, NULL, 0);
    redis_fixture_stop(&rf);
    return 0;
}

/* The caller's strings and sentinel array are overwritten and freed right after
 * berth_engine_new: the engine must have copied everything it keeps. */
static berth_engine *engine_via(const char *master)
{
    char *host1 = strdup("127.0.0.1"), *host2 = strdup("127.0.0.1"), *m = strdup(master);
    berth_hostport *list = calloc(2, sizeof *list);
    list[0] = (berth_hostport){host1, 1};  /* the first one is dead */
    list[1] = (berth_hostport){host2, sport};
    berth_engine_config c = {.ns = "s", .workers = 2, .redis_sentinels = list,
                             .redis_nsentinels = 2, .redis_master = m, .lease_ms = 1500};
    berth_engine *e = NULL;
    char err[256];
    assert_int_equal(berth_engine_new(&c, &e, err, sizeof err), 0);
    memset(host1, 'x', strlen(host1));
    memset(host2, 'x', strlen(host2));
    memset(m, 'x', strlen(m));
    memset(list, 0xff, 2 * sizeof *list);
    free(host1), free(host2), free(m), free(list);
    berth_job_type t = {.name = "NOOP", .run = engine_fixture_noop};
    assert_int_equal(berth_engine_register(e, &t), 0);
    return e;
}

static void test_job_through_sentinel(void **state)
{
    (void)state;
    berth_engine *e = engine_via("m");
    assert_int_equal(berth_engine_start(e), 0);
    berth_stats *s = NULL;
    char err[256];
    berth_launch l = {.name = "NOOP"};
    assert_int_equal(berth_engine_launch(e, &l, &s, err, sizeof err), 0);
    assert_true(engine_fixture_wait_status(e, s->id, "Success", 5000));
    assert_int_equal(redis_fixture_int(&rf, "EXISTS {s}:job_stats:%s", s->id), 1); /* on the master */
    berth_stats_free(s);
    berth_engine_free(e);
}

static void test_unknown_master(void **state)
{
    (void)state;
    berth_engine *e = engine_via("nosuchmaster");
    assert_int_equal(berth_engine_start(e), BERTH_EREDIS);
    berth_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_job_through_sentinel),
        cmocka_unit_test(test_unknown_master),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
