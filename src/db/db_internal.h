/* Internals shared by db.c (the pool) and db_conn.c (statements); see db.h for the rules. */
#ifndef BERTH_DB_INTERNAL_H
#define BERTH_DB_INTERNAL_H

#include <libpq-fe.h>

#include "db/db.h"
#include "util/log.h"

struct db_conn {
    PGconn *pg;           /* NULL after a failed reconnect */
    db_pool *owner;
    unsigned gen;         /* settings generation it was made with */
    char *password;       /* copy, only to scrub messages (never formatted) */
    bool broken;          /* its last failure was a lost connection */
};

struct db_res {
    PGresult *r;
};

/* Opens c->pg with the pool's current settings (replacing any old one). 0 or BERTH_EIO /
 * BERTH_ECONFIG / BERTH_ENOMEM with err (scrubbed). Takes the pool lock briefly. */
int db__connect(db_conn *c, char *err, size_t errlen);
/* The pool's logger (BLOG and friends, util/log.h). */
const berth_logger *db__logger(const db_pool *d);
/* Copies msg into err, replacing every occurrence of password with "***" and dropping the
 * trailing newline libpq adds. */
void db__scrub(const char *msg, const char *password, char *err, size_t errlen);

#endif
