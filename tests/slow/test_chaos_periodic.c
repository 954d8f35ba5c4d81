/* Chaos: periodic policies on three real berthd nodes while nodes are killed with SIGKILL:
 * no duplicate and no missing fire. Policies (Periodic CHAOS jobs with six-field cron specs
 * of different periods and run lengths) are created over the API; then a random node is
 * killed every few seconds (one time in four a second one too, never all three) and started
 * again. Every node plans fires (period_fire.lua is idempotent per fire time); runs lost
 * with a killed node run again under a new revision after their lease. After the kills stop
 * and the window's last fires have run:
 *   - every fire time of the window has its execution <policy>@<t> (seen in the policy's
 *     executions zset while the test ran: retention trims old finished ones) and in the
 *     CHAOS trace exactly one run of it ended (a run may have started more than once, each
 *     unfinished one on a node killed after it started, each retry under a higher revision);
 *   - no execution exists, and nothing ran, for a time that is not a fire time;
 *   - the API's executions list shows every listed execution of the window Success.
 * Sizes: BERTH_CHAOS_SCALE=full (make test-chaos): kills for 3 minutes; default (CI): 30 s.
 * Prints: policies, window, fires expected, executions, kills, re-runs, duplicates, missing. */
#include "test.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <signal.h>

#include "berth/period.h"
#include "cluster.h"
#include "redis_fixture.h"
#include "wait.h"

#define NODES 3
#define LEASE_S 2
#define POLICIES 3
#define MAX_FIRES 512

typedef struct policy_def {
    const char *cron;
    unsigned ms;                     /* each run's length */
    char id[40];
    int64_t fires[MAX_FIRES];        /* its fire times from the start to well past the window */
    int nfires;
    int nwin;                        /* fires[0..nwin) are the window's */
    unsigned char seen[MAX_FIRES];   /* fires[k] seen in the executions zset */
} policy_def;

typedef struct kill_rec {
    pid_t pid;
    long long at_ms;
} kill_rec;

typedef struct trace_counts {
    int ended[POLICIES][MAX_FIRES];  /* per fire of the window: runs that ended */
    int dups;          /* executions (any time) whose run ended more than once */
    int reruns;        /* runs that did not end, their node killed after they started */
    int unexplained;   /* runs of the window that did not end, their node alive */
} trace_counts;

static cluster cl;
static redis_fixture rf;
static policy_def pol[POLICIES] = {
    {.cron = "*/2 * * * * *", .ms = 1500},   /* long runs: most kills hit one */
    {.cron = "*/3 * * * * *", .ms = 2500},
    {.cron = "1/5 * * * * *", .ms = 4000},
};
static kill_rec kills[512];
static int nkills;
static long long strays;   /* executions or runs of a time that is not a fire time */

static int full(void)
{
    const char *s = getenv("BERTH_CHAOS_SCALE");
    return s && strcmp(s, "full") == 0;
}

static int is_fire(const policy_def *p, long long t)
{
    int64_t one = 0;
    char err[128];
    return berth_period_fires(p->cron, t - 1, t, &one, 1, err, sizeof err) == 1 && one == t;
}

static int fire_index(const policy_def *p, long long t)
{
    for (int k = 0; k < p->nfires; k++)
        if (p->fires[k] == t)
            return k;
    return -1;
}

/* The policy of execution id <policy>@<t> (and t), or -1. */
static int policy_of(const char *id, long long *t)
{
    const char *at = strchr(id, '@');
    size_t len = at ? (size_t)(at - id) : 0;
    for (int i = 0; at && i < POLICIES; i++)
        if (strlen(pol[i].id) == len && strncmp(id, pol[i].id, len) == 0) {
            *t = atoll(at + 1);
            return i;
        }
    return -1;
}

/* Records which executions each policy has now (finished ones are trimmed later). */
static void sample(redisContext *c)
{
    for (int i = 0; i < POLICIES; i++) {
        redisReply *r = redisCommand(c, "ZRANGE {" CLUSTER_NS "}:executions:%s 0 -1", pol[i].id);
        for (size_t k = 0; r && r->type == REDIS_REPLY_ARRAY && k < r->elements; k++) {
            long long t = 0;
            if (policy_of(r->element[k]->str, &t) != i || !is_fire(&pol[i], t)) {
                fprintf(stderr, "chaos periodic: execution %s is not a fire time\n",
                        r->element[k]->str);
                strays++;
                continue;
            }
            int f = fire_index(&pol[i], t);
            if (f >= 0)
                pol[i].seen[f] = 1;
        }
        freeReplyObject(r);
    }
}

/* Sleeps ms while sampling the executions every 500 ms. */
static void sleep_sampling(redisContext *c, int ms)
{
    long long end = cluster_now_ms() + ms;
    for (long long now = cluster_now_ms(); now < end; now = cluster_now_ms()) {
        sample(c);
        wait_sleep_ms(end - now < 500 ? (int)(end - now) : 500);
    }
}

static void create_policies(void)
{
    hc cli;
    hc_init(&cli, cl.nodes[0].port);
    for (int i = 0; i < POLICIES; i++) {
        char body[512];
        snprintf(body, sizeof body, "{\"job\":{\"name\":\"CHAOS\",\"parameters\":{\"ms\":%u},"
                 "\"metadata\":{\"kind\":\"Periodic\",\"cron_spec\":\"%s\"}}}", pol[i].ms,
                 pol[i].cron);
        assert_int_equal(cluster_post_job(&cli, body, pol[i].id, sizeof pol[i].id), 202);
    }
    hc_cleanup(&cli);
}

/* Kills a random node (one time in four a second one too, never all), waits, restarts. */
static void kill_round(redisContext *c, unsigned *seed)
{
    int victims[2] = {(int)(rand_r(seed) % NODES), -1};
    if (rand_r(seed) % 4 == 0)
        victims[1] = (victims[0] + 1 + (int)(rand_r(seed) % (NODES - 1))) % NODES;
    for (int v = 0; v < 2 && victims[v] >= 0; v++) {
        kills[nkills].pid = cl.nodes[victims[v]].pid;
        kills[nkills].at_ms = cluster_now_ms();
        assert_int_equal(cluster_signal(&cl, victims[v], SIGKILL), 128 + SIGKILL);
        nkills += nkills < 511;
    }
    sleep_sampling(c, 300 + (int)(rand_r(seed) % 1500));   /* down 0.3-1.8 s */
    for (int v = 0; v < 2 && victims[v] >= 0; v++)
        assert_int_equal(cluster_start(&cl, victims[v]), 0);
}

/* One execution's runs r[0..n), oldest first. */
static void check_execution(const chaos_run *r, long n, trace_counts *tc)
{
    long long t = 0;
    int i = policy_of(r[0].id, &t);
    if (i < 0 || !is_fire(&pol[i], t)) {
        fprintf(stderr, "chaos periodic: run of %s is not a fire\n", r[0].id);
        strays++;
        return;
    }
    int f = fire_index(&pol[i], t), ends = 0;
    for (long k = 0; k < n; k++) {
        if (k > 0 && r[k].rev <= r[k - 1].rev)
            fail_msg("%s ran again under revision %lld after %lld", r[k].id, r[k].rev,
                     r[k - 1].rev);
        if (r[k].end_ms) {
            ends++;
            continue;
        }
        int killed = 0;
        for (int j = 0; j < nkills && !killed; j++)
            killed = kills[j].pid == r[k].pid && kills[j].at_ms >= r[k].start_ms;
        if (killed)
            tc->reruns++;
        else if (f >= 0 && f < pol[i].nwin)
            tc->unexplained++;   /* still running now, or lost without a kill: a bug */
    }
    tc->dups += ends > 1;
    if (f >= 0)
        tc->ended[i][f] = ends;
}

static void check_trace(trace_counts *tc)
{
    memset(tc, 0, sizeof *tc);
    chaos_run *runs = NULL;
    long n = cluster_trace_read(&cl, &runs);
    assert_true(n > 0);
    for (long a = 0, b; a < n; a = b) {
        for (b = a; b < n && strcmp(runs[b].id, runs[a].id) == 0; b++)
            ;
        check_execution(&runs[a], b - a, tc);
    }
    free(runs);
}

/* Every execution the API lists for policy i: a fire time, Success when in the window.
 * Returns how many it lists. */
static int check_api(int i, long long window_end)
{
    hc cli;
    hc_init(&cli, cl.nodes[1].port);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s/executions?page_size=200", pol[i].id);
    hc_resp r;
    hc_get(&cli, path, CLUSTER_AUTH, &r);
    assert_int_equal(r.status, 200);
    json_t *list = json_loads(r.body, 0, NULL);
    assert_true(json_is_array(list));
    size_t k;
    json_t *el;
    json_array_foreach(list, k, el) {
        json_t *job = json_object_get(el, "job");
        const char *id = json_string_value(json_object_get(job, "id"));
        const char *st = json_string_value(json_object_get(job, "status"));
        long long t = 0;
        assert_non_null(st);
        assert_int_equal(policy_of(id ? id : "", &t), i);
        assert_true(is_fire(&pol[i], t));
        if (t <= window_end && strcmp(st, "Success") != 0)
            fail_msg("execution %s of the window is %s", id, st);
    }
    int listed = (int)json_array_size(list);
    json_decref(list);
    hc_resp_free(&r);
    hc_cleanup(&cli);
    return listed;
}

/* Waits (sampling) until every fire of the window ended once and no run of it is open,
 * up to ms; returns the missing fires. */
static int wait_window_done(redisContext *c, trace_counts *tc, int ms)
{
    long long end = cluster_now_ms() + ms;
    for (;;) {
        strays = 0;
        sample(c);
        check_trace(tc);
        int missing = 0;
        for (int i = 0; i < POLICIES; i++)
            for (int f = 0; f < pol[i].nwin; f++)
                missing += tc->ended[i][f] == 0;
        if ((missing == 0 && tc->unexplained == 0) || cluster_now_ms() >= end)
            return missing;
        wait_sleep_ms(500);
    }
}

static void test_kills_no_duplicate_no_missing_fire(void **state)
{
    (void)state;
    int window_s = full() ? 180 : 30;
    assert_int_equal(redis_fixture_start(&rf, NULL), 0);
    char url[96];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", rf.port);
    cluster_opts o = {.nodes = NODES, .redis_url = url, .workers = 4, .lease_seconds = LEASE_S};
    assert_int_equal(cluster_init(&cl, &o), 0);
    for (int i = 0; i < NODES; i++)
        assert_int_equal(cluster_start(&cl, i), 0);
    redisContext *c = redisConnectUnix(rf.sock);
    assert_true(c && !c->err);
    create_policies();
    long long w0 = cluster_now_ms() / 1000 + 1;      /* fires strictly after creation */
    char err[128];
    for (int i = 0; i < POLICIES; i++)   /* the fires that sampling records */
        pol[i].nfires = berth_period_fires(pol[i].cron, w0, w0 + window_s + 60, pol[i].fires,
                                           MAX_FIRES, err, sizeof err);
    unsigned seed = 17;
    long long end = (w0 + window_s) * 1000;
    while (cluster_now_ms() < end - 1000) {
        sleep_sampling(c, 1500 + (int)(rand_r(&seed) % 2500));   /* a kill every 2-6 s */
        if (cluster_now_ms() < end - 1000)
            kill_round(c, &seed);
    }
    long long w1 = cluster_now_ms() / 1000;          /* the window: fires in (w0, w1] */
    int expected = 0;
    for (int i = 0; i < POLICIES; i++) {
        while (pol[i].nwin < pol[i].nfires && pol[i].fires[pol[i].nwin] <= w1)
            pol[i].nwin++;
        assert_true(pol[i].nwin > 0 && pol[i].nwin < pol[i].nfires);
        expected += pol[i].nwin;
    }
    static trace_counts tc;
    int missing = wait_window_done(c, &tc, 20000 + LEASE_S * 1000);
    int execs = 0;
    for (int i = 0; i < POLICIES; i++)
        for (int f = 0; f < pol[i].nwin; f++) {
            execs += pol[i].seen[f];
            if (!pol[i].seen[f] || tc.ended[i][f] != 1)
                fprintf(stderr, "chaos periodic: %s@%lld: seen %d, ended %d\n", pol[i].id,
                        (long long)pol[i].fires[f], pol[i].seen[f], tc.ended[i][f]);
        }
    int listed = 0;
    for (int i = 0; i < POLICIES; i++)
        listed += check_api(i, w1);
    fprintf(stderr, "chaos periodic: %d policies (%s, %s, %s), window %lld s, %d fires "
                    "expected, %d executions, %d kills, %d runs lost with their node and "
                    "re-run, %d executions listed by the API, duplicates %d, missing %d, "
                    "strays %lld\n", POLICIES, pol[0].cron, pol[1].cron, pol[2].cron, w1 - w0,
            expected, execs, nkills, tc.reruns, listed, tc.dups, missing, strays);
    assert_int_equal(tc.dups, 0);
    assert_int_equal(missing, 0);
    assert_int_equal(tc.unexplained, 0);
    assert_int_equal(strays, 0);
    assert_int_equal(execs, expected);
    assert_true(nkills >= 3);
    assert_true(tc.reruns > 0);                      /* the kills did hit running fires */
    redisFree(c);
    cluster_stop(&cl, 0);
    redis_fixture_stop(&rf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kills_no_duplicate_no_missing_fire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
