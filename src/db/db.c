/* db: the pool of connections to Harbor's database, one per node (db.h). Connections are
 * made lazily by db_get, with the session set-up Harbor relies on (time zone UTC, so SQL
 * now() is UTC wall-clock time like every timestamp column) and a server-side statement
 * timeout, both passed as libpq `options` so they hold from the first statement. Settings
 * carry a generation number: db_configure bumps it and connections of an older generation
 * are closed instead of reused. The mutex guards settings, generation, idle list and
 * counts; it is never held while talking to the server. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "berth/error.h"
#include "db/db_internal.h"
#include "util/alloc.h"

struct db_pool {
    pthread_mutex_t mu;
    pthread_cond_t freed;     /* a connection came back or was closed */
    db_settings s;            /* current settings; configured false until the first */
    bool configured;
    unsigned gen;
    db_conn **idle;           /* stack of idle connections, capacity DB_IDLE_CAP */
    int nidle;
    int open;                 /* connections out plus idle */
    berth_logger log;         /* the host's callback (may be NULL) */
};

#define DB_IDLE_CAP 64

void db__scrub(const char *msg, const char *password, char *err, size_t errlen)
{
    if (!errlen)
        return;
    size_t o = 0, pl = password ? strlen(password) : 0;
    for (const char *p = msg ? msg : ""; *p && o + 1 < errlen;) {
        if (pl && strncmp(p, password, pl) == 0) {
            for (const char *r = "***"; *r && o + 1 < errlen; r++)
                err[o++] = *r;
            p += pl;
        } else {
            err[o++] = *p++;
        }
    }
    while (o && (err[o - 1] == '\n' || err[o - 1] == ' '))
        o--;
    err[o] = '\0';
}

int db_new(const db_settings *s, berth_log_fn log, void *log_ud, db_pool **out)
{
    *out = NULL;
    db_pool *d = berth_calloc(1, sizeof *d);
    if (!d)
        return BERTH_ENOMEM;
    d->idle = berth_calloc(DB_IDLE_CAP, sizeof *d->idle);   /* checked below */
    d->log = (berth_logger){.fn = log, .userdata = log_ud, .min = BERTH_LOG_DEBUG};
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->freed, NULL);
    int rc = d->idle ? 0 : BERTH_ENOMEM;
    if (rc == 0 && s)
        rc = db_configure(d, s);
    if (rc != 0) {
        db_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

static void conn_close(db_conn *c)
{
    if (!c)
        return;
    if (c->pg)
        PQfinish(c->pg);
    berth_free(c->password);
    berth_free(c);
}

void db_free(db_pool *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->nidle; i++)
        conn_close(d->idle[i]);
    berth_free(d->idle);
    db_settings_clear(&d->s);
    pthread_cond_destroy(&d->freed);
    pthread_mutex_destroy(&d->mu);
    berth_free(d);
}

int db_configure(db_pool *d, const db_settings *s)
{
    char why[256];
    if (db_settings_check(s, why, sizeof why) != 0)
        return BERTH_ECONFIG;
    pthread_mutex_lock(&d->mu);
    int rc = 0;
    if (!d->configured || !db_settings_equal(&d->s, s)) {
        db_settings copy;
        rc = db_settings_copy(&copy, s);
        if (rc == 0) {
            db_settings_clear(&d->s);
            d->s = copy;
            d->configured = true;
            d->gen++;
        }
    }
    pthread_mutex_unlock(&d->mu);
    return rc;
}

/* libpq keyword form of the settings (spec §2.3); `options` sets the session up. */
static PGconn *open_pg(const db_settings *s)
{
    char port[16], ctimeout[16], options[128];
    snprintf(port, sizeof port, "%d", s->port);
    snprintf(ctimeout, sizeof ctimeout, "%d", s->connect_timeout_s);
    snprintf(options, sizeof options, "-c TimeZone=UTC -c statement_timeout=%d",
             s->statement_timeout_ms);
    const char *keys[] = {"host", "port", "user", "password", "dbname", "sslmode",
                          "connect_timeout", "options", "application_name",
                          "client_encoding", NULL};
    const char *vals[] = {s->host, port, s->user, s->password, s->dbname,
                          s->sslmode && *s->sslmode ? s->sslmode : "disable",
                          s->connect_timeout_s > 0 ? ctimeout : "0", options, "berth",
                          "UTF8", NULL};
    return PQconnectdbParams(keys, vals, 0);
}

const berth_logger *db__logger(const db_pool *d)
{
    return &d->log;
}

int db__connect(db_conn *c, char *err, size_t errlen)
{
    db_pool *d = c->owner;
    db_settings s;
    pthread_mutex_lock(&d->mu);
    int rc = d->configured ? db_settings_copy(&s, &d->s) : BERTH_ECONFIG;
    unsigned gen = d->gen;
    pthread_mutex_unlock(&d->mu);
    if (rc == BERTH_ECONFIG)
        snprintf(err, errlen, "the database is not configured");
    if (rc != 0)
        return rc;
    if (c->pg)
        PQfinish(c->pg);
    berth_free(c->password);
    c->password = berth_strdup(s.password);
    c->pg = open_pg(&s);
    c->gen = gen;
    c->broken = false;
    if (!c->pg || !c->password) {
        rc = BERTH_ENOMEM;
    } else if (PQstatus(c->pg) != CONNECTION_OK) {
        char why[512];
        db__scrub(PQerrorMessage(c->pg), s.password, why, sizeof why);
        snprintf(err, errlen, "failed to connect to the database %s@%s:%d/%s: %s", s.user,
                 s.host, s.port, s.dbname, why);
        PQfinish(c->pg);
        c->pg = NULL;
        c->broken = true;
        rc = BERTH_EIO;
    }
    db_settings_clear(&s);
    return rc;
}

/* Waits for a free slot up to the connect timeout; called and returns with the lock held.
 * true when one is free. */
static bool wait_slot(db_pool *d)
{
    int cap = d->s.max_open > 0 ? d->s.max_open : DB_MAX_OPEN;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += d->s.connect_timeout_s > 0 ? d->s.connect_timeout_s : 10;
    while (d->nidle == 0 && d->open >= cap)
        if (pthread_cond_timedwait(&d->freed, &d->mu, &until) == ETIMEDOUT)
            return d->nidle > 0 || d->open < cap;
    return true;
}

/* Takes an idle connection of the current generation, closing stale ones; NULL if none.
 * Lock held. Stale ones are returned through *stale for closing outside the lock. */
static db_conn *take_idle(db_pool *d, db_conn **stale)
{
    *stale = NULL;
    if (d->nidle == 0)
        return NULL;
    db_conn *c = d->idle[--d->nidle];
    if (c->gen == d->gen && c->pg && PQstatus(c->pg) == CONNECTION_OK)
        return c;
    d->open--;
    *stale = c;
    return NULL;
}

int db_get(db_pool *d, db_conn **out, char *err, size_t errlen)
{
    *out = NULL;
    db_conn *c = NULL, *stale = NULL;
    pthread_mutex_lock(&d->mu);
    if (!d->configured) {
        pthread_mutex_unlock(&d->mu);
        snprintf(err, errlen, "the database is not configured");
        return BERTH_ECONFIG;
    }
    bool slot = wait_slot(d);
    if (slot)
        c = take_idle(d, &stale);
    if (slot && !c)
        d->open++;   /* reserve the slot for the connection made below */
    pthread_mutex_unlock(&d->mu);
    conn_close(stale);
    if (!slot) {
        snprintf(err, errlen, "no free database connection: all are in use");
        return BERTH_EIO;
    }
    if (c) {
        *out = c;
        return 0;
    }
    c = berth_calloc(1, sizeof *c);
    int rc = BERTH_ENOMEM;
    if (c) {
        c->owner = d;
        rc = db__connect(c, err, errlen);
    }
    if (rc != 0) {
        conn_close(c);
        pthread_mutex_lock(&d->mu);
        d->open--;
        pthread_cond_signal(&d->freed);
        pthread_mutex_unlock(&d->mu);
        return rc;
    }
    *out = c;
    return 0;
}

void db_put(db_pool *d, db_conn *c)
{
    if (!c)
        return;
    bool keep = c->pg && !c->broken && PQstatus(c->pg) == CONNECTION_OK &&
                PQtransactionStatus(c->pg) == PQTRANS_IDLE;
    pthread_mutex_lock(&d->mu);
    keep = keep && c->gen == d->gen && d->nidle < d->s.max_idle && d->nidle < DB_IDLE_CAP;
    if (keep)
        d->idle[d->nidle++] = c;
    else
        d->open--;
    pthread_cond_signal(&d->freed);
    pthread_mutex_unlock(&d->mu);
    if (!keep)
        conn_close(c);
}
