/* db_settings: the connection settings of Harbor's database and where they come from —
 * Harbor's defaults, and core's /api/v2.0/internalconfig (spec harbor-jobs §2.2, §2.3), the
 * way Harbor's job service reads them (src/pkg/config/manager.go#GetDatabaseCfg). The
 * password is copied like any other value and never formatted into a message. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "db/db.h"
#include "util/alloc.h"

static char **str_slot(db_settings *s, int i)
{
    char **slots[] = {&s->host, &s->user, &s->password, &s->dbname, &s->sslmode};
    return slots[i];
}

enum { NSTR = 5 };

void db_settings_clear(db_settings *s)
{
    if (!s)
        return;
    for (int i = 0; i < NSTR; i++)
        berth_free(*str_slot(s, i));
    memset(s, 0, sizeof *s);
}

static int set_str(char **slot, const char *v)
{
    char *c = berth_strdup(v ? v : "");
    if (!c)
        return BERTH_ENOMEM;
    berth_free(*slot);
    *slot = c;
    return 0;
}

int db_settings_defaults(db_settings *s)
{
    memset(s, 0, sizeof *s);
    s->port = 5432;
    s->max_idle = 2;
    s->statement_timeout_ms = 300000;
    s->connect_timeout_s = 10;
    if (set_str(&s->host, "postgresql") || set_str(&s->user, "postgres") ||
        set_str(&s->password, "") || set_str(&s->dbname, "registry") ||
        set_str(&s->sslmode, "disable")) {
        db_settings_clear(s);
        return BERTH_ENOMEM;
    }
    return 0;
}

int db_settings_copy(db_settings *dst, const db_settings *src)
{
    db_settings tmp = *src;
    for (int i = 0; i < NSTR; i++)
        *str_slot(&tmp, i) = NULL;
    for (int i = 0; i < NSTR; i++) {
        const char *v = *str_slot((db_settings *)src, i);
        if (set_str(str_slot(&tmp, i), v)) {
            db_settings_clear(&tmp);
            return BERTH_ENOMEM;
        }
    }
    *dst = tmp;
    return 0;
}

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

bool db_settings_equal(const db_settings *a, const db_settings *b)
{
    for (int i = 0; i < NSTR; i++)
        if (!same(*str_slot((db_settings *)a, i), *str_slot((db_settings *)b, i)))
            return false;
    return a->port == b->port && a->max_open == b->max_open && a->max_idle == b->max_idle &&
           a->statement_timeout_ms == b->statement_timeout_ms &&
           a->connect_timeout_s == b->connect_timeout_s;
}

static bool sslmode_known(const char *m)
{
    static const char *const modes[] = {"", "disable", "allow", "prefer", "require",
                                        "verify-ca", "verify-full"};
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
        if (strcmp(m, modes[i]) == 0)
            return true;
    return false;
}

int db_settings_check(const db_settings *s, char *err, size_t errlen)
{
    const char *why = NULL;
    if (!s->host || !*s->host)
        why = "host is empty";
    else if (s->port < 1 || s->port > 65535)
        why = "port is not in 1..65535";
    else if (!s->user || !*s->user)
        why = "username is empty";
    else if (!s->dbname || !*s->dbname)
        why = "database is empty";
    else if (!sslmode_known(s->sslmode ? s->sslmode : ""))
        why = "sslmode is not one of disable, allow, prefer, require, verify-ca, verify-full";
    else if (s->max_open < 0 || s->max_idle < 0)
        why = "max_open_conns and max_idle_conns must not be negative";
    else if (s->statement_timeout_ms < 0 || s->connect_timeout_s < 0)
        why = "timeouts must not be negative";
    if (!why)
        return 0;
    snprintf(err, errlen, "database settings: %s", why);
    return BERTH_ECONFIG;
}

/* ---- internalconfig ---------------------------------------------------------------------- */

/* The "value" of key in the reply, or NULL when absent. */
static json_t *item(json_t *root, const char *key)
{
    json_t *it = json_object_get(root, key);
    return json_is_object(it) ? json_object_get(it, "value") : NULL;
}

static int take_str(json_t *root, const char *key, char **slot)
{
    json_t *v = item(root, key);
    if (!json_is_string(v) || (strcmp(key, "postgresql_sslmode") == 0 && !*json_string_value(v)))
        return 0;   /* absent: keep the default (an empty sslmode is "disable") */
    return set_str(slot, json_string_value(v));
}

/* Numbers are JSON numbers in core's reply; a numeric string is accepted too. */
static void take_int(json_t *root, const char *key, int *slot)
{
    json_t *v = item(root, key);
    if (json_is_number(v))
        *slot = (int)json_number_value(v);
    else if (json_is_string(v) && *json_string_value(v))
        *slot = atoi(json_string_value(v));
}

static int fill(json_t *root, db_settings *s, char *err, size_t errlen)
{
    json_t *type = item(root, "database_type");
    if (json_is_string(type) && *json_string_value(type) &&
        strcmp(json_string_value(type), "postgresql") != 0) {
        snprintf(err, errlen, "invalid database: %.100s", json_string_value(type));
        return BERTH_ECONFIG;
    }
    if (take_str(root, "postgresql_host", &s->host) ||
        take_str(root, "postgresql_username", &s->user) ||
        take_str(root, "postgresql_password", &s->password) ||
        take_str(root, "postgresql_database", &s->dbname) ||
        take_str(root, "postgresql_sslmode", &s->sslmode))
        return BERTH_ENOMEM;
    take_int(root, "postgresql_port", &s->port);
    take_int(root, "postgresql_max_idle_conns", &s->max_idle);
    take_int(root, "postgresql_max_open_conns", &s->max_open);
    s->read_only = json_is_true(item(root, "read_only"));
    return db_settings_check(s, err, errlen);
}

int db_settings_from_internalconfig(const char *json, size_t len, db_settings *s, char *err,
                                    size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!json_is_object(root)) {
        snprintf(err, errlen, "internalconfig: not a JSON object (%s)",
                 root ? "another JSON value" : je.text);
        json_decref(root);
        return BERTH_EINVAL;
    }
    int rc = db_settings_defaults(s);
    if (rc == 0)
        rc = fill(root, s, err, errlen);
    if (rc != 0)
        db_settings_clear(s);
    json_decref(root);
    return rc;
}
