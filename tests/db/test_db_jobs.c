/* Harbor's database jobs through berthd's API (spec harbor-jobs §12–15): PURGE_AUDIT_LOG,
 * AUDIT_LOGS_GDPR_COMPLIANT, EXECUTION_SWEEP and SYSTEM_ARTIFACT_CLEANUP launched with
 * the request shapes Harbor core sends, against a real PostgreSQL 15 (tests/support/
 * pg_fixture, Harbor's tables) and, for system artifacts, a real docker-registry with
 * htpasswd auth (tests/support/registry_fixture). Rows are seeded, the job runs, the rows
 * (and blobs) are checked afterwards, with the log lines Harbor writes.
 *
 * Harbor core itself cannot run here: it is a FAKE of Harbor core (tests/support/http_fake,
 * real HTTP on loopback) that answers GET /api/v2.0/internalconfig — the way Harbor's job
 * service finds the database — with core's reply shape, checks the Harbor-Secret header,
 * and takes the status hooks at /service/notifications/tasks/<id>.
 *
 * Faults, each an Error with its reason in the job log and nothing half-written: the
 * database down at start and in the middle of a job (the fixture's server is stopped), a
 * wrong password (never shown), a missing table (the first table's deletion rolled back). */
#include "test.h"

#include <jansson.h>
#include <pthread.h>

#include "api_fixture.h"
#include "berth/jobs.h"
#include "engine_fixture.h"
#include "http_fake.h"
#include "pg_fixture.h"
#include "registry_fixture.h"
#include "wait.h"

#define SECRET "js-secret-for-db-tests"

static pg_fixture pg;
static http_fake *core;
static berth_jobs_db *dbj;
static pthread_mutex_t core_mu = PTHREAD_MUTEX_INITIALIZER;
static const char *core_password = PG_PASS;   /* what the fake core hands out */
static bool core_read_only;                    /* Harbor's read_only setting */
static char core_url[64];

/* ---- the fake of Harbor core -------------------------------------------------------- */

static void fake_core(const hf_req *req, hf_reply *out, void *ud)
{
    (void)ud;
    char auth[128];
    out->content_type = "application/json";
    if (strncmp(req->target, "/service/notifications/tasks/", 29) == 0)
        return;   /* status hooks: 200 */
    if (strcmp(req->target, "/api/v2.0/internalconfig") != 0 ||
        !hf_header(req, "Authorization", auth, sizeof auth) ||
        strcmp(auth, "Harbor-Secret " SECRET) != 0) {
        out->status = 401;
        return;
    }
    pthread_mutex_lock(&core_mu);
    snprintf(out->body, sizeof out->body,
             "{\"database_type\":{\"value\":\"postgresql\",\"editable\":false},"
             "\"postgresql_host\":{\"value\":\"127.0.0.1\",\"editable\":false},"
             "\"postgresql_port\":{\"value\":%d,\"editable\":false},"
             "\"postgresql_username\":{\"value\":\"postgres\",\"editable\":false},"
             "\"postgresql_password\":{\"value\":\"%s\",\"editable\":false},"
             "\"postgresql_database\":{\"value\":\"registry\",\"editable\":false},"
             "\"postgresql_sslmode\":{\"value\":\"disable\",\"editable\":false},"
             "\"postgresql_max_idle_conns\":{\"value\":2,\"editable\":false},"
             "\"postgresql_max_open_conns\":{\"value\":0,\"editable\":false},"
             "\"read_only\":{\"value\":%s,\"editable\":true}}", pg.port, core_password,
             core_read_only ? "true" : "false");
    pthread_mutex_unlock(&core_mu);
}

static void set_core_password(const char *pw)
{
    pthread_mutex_lock(&core_mu);
    core_password = pw;
    pthread_mutex_unlock(&core_mu);
}

static void set_core_read_only(bool on)
{
    pthread_mutex_lock(&core_mu);
    core_read_only = on;
    pthread_mutex_unlock(&core_mu);
}

static int reg(berth_engine *e)
{
    berth_jobs_db_config c = {.core_url = core_url, .core_secret = SECRET};
    char err[256];
    if (berth_jobs_db_new(&c, &dbj, err, sizeof err) != 0)
        return -1;
    return berth_jobs_register_db(e, dbj);
}

static int setup(void **state)
{
    if (pgfx_start(&pg) != 0)
        return -1;
    core = hf_start(NULL, NULL, fake_core, NULL);
    if (!core)
        return -1;
    snprintf(core_url, sizeof core_url, "http://127.0.0.1:%d", hf_port(core));
    api_fixture_extra_jobs = reg;
    return api_fixture_setup(state);
}

static int teardown(void **state)
{
    int rc = api_fixture_teardown(state);
    berth_jobs_db_free(dbj);
    hf_stop(core);
    pgfx_stop(&pg);
    return rc;
}

/* ---- helpers ------------------------------------------------------------------------- */

static void sql(const char *text)
{
    assert_int_equal(pgfx_sql(&pg, text, NULL, 0), 0);
}

static long long count(const char *text)
{
    return pgfx_int(&pg, text);
}

/* Launches name with params the way core does (Generic, not unique, a status hook to core);
 * returns the id. */
static char *launch(const char *name, const char *params)
{
    char body[4096];
    snprintf(body, sizeof body,
             "{\"job\":{\"name\":\"%s\",\"parameters\":%s,\"metadata\":{\"kind\":\"Generic\","
             "\"unique\":false},\"status_hook\":\"%s/service/notifications/tasks/7\"}}",
             name, params, core_url);
    return af_launch(body);
}

static char *run(const char *name, const char *params, const char *want)
{
    char *id = launch(name, params);
    if (!engine_fixture_wait_status(af.eng, id, want, 30000)) {
        char *log = af_job_log(id);
        fail_msg("%s did not end %s; log:\n%s", name, want, log);
    }
    return id;
}

static void seed_audit(void)
{
    pgfx_truncate(&pg);
    sql("INSERT INTO audit_log (project_id, operation, resource_type, resource, username, op_time)"
        " VALUES (1, 'pull', 'artifact', 'library/a:1', 'alice', now() - interval '200 hours'),"
        " (1, 'create', 'artifact', 'library/a:2', 'alice', now() - interval '200 hours'),"
        " (1, 'Delete', 'artifact', 'library/a:3', 'bob', now() - interval '300 hours'),"
        " (1, 'update', 'artifact', 'library/a:4', 'bob', now() - interval '300 hours'),"
        " (1, 'pull', 'artifact', 'library/a:5', 'alice', now() - interval '1 hour')");
    sql("INSERT INTO audit_log_ext (project_id, operation, resource_type, resource, username,"
        " op_time) VALUES"
        " (1, 'create', 'artifact', 'library/a:1', 'alice', now() - interval '200 hours'),"
        " (1, 'pull', 'artifact', 'library/a:1', 'alice', now() - interval '200 hours'),"
        " (1, 'login', 'user', 'alice', 'alice', now() - interval '200 hours'),"
        " (1, 'create', 'project', 'p1', 'bob', now() - interval '200 hours'),"
        " (1, 'create', 'artifact', 'library/a:9', 'bob', now() - interval '2 hours')");
}

/* ---- PURGE_AUDIT_LOG ----------------------------------------------------------------- */

#define CORE_PURGE(dry) "{\"audit_retention_hour\":168,\"dry_run\":" dry ",\"include_event_types\":" \
    "\"create_artifact,delete_artifact,pull_artifact,other\"}"

static void test_purge_dry_run_then_real(void **state)
{
    (void)state;
    seed_audit();
    char *id = run("PURGE_AUDIT_LOG", CORE_PURGE("true"), "Success");
    af_expect_log(id, "Purge audit job start");
    af_expect_log(id, "job parameters map[audit_retention_hour:168 dry_run:true "
                      "include_event_types:create_artifact,delete_artifact,pull_artifact,other]");
    af_expect_log(id, "Purge operation parameter, retention_hour:168, include_event_types:"
                      "[create_artifact delete_artifact pull_artifact other], dry_run:true");
    af_expect_log(id, "[DRYRUN]Purged 0 rows of audit logs");
    af_expect_log(id, "[DRYRUN]Purged 4 rows of audit log exts");
    assert_int_equal(count("SELECT count(*) FROM audit_log_ext"), 5);   /* nothing deleted */
    free(id);
    id = run("PURGE_AUDIT_LOG", CORE_PURGE("false"), "Success");
    af_expect_log(id, "Purged 0 rows of audit logs");
    af_expect_log(id, "Purged 4 rows of audit log exts");
    assert_int_equal(count("SELECT count(*) FROM audit_log_ext"), 1);   /* the recent one */
    assert_int_equal(count("SELECT count(*) FROM audit_log"), 5);       /* no legacy event */
    free(id);
    /* the legacy names: pull, create, delete (case-insensitive); update never */
    id = run("PURGE_AUDIT_LOG", "{\"audit_retention_hour\":168,\"dry_run\":false,"
             "\"include_event_types\":\"PULL,create,delete,update\"}", "Success");
    af_expect_log(id, "Purged 3 rows of audit logs");
    af_expect_log(id, "Purged 0 rows of audit log exts");
    assert_int_equal(count("SELECT count(*) FROM audit_log"), 2);   /* update + recent pull */
    free(id);
}

static void test_purge_nothing_to_do(void **state)
{
    (void)state;
    seed_audit();
    char *id = run("PURGE_AUDIT_LOG", "{\"audit_retention_hour\":0,\"dry_run\":false,"
                   "\"include_event_types\":\"other\"}", "Success");
    af_expect_log(id, "quit purge job, retentionHour:0 ");
    free(id);
    id = run("PURGE_AUDIT_LOG", "{\"include_event_types\":\"other\"}", "Success");
    af_expect_log(id, "quit purge job, retentionHour:0 ");   /* absent: nothing else read */
    free(id);
    /* mixed case in an audit_log_ext entry passes Harbor's check but matches nothing */
    id = run("PURGE_AUDIT_LOG", "{\"audit_retention_hour\":1,\"dry_run\":false,"
             "\"include_event_types\":\"Create_Artifact\"}", "Success");
    af_expect_log(id, "Purged 0 rows of audit log exts");
    free(id);
    assert_int_equal(count("SELECT count(*) FROM audit_log") +
                     count("SELECT count(*) FROM audit_log_ext"), 10);
}

/* ---- AUDIT_LOGS_GDPR_COMPLIANT ------------------------------------------------------- */

static void test_gdpr_masks_both_tables(void **state)
{
    (void)state;
    seed_audit();
    char *id = run("AUDIT_LOGS_GDPR_COMPLIANT", "{\"username\":\"alice\"}", "Success");
    af_expect_log(id, "GDPR audit logs data masking job started");
    af_expect_log(id, "Masking log entries for a user: alice");
    free(id);
    /* crc32("alice") = 278ebc47 (Go: fmt.Sprintf("%08x", crc32.ChecksumIEEE)) */
    assert_int_equal(count("SELECT count(*) FROM audit_log WHERE username = 'alice'"), 0);
    assert_int_equal(count("SELECT count(*) FROM audit_log WHERE username = '278ebc47'"), 3);
    assert_int_equal(count("SELECT count(*) FROM audit_log_ext WHERE username = '278ebc47'"), 3);
    assert_int_equal(count("SELECT count(*) FROM audit_log WHERE username = 'bob'"), 2);
    assert_int_equal(count("SELECT count(*) FROM audit_log_ext WHERE username = 'bob'"), 2);
}

static void test_gdpr_validation(void **state)
{
    (void)state;
    const char *bad[][2] = {
        {"{}", "param username not found"},
        {"{\"username\":7}", "the value of username isn't string"},
    };
    for (size_t i = 0; i < 2; i++) {
        char body[512];
        snprintf(body, sizeof body, "{\"job\":{\"name\":\"AUDIT_LOGS_GDPR_COMPLIANT\","
                 "\"parameters\":%s,\"metadata\":{\"kind\":\"Generic\"}}}", bad[i][0]);
        hc_resp r = af_post("/api/v1/jobs", body);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.body, bad[i][1]));
        hc_resp_free(&r);
    }
    hc_resp r = af_post("/api/v1/jobs", "{\"job\":{\"name\":\"AUDIT_LOGS_GDPR_COMPLIANT\","
                        "\"metadata\":{\"kind\":\"Generic\"}}}");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "missing job parameters"));
    hc_resp_free(&r);
}

/* ---- EXECUTION_SWEEP ----------------------------------------------------------------- */

/* n executions of (vendor, vid), the i-th started i hours after a base, status st, each
 * with one task of status_code code. */
static void seed_execs(const char *vendor, int vid, int n, const char *st, int code, int base_h)
{
    char q[1024];
    snprintf(q, sizeof q,
             "WITH e AS (INSERT INTO execution (vendor_type, vendor_id, status, trigger, start_time)"
             " SELECT '%s', %d, '%s', 'MANUAL', now() - make_interval(hours => %d - g)"
             " FROM generate_series(1, %d) g RETURNING id)"
             " INSERT INTO task (execution_id, status, status_code, vendor_type)"
             " SELECT id, CASE WHEN %d = 3 THEN '%s' ELSE 'Running' END, %d, '%s' FROM e",
             vendor, vid, st, base_h, n, code, st, code, vendor);
    sql(q);
}

static void test_sweep_retains_and_settles(void **state)
{
    (void)state;
    pgfx_truncate(&pg);
    seed_execs("REPLICATION", 1, 5, "Success", 3, 100);     /* 5 old: keep 2, delete 3 */
    seed_execs("REPLICATION", 2, 2, "Error", 3, 100);       /* only 2: nothing */
    seed_execs("REPLICATION", 1, 1, "Stopped", 2, 500);     /* oldest, a task not final */
    seed_execs("WEBHOOK", 3, 4, "Success", 3, 50);          /* keep 1, delete 3 */
    /* dangling: Running since 200 h, its only task succeeded → Success */
    sql("INSERT INTO execution (id, vendor_type, vendor_id, status, trigger, start_time) VALUES"
        " (9000, 'SCAN_ALL', 0, 'Running', 'MANUAL', now() - interval '200 hours'),"
        " (9001, 'SCAN_ALL', 0, 'Running', 'MANUAL', now() - interval '20 hours')");
    sql("INSERT INTO task (execution_id, status, status_code, vendor_type) VALUES"
        " (9000, 'Success', 3, 'SCAN_ALL'), (9001, 'Success', 3, 'SCAN_ALL')");
    setenv("EXECUTION_SWEEP_BATCH_SIZE", "2", 1);   /* batches of 2 ids */
    char *id = run("EXECUTION_SWEEP", "{\"execution_retain_counts\":{\"REPLICATION\":2,"
                   "\"WEBHOOK\":1,\"IMAGE_SCAN\":1}}", "Success");
    unsetenv("EXECUTION_SWEEP_BATCH_SIZE");
    af_expect_log(id, "start to run sweep job");
    af_expect_log(id, "[REPLICATION] start to sweep, retain latest 2 executions");
    af_expect_log(id, "[REPLICATION] listed 4 candidate executions for sweep");
    af_expect_log(id, "[REPLICATION] end to sweep, 4 executions were deleted in total, elapsed time: ");
    af_expect_log(id, "[WEBHOOK] listed 3 candidate executions for sweep");
    af_expect_log(id, "[IMAGE_SCAN] listed 0 candidate executions for sweep");
    af_expect_log(id, "end to run sweep job");
    free(id);
    assert_int_equal(count("SELECT count(*) FROM execution WHERE vendor_type = 'REPLICATION' "
                           "AND vendor_id = 1"), 3);   /* 2 newest + the one with a live task */
    assert_int_equal(count("SELECT count(*) FROM execution e WHERE vendor_type = 'REPLICATION' "
                           "AND vendor_id = 1 AND status = 'Stopped'"), 1);
    assert_int_equal(count("SELECT count(*) FROM task t JOIN execution e ON e.id = t.execution_id"
                           " WHERE e.status = 'Stopped'"), 1);
    assert_int_equal(count("SELECT count(*) FROM execution WHERE vendor_id = 2"), 2);
    assert_int_equal(count("SELECT count(*) FROM execution WHERE vendor_type = 'WEBHOOK'"), 1);
    assert_int_equal(count("SELECT count(*) FROM task WHERE vendor_type = 'WEBHOOK'"), 1);
    assert_int_equal(count("SELECT count(*) FROM execution WHERE id = 9000 AND status = 'Success'"), 1);
    assert_int_equal(count("SELECT count(*) FROM execution WHERE id = 9001 AND status = 'Running'"), 1);
}

static void test_sweep_bad_params_sweeps_nothing(void **state)
{
    (void)state;
    pgfx_truncate(&pg);
    seed_execs("REPLICATION", 1, 3, "Success", 3, 10);
    char *id = run("EXECUTION_SWEEP", "{\"execution_retain_counts\":\"all\"}", "Success");
    af_expect_log(id, "failed to unmarshal params \"all\", error: json: cannot unmarshal string "
                      "into Go value of type map[string]int64");
    af_expect_log(id, "end to run sweep job");
    free(id);
    assert_int_equal(count("SELECT count(*) FROM execution"), 3);
}

/* ---- SYSTEM_ARTIFACT_CLEANUP ---------------------------------------------------------- */

static void test_system_artifact_cleanup(void **state)
{
    (void)state;
    reg_fixture rf;
    assert_int_equal(regfx_start(&rf, RF_BASIC), 0);
    setenv("REGISTRY_URL", rf.url, 1);
    setenv("REGISTRY_CREDENTIAL_USERNAME", RF_USER, 1);
    setenv("REGISTRY_CREDENTIAL_PASSWORD", RF_PASS, 1);
    char d[3][80];
    size_t sizes[3] = {1000, 2000, 3000};
    for (int i = 0; i < 3; i++) {
        char *bytes = regfx_bytes(sizes[i], (unsigned)i + 1);
        regfx_push_blob(&rf, "sys_harb0r/scan_data_export/exp", bytes, sizes[i], d[i]);
        free(bytes);
    }
    pgfx_truncate(&pg);
    char q[1024];
    snprintf(q, sizeof q, "INSERT INTO system_artifact (repository, digest, size, vendor, type, "
             "create_time) VALUES ('exp', '%s', 1000, 'scan_data_export', 'ScanData_CSV', "
             "now() - interval '25 hours'), ('exp', '%s', 2000, 'scan_data_export', "
             "'ScanData_CSV', now() - interval '48 hours'), ('exp', '%s', 3000, "
             "'scan_data_export', 'ScanData_CSV', now() - interval '1 hour')", d[0], d[1], d[2]);
    sql(q);
    char *id = run("SYSTEM_ARTIFACT_CLEANUP", "{}", "Success");
    af_expect_log(id, "Running system data artifact cleanup job...");
    af_expect_log(id, "Num System artifacts cleaned up: 2, Total space reclaimed: 3000.");
    free(id);
    char path[512];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "/v2/sys_harb0r/scan_data_export/exp/blobs/%s", d[i]);
        assert_int_equal(regfx_request(&rf, "HEAD", path, NULL, NULL, NULL, NULL),
                         i < 2 ? 404 : 200);
    }
    assert_int_equal(count("SELECT count(*) FROM system_artifact"), 1);
    /* a row whose blob is gone: the registry's 404 ends the loop, the job still succeeds */
    snprintf(q, sizeof q, "INSERT INTO system_artifact (repository, digest, size, vendor, "
             "create_time) VALUES ('exp', '%s', 1000, 'scan_data_export', now() - interval "
             "'30 hours')", d[0]);
    sql(q);
    id = run("SYSTEM_ARTIFACT_CLEANUP", "{}", "Success");
    af_expect_log(id, "Error cleaning up artifact record for vendor: scan_data_export, "
                      "repository: exp, digest: ");
    af_expect_log(id, "http status code: 404");
    af_expect_log(id, "Num System artifacts cleaned up: 0, Total space reclaimed: 0.");
    free(id);
    assert_int_equal(count("SELECT count(*) FROM system_artifact"), 2);
    /* Harbor in read-only mode: no DELETE is sent, the blob and its row stay */
    sql("DELETE FROM system_artifact WHERE create_time < now() - interval '29 hours'");
    sql("UPDATE system_artifact SET create_time = now() - interval '40 hours'");
    set_core_read_only(true);
    id = run("SYSTEM_ARTIFACT_CLEANUP", "{}", "Success");
    set_core_read_only(false);
    af_expect_log(id, "the system is in read only mode, cancel the request");
    af_expect_log(id, "Num System artifacts cleaned up: 0, Total space reclaimed: 0.");
    free(id);
    snprintf(path, sizeof path, "/v2/sys_harb0r/scan_data_export/exp/blobs/%s", d[2]);
    assert_int_equal(regfx_request(&rf, "HEAD", path, NULL, NULL, NULL, NULL), 200);
    assert_int_equal(count("SELECT count(*) FROM system_artifact"), 1);
    regfx_stop(&rf);
    unsetenv("REGISTRY_URL");
}

/* ---- faults -------------------------------------------------------------------------- */

static void test_wrong_password(void **state)
{
    (void)state;
    seed_audit();
    set_core_password("Wrong-Pw-55aa");
    char *id = run("PURGE_AUDIT_LOG", CORE_PURGE("false"), "Error");
    af_expect_log(id, "failed to purge audit log, error: failed to connect to the database "
                      "postgres@127.0.0.1");
    af_expect_log(id, "password authentication failed for user \"postgres\"");
    assert_int_equal(af_count_in_log(id, "Wrong-Pw-55aa"), 0);
    assert_int_equal(af_count_in_log(id, PG_PASS), 0);
    free(id);
    set_core_password(PG_PASS);   /* picked up at the next run, no restart */
    id = run("PURGE_AUDIT_LOG", CORE_PURGE("false"), "Success");
    af_expect_log(id, "Purged 4 rows of audit log exts");
    free(id);
}

static void test_missing_table_rolls_back(void **state)
{
    (void)state;
    seed_audit();
    sql("ALTER TABLE audit_log_ext RENAME TO audit_log_ext_away");
    char *id = run("PURGE_AUDIT_LOG", "{\"audit_retention_hour\":168,\"dry_run\":false,"
                   "\"include_event_types\":\"pull,create,other\"}", "Error");
    af_expect_log(id, "failed to purge audit log ext, error: ERROR: relation \"audit_log_ext\" "
                      "does not exist (SQLSTATE 42P01)");
    free(id);
    sql("ALTER TABLE audit_log_ext_away RENAME TO audit_log_ext");
    assert_int_equal(count("SELECT count(*) FROM audit_log"), 5);   /* rolled back */
}

static void test_database_down_at_start(void **state)
{
    (void)state;
    seed_audit();
    pgfx_halt(&pg);
    char *id = run("PURGE_AUDIT_LOG", CORE_PURGE("false"), "Error");
    af_expect_log(id, "failed to purge audit log, error: failed to connect to the database");
    af_expect_log(id, "refused");
    free(id);
    id = run("EXECUTION_SWEEP", "{\"execution_retain_counts\":{\"WEBHOOK\":1}}", "Error");
    af_expect_log(id, "failed to fix dangling state executions, error: failed to connect");
    af_expect_log(id, "[WEBHOOK] failed to run sweep, error: failed to connect");
    free(id);
    /* Harbor's cleanup never fails: the reason is logged and the job ends Success */
    id = run("SYSTEM_ARTIFACT_CLEANUP", "{}", "Success");
    af_expect_log(id, "Error when cleaning up system artifacts for 'vendor:artifactType':"
                      "DefaultCriteria, failed to connect to the database");
    af_expect_log(id, "Num System artifacts cleaned up: 0, Total space reclaimed: 0.");
    free(id);
    assert_int_equal(pgfx_resume(&pg), 0);
    assert_int_equal(count("SELECT count(*) FROM audit_log_ext"), 5);
}

static bool listed_all(void *id)
{
    return af_count_in_log(id, "listed 3000 candidate") > 0;
}

static void test_database_down_mid_sweep(void **state)
{
    (void)state;
    pgfx_truncate(&pg);
    seed_execs("REPLICATION", 1, 3001, "Success", 3, 4000);   /* 3000 candidates */
    setenv("EXECUTION_SWEEP_BATCH_SIZE", "1", 1);
    char *id = launch("EXECUTION_SWEEP", "{\"execution_retain_counts\":{\"REPLICATION\":1}}");
    assert_true(wait_until(listed_all, id, 30000));
    wait_sleep_ms(200);   /* pacing, not a check: let some batches commit before the outage */
    pgfx_halt(&pg);
    assert_true(engine_fixture_wait_status(af.eng, id, "Error", 30000));
    unsetenv("EXECUTION_SWEEP_BATCH_SIZE");
    af_expect_log(id, "[REPLICATION] failed to batch clean candidates, error: ");
    af_expect_log(id, "[REPLICATION] failed to run sweep, error: ");
    assert_int_equal(af_count_in_log(id, "end to sweep"), 0);
    free(id);
    assert_int_equal(pgfx_resume(&pg), 0);
    long long left = count("SELECT count(*) FROM execution");
    assert_true(left > 1 && left < 3001);   /* it was stopped in the middle */
    /* nothing half-written: every execution left still has its task */
    assert_int_equal(count("SELECT count(*) FROM execution e WHERE NOT EXISTS "
                           "(SELECT 1 FROM task t WHERE t.execution_id = e.id)"), 0);
    assert_int_equal(count("SELECT count(*) FROM task"), left);
}

static bool saw_stop(void *id)
{
    return af_count_in_log(id, "received the stop signal, quit sweep job") > 0;
}

static void test_sweep_stop_between_batches(void **state)
{
    (void)state;
    pgfx_truncate(&pg);
    seed_execs("REPLICATION", 1, 3001, "Success", 3, 4000);
    setenv("EXECUTION_SWEEP_BATCH_SIZE", "1", 1);
    char *id = launch("EXECUTION_SWEEP", "{\"execution_retain_counts\":{\"REPLICATION\":1}}");
    assert_true(wait_until(listed_all, id, 30000));
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%s", id);
    hc_resp r = af_post(path, "{\"action\":\"stop\"}");
    assert_int_equal(r.status, 204);
    hc_resp_free(&r);
    assert_true(engine_fixture_wait_status(af.eng, id, "Stopped", 30000));
    /* the status is Stopped once the stop is recorded; the run notices it at its next batch */
    assert_true(wait_until(saw_stop, id, 30000));
    unsetenv("EXECUTION_SWEEP_BATCH_SIZE");
    assert_int_equal(af_count_in_log(id, "end to run sweep job"), 0);
    free(id);
    long long left = count("SELECT count(*) FROM execution");
    assert_true(left > 1 && left < 3001);   /* stopped between batches */
    assert_int_equal(count("SELECT count(*) FROM task"), left);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_purge_dry_run_then_real),
        cmocka_unit_test(test_purge_nothing_to_do),
        cmocka_unit_test(test_gdpr_masks_both_tables),
        cmocka_unit_test(test_gdpr_validation),
        cmocka_unit_test(test_sweep_retains_and_settles),
        cmocka_unit_test(test_sweep_bad_params_sweeps_nothing),
        cmocka_unit_test(test_system_artifact_cleanup),
        cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_missing_table_rolls_back),
        cmocka_unit_test(test_database_down_at_start),
        cmocka_unit_test(test_database_down_mid_sweep),
        cmocka_unit_test(test_sweep_stop_between_batches),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
