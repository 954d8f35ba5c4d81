/* Statements on one connection (db.h): always PQexecParams with text parameters, so no
 * value is ever part of the SQL text; results wrapped in db_res; transactions. A statement
 * that fails because the connection was lost (the server restarted) is retried once on a
 * fresh connection when no transaction was open — a reconnect the job does not see. Inside
 * a transaction the failure is returned: what the transaction did is gone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "db/db_internal.h"
#include "util/alloc.h"

bool db_conn_broken(const db_conn *c)
{
    return c->broken;
}

static PGresult *run(db_conn *c, const char *sql, int n, const char *const *params)
{
    return c->pg ? PQexecParams(c->pg, sql, n, NULL, params, NULL, NULL, 0) : NULL;
}

static bool ok(const PGresult *r)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

static bool lost(db_conn *c)
{
    return !c->pg || PQstatus(c->pg) == CONNECTION_BAD;
}

/* The failure of r on c as one scrubbed line: a server error as Harbor's driver (pgx)
 * prints it, "ERROR: <message> (SQLSTATE <code>)"; otherwise libpq's text. */
static void why(db_conn *c, const PGresult *r, char *err, size_t errlen)
{
    const char *sev = r ? PQresultErrorField(r, PG_DIAG_SEVERITY) : NULL;
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    char line[1024];
    const char *m = line;
    if (sev && msg && code)
        snprintf(line, sizeof line, "%s: %s (SQLSTATE %s)", sev, msg, code);
    else if (r && *PQresultErrorMessage(r))
        m = PQresultErrorMessage(r);
    else
        m = c->pg ? PQerrorMessage(c->pg) : "no connection to the database";
    db__scrub(m, c->password, err, errlen);
}

int db_query(db_conn *c, const char *sql, int n, const char *const *params, db_res **out,
             char *err, size_t errlen)
{
    if (out)
        *out = NULL;
    if (!c || !sql || n < 0 || (n && !params)) {
        snprintf(err, errlen, "db_query: bad arguments");
        return BERTH_EINVAL;
    }
    bool in_tx = c->pg && PQtransactionStatus(c->pg) != PQTRANS_IDLE;
    PGresult *r = run(c, sql, n, params);
    if (!ok(r) && lost(c) && !in_tx) {
        PQclear(r);
        r = NULL;
        BLOG_WARN(db__logger(c->owner), "the database connection was lost; reconnecting");
        int rc = db__connect(c, err, errlen);
        if (rc != 0)
            return rc;
        r = run(c, sql, n, params);
    }
    if (!ok(r)) {
        c->broken = lost(c);
        why(c, r, err, errlen);
        PQclear(r);
        return r || c->broken ? BERTH_EIO : BERTH_ENOMEM;
    }
    db_res *res = out ? berth_calloc(1, sizeof *res) : NULL;
    if (out && !res) {
        PQclear(r);
        return BERTH_ENOMEM;
    }
    if (res) {
        res->r = r;
        *out = res;
    } else {
        PQclear(r);
    }
    return 0;
}

int db_exec(db_conn *c, const char *sql, int n, const char *const *params, int64_t *affected,
            char *err, size_t errlen)
{
    db_res *r = NULL;
    int rc = db_query(c, sql, n, params, &r, err, errlen);
    if (affected)
        *affected = rc == 0 ? db_res_affected(r) : 0;
    db_res_free(r);
    return rc;
}

int db_res_rows(const db_res *r)
{
    return r ? PQntuples(r->r) : 0;
}

int db_res_cols(const db_res *r)
{
    return r ? PQnfields(r->r) : 0;
}

const char *db_res_value(const db_res *r, int row, int col)
{
    if (!r || row < 0 || row >= PQntuples(r->r) || col < 0 || col >= PQnfields(r->r))
        return "";
    return PQgetvalue(r->r, row, col);
}

bool db_res_null(const db_res *r, int row, int col)
{
    if (!r || row < 0 || row >= PQntuples(r->r) || col < 0 || col >= PQnfields(r->r))
        return true;
    return PQgetisnull(r->r, row, col) != 0;
}

int64_t db_res_int(const db_res *r, int row, int col)
{
    return strtoll(db_res_value(r, row, col), NULL, 10);
}

int64_t db_res_affected(const db_res *r)
{
    const char *t = r ? PQcmdTuples(r->r) : "";
    return *t ? strtoll(t, NULL, 10) : 0;
}

void db_res_free(db_res *r)
{
    if (!r)
        return;
    PQclear(r->r);
    berth_free(r);
}

int db_begin(db_conn *c, char *err, size_t errlen)
{
    return db_exec(c, "BEGIN", 0, NULL, NULL, err, errlen);
}

int db_commit(db_conn *c, char *err, size_t errlen)
{
    /* COMMIT of an aborted transaction "succeeds" as ROLLBACK: catch that. */
    bool aborted = c->pg && PQtransactionStatus(c->pg) == PQTRANS_INERROR;
    db_res *r = NULL;
    int rc = db_query(c, "COMMIT", 0, NULL, &r, err, errlen);
    if (rc == 0 && (aborted || strcmp(PQcmdStatus(r->r), "ROLLBACK") == 0)) {
        snprintf(err, errlen, "the transaction was rolled back by the server");
        rc = BERTH_EIO;
    }
    db_res_free(r);
    return rc;
}

int db_rollback(db_conn *c)
{
    char err[256];
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK)
        return BERTH_EIO;
    return db_exec(c, "ROLLBACK", 0, NULL, NULL, err, sizeof err);
}

int db_tx(db_pool *d, db_tx_fn fn, void *ud, char *err, size_t errlen)
{
    db_conn *c = NULL;
    int rc = db_get(d, &c, err, errlen);
    if (rc == 0)
        rc = db_begin(c, err, errlen);
    if (rc == 0) {
        rc = fn(c, ud, err, errlen);
        if (rc == 0)
            rc = db_commit(c, err, errlen);
        else
            db_rollback(c);
    }
    db_put(d, c);
    return rc;
}
