/* A real PostgreSQL 15 for the database tests (label db): Debian's postgresql-15 binaries
 * (/usr/lib/postgresql/15/bin/initdb and postgres) run as a child process in a fresh temp
 * directory, listening on 127.0.0.1 on a free port and on a Unix socket in that directory.
 * PostgreSQL refuses to run as root, and CI runs as root: then the fixture runs initdb and
 * postgres as the unprivileged system user `nobody` (the directory is chown'ed to it).
 * Password authentication (scram-sha-256) for every connection, so wrong-password cases are
 * real. The database PG_DB holds the Harbor tables of tests/support/harbor_schema.sql
 * (written for Berth from the column facts of spec harbor-jobs §17, not Harbor's migration
 * files). The server can be stopped and started again (same data, same port) to test
 * outages. Never the system cluster. */
#ifndef BERTH_TEST_PG_FIXTURE_H
#define BERTH_TEST_PG_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "db/db.h"

#define PG_USER "postgres"
#define PG_PASS "pg-Secret-9f3b7c21"   /* distinctive, so tests can grep logs for it */
#define PG_DB "registry"

typedef struct pg_fixture {
    pid_t pid;             /* the postmaster, 0 while stopped */
    int port;
    char dir[128];         /* temp dir: data/ and the socket */
    char datadir[160];
    bool as_nobody;        /* running as root: children run as nobody */
} pg_fixture;

/* initdb, start, create PG_DB and apply the Harbor schema. 0, or -1 with a message on
 * stderr (the tests then fail, they do not skip). */
int pgfx_start(pg_fixture *f);
/* Stops the server (fast shutdown, by pid) and removes the dir. Safe twice. */
void pgfx_stop(pg_fixture *f);
/* Stops the server only (the data stays); returns when it has exited. */
void pgfx_halt(pg_fixture *f);
/* Starts it again after pgfx_halt, same port; waits until it accepts connections. 0/-1. */
int pgfx_resume(pg_fixture *f);

/* Settings pointing at the fixture over TCP (password PG_PASS, sslmode disable); free
 * with db_settings_clear. */
void pgfx_settings(const pg_fixture *f, db_settings *s);
/* Runs SQL text (one or more statements, no parameters) as the superuser on PG_DB; the
 * first row's first column of the last statement is copied to out when out is not NULL
 * ("" for no rows). 0, or -1 with the error printed. Test data only. */
int pgfx_sql(const pg_fixture *f, const char *sql, char *out, size_t outlen);
/* The integer pgfx_sql returns for a one-value query (asserting it ran). */
long long pgfx_int(const pg_fixture *f, const char *sql);
/* Empties every Harbor table of the schema (between tests). */
void pgfx_truncate(const pg_fixture *f);

#endif
