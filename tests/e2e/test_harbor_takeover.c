/* Replacing a running Harbor job service in place (issue 13, items 1 and 6): a real Redis is
 * seeded with what a Harbor v2.16 job service (and the gocraft/work it vendors) leaves in it,
 * byte for byte as Harbor's source writes it, then the real berthd binary is started on it.
 *
 * Where the bytes come from (goharbor/harbor src/jobservice, goharbor/work v0.5.1-patch):
 *  - policies: period/policy_store.go, json.Marshal(Policy) → {"id","job_name","cron_spec",
 *    "job_params"(omitempty),"web_hook_url"(omitempty)}, ZADD score = numeric policy id;
 *  - stats: job/tracker.go Save (HMSET id name kind unique status ref_link enqueue_time run_at
 *    cron_spec web_hook_url numeric_policy_id [upstream_job_id] [parameters] update_time
 *    revision; HSET job_track:inprogress id 2; ZADD executions:<policy> NX run_at id), then
 *    the status script (HMSET status update_time; TTL at a final status) and the hook ack;
 *  - queued jobs: gocraft's Job, json.Marshal → {"name","id","t","args"[,"unique"][,"fails",
 *    "err","failed_at"]}, args with Go's sorted keys and HTML escaping; a periodic execution
 *    is {"name","id":<policy>,"t":<fire>,"args":{...,"_job_kind_periodic_":"<fire>"}}
 *    (period/enqueuer.go), in {ns}:scheduled with score = fire time;
 *  - pools: heartbeater.go (worker_pools set; hash heartbeat_at started_at job_names
 *    concurrency worker_ids host pid), in-progress lists {ns}:jobs:<name>:<pool>:inprogress
 *    filled by the fetch script's RPOPLPUSH with lock/lock_info incremented; observations
 *    {ns}:worker:<wid> (observer.go).
 *
 * The tests check that berthd runs all of it with the hooks Harbor core expects, fires every
 * policy (also one added the Harbor way while it runs, and one a Harbor node keeps planning
 * during a rolling upgrade: no fire runs twice), requeues the in-progress jobs of dead pools
 * as gocraft's reaper does, and writes worker observations core can stop a job from. */
#include "test.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "hook_receiver.h"
#include "http_client.h"
#include "redis_fixture.h"
#include "wait.h"

#define NS "{" CLUSTER_NS "}:"

static redis_fixture rf;
static hook_receiver *hr;
static redisContext *rc;
static cluster cl;
static char hook_url[96];      /* core's task hook, on the receiver */

static long long now_s(void)
{
    return (long long)time(NULL);
}

static void check_reply(redisReply *r)
{
    if (!r || r->type == REDIS_REPLY_ERROR)
        fprintf(stderr, "redis: %s\n", r ? r->str : rc->errstr);
    assert_true(r && r->type != REDIS_REPLY_ERROR);
    freeReplyObject(r);
}

static void cmd(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    check_reply(redisvCommand(rc, fmt, ap));
    va_end(ap);
}

static void argv_cmd(int argc, const char **argv)
{
    check_reply(redisCommandArgv(rc, argc, argv, NULL));
}

static long long int_of(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(rc, fmt, ap);
    va_end(ap);
    long long v = -1;
    if (r && r->type == REDIS_REPLY_INTEGER)
        v = r->integer;
    else if (r && r->type == REDIS_REPLY_STRING)
        v = strtoll(r->str, NULL, 10);
    freeReplyObject(r);
    return v;
}

/* A string reply copied into out ("" for nil). */
static const char *str_of(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(rc, fmt, ap);
    va_end(ap);
    snprintf(out, n, "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    return out;
}

/* ---- what Harbor writes ---- */

typedef struct hstats {
    const char *id, *name, *kind, *status;
    long long run_at, numeric, revision;
    const char *cron, *upstream, *params;   /* params: Go JSON text or NULL */
    bool unique;
} hstats;

/* tracker.go Save, field for field (redigo writes numbers in decimal, bools as 1/0) */
static void harbor_save(const hstats *s, long long now)
{
    char key[160], ref[160], enq[24], run[24], num[24], upd[24], rev[24];
    snprintf(key, sizeof key, NS "job_stats:%s", s->id);
    snprintf(ref, sizeof ref, "/api/v1/jobs/%s", s->id);
    snprintf(enq, sizeof enq, "%lld", now);
    snprintf(run, sizeof run, "%lld", s->run_at);
    snprintf(num, sizeof num, "%lld", s->numeric);
    snprintf(upd, sizeof upd, "%lld", now);
    snprintf(rev, sizeof rev, "%lld", s->revision ? s->revision : now);
    const char *argv[40] = {"HMSET", key, "id", s->id, "name", s->name, "kind", s->kind,
                            "unique", "0", "status", "Pending", "ref_link", ref,
                            "enqueue_time", enq, "run_at", run, "cron_spec",
                            s->cron ? s->cron : "", "web_hook_url", hook_url,
                            "numeric_policy_id", num};
    int n = 24;
    argv[11] = s->status;
    argv[9] = s->unique ? "1" : "0";
    if (s->upstream)
        argv[n++] = "upstream_job_id", argv[n++] = s->upstream;
    if (s->params)
        argv[n++] = "parameters", argv[n++] = s->params;
    argv[n++] = "update_time", argv[n++] = upd;
    argv[n++] = "revision", argv[n++] = rev;
    argv_cmd(n, argv);
    cmd("HSET " NS "job_track:inprogress %s 2", s->id);
    if (s->upstream)
        cmd("ZADD " NS "executions:%s NX %lld %s", s->upstream, s->run_at, s->id);
}

/* The status script's final-status side (TTL, in-progress −1) and the hook's ack (−1 more
 * for a final status), as a run that ended under Harbor leaves them. */
static void harbor_status(const char *id, const char *status, long long rev, bool final)
{
    cmd("HMSET " NS "job_stats:%s status %s", id, status);
    char ack[128];
    snprintf(ack, sizeof ack, "{\"status\":\"%s\",\"revision\":%lld,\"check_in_at\":0}", status,
             rev);
    cmd("HSET " NS "job_stats:%s ack %s", id, ack);
    if (final) {
        cmd("EXPIRE " NS "job_stats:%s %d", id, strcmp(status, "Error") == 0 ? 604800 : 86400);
        cmd("HDEL " NS "job_track:inprogress %s", id);
    }
}

/* gocraft's Job JSON; args is Go JSON text (or "null"); extra is appended before the '}' */
static void job_json(char *out, size_t n, const char *name, const char *id, long long t,
                     const char *args, const char *extra)
{
    snprintf(out, n, "{\"name\":\"%s\",\"id\":\"%s\",\"t\":%lld,\"args\":%s%s}", name, id, t,
             args, extra ? extra : "");
}

/* What gocraft's scheduled/retry requeuer leaves in a queue: the entry decoded by Redis's
 * cjson, "t" set to the time of the move, encoded again (key order, "\/" and number
 * formatting are cjson's), computed by the same cjson in the same Redis. */
static void requeued_form(const char *job, long long at, char *out, size_t n)
{
    redisReply *r = redisCommand(rc, "EVAL %s 0 %s %lld",
                                 "local j = cjson.decode(ARGV[1]) j['t'] = tonumber(ARGV[2]) "
                                 "return cjson.encode(j)", job, at);
    assert_true(r && r->type == REDIS_REPLY_STRING);
    snprintf(out, n, "%s", r->str);
    freeReplyObject(r);
}

/* Go's json.Marshal of the execution args: the marker sorts before lower-case keys. */
static void exec_args(char *out, size_t n, long long t, const char *params)
{
    if (!params || strcmp(params, "{}") == 0)
        snprintf(out, n, "{\"_job_kind_periodic_\":\"%lld\"}", t);
    else
        snprintf(out, n, "{\"_job_kind_periodic_\":\"%lld\",%s", t, params + 1);
}

/* A policy as the Harbor API stores it (basic_scheduler.go Schedule + the API's Save). */
static void harbor_policy(const char *id, const char *name, const char *cron, const char *params,
                          long long numeric, long long now)
{
    char pjson[1024];
    snprintf(pjson, sizeof pjson, "{\"id\":\"%s\",\"job_name\":\"%s\",\"cron_spec\":\"%s\",%s%s%s"
             "\"web_hook_url\":\"%s\"}", id, name, cron, params ? "\"job_params\":" : "",
             params ? params : "", params ? "," : "", hook_url);
    cmd("ZADD " NS "period:policies %lld %s", numeric, pjson);
    hstats s = {.id = id, .name = name, .kind = "Periodic", .status = "Scheduled",
                .numeric = numeric, .cron = cron, .params = params};
    harbor_save(&s, now);
}

/* One execution as Harbor's enqueuer plans it: stats (Scheduled), then the scheduled entry. */
static void harbor_plan(const char *pid, const char *name, const char *cron, const char *params,
                        long long t, long long now)
{
    char eid[64], args[1024], job[1400];
    snprintf(eid, sizeof eid, "%s@%lld", pid, t);
    hstats s = {.id = eid, .name = name, .kind = "Scheduled", .status = "Scheduled",
                .run_at = t, .cron = cron, .upstream = pid, .params = params};
    harbor_save(&s, now);
    exec_args(args, sizeof args, t, params);
    job_json(job, sizeof job, name, pid, t, args, NULL);
    cmd("ZADD " NS "scheduled %lld %s", t, job);
}

/* ---- what the hooks say ---- */

typedef struct hook_count {
    int running, success, checkin, other;
    bool upstream_ok;          /* every hook's metadata.upstream_job_id was as expected */
} hook_count;

static hook_count hooks_of(const char *id, const char *upstream)
{
    hook_count c = {.upstream_ok = true};
    static char *bodies[20000];
    size_t n = hr_delivered(hr, bodies, 20000);
    for (size_t i = 0; i < n && i < 20000; i++) {
        json_t *j = json_loads(bodies[i], 0, NULL);
        const char *jid = json_string_value(json_object_get(j, "job_id"));
        if (jid && strcmp(jid, id) == 0) {
            const char *st = json_string_value(json_object_get(j, "status"));
            const char *ck = json_string_value(json_object_get(j, "check_in"));
            json_t *md = json_object_get(j, "metadata");
            const char *up = json_string_value(json_object_get(md, "upstream_job_id"));
            if (ck && *ck)
                c.checkin++;
            else if (st && strcmp(st, "Running") == 0)
                c.running++;
            else if (st && strcmp(st, "Success") == 0)
                c.success++;
            else
                c.other++;
            if (!md || (upstream && (!up || strcmp(up, upstream) != 0)) || (!upstream && up))
                c.upstream_ok = false;
        }
        json_decref(j);
        free(bodies[i]);
    }
    return c;
}

static bool body_seen(const char *body)
{
    static char *bodies[20000];
    size_t n = hr_delivered(hr, bodies, 20000);
    bool seen = false;
    for (size_t i = 0; i < n && i < 20000; i++) {
        seen = seen || strcmp(bodies[i], body) == 0;
        free(bodies[i]);
    }
    return seen;
}

static bool is_status(const char *id, const char *want)
{
    char st[32];
    return strcmp(str_of(st, sizeof st, "HGET " NS "job_stats:%s status", id), want) == 0;
}

typedef struct done_arg {
    const char *id, *upstream;
    bool checkin;
    hook_count c;
} done_arg;

static bool done_pred(void *arg)
{
    done_arg *d = arg;
    d->c = hooks_of(d->id, d->upstream);
    return is_status(d->id, "Success") && d->c.success >= 1 && d->c.running >= 1 &&
           (!d->checkin || d->c.checkin >= 1);
}

/* Waits up to ms for the job to be Success with one Running and one Success hook (and a
 * check-in for SCHEDULER runs), every hook naming upstream (or none). */
static bool wait_done(const char *id, const char *upstream, bool checkin, int ms)
{
    done_arg d = {.id = id, .upstream = upstream, .checkin = checkin};
    wait_until(done_pred, &d, ms);
    hook_count c = d.c;
    if (!(is_status(id, "Success") && c.running == 1 && c.success == 1 && c.other == 0 &&
          c.upstream_ok && (!checkin || c.checkin == 1))) {
        char st[32];
        fprintf(stderr, "%s: status %s, hooks running %d success %d checkin %d other %d "
                "upstream %s\n", id, str_of(st, sizeof st, "HGET " NS "job_stats:%s status", id),
                c.running, c.success, c.checkin, c.other, c.upstream_ok ? "ok" : "WRONG");
        return false;
    }
    return true;
}

/* Milliseconds until the wall-clock second t (0 when it is past). */
static int due_in_ms(long long t)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ms = t * 1000 - ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    return ms > 0 ? (int)ms : 0;
}

/* ---- fixtures ---- */

static int up(void **state)
{
    (void)state;
    if (redis_fixture_start(&rf, NULL) != 0)
        return -1;
    rc = redisConnectUnix(rf.sock);
    hr = hr_start();
    if (!rc || rc->err || !hr)
        return -1;
    snprintf(hook_url, sizeof hook_url, "http://127.0.0.1:%d/service/notifications/tasks/11",
             hr_port(hr));
    return 0;
}

static int down(void **state)
{
    (void)state;
    hr_stop(hr);
    redisFree(rc);
    redis_fixture_stop(&rf);
    return 0;
}

static void start_berthd(int nodes, int workers)
{
    char url[96];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", rf.port);
    cluster_opts o = {.nodes = nodes, .redis_url = url, .workers = workers, .lease_seconds = 5};
    assert_int_equal(cluster_init(&cl, &o), 0);
    for (int i = 0; i < nodes; i++)
        assert_int_equal(cluster_start(&cl, i), 0);
}

#define POL_A "0a0a0a0a0a0a0a0a0a0a0a01"
#define POL_B "0b0b0b0b0b0b0b0b0b0b0b02"
/* Harbor-encoded parameters: sorted keys, HTML-escaped strings, numbers through float64 */
#define PARAMS_A "{\"html\":\"\\u003cb\\u003e\\u0026\",\"vendor_id\":-1,\"vendor_type\":\"GARBAGE_COLLECTION\"}"
#define DEAD_POOL "d0d0d0d0d0d0d0d0d0d0d0d0"
#define GONE_POOL "e0e0e0e0e0e0e0e0e0e0e0e0"
#define UNIQUE_KEY NS "unique:SCHEDULER:{\"k\":\"u\"}\n"   /* json.Encoder: newline */
#define HARBOR_NAMES "DEMO,GARBAGE_COLLECTION,IMAGE_GC,IMAGE_REPLICATE,IMAGE_SCAN_ALL," \
                     "REPLICATION,SCHEDULER,SLACK,WEBHOOK"

/* Policy A (every 2 s, parameters): Harbor's last enqueue round was at h and planned the fires
 * in (h, h+240); those up to now ran under Harbor, except tq (moved to the queue, not
 * fetched yet) and tc (running on the dead pool). Policy B (every second) has no
 * execution yet. */
static void seed_policies(long long t0, long long *tq, long long *tc)
{
    long long h = t0 - 236;
    harbor_policy(POL_A, "SCHEDULER", "*/2 * * * * *", PARAMS_A, t0 - 3600, t0 - 3600);
    harbor_policy(POL_B, "SCHEDULER", "* * * * * *", NULL, t0 - 1800, t0 - 1800);
    long long first = h + 1 + ((h + 1) & 1);
    *tq = (t0 - 2) & ~1LL;
    *tc = *tq - 4;
    for (long long t = first; t < h + 240; t += 2) {
        harbor_plan(POL_A, "SCHEDULER", "*/2 * * * * *", PARAMS_A, t, h);
        if (t > t0)
            continue;   /* still in {ns}:scheduled */
        char eid[64], args[512], job[1024];
        snprintf(eid, sizeof eid, POL_A "@%lld", t);
        exec_args(args, sizeof args, t, PARAMS_A);
        job_json(job, sizeof job, "SCHEDULER", POL_A, t, args, NULL);
        cmd("ZREM " NS "scheduled %s", job);   /* the requeuer took it */
        char moved[1024];
        requeued_form(job, t, moved, sizeof moved);
        if (t == *tq) {
            cmd("LPUSH " NS "jobs:SCHEDULER %s", moved);
        } else if (t == *tc) {
            cmd("LPUSH " NS "jobs:SCHEDULER:" DEAD_POOL ":inprogress %s", moved);
            harbor_status(eid, "Running", h, false);
        } else {
            harbor_status(eid, "Running", h, false);
            harbor_status(eid, "Success", h, true);
            cmd("ZADD " NS "executions:" POL_A " XX -1 %s", eid);
        }
    }
    cmd("SET " NS "last_periodic_enqueue_h %lld", h);
    cmd("SET " NS "last_periodic_enqueue %lld", t0 - 100);   /* gocraft's own */
}

static void seed_job(const char *id, const char *name, const char *kind, const char *status,
                     long long run_at, const char *params, long long t0)
{
    hstats s = {.id = id, .name = name, .kind = kind, .status = status, .run_at = run_at,
                .params = params, .revision = t0 - 60};
    harbor_save(&s, t0 - 60);
}

/* Pending, scheduled and retry entries, and two dead pools' in-progress jobs. */
static void seed_jobs(long long t0, char wh_params[3][256])
{
    char job[2048];
    static const char *wh[3] = {"1f1f1f1f1f1f1f1f1f1f1f01", "1f1f1f1f1f1f1f1f1f1f1f02",
                                "1f1f1f1f1f1f1f1f1f1f1f03"};
    for (int i = 0; i < 3; i++) {
        snprintf(wh_params[i], 256, "{\"address\":\"http://127.0.0.1:%d/webhook\","
                 "\"payload\":\"{\\\"n\\\":%d}\"}", hr_port(hr), i + 1);
        seed_job(wh[i], "WEBHOOK", "Generic", i < 2 ? "Pending" : "Running", 0, wh_params[i], t0);
        job_json(job, sizeof job, "WEBHOOK", wh[i], t0 - 60, wh_params[i], NULL);
        if (i < 2) {
            cmd("LPUSH " NS "jobs:WEBHOOK %s", job);
        } else {   /* running on a pool gone from worker_pools (Harbor's startup requeuer) */
            cmd("LPUSH " NS "jobs:WEBHOOK:" GONE_POOL ":inprogress %s", job);
            cmd("INCR " NS "jobs:WEBHOOK:lock");
            cmd("HINCRBY " NS "jobs:WEBHOOK:lock_info " GONE_POOL " 1");
            harbor_status(wh[i], "Running", t0 - 60, false);
        }
    }
    seed_job("5c5c5c5c5c5c5c5c5c5c5c01", "SCHEDULER", "Scheduled", "Scheduled", t0 + 3,
             "{\"k\":\"s\"}", t0);
    job_json(job, sizeof job, "SCHEDULER", "5c5c5c5c5c5c5c5c5c5c5c01", t0 - 60, "{\"k\":\"s\"}", NULL);
    cmd("ZADD " NS "scheduled %lld %s", t0 + 3, job);
    seed_job("7e7e7e7e7e7e7e7e7e7e7e01", "SCHEDULER", "Generic", "Running", 0, "{\"k\":\"r\"}", t0);
    harbor_status("7e7e7e7e7e7e7e7e7e7e7e01", "Error", t0 - 60, true);
    char failed[96];
    snprintf(failed, sizeof failed, ",\"fails\":1,\"err\":\"run error: boom\",\"failed_at\":%lld",
             t0 - 20);
    job_json(job, sizeof job, "SCHEDULER", "7e7e7e7e7e7e7e7e7e7e7e01", t0 - 60, "{\"k\":\"r\"}",
             failed);
    cmd("ZADD " NS "retry %lld %s", t0 + 1, job);
    seed_job("d1d1d1d1d1d1d1d1d1d1d101", "SCHEDULER", "Generic", "Running", 0, "{\"k\":\"d\"}", t0);
    harbor_status("d1d1d1d1d1d1d1d1d1d1d101", "Running", t0 - 60, false);
    job_json(job, sizeof job, "SCHEDULER", "d1d1d1d1d1d1d1d1d1d1d101", t0 - 70, "{\"k\":\"d\"}", NULL);
    cmd("LPUSH " NS "jobs:SCHEDULER:" DEAD_POOL ":inprogress %s", job);
    cmd("INCRBY " NS "jobs:SCHEDULER:lock 2");
    cmd("HINCRBY " NS "jobs:SCHEDULER:lock_info " DEAD_POOL " 2");
    cmd("SADD " NS "worker_pools " DEAD_POOL);
    cmd("HMSET " NS "worker_pools:" DEAD_POOL " heartbeat_at %lld started_at %lld job_names %s "
        "concurrency 10 worker_ids %s host harbor-jobservice-7c9 pid 1", t0 - 60, t0 - 3600,
        HARBOR_NAMES, "a0a0a0a0a0a0a0a0a0a0a0a0,a1a1a1a1a1a1a1a1a1a1a1a1");
    cmd("HMSET " NS "worker:a0a0a0a0a0a0a0a0a0a0a0a0 job_name SCHEDULER job_id "
        "d1d1d1d1d1d1d1d1d1d1d101 started_at %lld args {\"k\":\"d\"}", t0 - 65);
    cmd("EXPIRE " NS "worker:a0a0a0a0a0a0a0a0a0a0a0a0 86400");
    cmd("SADD " NS "known_jobs %s", "SCHEDULER");
    cmd("SADD " NS "known_jobs %s", "WEBHOOK");
    cmd("SADD " NS "known_jobs %s", "GARBAGE_COLLECTION");
    cmd("SET " NS "jobs:GARBAGE_COLLECTION:max_concurrency 1");
    cmd("SET " NS "_schema_version 1.8.1");
    /* a unique job (gocraft's EnqueueUnique: "unique":true after args; the lock holds 1) */
    hstats u = {.id = "0c0c0c0c0c0c0c0c0c0c0c01", .name = "SCHEDULER", .kind = "Generic",
                .status = "Pending", .params = "{\"k\":\"u\"}", .unique = true};
    harbor_save(&u, t0 - 30);
    job_json(job, sizeof job, "SCHEDULER", u.id, t0 - 30, u.params, ",\"unique\":true");
    cmd("LPUSH " NS "jobs:SCHEDULER %s", job);
    cmd("SET %s 1 EX 86400", UNIQUE_KEY);
}

/* The whole of what a Harbor v2.16 job service leaves, then berthd: every job finishes with
 * its hooks, every policy fires once per fire time, the dead pools are reaped. */
static void test_takeover_runs_everything(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    long long t0 = now_s(), tq, tc;
    char wh_params[3][256];
    seed_policies(t0, &tq, &tc);
    seed_jobs(t0, wh_params);
    start_berthd(1, 8);

    static const char *ids[] = {"1f1f1f1f1f1f1f1f1f1f1f01", "1f1f1f1f1f1f1f1f1f1f1f02",
                                "1f1f1f1f1f1f1f1f1f1f1f03", "5c5c5c5c5c5c5c5c5c5c5c01",
                                "7e7e7e7e7e7e7e7e7e7e7e01", "d1d1d1d1d1d1d1d1d1d1d101",
                                "0c0c0c0c0c0c0c0c0c0c0c01"};
    for (int i = 0; i < 7; i++)
        assert_true(wait_done(ids[i], NULL, i >= 3, 30000));
    /* Harbor's unique job freed the lock Harbor took for it (any launch may take it now) */
    assert_int_equal(int_of("EXISTS %s", UNIQUE_KEY), 0);
    for (int i = 1; i <= 3; i++) {
        char body[32];
        snprintf(body, sizeof body, "{\"n\":%d}", i);
        assert_true(body_seen(body));   /* the WEBHOOK jobs did their work */
    }
    /* A: the queued and the in-progress executions, Harbor's planned ones, then Berth's */
    char eid[64];
    long long last_a = t0 + 16, last_b = t0 + 14;
    for (long long t = tc; t <= last_a; t += 2) {
        if ((t > tc && t < tq) || (t > tq && t <= t0))
            continue;   /* ran under Harbor */
        snprintf(eid, sizeof eid, POL_A "@%lld", t);
        assert_true(wait_done(eid, POL_A, true, due_in_ms(t) + 15000));
    }
    for (long long t = t0 + 6; t <= last_b; t++) {
        snprintf(eid, sizeof eid, POL_B "@%lld", t);
        assert_true(wait_done(eid, POL_B, true, due_in_ms(t) + 15000));
    }
    /* nothing Harbor ran ran again; no fire off the cron */
    snprintf(eid, sizeof eid, POL_A "@%lld", tc - 2);
    assert_int_equal(hooks_of(eid, POL_A).running, 0);
    snprintf(eid, sizeof eid, POL_A "@%lld", (t0 + 5) | 1);
    assert_int_equal(int_of("EXISTS " NS "job_stats:%s", eid), 0);
    assert_true(int_of("GET " NS "last_periodic_enqueue_h") >= t0);
    char st[32];
    assert_string_equal(str_of(st, sizeof st, "HGET " NS "job_stats:" POL_A " status"), "Scheduled");

    /* the dead pools are gone as gocraft's reaper leaves them */
    assert_int_equal(int_of("SISMEMBER " NS "worker_pools " DEAD_POOL), 0);
    assert_int_equal(int_of("EXISTS " NS "worker_pools:" DEAD_POOL), 0);
    assert_int_equal(int_of("EXISTS " NS "jobs:SCHEDULER:" DEAD_POOL ":inprogress"), 0);
    assert_int_equal(int_of("EXISTS " NS "jobs:WEBHOOK:" GONE_POOL ":inprogress"), 0);
    assert_int_equal(int_of("HEXISTS " NS "jobs:SCHEDULER:lock_info " DEAD_POOL), 0);
    assert_int_equal(int_of("HEXISTS " NS "jobs:WEBHOOK:lock_info " GONE_POOL), 0);
    cluster_stop(&cl, 0);
    assert_int_equal(int_of("GET " NS "jobs:SCHEDULER:lock"), 0);   /* nothing leaked */
    assert_int_equal(int_of("GET " NS "jobs:WEBHOOK:lock"), 0);
}

#define POL_E1 "0e0e0e0e0e0e0e0e0e0e0e01"
#define POL_E2 "0e0e0e0e0e0e0e0e0e0e0e02"

/* Members of {ns}:scheduled at score t whose job id is pid: more than one means the fire
 * would run twice. */
static int scheduled_for(const char *pid, long long t)
{
    redisReply *r = redisCommand(rc, "ZRANGEBYSCORE " NS "scheduled %lld %lld", t, t);
    int n = 0;
    char needle[48];
    snprintf(needle, sizeof needle, "\"id\":\"%s\"", pid);
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        n += strstr(r->element[i]->str, needle) != NULL;
    freeReplyObject(r);
    return n;
}

/* Policies written the Harbor way while two berthd nodes run: E1 with no fire planned
 * (picked up within one planning window), E2 planned by a Harbor node that keeps planning
 * (a rolling upgrade): one scheduled entry and one run per fire across all three nodes. */
static void test_policies_added_while_running(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    start_berthd(2, 4);   /* both nodes adopt the policies at once */
    long long a0 = now_s();
    harbor_policy(POL_E1, "SCHEDULER", "* * * * * *", NULL, a0 + 3, a0);
    harbor_policy(POL_E2, "SCHEDULER", "*/2 * * * * *", "{\"k\":1.5}", a0 + 7, a0);
    long long end = a0 + 14;
    int dups = 0;
    while (now_s() < end) {   /* the Harbor node: plans (now, now + 6] again and again */
        long long now = now_s();
        for (long long t = now + 2 + (now & 1); t <= now + 6; t += 2)   /* not due yet */
            harbor_plan(POL_E2, "SCHEDULER", "*/2 * * * * *", "{\"k\":1.5}", t, now);
        for (long long t = now; t <= now + 12; t++)
            dups += scheduled_for(POL_E2, t) > 1;
        wait_sleep_ms(300);   /* paces the Harbor node's rounds */
    }
    assert_int_equal(dups, 0);
    char eid[64];
    for (long long t = a0 + 2 + (a0 & 1); t <= end - 2; t += 2) {
        snprintf(eid, sizeof eid, POL_E2 "@%lld", t);
        assert_true(wait_done(eid, POL_E2, true, due_in_ms(t) + 10000));
    }
    redisReply *first = redisCommand(rc, "ZRANGE " NS "executions:" POL_E1 " 0 0");
    if (first && first->type == REDIS_REPLY_ARRAY && first->elements == 1)
        fprintf(stderr, "adoption: E1 written at %lld, its first execution %s (+%lld s)\n", a0,
                first->element[0]->str,
                strtoll(strchr(first->element[0]->str, '@') + 1, NULL, 10) - a0);
    freeReplyObject(first);
    for (long long t = a0 + 4; t <= end; t++) {   /* from 4 s after it was written */
        snprintf(eid, sizeof eid, POL_E1 "@%lld", t);
        assert_true(wait_done(eid, POL_E1, true, due_in_ms(t) + 10000));
    }
    cluster_stop(&cl, 0);
}

typedef struct observed {
    char key[96], job_id[64], args[128];
} observed;

/* A worker observation of a CHAOS run, found through the pools' worker_ids as core does. */
static bool find_observation(void *arg)
{
    observed *o = arg;
    redisReply *pools = redisCommand(rc, "SMEMBERS " NS "worker_pools");
    for (size_t p = 0; pools && p < pools->elements && !*o->job_id; p++) {
        char wids[256];
        str_of(wids, sizeof wids, "HGET " NS "worker_pools:%s worker_ids", pools->element[p]->str);
        for (char *w = wids; *w && !*o->job_id;) {
            size_t len = strcspn(w, ",");
            snprintf(o->key, sizeof o->key, NS "worker:%.*s", (int)len, w);
            w += len + (w[len] == ',');
            char name[32];
            if (strcmp(str_of(name, sizeof name, "HGET %s job_name", o->key), "CHAOS") == 0) {
                str_of(o->job_id, sizeof o->job_id, "HGET %s job_id", o->key);
                str_of(o->args, sizeof o->args, "HGET %s args", o->key);
            }
        }
    }
    freeReplyObject(pools);
    return *o->job_id != 0;
}

static bool stopped_pred(void *arg)
{
    return is_status(arg, "Stopped");
}

/* Item 6: a periodic execution's worker observation is gocraft's (job_id = the policy id,
 * args = the queued args as Go writes them, expiring after MAX_JOB_DURATION_SECONDS), so
 * Harbor core's "stop all running" (POST /api/v1/jobs/<job_id of every worker> stop) finds
 * and stops it. */
static void test_worker_observation_as_gocraft(void **state)
{
    (void)state;
    redis_fixture_flush(&rf);
    setenv("MAX_JOB_DURATION_SECONDS", "3600", 1);
    start_berthd(1, 2);
    unsetenv("MAX_JOB_DURATION_SECONDS");
    hc cli;
    hc_init(&cli, cl.nodes[0].port);
    char pid[40];
    assert_int_equal(cluster_post_job(&cli, "{\"job\":{\"name\":\"CHAOS\",\"parameters\":"
                     "{\"ms\":20000},\"metadata\":{\"kind\":\"Periodic\",\"cron_spec\":"
                     "\"* * * * * *\"}}}", pid, sizeof pid), 202);
    observed o = {0};
    wait_until(find_observation, &o, 15000);
    const char *wkey = o.key, *jid = o.job_id, *args = o.args;
    assert_string_equal(jid, pid);
    long long t = 0;
    char want[128];
    assert_int_equal(sscanf(args, "{\"_job_kind_periodic_\":\"%lld\"", &t), 1);
    snprintf(want, sizeof want, "{\"_job_kind_periodic_\":\"%lld\",\"ms\":20000}", t);
    assert_string_equal(args, want);
    long long ttl = int_of("TTL %s", wkey);
    assert_true(ttl > 3500 && ttl <= 3600);
    /* Berth's own pool list names the execution, so its dashboard stops only that run */
    char exec_id[96];
    snprintf(exec_id, sizeof exec_id, "\"job_id\":\"%s@%lld\"", pid, t);
    hc_resp pools;
    hc_get(&cli, "/api/v1/pools", CLUSTER_AUTH, &pools);
    assert_int_equal(pools.status, 200);
    assert_non_null(strstr(pools.body, exec_id));
    hc_resp_free(&pools);
    /* Harbor core's stop of the worker's job: the task whose job_id is the worker's */
    char path[96], eid[64];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", jid);
    hc_resp r;
    hc_post(&cli, path, CLUSTER_AUTH, "{\"action\":\"stop\"}", &r);
    assert_int_equal(r.status, 204);
    hc_resp_free(&r);
    snprintf(eid, sizeof eid, "%s@%lld", pid, t);
    assert_true(wait_until(stopped_pred, eid, 3000));
    hc_cleanup(&cli);
    cluster_stop(&cl, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_takeover_runs_everything),
        cmocka_unit_test(test_policies_added_while_running),
        cmocka_unit_test(test_worker_observation_as_gocraft),
    };
    return cmocka_run_group_tests(tests, up, down);
}
