/* Shared between the config_*.c files only: the load steps (see config.h), the table-driven
 * walk over the libyaml tree that step 1 uses (config_tree.c), and the helpers that report
 * errors and warnings. Nothing outside src/server/config*.c includes it.
 *
 * The walk: a mapping in the file is described by a table of config_field rows ended by a
 * row with a NULL key. Each row names its key, the function that reads the value and where
 * in the target struct the value goes (offsetof). A row whose value is a section with its
 * own shape (the loggers' free-form settings, a section another module parses) simply
 * names its own read function: it gets the libyaml node and may walk it with the helpers
 * below, so a new section is one row and one function. */
#ifndef BERTH_SERVER_CONFIG_INTERNAL_H
#define BERTH_SERVER_CONFIG_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "server/config.h"

#define CONFIG_MAX_WARNINGS 64

/* Step 1: YAML text → cfg (config_yaml.c; Berth's keys get their defaults here, where an
 * absent key can still be told from 0). */
int config_yaml_load(const char *yaml, size_t len, berth_config *cfg, char *err,
                     size_t errlen);
/* Step 2: JOB_SERVICE_* overrides from envp (may be NULL). */
int config_env_apply(berth_config *cfg, const char *const *envp, char *err, size_t errlen);
/* Step 3: defaults and normalisation; cannot fail. */
void config_defaults_apply(berth_config *cfg);
/* Step 4: checks; also parses pool.redis_url into pool.redis. */
int config_validate(berth_config *cfg, char *err, size_t errlen);

/* ---- the walk (config_tree.c) ---- */

/* One walk over one parsed document. The first error ends it. */
typedef struct config_walk {
    yaml_document_t *doc;
    berth_config *cfg;           /* where warnings go */
    char *err;
    size_t errlen;
} config_walk;

typedef struct config_field config_field;

/* Reads n, the value of f's key (never NULL), into base. 0, or BERTH_ECONFIG through
 * config_node_fail. path is the key path so far ("berth.hooks.retry_hours"). */
typedef int (*config_read_fn)(config_walk *w, const yaml_node_t *n, const config_field *f,
                              void *base, const char *path);

struct config_field {
    const char *key;             /* NULL ends a table */
    config_read_fn read;
    size_t off;                  /* where the value goes in base */
    size_t seen;                 /* 1 + offset of a bool set when the key has a non-empty
                                    value; 0 = none */
    const config_field *sub;     /* mapping and sequence rows: the entries' fields */
    size_t elem_size;            /* sequence rows: size of one entry */
    size_t count_off;            /* sequence rows: where the size_t entry count goes */
    void (*init)(void *elem);    /* sequence rows: prepares an entry before it is read */
    int64_t min, max;            /* integer rows: the range accepted */
};

/* Parses yaml into doc; a syntax error, an empty file, a top level that is not a mapping or
 * an alias (*name) → BERTH_ECONFIG with line/column. On success the caller must
 * yaml_document_delete(doc). */
int config_tree_parse(const char *yaml, size_t len, yaml_document_t *doc, char *err,
                      size_t errlen);

/* Walks mapping n with the table fields into base: a key not in the table is a warning
 * (ignored, as Harbor's Go decoder ignores it), a repeated key or a key that is not a
 * scalar is an error. */
int config_walk_map(config_walk *w, const yaml_node_t *n, const config_field *fields,
                    void *base, const char *path);

/* The readers for the rows of a table. str: char * (empty → ""); int: int, parsed in
 * [min, max] and stored clamped to int's range; i64: int64_t in [min, max]; bool: true,
 * false, yes, no, on, off in any case; number: double (empty keeps the slot); map: the
 * row's sub-table on the same base; seq: an array of elem_size entries, each a mapping
 * read with the sub-table. */
int config_read_str(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                    const char *path);
int config_read_int(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                    const char *path);
int config_read_i64(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                    const char *path);
int config_read_bool(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                     const char *path);
int config_read_number(config_walk *w, const yaml_node_t *n, const config_field *f,
                       void *base, const char *path);
int config_read_map(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                    const char *path);
int config_read_seq(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                    const char *path);

/* Node helpers for read functions. */
const char *config_node_scalar(const yaml_node_t *n);   /* its text, or NULL */
bool config_node_empty(const yaml_node_t *n);           /* an empty value ("key:", "key: ''") */
bool config_node_null(const yaml_node_t *n);            /* empty, ~ or null (plain) */
const yaml_node_t *config_node(const config_walk *w, int index);
/* *out = n's text, NULL for a null value; an error naming path if n is not a scalar. */
int config_node_string(config_walk *w, const yaml_node_t *n, const char *path,
                       const char **out);
/* One line "line L, column C: path: message" (n's position) into w->err; BERTH_ECONFIG. */
int config_node_fail(config_walk *w, const yaml_node_t *n, const char *path, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));

/* ---- sections other modules read ---- */

/* `berth.jobs` and `berth.plugins` (config_jobs.c) into berth_config jobs/njobs and
 * plugins/nplugins (base is the berth_config); config_jobs_free undoes both (config_free
 * calls it). */
int config_read_jobs(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                     const char *path);
int config_read_plugins(config_walk *w, const yaml_node_t *n, const config_field *f,
                        void *base, const char *path);
void config_jobs_free(berth_config *cfg);

/* `berth.namespaces` (config_tenants.c): workers 0 → worker_pool.workers (step 3); the
 * checks (step 4): names valid, not the default namespace, not repeated, at most
 * CONFIG_MAX_TENANTS; two namespaces in one cluster hash slot are a warning. */
void config_tenants_defaults(berth_config *cfg);
int config_tenants_check(berth_config *cfg, char *err, size_t errlen);
void config_tenants_free(berth_config *cfg);

/* ---- messages and memory (config.c) ---- */

/* Writes one line into err and returns BERTH_ECONFIG. */
int config_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends a warning line (dropped past CONFIG_MAX_WARNINGS, the last slot says so). */
void config_warn(berth_config *cfg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Replaces *slot with a copy of s (NULL → ""). */
void config_set_str(char **slot, const char *s);
/* Sets every string of cfg to "" (step 1 starts from there). */
void config_strings_init(berth_config *cfg);
/* Frees a logger array of n entries. */
void config_loggers_free(config_logger *l, size_t n);

#endif
