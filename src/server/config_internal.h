/* Shared between the config_*.c files only: the load steps (see config.h) and the helpers
 * they use to report errors and warnings. Nothing outside src/server/config*.c includes it. */
#ifndef BERTH_SERVER_CONFIG_INTERNAL_H
#define BERTH_SERVER_CONFIG_INTERNAL_H

#include <cyaml/cyaml.h>
#include <stdarg.h>
#include <yaml.h>

#include "server/config.h"

#define CONFIG_MAX_WARNINGS 64

/* Step 1: YAML text → cfg (strings "" or values as given, no defaults). */
int config_yaml_load(const char *yaml, size_t len, berth_config *cfg, char *err,
                     size_t errlen);
/* Step 2: JOB_SERVICE_* overrides from envp (may be NULL). */
int config_env_apply(berth_config *cfg, const char *const *envp, char *err, size_t errlen);
/* Step 3: defaults and normalisation; cannot fail. */
void config_defaults_apply(berth_config *cfg);
/* Step 4: checks; also parses pool.redis_url into pool.redis. */
int config_validate(berth_config *cfg, char *err, size_t errlen);

/* The libcyaml schema of the whole file (config_yaml.c); the tree walk uses it to know
 * which keys exist. */
extern const cyaml_schema_value_t config_yaml_schema;

/* The libyaml tree of the same text (config_tree.c). Parses yaml into doc; a syntax error,
 * an empty file or a top level that is not a mapping → BERTH_ECONFIG with line/column.
 * On success the caller must yaml_document_delete(doc). */
int config_tree_parse(const char *yaml, size_t len, yaml_document_t *doc, char *err,
                      size_t errlen);
/* Adds a warning for every key the schema does not know (they are ignored, as Harbor's Go
 * YAML decoder ignores them); fails on a boolean key whose value is not
 * true/false/yes/no/on/off. */
int config_tree_check(yaml_document_t *doc, berth_config *cfg, char *err, size_t errlen);
/* Fills the loggers' settings and sweeper settings maps (free-form, so libcyaml cannot). */
int config_tree_settings(yaml_document_t *doc, berth_config *cfg, char *err, size_t errlen);

/* Writes one line into err and returns BERTH_ECONFIG. */
int config_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends a warning line (dropped past CONFIG_MAX_WARNINGS, the last slot says so). */
void config_warn(berth_config *cfg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Replaces *slot with a copy of s (NULL → ""). */
void config_set_str(char **slot, const char *s);
/* Frees a logger array of n entries. */
void config_loggers_free(config_logger *l, size_t n);

#endif
