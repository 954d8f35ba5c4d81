/* Harbor's database jobs through a real berthd process (label db): the daemon binary started
 * as an operator would (tests/support/cluster.c: its own config file, embedded Redis, FILE
 * job logs), pointed at a real PostgreSQL 15 (tests/support/pg_fixture) the two ways an
 * operator can without Harbor core: the POSTGRESQL_* environment, and `berth.database` in
 * the YAML file (with the environment overriding it). Jobs are launched over HTTP with
 * Harbor-Secret and core's request shapes (spec harbor-jobs §12–13), with a status hook to
 * a real receiver (tests/support/hook_receiver); the rows, the job log and the hooks are
 * checked afterwards.
 *
 * The in-process API tests (test_db_jobs.c) cover each job's behaviour; this file covers
 * what only the daemon does: reading the database settings from its config and
 * environment, registering the jobs, and a job that failed while the database was down
 * being retried after it is back (AUDIT_LOGS_GDPR_COMPLIANT: MaxFails 3, ShouldRetry). */
#include "test.h"

#include <jansson.h>

#include "cluster.h"
#include "hook_receiver.h"
#include "http_client.h"
#include "pg_fixture.h"
#include "wait.h"

static pg_fixture pg;
static hook_receiver *hooks;

static int setup(void **state)
{
    (void)state;
    hooks = hr_start();
    return hooks && pgfx_start(&pg) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    hr_stop(hooks);
    pgfx_stop(&pg);
    return 0;
}

static void sql(const char *text)
{
    assert_int_equal(pgfx_sql(&pg, text, NULL, 0), 0);
}

static void seed_audit(void)
{
    pgfx_truncate(&pg);
    sql("INSERT INTO audit_log (project_id, operation, resource_type, resource, username, op_time)"
        " VALUES (1, 'pull', 'artifact', 'library/a:1', 'alice', now() - interval '200 hours'),"
        " (1, 'pull', 'artifact', 'library/a:2', 'bob', now() - interval '1 hour')");
    sql("INSERT INTO audit_log_ext (project_id, operation, resource_type, resource, username,"
        " op_time) VALUES"
        " (1, 'create', 'artifact', 'library/a:1', 'alice', now() - interval '200 hours'),"
        " (1, 'pull', 'artifact', 'library/a:1', 'alice', now() - interval '200 hours'),"
        " (1, 'create', 'artifact', 'library/a:9', 'bob', now() - interval '2 hours')");
}

/* ---- one berthd per test ------------------------------------------------------------- */

typedef struct node {
    cluster cl;
    char env[6][160];
    const char *envp[7];
} node;

/* Starts berthd with the environment entries given (NULL-terminated) and, when yaml is set,
 * those lines under `berth:`. */
static void node_start(node *n, const char *const *env, const char *yaml)
{
    memset(n, 0, sizeof *n);
    int k = 0;
    for (; env && env[k] && k < 6; k++) {
        snprintf(n->env[k], sizeof n->env[k], "%s", env[k]);
        n->envp[k] = n->env[k];
    }
    n->envp[k] = NULL;
    cluster_opts o = {.nodes = 1, .workers = 2, .lease_seconds = 10, .file_job_logs = 1,
                      .extra_berth = yaml, .env = n->envp};
    assert_int_equal(cluster_init(&n->cl, &o), 0);
    assert_int_equal(cluster_start(&n->cl, 0), 0);
}

static hc_resp api(node *n, const char *method, const char *path, const char *body)
{
    hc_resp r = cluster_api(&n->cl, 0, method, path, body);
    assert_int_not_equal(r.status, 0);
    return r;
}

/* POST /api/v1/jobs as core does (Generic, not unique, a status hook); returns the id. */
static void launch(node *n, const char *name, const char *params, char *id, size_t idlen)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"job\":{\"name\":\"%s\",\"parameters\":%s,\"metadata\":{\"kind\":\"Generic\","
             "\"unique\":false},\"status_hook\":\"http://127.0.0.1:%d/service/notifications/"
             "tasks/1\"}}", name, params, hr_port(hooks));
    hc_resp r = api(n, "POST", "/api/v1/jobs", body);
    if (r.status != 202)
        fprintf(stderr, "launch %s: %ld %s\n", name, r.status, r.body ? r.body : "");
    assert_int_equal(r.status, 202);
    json_t *o = json_loads(r.body, 0, NULL);
    const char *got = json_string_value(json_object_get(json_object_get(o, "job"), "id"));
    assert_non_null(got);
    snprintf(id, idlen, "%s", got);
    json_decref(o);
    hc_resp_free(&r);
}

static void wait_status(node *n, const char *id, const char *want, int ms)
{
    char got[32];
    if (!cluster_wait_status(&n->cl, 0, id, want, ms, got, sizeof got))
        fail_msg("job %s is %s, expected %s", id, got, want);
}

static void expect_log(node *n, const char *id, const char *line)
{
    char *log = cluster_job_log(&n->cl, 0, id);
    if (!strstr(log, line))
        fail_msg("log of %s has no \"%s\":\n%s", id, line, log);
    free(log);
}

/* The statuses of the hooks delivered so far for id, in arrival order, joined by ','. */
static void hook_statuses(const char *id, char *out, size_t outlen)
{
    char *bodies[64];
    size_t n = hr_delivered(hooks, bodies, 64);
    out[0] = '\0';
    for (size_t i = 0; i < n && i < 64; i++) {
        json_t *o = json_loads(bodies[i], 0, NULL);
        const char *jid = json_string_value(json_object_get(o, "job_id"));
        const char *st = json_string_value(json_object_get(o, "status"));
        if (jid && st && strcmp(jid, id) == 0) {
            size_t len = strlen(out);
            snprintf(out + len, outlen - len, "%s%s", len ? "," : "", st);
        }
        json_decref(o);
        free(bodies[i]);
    }
}

typedef struct hooks_wait {
    const char *id, *want;
    char got[256];
} hooks_wait;

static bool hooks_are(void *arg)
{
    hooks_wait *w = arg;
    hook_statuses(w->id, w->got, sizeof w->got);
    return strcmp(w->got, w->want) == 0;
}

static void expect_hooks(const char *id, const char *want)
{
    hooks_wait w = {.id = id, .want = want};
    if (!wait_until(hooks_are, &w, 10000))
        fail_msg("hooks of %s: \"%s\", expected \"%s\"", id, w.got, want);
}

static void pg_env(char (*env)[160], const char *password)
{
    snprintf(env[0], 160, "POSTGRESQL_HOST=127.0.0.1");
    snprintf(env[1], 160, "POSTGRESQL_PORT=%d", pg.port);
    snprintf(env[2], 160, "POSTGRESQL_USERNAME=" PG_USER);
    snprintf(env[3], 160, "POSTGRESQL_PASSWORD=%s", password);
    snprintf(env[4], 160, "POSTGRESQL_DATABASE=" PG_DB);
}

/* ---- the tests ---------------------------------------------------------------------- */

/* POSTGRESQL_* only: the purge deletes the old rows, logs as Harbor's and hooks
 * Running then Success. */
static void test_env_settings(void **state)
{
    (void)state;
    seed_audit();
    char env[5][160];
    pg_env(env, PG_PASS);
    const char *e[] = {env[0], env[1], env[2], env[3], env[4], NULL};
    node n;
    node_start(&n, e, NULL);
    char id[40];
    launch(&n, "PURGE_AUDIT_LOG", "{\"audit_retention_hour\":168,\"dry_run\":false,"
           "\"include_event_types\":\"create_artifact,pull_artifact,pull\"}", id, sizeof id);
    wait_status(&n, id, "Success", 20000);
    expect_log(&n, id, "Purged 1 rows of audit logs");
    expect_log(&n, id, "Purged 2 rows of audit log exts");
    expect_hooks(id, "Running,Success");
    cluster_stop(&n.cl, 0);
    assert_int_equal(pgfx_int(&pg, "SELECT count(*) FROM audit_log"), 1);
    assert_int_equal(pgfx_int(&pg, "SELECT count(*) FROM audit_log_ext"), 1);
}

/* berth.database in the YAML file, its wrong password overridden by POSTGRESQL_PASSWORD
 * (the environment wins, as docs/config.md says); the password is never in the log. */
static void test_yaml_settings_env_overrides(void **state)
{
    (void)state;
    seed_audit();
    char yaml[512], pw[160];
    snprintf(yaml, sizeof yaml,
             "  database:\n    host: 127.0.0.1\n    port: %d\n    username: " PG_USER "\n"
             "    password: not-the-password\n    database: " PG_DB "\n", pg.port);
    snprintf(pw, sizeof pw, "POSTGRESQL_PASSWORD=" PG_PASS);
    const char *e[] = {pw, NULL};
    node n;
    node_start(&n, e, yaml);
    char id[40];
    launch(&n, "AUDIT_LOGS_GDPR_COMPLIANT", "{\"username\":\"alice\"}", id, sizeof id);
    wait_status(&n, id, "Success", 20000);
    expect_log(&n, id, "Masking log entries for a user: alice");
    assert_int_equal(cluster_log_count(&n.cl, 0, PG_PASS), 0);
    cluster_stop(&n.cl, 0);
    /* crc32("alice") = 278ebc47 */
    assert_int_equal(pgfx_int(&pg, "SELECT count(*) FROM audit_log WHERE username = 'alice'"), 0);
    assert_int_equal(pgfx_int(&pg, "SELECT count(*) FROM audit_log_ext WHERE username = "
                                   "'278ebc47'"), 2);
}

/* The database is down when the job runs: it fails with the reason in its log and
 * nothing changed; the database comes back; the retry (MaxFails 3) masks the rows. */
static void test_retry_after_database_outage(void **state)
{
    (void)state;
    seed_audit();
    char env[6][160];
    pg_env(env, PG_PASS);
    snprintf(env[5], 160, "BERTH_RETRY_BACKOFF_SCALE=0.05");   /* retry within ~1–4 s */
    const char *e[] = {env[0], env[1], env[2], env[3], env[4], env[5], NULL};
    node n;
    node_start(&n, e, NULL);
    pgfx_halt(&pg);
    char id[40];
    launch(&n, "AUDIT_LOGS_GDPR_COMPLIANT", "{\"username\":\"alice\"}", id, sizeof id);
    wait_status(&n, id, "Error", 20000);
    expect_log(&n, id, "failed to connect to the database");
    assert_int_equal(pgfx_resume(&pg), 0);
    assert_int_equal(pgfx_int(&pg, "SELECT count(*) FROM audit_log WHERE username = 'alice'"), 1);
    wait_status(&n, id, "Success", 30000);
    expect_hooks(id, "Running,Error,Running,Success");
    cluster_stop(&n.cl, 0);
    assert_int_equal(pgfx_int(&pg, "SELECT count(*) FROM audit_log WHERE username = 'alice'"), 0);
}

/* Without any database setting (no host, no CORE_URL) the jobs still launch and fail with
 * a reason an operator can act on, and berthd goes on serving. */
static void test_no_settings(void **state)
{
    (void)state;
    node n;
    node_start(&n, NULL, NULL);
    char id[40];
    launch(&n, "PURGE_AUDIT_LOG", "{\"audit_retention_hour\":168,\"dry_run\":true,"
           "\"include_event_types\":\"pull\"}", id, sizeof id);
    wait_status(&n, id, "Error", 20000);
    expect_log(&n, id, "no database settings: neither CORE_URL nor berth.database is set");
    hc_resp r = api(&n, "GET", "/api/v1/stats", NULL);
    assert_int_equal(r.status, 200);
    hc_resp_free(&r);
    cluster_stop(&n.cl, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_settings),
        cmocka_unit_test(test_yaml_settings_env_overrides),
        cmocka_unit_test(test_retry_after_database_outage),
        cmocka_unit_test(test_no_settings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
