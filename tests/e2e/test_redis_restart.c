/* Redis restarting under a live API (issue 12): connections the engine's pool opened before
 * an outage must not fail a request after it. A fault run found that every pooled
 * connection that sat idle through a restart failed exactly one later request (a stop
 * answered 500/10006, a GET 500/10005, however long after Redis was back).
 *
 * The test warms the pool with a burst of concurrent calls on every route (so several
 * connections sit idle in it), snapshots, kills redis-server and starts it again on the
 * same port and data,
 * waits until it answers, then sends the same burst again: no answer may be a 5xx. Only
 * the test's own thread asserts; the burst threads record statuses. Fixture:
 * tests/support/api_fixture.c (real redis-server, engine, API server over loopback). */
#include "test.h"

#include <pthread.h>

#include "api_fixture.h"

#define THREADS 8
#define CALLS 11

typedef struct burst {
    int port;
    const char *job_id;     /* an existing Generic job (before the restart) */
    const char *policy_id;  /* an existing Periodic job (before the restart) */
    long status[CALLS];
    char what[CALLS][96];
} burst;

static void call(hc *c, burst *b, int i, const char *method, const char *path, const char *body)
{
    hc_resp r = {0};
    hc_do(c, method, path, API_AUTH, body, body ? strlen(body) : 0, 0, &r);
    b->status[i] = r.status;
    snprintf(b->what[i], sizeof b->what[i], "%s %s", method, path);
    hc_resp_free(&r);
}

/* Every route once, on one keep-alive client (one server thread at a time). */
static void *run_burst(void *arg)
{
    burst *b = arg;
    hc c;
    hc_init(&c, b->port);
    char job[160], log[192], execs[192];
    snprintf(job, sizeof job, "/api/v1/jobs/%s", b->job_id);
    snprintf(log, sizeof log, "/api/v1/jobs/%s/log", b->job_id);
    snprintf(execs, sizeof execs, "/api/v1/jobs/%s/executions", b->policy_id);
    int i = 0;
    call(&c, b, i++, "POST", "/api/v1/jobs",
         "{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo\"},"
         "\"metadata\":{\"kind\":\"Generic\"}}}");
    call(&c, b, i++, "GET", "/api/v1/jobs", NULL);
    call(&c, b, i++, "GET", job, NULL);
    call(&c, b, i++, "POST", job, "{\"action\":\"stop\"}");
    call(&c, b, i++, "GET", log, NULL);
    call(&c, b, i++, "GET", execs, NULL);
    call(&c, b, i++, "GET", "/api/v1/stats", NULL);
    call(&c, b, i++, "GET", "/api/v1/config", NULL);
    call(&c, b, i++, "GET", "/healthz", NULL);
    call(&c, b, i++, "GET", "/api/v1/hooks", NULL);
    call(&c, b, i++, "POST", "/api/v1/hooks/replay", "");
    hc_cleanup(&c);
    return NULL;
}

/* THREADS concurrent bursts; asserts (here, on the test's thread) that none got a 5xx or
 * a transport failure. */
static void concurrent_bursts(const char *job_id, const char *policy_id, const char *when)
{
    pthread_t th[THREADS];
    burst b[THREADS];
    for (int t = 0; t < THREADS; t++) {
        memset(&b[t], 0, sizeof b[t]);
        b[t].port = api_server_port(af.api);
        b[t].job_id = job_id;
        b[t].policy_id = policy_id;
        assert_int_equal(pthread_create(&th[t], NULL, run_burst, &b[t]), 0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    int bad = 0;
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < CALLS; i++)
            if (b[t].status[i] == 0 || b[t].status[i] >= 500) {
                fprintf(stderr, "%s: %s answered %ld\n", when, b[t].what[i], b[t].status[i]);
                bad++;
            }
    assert_int_equal(bad, 0);
}

static void test_no_5xx_after_redis_restart(void **state)
{
    (void)state;
    char *id = af_launch("{\"job\":{\"name\":\"DEMO\",\"parameters\":{\"image\":\"demo\"},"
                         "\"metadata\":{\"kind\":\"Generic\"}}}");
    char *policy = af_launch("{\"job\":{\"name\":\"SCHEDULER\",\"metadata\":{\"kind\":"
                             "\"Periodic\",\"cron_spec\":\"0 0 0 * * *\"}}}");
    concurrent_bursts(id, policy, "before the restart");   /* the pool holds idle connections */
    /* A snapshot, so the restarted server has the data (a production Redis persists): an
     * empty one would answer some routes 500 by Harbor's rules (no worker pool yet). */
    redis_fixture_int(&af.rf, "SAVE");
    redis_fixture_kill(&af.rf);
    assert_int_equal(redis_fixture_restart(&af.rf, NULL), 0);   /* answers PING again */
    concurrent_bursts(id, policy, "after the restart");
    concurrent_bursts(id, policy, "again");
    free(id);
    free(policy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_5xx_after_redis_restart),
    };
    return cmocka_run_group_tests(tests, api_fixture_setup, api_fixture_teardown);
}
