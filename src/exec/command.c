/* Command job types: the definition, its environment allowlist, and the registration
 * glue (validate, should_retry, run); see command.h. The run itself is src/exec/run.c. */
#include "exec/command.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exec/proc.h"
#include "util/alloc.h"

struct exec_job {
    exec_command c;          /* deep copy */
    char **env;              /* resolved "NAME=value"s, NULL-terminated */
    size_t nenv;
};

static void free_strv(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        berth_free(v[i]);
    berth_free(v);
}

/* A NULL-terminated copy of v; NULL when memory ran out. */
static char **copy_strv(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    char **out = berth_calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        if (!(out[i] = berth_strdup(v[i]))) {
            free_strv(out);
            return NULL;
        }
    return out;
}

void exec_command_clear(exec_command *c)
{
    if (!c)
        return;
    berth_free(c->name);
    free_strv(c->argv);
    berth_free(c->dir);
    free_strv(c->env);
    for (size_t i = 0; i < c->nparams; i++)
        berth_free(c->params[i].key);
    berth_free(c->params);
    memset(c, 0, sizeof *c);
}

bool exec_env_name_ok(const char *name, size_t len)
{
    if (len == 0 || (name[0] >= '0' && name[0] <= '9'))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_", name[i]))
            return false;
    return true;
}

bool exec_env_forbidden(const char *name)
{
    static const char *const exact[] = {"CORE_SECRET", "JOBSERVICE_SECRET", "BERTH_SECRET",
                                        "BERTH_CONTROL_FD"};
    static const char *const prefix[] = {"POSTGRESQL_", "DATABASE_", "PG", "BERTH_JOB_"};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strcasecmp(name, exact[i]) == 0)
            return true;
    for (size_t i = 0; i < sizeof prefix / sizeof prefix[0]; i++)
        if (strncasecmp(name, prefix[i], strlen(prefix[i])) == 0)
            return true;
    return strcasestr(name, "REDIS") != NULL;
}

static int out_of_memory(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory");
    return BERTH_ENOMEM;
}

/* "NAME" → "NAME=<this process's value>" (skipped when unset); "NAME=v" as given. PATH
 * gets a plain default when the allowlist does not say. 0, BERTH_ECONFIG, BERTH_ENOMEM
 * (exec_job_free frees what was made). */
static int resolve_env(exec_job *j, char *err, size_t errlen)
{
    size_t n = 0;
    while (j->c.env && j->c.env[n])
        n++;
    if (!(j->env = berth_calloc(n + 2, sizeof *j->env)))
        return out_of_memory(err, errlen);
    bool path = false;
    for (size_t i = 0; i < n; i++) {
        const char *e = j->c.env[i];
        size_t len = strcspn(e, "=");
        if (!exec_env_name_ok(e, len) || exec_env_forbidden(e)) {
            snprintf(err, errlen, "job %s: env entry '%.*s' %s", j->c.name, (int)len, e,
                     exec_env_name_ok(e, len) ? "is never passed to a job"
                                              : "is not a valid variable name");
            return BERTH_ECONFIG;
        }
        path |= len == 4 && strncmp(e, "PATH", 4) == 0;
        const char *v = e[len] ? NULL : getenv(e);
        char *entry = NULL;
        if (e[len]) {
            entry = berth_strdup(e);
        } else if (v) {
            size_t sz = len + strlen(v) + 2;
            if ((entry = berth_malloc(sz)))
                snprintf(entry, sz, "%s=%s", e, v);
        }
        if (entry)
            j->env[j->nenv++] = entry;
        else if (e[len] || v)
            return out_of_memory(err, errlen);
    }
    if (!path && !(j->env[j->nenv++] = berth_strdup("PATH=/usr/local/bin:/usr/bin:/bin")))
        return out_of_memory(err, errlen);
    return 0;
}

static int job_validate(const char *params, char *err, size_t errlen, void *ud)
{
    const exec_job *j = ud;
    return exec_param_check(j->c.params, j->c.nparams, params, err, errlen);
}

static bool job_should_retry(void *ud)
{
    return ((const exec_job *)ud)->c.should_retry;
}

/* 0 or BERTH_ENOMEM (exec_command_clear frees what was copied). */
static int copy_command(exec_command *d, const exec_command *s)
{
    *d = *s;
    d->name = berth_strdup(s->name);
    d->argv = copy_strv(s->argv);
    d->dir = s->dir && *s->dir ? berth_strdup(s->dir) : NULL;
    d->env = s->env ? copy_strv(s->env) : NULL;
    d->params = s->nparams ? berth_calloc(s->nparams, sizeof *d->params) : NULL;
    d->nparams = d->params ? s->nparams : 0;
    bool ok = d->name && d->argv && (d->dir || !s->dir || !*s->dir) && (d->env || !s->env) &&
              (d->params || !s->nparams);
    for (size_t i = 0; i < d->nparams; i++) {
        d->params[i] = s->params[i];
        ok &= (d->params[i].key = berth_strdup(s->params[i].key)) != NULL || !s->params[i].key;
    }
    if (!d->stop_grace_ms)
        d->stop_grace_ms = EXEC_DEFAULT_STOP_GRACE_MS;
    if (!d->max_output_bytes)
        d->max_output_bytes = EXEC_DEFAULT_MAX_OUTPUT;
    return ok ? 0 : BERTH_ENOMEM;
}

int exec_job_new(berth_engine *e, const exec_command *c, exec_job **out, char *err,
                 size_t errlen)
{
    *out = NULL;
    if (!c->name || !*c->name || !c->argv || !c->argv[0] || !*c->argv[0]) {
        snprintf(err, errlen, "a command job needs a name and a program (argv[0])");
        return BERTH_EINVAL;
    }
    exec_job *j = berth_calloc(1, sizeof *j);
    if (!j)
        return out_of_memory(err, errlen);
    int rc = copy_command(&j->c, c) != 0 ? out_of_memory(err, errlen) : 0;
    if (rc == 0)
        rc = resolve_env(j, err, errlen);
    berth_job_type t = {.name = j->c.name, .max_fails = j->c.max_fails,
                        .max_concurrency = j->c.max_concurrency, .priority = j->c.priority,
                        .should_retry = job_should_retry, .validate = job_validate,
                        .run = exec_run, .userdata = j};
    if (rc == 0 && berth_engine_register(e, &t) != 0) {
        snprintf(err, errlen, "cannot register job %s: the name is taken (by a built-in, a "
                 "plugin or another job) or not allowed", j->c.name);
        rc = BERTH_ECONFIG;
    }
    if (rc != 0) {
        exec_job_free(j);
        return rc;
    }
    exec_proc_subreaper();
    *out = j;
    return 0;
}

void exec_job_free(exec_job *j)
{
    if (!j)
        return;
    exec_command_clear(&j->c);
    free_strv(j->env);
    berth_free(j);
}

const exec_command *exec_job_command(const exec_job *j)
{
    return &j->c;
}

const char *const *exec_job_env(const exec_job *j)
{
    return (const char *const *)j->env;
}

size_t exec_job_nenv(const exec_job *j)
{
    return j->nenv;
}
