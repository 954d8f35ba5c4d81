/* PostgreSQL access for the jobs that work on Harbor's database (PURGE_AUDIT_LOG,
 * AUDIT_LOGS_GDPR_COMPLIANT, EXECUTION_SWEEP, SYSTEM_ARTIFACT_CLEANUP, IMAGE_SCAN), on
 * Debian's libpq. Why a module: one place that knows the connection settings, the pool, the
 * session set-up Harbor relies on (time zone UTC, a statement timeout) and the rule that
 * every value travels as a bound parameter (PQexecParams), never spliced into SQL text.
 *
 * Model
 *   db_settings   plain values (db_settings_core.c fills them from Harbor core's
 *                 /api/v2.0/internalconfig, docs/config.md from berthd's config or env).
 *   db            a small pool per node. db_new connects nothing: the first db_get does
 *                 (lazily), so a node starts while the database is down and a job that
 *                 needs it ends with a clear error instead. db_configure swaps the settings
 *                 (Harbor core may change them between runs); connections made with the
 *                 old ones are closed as they come back.
 *   db_conn       one connection, used by one thread between db_get and db_put.
 *   db_res        one result (rows of text values), the caller's until db_res_free.
 *
 * Ownership: db_new copies the settings; db_free closes every idle connection and must be
 * called after every db_conn was put back. A db_res belongs to the caller. Strings returned
 * by db_res_value live as long as their db_res.
 *
 * Locking: the db (pool) is thread-safe: one mutex guards the settings, the idle list and
 * the counts; db_get waits on a condition variable when max_open connections are out. A
 * db_conn and its results are not shared between threads. No pool lock is held while a
 * connection talks to the server.
 *
 * Failures: BERTH_EIO (unreachable, login refused, query failed, timeout),
 * BERTH_ECONFIG (no settings yet), BERTH_EINVAL (bad argument), BERTH_ENOMEM, each with one
 * line in the caller's err buffer. The password never appears in err or in a log line: the
 * module never formats it, and any message from the server or libpq is scrubbed of it.
 *
 * Reconnects: a connection found broken (the server restarted, the network dropped) is
 * closed and replaced; a statement that fails on a broken connection outside a transaction
 * is retried once on a fresh one. Inside a transaction it is not retried: the transaction
 * is gone and the caller gets the error. */
#ifndef BERTH_DB_DB_H
#define BERTH_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "berth/log.h"

/* Connection settings, Harbor's postgresql_* keys (spec harbor-jobs §2.3). All strings
 * owned by the struct (db_settings_clear). */
typedef struct db_settings {
    char *host;                /* a name, an address, or a Unix socket directory ("/...") */
    int port;                  /* default 5432 */
    char *user;                /* default "postgres" */
    char *password;            /* may be "" */
    char *dbname;              /* default "registry" */
    char *sslmode;             /* disable|allow|prefer|require|verify-ca|verify-full; "" → disable */
    int max_open;              /* connections out at once; 0 → Berth's cap DB_MAX_OPEN */
    int max_idle;              /* kept open between uses; default 2 */
    int statement_timeout_ms;  /* per statement, server side; 0 → none; default 300000 */
    int connect_timeout_s;     /* per connection attempt; default 10 */
    bool read_only;            /* not a connection setting: Harbor's `read_only`, filled by
                                  db_settings_from_internalconfig for the registry guard
                                  (spec §2.7); ignored by the pool and db_settings_equal */
} db_settings;

#define DB_MAX_OPEN 8          /* Harbor's 0 ("unlimited") becomes this per node */

/* Harbor's defaults: host "postgresql", port 5432, user "postgres", password "", dbname
 * "registry", sslmode "disable", max_idle 2, max_open 0, statement timeout 300 s,
 * connect timeout 10 s. 0 or BERTH_ENOMEM. */
int db_settings_defaults(db_settings *s);
/* Deep copy (dst is overwritten, not freed). 0 or BERTH_ENOMEM. */
int db_settings_copy(db_settings *dst, const db_settings *src);
/* Same connection target and credentials (pool sizes and timeouts included). */
bool db_settings_equal(const db_settings *a, const db_settings *b);
/* Frees the strings and zeroes s; NULL is a no-op. */
void db_settings_clear(db_settings *s);
/* Checks ranges and the sslmode word. 0 or BERTH_ECONFIG with a reason. */
int db_settings_check(const db_settings *s, char *err, size_t errlen);

/* Fills s from the JSON text of GET /api/v2.0/internalconfig ({"key":{"value":…},…}),
 * defaults for absent keys; `database_type` other than "" or "postgresql" → BERTH_ECONFIG
 * "invalid database: <type>". 0, BERTH_EINVAL (not that JSON), BERTH_ECONFIG, BERTH_ENOMEM. */
int db_settings_from_internalconfig(const char *json, size_t len, db_settings *s, char *err,
                                    size_t errlen);
/* GET <core_url>/api/v2.0/internalconfig with `Authorization: Harbor-Secret <secret>`
 * (timeout_ms for the whole request) and db_settings_from_internalconfig. 0 or BERTH_EIO
 * (unreachable, non-200; err says which) or the parser's codes. */
int db_settings_fetch(const char *core_url, const char *secret, long timeout_ms,
                      db_settings *s, char *err, size_t errlen);

typedef struct db_pool db_pool;
typedef struct db_conn db_conn;
typedef struct db_res db_res;

/* A pool. s may be NULL (not configured until db_configure). log may be NULL; it gets the
 * pool's own lines (connects, reconnects), never a password. 0, BERTH_ENOMEM,
 * BERTH_ECONFIG. */
int db_new(const db_settings *s, berth_log_fn log, void *log_ud, db_pool **out);
/* Closes idle connections and frees; every db_conn must have been put back. NULL: no-op. */
void db_free(db_pool *d);
/* Replaces the settings when they differ (copy); connections of the old settings are
 * closed when idle or when put back. 0, BERTH_ENOMEM, BERTH_ECONFIG. */
int db_configure(db_pool *d, const db_settings *s);

/* A connection: an idle one, else a new one (waiting up to connect_timeout_s when max_open
 * are out). 0, BERTH_ECONFIG (never configured), BERTH_EIO (cannot connect: err says why,
 * e.g. "password authentication failed for user \"harbor\"") or BERTH_ENOMEM. */
int db_get(db_pool *d, db_conn **out, char *err, size_t errlen);
/* Gives c back (NULL: no-op). A broken connection, one left inside a transaction, or one
 * past max_idle is closed. */
void db_put(db_pool *d, db_conn *c);

/* Runs one statement with n text parameters ($1…$n; a NULL entry is SQL NULL).
 * out may be NULL (the result is dropped). 0, BERTH_EIO with the server's message, or
 * BERTH_ENOMEM. */
int db_query(db_conn *c, const char *sql, int n, const char *const *params, db_res **out,
             char *err, size_t errlen);
/* db_query for statements without rows: *affected (may be NULL) gets the row count of an
 * INSERT/UPDATE/DELETE (0 for others). */
int db_exec(db_conn *c, const char *sql, int n, const char *const *params, int64_t *affected,
            char *err, size_t errlen);

int db_res_rows(const db_res *r);
int db_res_cols(const db_res *r);
/* The text of a value ("" for NULL; see db_res_null); lives as long as r. */
const char *db_res_value(const db_res *r, int row, int col);
bool db_res_null(const db_res *r, int row, int col);
/* The value as an integer (0 for NULL or non-numbers). */
int64_t db_res_int(const db_res *r, int row, int col);
/* Rows an INSERT/UPDATE/DELETE changed. */
int64_t db_res_affected(const db_res *r);
void db_res_free(db_res *r);   /* NULL is a no-op */

/* BEGIN / COMMIT / ROLLBACK on c. db_rollback never fails loudly (a broken connection has
 * nothing to roll back); it returns 0 or BERTH_EIO for the record. */
int db_begin(db_conn *c, char *err, size_t errlen);
int db_commit(db_conn *c, char *err, size_t errlen);
int db_rollback(db_conn *c);

/* One transaction: gets a connection, BEGIN, fn, COMMIT when fn returned 0 else ROLLBACK,
 * puts the connection back. fn writes its reason into err when it fails. Returns fn's code,
 * or the code of getting the connection, BEGIN or COMMIT (then nothing was written). */
typedef int (*db_tx_fn)(db_conn *c, void *ud, char *err, size_t errlen);
int db_tx(db_pool *d, db_tx_fn fn, void *ud, char *err, size_t errlen);

/* Was c's last failure a lost connection (as opposed to an SQL error)? */
bool db_conn_broken(const db_conn *c);

#endif
