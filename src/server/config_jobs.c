/* `berth.jobs` (command jobs) and `berth.plugins` (job plugin paths): the two rows of the
 * `berth:` table (config_yaml.c) that name a reader of this file. A job entry is walked
 * with its own table (job_fields) into an exec_command, so unknown keys inside it warn and
 * repeated keys are refused exactly as elsewhere in the config; what the generic readers
 * cannot say (argv that must be a list, the environment allowlist, seconds, the parameter
 * check, names required and unique) is said here, one line naming the key path and its
 * line/column. Meaning of the keys: docs/config.md and docs/own-jobs.md; what a run does
 * with them: src/exec/command.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "server/config_internal.h"
#include "util/alloc.h"

#define MAX_JOBS 256
#define MAX_ARGS 256
#define MAX_SECONDS 31536000.0   /* a year: timeouts and graces past it are typos */

#define SLOT(T, base, f) ((T *)((char *)(base) + (f)->off))

static size_t seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static const yaml_node_t *seq_item(config_walk *w, const yaml_node_t *n, size_t i)
{
    return config_node(w, n->data.sequence.items.start[i]);
}

/* ---- scalars ---- */

static int read_nonempty(config_walk *w, const yaml_node_t *n, const char *path, char **out)
{
    const char *v = NULL;
    int rc = config_node_string(w, n, path, &v);
    if (rc == 0 && (!v || !*v))
        rc = config_node_fail(w, n, path, "expected a non-empty string");
    if (rc == 0)
        *out = berth_strdup(v);
    return rc;
}

static int read_name(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                     const char *path)
{
    char **slot = SLOT(char *, base, f);
    berth_free(*slot);
    *slot = NULL;
    return read_nonempty(w, n, path, slot);
}

/* Seconds, decimals allowed, stored as milliseconds. */
static int read_seconds(config_walk *w, const yaml_node_t *n, const config_field *f,
                        void *base, const char *path)
{
    const char *v = config_node_scalar(n);
    char *end = NULL;
    double d = v ? strtod(v, &end) : NAN;
    if (!v || end == v || *end || !isfinite(d) || d < 0 || d > MAX_SECONDS)
        return config_node_fail(w, n, path, "expected seconds (a number from 0 to %.0f), got "
                                "'%s'", MAX_SECONDS, v ? v : "a collection");
    *SLOT(unsigned, base, f) = (unsigned)llround(d * 1000);
    return 0;
}

static int read_size(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                     const char *path)
{
    int64_t v = 0;
    config_field as_i64 = {.read = config_read_i64, .min = 1, .max = 1 << 30};
    int rc = config_read_i64(w, n, &as_i64, &v, path);
    if (rc == 0)
        *SLOT(size_t, base, f) = (size_t)v;
    return rc;
}

/* A sequence of non-empty strings → a NULL-terminated array (an empty value → NULL). */
static int read_strv(config_walk *w, const yaml_node_t *n, const char *path, char ***out)
{
    if (config_node_null(n))
        return 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return config_node_fail(w, n, path, "expected a list");
    size_t cnt = seq_len(n);
    if (cnt > MAX_ARGS)
        return config_node_fail(w, n, path, "more than %d entries", MAX_ARGS);
    char **v = berth_calloc(cnt + 1, sizeof *v);
    *out = v;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < cnt; i++) {
        char sub[300];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        rc = read_nonempty(w, seq_item(w, n, i), sub, &v[i]);
    }
    return rc;
}

/* ---- the keys of a job with a meaning of their own ---- */

static int read_command(config_walk *w, const yaml_node_t *n, const config_field *f,
                        void *base, const char *path)
{
    exec_command *c = base;
    (void)f;
    if (config_node_scalar(n) && !config_node_null(n))
        return config_node_fail(w, n, path, "must be a list of arguments (argv), e.g. "
                                "[/usr/bin/env, python3, job.py]; it never runs through a "
                                "shell (to use one, write [/bin/sh, -c, '...'])");
    int rc = read_strv(w, n, path, &c->argv);
    if (rc == 0 && (!c->argv || !c->argv[0]))
        rc = config_node_fail(w, n, path, "needs at least the program");
    return rc;
}

static int read_env(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                    const char *path)
{
    exec_command *c = base;
    (void)f;
    int rc = read_strv(w, n, path, &c->env);
    for (size_t i = 0; rc == 0 && c->env && c->env[i]; i++) {
        const char *e = c->env[i];
        int len = (int)strcspn(e, "=");
        char sub[300];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        if (!exec_env_name_ok(e, (size_t)len))
            rc = config_node_fail(w, seq_item(w, n, i), sub, "'%.*s' is not a variable name "
                                  "(NAME or NAME=value)", len, e);
        else if (exec_env_forbidden(e))
            rc = config_node_fail(w, seq_item(w, n, i), sub, "%.*s is never passed to a job "
                                  "(secrets, Redis and database settings, and the names Berth "
                                  "sets itself)", len, e);
    }
    return rc;
}

/* The rule of parameter key in c, added when new. */
static exec_param_rule *rule_for(exec_command *c, const char *key)
{
    for (size_t i = 0; i < c->nparams; i++)
        if (strcmp(c->params[i].key, key) == 0)
            return &c->params[i];
    c->params = berth_realloc(c->params, (c->nparams + 1) * sizeof *c->params);
    c->params[c->nparams] = (exec_param_rule){.key = berth_strdup(key)};
    return &c->params[c->nparams++];
}

static int read_required(config_walk *w, const yaml_node_t *n, const config_field *f,
                         void *base, const char *path)
{
    char **keys = NULL;
    (void)f;
    int rc = read_strv(w, n, path, &keys);
    for (size_t i = 0; keys && keys[i]; i++) {
        if (rc == 0)
            rule_for(base, keys[i])->required = true;
        berth_free(keys[i]);
    }
    berth_free(keys);
    return rc;
}

/* `types`: parameter → a type name or a list of them. */
static int read_types(config_walk *w, const yaml_node_t *n, const config_field *f,
                      void *base, const char *path)
{
    (void)f;
    if (config_node_null(n))
        return 0;
    if (n->type != YAML_MAPPING_NODE)
        return config_node_fail(w, n, path, "expected a mapping of parameter: type");
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *k = config_node_scalar(config_node(w, p->key));
        const yaml_node_t *v = config_node(w, p->value);
        bool list = v->type == YAML_SEQUENCE_NODE;
        if (!k)
            return config_node_fail(w, config_node(w, p->key), path, "keys must be scalars");
        for (size_t i = 0; i < (list ? seq_len(v) : 1); i++) {
            const yaml_node_t *t = list ? seq_item(w, v, i) : v;
            unsigned bit = exec_param_type(config_node_scalar(t));
            if (!bit)
                return config_node_fail(w, t, path, "unknown type '%s' (string, number, "
                                        "integer, boolean, object, array or null)",
                                        config_node_scalar(t) ? config_node_scalar(t)
                                                              : "a collection");
            rule_for(base, k)->types |= bit;
        }
    }
    return 0;
}

static const config_field param_fields[] = {
    {.key = "required", .read = read_required},
    {.key = "types", .read = read_types},
    {0}};

static int read_params(config_walk *w, const yaml_node_t *n, const config_field *f,
                       void *base, const char *path)
{
    (void)f;
    if (config_node_null(n))
        return 0;
    if (n->type != YAML_MAPPING_NODE)
        return config_node_fail(w, n, path, "expected a mapping with `required` and/or "
                                "`types`");
    return config_walk_map(w, n, param_fields, base, path);
}

#define COUNT(k, m) \
    {.key = k, .read = config_read_int, .off = offsetof(exec_command, m), .min = 0, \
     .max = 1000000}

static const config_field job_fields[] = {
    {.key = "name", .read = read_name, .off = offsetof(exec_command, name)},
    {.key = "command", .read = read_command},
    {.key = "dir", .read = read_name, .off = offsetof(exec_command, dir)},
    {.key = "env", .read = read_env},
    {.key = "timeout_seconds", .read = read_seconds, .off = offsetof(exec_command, timeout_ms)},
    {.key = "stop_grace_seconds", .read = read_seconds,
     .off = offsetof(exec_command, stop_grace_ms)},
    COUNT("max_fails", max_fails),
    {.key = "should_retry", .read = config_read_bool, .off = offsetof(exec_command, should_retry)},
    COUNT("max_concurrency", max_concurrency),
    COUNT("priority", priority),
    {.key = "max_output_bytes", .read = read_size, .off = offsetof(exec_command, max_output_bytes)},
    {.key = "parameters", .read = read_params},
    {0}};

static void job_init(void *elem)
{
    ((exec_command *)elem)->should_retry = true;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= 128 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.") == n;
}

/* What the table cannot say about job i: name and command present, the name usable, and
 * not taken by an earlier job. */
static int check_job(config_walk *w, const yaml_node_t *n, const berth_config *cfg, size_t i,
                     const char *path)
{
    const exec_command *c = &cfg->jobs[i];
    if (!c->name)
        return config_node_fail(w, n, path, "`name` is required");
    if (!name_ok(c->name))
        return config_node_fail(w, n, path, "name '%s': use letters, digits, '_', '-' or '.' "
                                "(at most 128)", c->name);
    if (!c->argv)
        return config_node_fail(w, n, path, "`command` is required (the program and its "
                                "arguments, a list)");
    for (size_t k = 0; k < i; k++)
        if (strcmp(cfg->jobs[k].name, c->name) == 0)
            return config_node_fail(w, n, path, "name '%s' is already used by %s[%zu]",
                                    c->name, "berth.jobs", k);
    return 0;
}

int config_read_jobs(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                     const char *path)
{
    (void)f;
    berth_config *cfg = base;
    if (!config_node_empty(n) && n->type == YAML_SEQUENCE_NODE && seq_len(n) > MAX_JOBS)
        return config_node_fail(w, n, path, "more than %d jobs", MAX_JOBS);
    config_field seq = {.read = config_read_seq, .off = offsetof(berth_config, jobs),
                        .sub = job_fields, .elem_size = sizeof(exec_command),
                        .count_off = offsetof(berth_config, njobs), .init = job_init};
    int rc = config_read_seq(w, n, &seq, cfg, path);
    for (size_t i = 0; rc == 0 && i < cfg->njobs; i++) {
        char sub[300];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        rc = check_job(w, seq_item(w, n, i), cfg, i, sub);
    }
    return rc;
}

int config_read_plugins(config_walk *w, const yaml_node_t *n, const config_field *f,
                        void *base, const char *path)
{
    (void)f;
    berth_config *cfg = base;
    int rc = read_strv(w, n, path, &cfg->plugins);
    while (cfg->plugins && cfg->plugins[cfg->nplugins])
        cfg->nplugins++;
    return rc;
}

void config_jobs_free(berth_config *cfg)
{
    for (size_t i = 0; i < cfg->njobs; i++)
        exec_command_clear(&cfg->jobs[i]);
    berth_free(cfg->jobs);
    for (size_t i = 0; cfg->plugins && cfg->plugins[i]; i++)
        berth_free(cfg->plugins[i]);
    berth_free(cfg->plugins);
    cfg->jobs = NULL;
    cfg->plugins = NULL;
    cfg->njobs = cfg->nplugins = 0;
}
