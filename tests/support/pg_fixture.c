/* PostgreSQL 15 test fixture (pg_fixture.h): initdb + postgres as child processes, as
 * `nobody` when the tests run as root (PostgreSQL refuses root). */
#include "pg_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "redis_fixture.h"
#include "test.h"
#include "util/alloc.h"
#include "wait.h"

#define PG_BIN "/usr/lib/postgresql/15/bin"

static uid_t nobody_uid;
static gid_t nobody_gid;

typedef struct pg_wait {
    pg_fixture *f;
    const char *conninfo;
} pg_wait;

/* postgres answers, or it exited (then f->pid is 0). */
static bool up_or_gone(void *arg)
{
    pg_wait *w = arg;
    int st;
    if (waitpid(w->f->pid, &st, WNOHANG) == w->f->pid) {
        w->f->pid = 0;
        return true;
    }
    return PQping(w->conninfo) == PQPING_OK;
}

/* In the child: drop to nobody when root, log to logfile, die with the parent. */
static void child_setup(const pg_fixture *f, const char *logfile)
{
    if (f->as_nobody && (setgid(nobody_gid) != 0 || setuid(nobody_uid) != 0))
        _exit(126);
    prctl(PR_SET_PDEATHSIG, SIGINT);   /* after setuid, which clears it */
    int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    if (chdir(f->dir) != 0)
        _exit(126);
    setenv("LC_ALL", "C", 1);
}

static pid_t spawn(const pg_fixture *f, const char *logfile, char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        child_setup(f, logfile);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static void show_log(const pg_fixture *f, const char *name)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "tail -n 20 '%s/%s' >&2", f->dir, name);
    if (system(cmd) != 0)
        fprintf(stderr, "pg_fixture: no %s\n", name);
}

static int make_dir(pg_fixture *f)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/berth-pg-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->datadir, sizeof f->datadir, "%s/data", f->dir);
    f->as_nobody = geteuid() == 0;
    if (f->as_nobody) {
        struct passwd *pw = getpwnam("nobody");
        if (!pw || chown(f->dir, pw->pw_uid, pw->pw_gid) != 0)
            return -1;
        nobody_uid = pw->pw_uid;
        nobody_gid = pw->pw_gid;
    }
    char pwfile[200];
    snprintf(pwfile, sizeof pwfile, "%s/pw", f->dir);
    FILE *fp = fopen(pwfile, "w");
    if (!fp)
        return -1;
    fputs(PG_PASS "\n", fp);
    fclose(fp);
    if (f->as_nobody && chown(pwfile, nobody_uid, nobody_gid) != 0)
        return -1;
    return 0;
}

static int initdb(pg_fixture *f)
{
    char pwopt[220], log[200];
    snprintf(pwopt, sizeof pwopt, "--pwfile=%s/pw", f->dir);
    snprintf(log, sizeof log, "%s/initdb.log", f->dir);
    char *argv[] = {PG_BIN "/initdb", "-D", f->datadir, "-U", PG_USER, "-A", "scram-sha-256",
                    pwopt, "-E", "UTF8", "--locale=C", "-N", NULL};
    int st = 0;
    pid_t pid = spawn(f, log, argv);
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "pg_fixture: initdb failed (status %d)\n", st);
        show_log(f, "initdb.log");
        return -1;
    }
    return 0;
}

static void conninfo(const pg_fixture *f, const char *db, char *out, size_t n)
{
    snprintf(out, n, "host=127.0.0.1 port=%d user=" PG_USER " password=" PG_PASS
             " dbname=%s connect_timeout=5", f->port, db);
}

/* Starts postgres on f->port and waits until it answers; -1 if it exited or timed out. */
static int launch(pg_fixture *f)
{
    char port[16], log[200];
    snprintf(port, sizeof port, "%d", f->port);
    snprintf(log, sizeof log, "%s/postgres.log", f->dir);
    char *argv[] = {PG_BIN "/postgres", "-D", f->datadir, "-p", port, "-k", f->dir,
                    "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                    "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                    "-c", "max_connections=60", "-c", "shared_buffers=16MB", NULL};
    f->pid = spawn(f, log, argv);
    char ci[256];
    conninfo(f, "postgres", ci, sizeof ci);
    pg_wait w = {f, ci};
    /* 60 s: a loaded 2-core machine */
    return wait_until_every(up_or_gone, &w, 60000, 100) && f->pid ? 0 : -1;
}

static int start_server(pg_fixture *f, bool new_port)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        if (new_port)
            f->port = redis_fixture_free_port();
        if (launch(f) == 0)
            return 0;
        pgfx_halt(f);
        if (!new_port)
            wait_sleep_ms(500);   /* same port: let the old socket go */
    }
    fprintf(stderr, "pg_fixture: postgres did not start\n");
    show_log(f, "postgres.log");
    return -1;
}

static int exec_on(const pg_fixture *f, const char *db, const char *sql, char *out,
                   size_t outlen)
{
    char ci[256];
    conninfo(f, db, ci, sizeof ci);
    PGconn *c = PQconnectdb(ci);
    int rc = -1;
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "pg_fixture: connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        rc = 0;
        if (out && outlen)
            snprintf(out, outlen, "%s",
                     st == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    } else {
        fprintf(stderr, "pg_fixture: %s\n  in: %.300s\n", PQresultErrorMessage(r), sql);
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}

static char *read_schema(void)
{
    const char *src = getenv("BERTH_SOURCE_DIR");
    char path[512];
    snprintf(path, sizeof path, "%s/tests/support/harbor_schema.sql", src ? src : ".");
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "pg_fixture: cannot read %s\n", path);
        return NULL;
    }
    char *text = calloc(1, 1 << 20);
    size_t n = text ? fread(text, 1, (1 << 20) - 1, fp) : 0;
    fclose(fp);
    if (text)
        text[n] = '\0';
    return text;
}

int pgfx_start(pg_fixture *f)
{
    memset(f, 0, sizeof *f);
    if (make_dir(f) != 0) {
        fprintf(stderr, "pg_fixture: cannot prepare %s: %s\n", f->dir, strerror(errno));
        return -1;
    }
    if (initdb(f) != 0 || start_server(f, true) != 0)
        return -1;
    char *schema = read_schema();
    int rc = schema ? 0 : -1;
    if (rc == 0)
        rc = exec_on(f, "postgres", "CREATE DATABASE " PG_DB, NULL, 0);
    if (rc == 0)
        rc = exec_on(f, PG_DB, schema, NULL, 0);
    free(schema);
    return rc;
}

void pgfx_halt(pg_fixture *f)
{
    if (f->pid <= 0)
        return;
    kill(f->pid, SIGINT);   /* fast shutdown: disconnects clients, stops at once */
    if (wait_exit(f->pid, 30000) < 0) {
        kill(f->pid, SIGKILL);
        waitpid(f->pid, NULL, 0);
    }
    f->pid = 0;
}

int pgfx_resume(pg_fixture *f)
{
    return start_server(f, false);
}

void pgfx_stop(pg_fixture *f)
{
    pgfx_halt(f);
    if (f->dir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "pg_fixture: could not remove %s\n", f->dir);
        f->dir[0] = '\0';
    }
}

void pgfx_settings(const pg_fixture *f, db_settings *s)
{
    assert_int_equal(db_settings_defaults(s), 0);
    berth_free(s->host);
    s->host = berth_strdup("127.0.0.1");
    berth_free(s->password);
    s->password = berth_strdup(PG_PASS);
    s->port = f->port;
    s->connect_timeout_s = 5;
}

int pgfx_sql(const pg_fixture *f, const char *sql, char *out, size_t outlen)
{
    return exec_on(f, PG_DB, sql, out, outlen);
}

long long pgfx_int(const pg_fixture *f, const char *sql)
{
    char v[64];
    assert_int_equal(pgfx_sql(f, sql, v, sizeof v), 0);
    return strtoll(v, NULL, 10);
}

void pgfx_truncate(const pg_fixture *f)
{
    assert_int_equal(pgfx_sql(f, "TRUNCATE audit_log, audit_log_ext, task, execution, "
                                 "system_artifact RESTART IDENTITY CASCADE", NULL, 0), 0);
}
