/* src/db against a real PostgreSQL 15 (tests/support/pg_fixture: Debian's postgresql-15 in a
 * temp dir, password auth). Checked: lazy connection, bound parameters (hostile text stays
 * data), the transaction helper (commit, and rollback leaving nothing), the reconnect after
 * the server restarts, the statement timeout, UTC sessions, sslmode honoured, the pool cap,
 * settings swapped by db_configure, every failure (server down, wrong password, missing
 * table, not configured) a clear error that never shows the password — also not in the
 * pool's log lines — and the settings read from Harbor core's /api/v2.0/internalconfig.
 * Harbor core cannot run here: its internalconfig endpoint is a fake (tests/support/
 * http_fake, real HTTP on loopback) answering core's reply shape. */
#include "test.h"

#include <pthread.h>

#include "berth/error.h"
#include "db/db.h"
#include "db/db_internal.h"
#include "http_fake.h"
#include "jobs/jobs_db.h"
#include "pg_fixture.h"
#include "util/alloc.h"

static pg_fixture pg;

/* Every line the pool logged, to check none shows a password. */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char logged[16384];

static void on_log(berth_log_level lvl, const char *file, int line, const char *msg, void *ud)
{
    (void)lvl, (void)file, (void)line, (void)ud;
    pthread_mutex_lock(&log_mu);
    size_t n = strlen(logged);
    snprintf(logged + n, sizeof logged - n, "%s\n", msg);
    pthread_mutex_unlock(&log_mu);
}

static int setup(void **state)
{
    (void)state;
    return pgfx_start(&pg);
}

static int teardown(void **state)
{
    (void)state;
    pgfx_stop(&pg);
    return 0;
}

static db_pool *pool_with(const db_settings *s)
{
    db_pool *d = NULL;
    assert_int_equal(db_new(s, on_log, NULL, &d), 0);
    return d;
}

static db_pool *pool(void)
{
    db_settings s;
    pgfx_settings(&pg, &s);
    db_pool *d = pool_with(&s);
    db_settings_clear(&s);
    return d;
}

static long long berth_sessions(void)
{
    return pgfx_int(&pg, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'berth'");
}

static void test_free_null(void **state)
{
    (void)state;
    db_free(NULL);
    db_res_free(NULL);
    db_settings_clear(NULL);
    db_put(NULL, NULL);
}

static void test_lazy_and_bound(void **state)
{
    (void)state;
    db_pool *d = pool();
    assert_int_equal(berth_sessions(), 0);   /* nothing connected yet */
    db_conn *c;
    char err[512] = "";
    assert_int_equal(db_get(d, &c, err, sizeof err), 0);
    assert_int_equal(berth_sessions(), 1);
    const char *hostile = "x'); DROP TABLE audit_log; --";
    const char *p[] = {hostile, "5"};
    int64_t n = -1;
    assert_int_equal(db_exec(c, "INSERT INTO audit_log (project_id, operation, resource_type, "
                                "resource, username) VALUES ($2, 'create', 'artifact', 'r', $1)",
                             2, p, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    db_res *r;
    assert_int_equal(db_query(c, "SELECT username, project_id, NULL FROM audit_log WHERE "
                                 "username = $1", 1, p, &r, err, sizeof err), 0);
    assert_int_equal(db_res_rows(r), 1);
    assert_int_equal(db_res_cols(r), 3);
    assert_string_equal(db_res_value(r, 0, 0), hostile);
    assert_int_equal(db_res_int(r, 0, 1), 5);
    assert_true(db_res_null(r, 0, 2));
    assert_false(db_res_null(r, 0, 0));
    assert_string_equal(db_res_value(r, 9, 9), "");   /* out of range: "" */
    db_res_free(r);
    /* the session is UTC, so now() is comparable with Harbor's UTC timestamps */
    assert_int_equal(db_query(c, "SHOW TimeZone", 0, NULL, &r, err, sizeof err), 0);
    assert_string_equal(db_res_value(r, 0, 0), "UTC");
    db_res_free(r);
    db_put(d, c);
    assert_int_equal(berth_sessions(), 1);   /* kept idle for the next user */
    db_free(d);
    pgfx_truncate(&pg);
}

static int tx_insert(db_conn *c, void *ud, char *err, size_t errlen)
{
    const char *p[] = {ud};
    int rc = db_exec(c, "INSERT INTO audit_log (project_id, operation, resource_type, resource, "
                        "username) VALUES (1, 'create', 'a', 'r', $1)", 1, p, NULL, err, errlen);
    if (rc == 0 && strcmp(ud, "fail") == 0) {
        snprintf(err, errlen, "planned failure");
        return BERTH_EJOB;
    }
    return rc;
}

static void test_transaction(void **state)
{
    (void)state;
    db_pool *d = pool();
    char err[256] = "";
    assert_int_equal(db_tx(d, tx_insert, "kept", err, sizeof err), 0);
    assert_int_equal(db_tx(d, tx_insert, "fail", err, sizeof err), BERTH_EJOB);
    assert_string_equal(err, "planned failure");
    assert_int_equal(pgfx_int(&pg, "SELECT count(*) FROM audit_log WHERE username = 'kept'"), 1);
    assert_int_equal(pgfx_int(&pg, "SELECT count(*) FROM audit_log WHERE username = 'fail'"), 0);
    /* an SQL error inside the transaction: rolled back, and the connection reusable */
    db_conn *c;
    assert_int_equal(db_get(d, &c, err, sizeof err), 0);
    assert_int_equal(db_begin(c, err, sizeof err), 0);
    assert_int_equal(db_exec(c, "INSERT INTO audit_log (project_id, operation, resource_type, "
                                "resource, username) VALUES (1, 'x', 'a', 'r', 'half')",
                             0, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(db_exec(c, "SELECT nope FROM audit_log", 0, NULL, NULL, err, sizeof err),
                     BERTH_EIO);
    assert_non_null(strstr(err, "column \"nope\" does not exist"));
    assert_int_equal(db_commit(c, err, sizeof err), BERTH_EIO);   /* not silently "done" */
    assert_int_equal(pgfx_int(&pg, "SELECT count(*) FROM audit_log WHERE username = 'half'"), 0);
    db_put(d, c);
    db_free(d);
    pgfx_truncate(&pg);
}

static void test_missing_table(void **state)
{
    (void)state;
    db_pool *d = pool();
    db_conn *c;
    char err[256];
    assert_int_equal(db_get(d, &c, err, sizeof err), 0);
    assert_int_equal(db_exec(c, "DELETE FROM no_such_table", 0, NULL, NULL, err, sizeof err),
                     BERTH_EIO);
    assert_string_equal(err, "ERROR: relation \"no_such_table\" does not exist "
                             "(SQLSTATE 42P01)");
    assert_false(db_conn_broken(c));
    db_put(d, c);
    db_free(d);
}

static void test_reconnect_after_restart(void **state)
{
    (void)state;
    db_pool *d = pool();
    db_conn *c;
    char err[512];
    assert_int_equal(db_get(d, &c, err, sizeof err), 0);
    db_put(d, c);                 /* idle in the pool while the server restarts */
    pgfx_halt(&pg);
    assert_int_equal(db_get(d, &c, err, sizeof err), 0);   /* the idle one, looks fine */
    assert_int_equal(db_exec(c, "SELECT 1", 0, NULL, NULL, err, sizeof err), BERTH_EIO);
    assert_non_null(strstr(err, "127.0.0.1"));              /* says where it tried */
    assert_true(db_conn_broken(c));
    db_put(d, c);
    /* down: a new connection fails with the reason */
    assert_int_equal(db_get(d, &c, err, sizeof err), BERTH_EIO);
    assert_non_null(strstr(err, "failed to connect to the database postgres@127.0.0.1"));
    assert_non_null(strstr(err, "refused"));
    assert_int_equal(pgfx_resume(&pg), 0);
    assert_int_equal(db_get(d, &c, err, sizeof err), 0);
    assert_int_equal(db_exec(c, "SELECT 1", 0, NULL, NULL, err, sizeof err), 0);
    db_put(d, c);
    /* an idle connection from before a restart is replaced without the caller noticing */
    pgfx_halt(&pg);
    assert_int_equal(pgfx_resume(&pg), 0);
    assert_int_equal(db_get(d, &c, err, sizeof err), 0);
    assert_int_equal(db_exec(c, "SELECT 1", 0, NULL, NULL, err, sizeof err), 0);
    db_put(d, c);
    db_free(d);
    assert_non_null(strstr(logged, "reconnecting"));
    assert_null(strstr(logged, PG_PASS));
}

static void test_statement_timeout(void **state)
{
    (void)state;
    db_settings s;
    pgfx_settings(&pg, &s);
    s.statement_timeout_ms = 200;
    db_pool *d = pool_with(&s);
    db_conn *c;
    char err[256];
    assert_int_equal(db_get(d, &c, err, sizeof err), 0);
    assert_int_equal(db_exec(c, "SELECT pg_sleep(3)", 0, NULL, NULL, err, sizeof err),
                     BERTH_EIO);
    assert_non_null(strstr(err, "canceling statement due to statement timeout"));
    db_put(d, c);
    db_free(d);
    db_settings_clear(&s);
}

static void test_wrong_password_never_shown(void **state)
{
    (void)state;
    db_settings s;
    pgfx_settings(&pg, &s);
    berth_free(s.password);
    s.password = berth_strdup("Wrong-Pw-771c");
    db_pool *d = pool_with(&s);
    db_conn *c = NULL;
    char err[512];
    assert_int_equal(db_get(d, &c, err, sizeof err), BERTH_EIO);
    assert_null(c);
    assert_non_null(strstr(err, "password authentication failed for user \"postgres\""));
    assert_null(strstr(err, "Wrong-Pw-771c"));
    assert_null(strstr(logged, "Wrong-Pw-771c"));
    db_free(d);
    db_settings_clear(&s);
    /* and whatever a message holds, the password is scrubbed from it */
    db__scrub("a Wrong-Pw-771c b Wrong-Pw-771c\n", "Wrong-Pw-771c", err, sizeof err);
    assert_string_equal(err, "a *** b ***");
}

static void test_sslmode_honoured(void **state)
{
    (void)state;
    db_settings s;
    pgfx_settings(&pg, &s);
    berth_free(s.sslmode);
    s.sslmode = berth_strdup("require");   /* the fixture's server has no TLS */
    db_pool *d = pool_with(&s);
    db_conn *c = NULL;
    char err[512];
    assert_int_equal(db_get(d, &c, err, sizeof err), BERTH_EIO);
    assert_non_null(strstr(err, "server does not support SSL"));
    db_free(d);
    berth_free(s.sslmode);
    s.sslmode = berth_strdup("sometimes");
    assert_int_equal(db_settings_check(&s, err, sizeof err), BERTH_ECONFIG);
    assert_string_equal(err, "database settings: sslmode is not one of disable, allow, prefer, "
                             "require, verify-ca, verify-full");
    assert_int_equal(db_new(&s, NULL, NULL, &d), BERTH_ECONFIG);
    assert_null(d);
    db_settings_clear(&s);
}

static void test_pool_cap_and_configure(void **state)
{
    (void)state;
    db_settings s;
    pgfx_settings(&pg, &s);
    s.max_open = 1;
    s.connect_timeout_s = 1;
    db_pool *d = pool_with(&s);
    db_conn *a, *b;
    char err[256];
    assert_int_equal(db_get(d, &a, err, sizeof err), 0);
    assert_int_equal(db_get(d, &b, err, sizeof err), BERTH_EIO);   /* waited 1 s */
    assert_string_equal(err, "no free database connection: all are in use");
    db_res *r;
    assert_int_equal(db_query(a, "SELECT pg_backend_pid()", 0, NULL, &r, err, sizeof err), 0);
    long long pid1 = db_res_int(r, 0, 0);
    db_res_free(r);
    db_put(d, a);
    /* new settings: the old connection is not reused */
    s.statement_timeout_ms = 12345;
    assert_int_equal(db_configure(d, &s), 0);
    assert_int_equal(db_get(d, &a, err, sizeof err), 0);
    assert_int_equal(db_query(a, "SELECT pg_backend_pid(), current_setting('statement_timeout')",
                              0, NULL, &r, err, sizeof err), 0);
    assert_true(db_res_int(r, 0, 0) != pid1);
    assert_string_equal(db_res_value(r, 0, 1), "12345ms");
    db_res_free(r);
    db_put(d, a);
    db_free(d);
    db_settings_clear(&s);
    /* never configured */
    assert_int_equal(db_new(NULL, NULL, NULL, &d), 0);
    assert_int_equal(db_get(d, &a, err, sizeof err), BERTH_ECONFIG);
    assert_string_equal(err, "the database is not configured");
    db_free(d);
}

/* ---- settings from Harbor core (a fake of core's internalconfig endpoint) ----------- */

static char core_reply[4096];
static int core_status;

static void fake_core(const hf_req *req, hf_reply *out, void *ud)
{
    (void)ud;
    char auth[128];
    out->content_type = "application/json";
    if (strcmp(req->target, "/api/v2.0/internalconfig") != 0 ||
        !hf_header(req, "Authorization", auth, sizeof auth) ||
        strcmp(auth, "Harbor-Secret js-secret") != 0) {
        out->status = 401;
        snprintf(out->body, sizeof out->body, "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}");
        return;
    }
    out->status = core_status;
    snprintf(out->body, sizeof out->body, "%s", core_reply);
}

static void test_settings_from_core(void **state)
{
    (void)state;
    http_fake *core = hf_start(NULL, NULL, fake_core, NULL);
    assert_non_null(core);
    char url[64], err[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", hf_port(core));
    snprintf(core_reply, sizeof core_reply,
             "{\"auth_mode\":{\"value\":\"db_auth\",\"editable\":true},"
             "\"database_type\":{\"value\":\"postgresql\",\"editable\":false},"
             "\"postgresql_host\":{\"value\":\"127.0.0.1\",\"editable\":false},"
             "\"postgresql_port\":{\"value\":%d,\"editable\":false},"
             "\"postgresql_username\":{\"value\":\"postgres\",\"editable\":false},"
             "\"postgresql_password\":{\"value\":\"" PG_PASS "\",\"editable\":false},"
             "\"postgresql_database\":{\"value\":\"registry\",\"editable\":false},"
             "\"postgresql_sslmode\":{\"value\":\"\",\"editable\":false},"
             "\"postgresql_max_idle_conns\":{\"value\":3,\"editable\":false},"
             "\"postgresql_max_open_conns\":{\"value\":0,\"editable\":false}}", pg.port);
    core_status = 200;
    db_settings s;
    assert_int_equal(db_settings_fetch(url, "js-secret", 3000, &s, err, sizeof err), 0);
    assert_string_equal(s.host, "127.0.0.1");
    assert_int_equal(s.port, pg.port);
    assert_string_equal(s.sslmode, "disable");   /* empty → disable */
    assert_int_equal(s.max_idle, 3);
    db_pool *d = pool_with(&s);
    db_conn *c;
    assert_int_equal(db_get(d, &c, err, sizeof err), 0);
    db_put(d, c);
    db_free(d);
    db_settings_clear(&s);
    /* wrong secret → core's 401 */
    assert_int_equal(db_settings_fetch(url, "other", 3000, &s, err, sizeof err), BERTH_EIO);
    assert_non_null(strstr(err, "internalconfig: HTTP 401"));
    /* Harbor's check of the database type */
    snprintf(core_reply, sizeof core_reply, "{\"database_type\":{\"value\":\"mysql\"}}");
    assert_int_equal(db_settings_fetch(url, "js-secret", 3000, &s, err, sizeof err),
                     BERTH_ECONFIG);
    assert_string_equal(err, "invalid database: mysql");
    snprintf(core_reply, sizeof core_reply, "[1,2]");
    assert_int_equal(db_settings_fetch(url, "js-secret", 3000, &s, err, sizeof err),
                     BERTH_EINVAL);
    /* defaults for what core leaves out */
    snprintf(core_reply, sizeof core_reply, "{}");
    assert_int_equal(db_settings_fetch(url, "js-secret", 3000, &s, err, sizeof err), 0);
    assert_string_equal(s.host, "postgresql");
    assert_int_equal(s.port, 5432);
    assert_string_equal(s.user, "postgres");
    assert_string_equal(s.dbname, "registry");
    assert_int_equal(s.max_idle, 2);
    db_settings_clear(&s);
    hf_stop(core);
    /* core down */
    assert_int_equal(db_settings_fetch(url, "js-secret", 3000, &s, err, sizeof err), BERTH_EIO);
    assert_non_null(strstr(err, "failed to get the database settings from http://127.0.0.1:"));
    assert_int_equal(db_settings_fetch("", "js-secret", 3000, &s, err, sizeof err),
                     BERTH_ECONFIG);
}

/* berth_jobs_db with explicit settings (berth.database): core is never asked. */
static void test_jobs_db_fixed_settings(void **state)
{
    (void)state;
    berth_jobs_db_config c = {.host = "127.0.0.1", .port = pg.port, .password = PG_PASS,
                              .core_url = "http://127.0.0.1:1", .core_secret = "x"};
    berth_jobs_db *j = NULL;
    char err[256];
    assert_int_equal(berth_jobs_db_new(&c, &j, err, sizeof err), 0);
    db_pool *p = NULL;
    bool ro = true;
    assert_int_equal(jobs_db_pool(j, &p, &ro, err, sizeof err), 0);
    assert_false(ro);
    db_conn *conn;
    assert_int_equal(db_get(p, &conn, err, sizeof err), 0);
    assert_int_equal(db_exec(conn, "SELECT 1", 0, NULL, NULL, err, sizeof err), 0);
    db_put(p, conn);
    berth_jobs_db_free(j);
    berth_jobs_db_free(NULL);
    c.sslmode = "often";
    assert_int_equal(berth_jobs_db_new(&c, &j, err, sizeof err), BERTH_ECONFIG);
    assert_null(j);
    assert_non_null(strstr(err, "sslmode"));
    /* no host and no core: a clear reason at the run */
    berth_jobs_db_config none = {0};
    assert_int_equal(berth_jobs_db_new(&none, &j, err, sizeof err), 0);
    assert_int_equal(jobs_db_pool(j, &p, NULL, err, sizeof err), BERTH_ECONFIG);
    assert_string_equal(err, "no database settings: neither CORE_URL nor berth.database is set");
    berth_jobs_db_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_lazy_and_bound),
        cmocka_unit_test(test_transaction),
        cmocka_unit_test(test_missing_table),
        cmocka_unit_test(test_statement_timeout),
        cmocka_unit_test(test_wrong_password_never_shown),
        cmocka_unit_test(test_sslmode_honoured),
        cmocka_unit_test(test_pool_cap_and_configure),
        cmocka_unit_test(test_settings_from_core),
        cmocka_unit_test(test_jobs_db_fixed_settings),
        cmocka_unit_test(test_reconnect_after_restart),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
