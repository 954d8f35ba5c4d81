/* The libyaml view of the config text, for the three things libcyaml cannot do:
 *   - report a syntax error where it is (libcyaml names the enclosing key, not the spot);
 *   - read the loggers' free-form `settings` maps (libcyaml needs every key in a schema);
 *   - walk the tree beside the schema: warn about unknown keys with their position, name
 *     a duplicate key where it is repeated, and refuse integers and booleans libcyaml would
 *     misread ("1.5" → 1, "flase" → true).
 * libyaml's loader shares an aliased node instead of copying it, so a "billion laughs" file
 * is small as a tree but huge as a walk: the walk stops after as many visits as the tree has
 * nodes (an alias-free tree never needs more), and libcyaml refuses aliases anyway. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "berth/error.h"
#include "server/config_internal.h"
#include "util/alloc.h"

#define MAX_DEPTH 32
#define MAX_SETTINGS 64

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool is_null(const yaml_node_t *n)
{
    const char *v = scalar(n);
    return v && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (!*v || strcmp(v, "~") == 0 || strcasecmp(v, "null") == 0);
}

static size_t line_of_offset(const char *yaml, size_t len, size_t off)
{
    size_t line = 1;
    for (size_t i = 0; i < off && i < len; i++)
        line += yaml[i] == '\n';
    return line;
}

static int syntax_error(const yaml_parser_t *p, const char *yaml, size_t len, char *err,
                        size_t errlen)
{
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->error == YAML_READER_ERROR) /* bad encoding: only a byte offset is known */
        return config_fail(err, errlen, "line %zu: %s (byte offset %zu)",
                           line_of_offset(yaml, len, p->problem_offset), problem,
                           p->problem_offset);
    if (p->error == YAML_MEMORY_ERROR)
        return config_fail(err, errlen, "out of memory while parsing the config");
    if (p->context)
        return config_fail(err, errlen, "line %zu, column %zu: %s (%s at line %zu)",
                           p->problem_mark.line + 1, p->problem_mark.column + 1, problem,
                           p->context, p->context_mark.line + 1);
    return config_fail(err, errlen, "line %zu, column %zu: %s", p->problem_mark.line + 1,
                       p->problem_mark.column + 1, problem);
}

int config_tree_parse(const char *yaml, size_t len, yaml_document_t *doc, char *err,
                      size_t errlen)
{
    yaml_parser_t p;
    memset(doc, 0, sizeof *doc);
    if (!yaml_parser_initialize(&p))
        return config_fail(err, errlen, "out of memory while parsing the config");
    yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
    int ok = yaml_parser_load(&p, doc);
    int rc = ok ? 0 : syntax_error(&p, yaml, len, err, errlen);
    yaml_parser_delete(&p);
    if (rc != 0)
        return rc;
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (!root || is_null(root)) /* "", "---", "~" */
        rc = config_fail(err, errlen, "the config is empty (no YAML document)");
    else if (root->type != YAML_MAPPING_NODE)
        rc = config_fail(err, errlen,
                         "line %zu, column %zu: the top level must be a mapping of keys "
                         "(protocol, port, worker_pool, ...)",
                         root->start_mark.line + 1, root->start_mark.column + 1);
    if (rc != 0)
        yaml_document_delete(doc);
    return rc;
}

/* The value of key in mapping m, or NULL. */
static yaml_node_t *map_get(yaml_document_t *doc, const yaml_node_t *m, const char *key)
{
    if (!m || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top;
         pr++) {
        const char *k = scalar(yaml_document_get_node(doc, pr->key));
        if (k && strcmp(k, key) == 0)
            return yaml_document_get_node(doc, pr->value);
    }
    return NULL;
}

/* ---- unknown keys and booleans ---- */

typedef struct walker {
    yaml_document_t *doc;
    berth_config *cfg;
    char *err;
    size_t errlen;
    int rc;                      /* first error; the walk stops adding errors after it */
    size_t visits, max_visits;   /* bounds the walk (see the top of the file) */
} walker;

static const cyaml_schema_field_t *find_field(const cyaml_schema_field_t *f, const char *key)
{
    for (; f && f->key; f++)
        if (strcmp(f->key, key) == 0)
            return f;
    return NULL;
}

/* libcyaml reads every string but false/no/off/disable/0 as true, so "flase" would enable
 * a feature; Go's decoder refuses such a value, and so do we. */
static void check_bool(walker *w, const yaml_node_t *n, const char *path)
{
    static const char *ok[] = {"true", "false", "yes", "no", "on", "off"};
    const char *v = scalar(n);
    for (size_t i = 0; v && i < sizeof ok / sizeof ok[0]; i++)
        if (strcasecmp(v, ok[i]) == 0)
            return;
    if (v && w->rc == 0)
        w->rc = config_fail(w->err, w->errlen,
                            "line %zu, column %zu: %s: not a boolean: '%s' (use true or false)",
                            n->start_mark.line + 1, n->start_mark.column + 1, path, v);
}

/* The first pair of mapping m whose key is k. */
static const yaml_node_pair_t *find_pair(yaml_document_t *doc, const yaml_node_t *m,
                                         const char *k)
{
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top;
         pr++) {
        const char *pk = scalar(yaml_document_get_node(doc, pr->key));
        if (pk && strcmp(pk, k) == 0)
            return pr;
    }
    return NULL;
}

/* libcyaml reads "1.5" and "1e3" as 1; Go's decoder refuses them, and so do we. Accepted:
 * optional sign, then decimal digits or 0x hex (range is left to libcyaml). */
static void check_int(walker *w, const yaml_node_t *n, const char *path)
{
    const char *v = scalar(n);
    if (!v || w->rc != 0)
        return;
    const char *p = v + (*v == '-' || *v == '+');
    bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
    const char *digits = hex ? p + 2 : p;
    size_t n_ok = strspn(digits, hex ? "0123456789abcdefABCDEF" : "0123456789");
    if (n_ok > 0 && digits[n_ok] == '\0')
        return;
    w->rc = config_fail(w->err, w->errlen, "line %zu, column %zu: %s: not an integer: '%s'",
                        n->start_mark.line + 1, n->start_mark.column + 1, path, v);
}

static void walk(walker *w, const yaml_node_t *n, const cyaml_schema_value_t *s,
                 const char *path, int depth);

static void walk_mapping(walker *w, const yaml_node_t *n, const cyaml_schema_value_t *s,
                         const char *path, int depth)
{
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
         pr++) {
        const yaml_node_t *kn = yaml_document_get_node(w->doc, pr->key);
        const char *k = scalar(kn);
        if (!k) {
            if (w->rc == 0)
                w->rc = config_fail(w->err, w->errlen,
                                    "line %zu, column %zu: %s%skeys must be scalars",
                                    kn->start_mark.line + 1, kn->start_mark.column + 1, path,
                                    *path ? ": " : "");
            continue;
        }
        char sub[256];
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", k);
        const yaml_node_pair_t *first = find_pair(w->doc, n, k);
        const cyaml_schema_field_t *f = find_field(s->mapping.fields, k);
        if (first != pr && w->rc == 0)
            w->rc = config_fail(w->err, w->errlen,
                                "line %zu, column %zu: %s: duplicate key (first at line %zu)",
                                kn->start_mark.line + 1, kn->start_mark.column + 1, sub,
                                yaml_document_get_node(w->doc, first->key)->start_mark.line + 1);
        else if (!f)
            config_warn(w->cfg, "line %zu, column %zu: unknown key \"%s\" ignored",
                        kn->start_mark.line + 1, kn->start_mark.column + 1, sub);
        else if (f->value.type != CYAML_IGNORE)
            walk(w, yaml_document_get_node(w->doc, pr->value), &f->value, sub, depth + 1);
    }
}

static void walk(walker *w, const yaml_node_t *n, const cyaml_schema_value_t *s,
                 const char *path, int depth)
{
    if (!n || depth > MAX_DEPTH || w->rc != 0)
        return;
    if (++w->visits > w->max_visits) {
        w->rc = config_fail(w->err, w->errlen, "YAML aliases (*name) are not supported");
        return;
    }
    if (s->type == CYAML_BOOL) {
        check_bool(w, n, path);
    } else if (s->type == CYAML_INT || s->type == CYAML_UINT) {
        check_int(w, n, path);
    } else if (s->type == CYAML_MAPPING && n->type == YAML_MAPPING_NODE) {
        walk_mapping(w, n, s, path, depth);
    } else if (s->type == CYAML_SEQUENCE && n->type == YAML_SEQUENCE_NODE) {
        size_t i = 0;
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             it < n->data.sequence.items.top; it++, i++) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            walk(w, yaml_document_get_node(w->doc, *it), s->sequence.entry, sub, depth + 1);
        }
    }
}

int config_tree_check(yaml_document_t *doc, berth_config *cfg, char *err, size_t errlen)
{
    walker w = {doc, cfg, err, errlen, 0, 0, (size_t)(doc->nodes.top - doc->nodes.start)};
    walk(&w, yaml_document_get_root_node(doc), &config_yaml_schema, "", 0);
    return w.rc;
}

/* ---- settings maps ---- */

static int kv_add(config_map *m, const char *k, const yaml_node_t *v, const char *path,
                  char *err, size_t errlen)
{
    if (config_map_get(m, k))
        return config_fail(err, errlen, "line %zu, column %zu: %s.%s: duplicate key",
                           v->start_mark.line + 1, v->start_mark.column + 1, path, k);
    if (m->count >= MAX_SETTINGS)
        return config_fail(err, errlen, "%s: more than %d entries", path, MAX_SETTINGS);
    m->items = berth_realloc(m->items, (m->count + 1) * sizeof *m->items);
    m->items[m->count].key = berth_strdup(k);
    m->items[m->count].value = berth_strdup(is_null(v) ? "" : scalar(v));
    m->count++;
    return 0;
}

static int read_map(yaml_document_t *doc, const yaml_node_t *n, config_map *out,
                    const char *path, char *err, size_t errlen)
{
    if (!n || is_null(n))
        return 0;
    if (n->type != YAML_MAPPING_NODE)
        return config_fail(err, errlen, "line %zu, column %zu: %s: expected a mapping",
                           n->start_mark.line + 1, n->start_mark.column + 1, path);
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
         pr++) {
        const char *k = scalar(yaml_document_get_node(doc, pr->key));
        const yaml_node_t *v = yaml_document_get_node(doc, pr->value);
        if (!k || !scalar(v))
            return config_fail(err, errlen,
                               "line %zu, column %zu: %s: entries must be key: scalar",
                               v->start_mark.line + 1, v->start_mark.column + 1, path);
        int rc = kv_add(out, k, v, path, err, errlen);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int read_logger_maps(yaml_document_t *doc, const yaml_node_t *item, config_logger *l,
                            const char *path, char *err, size_t errlen)
{
    char sub[128];
    snprintf(sub, sizeof sub, "%s.settings", path);
    int rc = read_map(doc, map_get(doc, item, "settings"), &l->settings, sub, err, errlen);
    if (rc != 0)
        return rc;
    snprintf(sub, sizeof sub, "%s.sweeper.settings", path);
    const yaml_node_t *sw = map_get(doc, item, "sweeper");
    return read_map(doc, map_get(doc, sw, "settings"), &l->sweeper_settings, sub, err, errlen);
}

static int read_list(yaml_document_t *doc, const char *name, config_logger *l, size_t n,
                     char *err, size_t errlen)
{
    const yaml_node_t *seq = map_get(doc, yaml_document_get_root_node(doc), name);
    if (!seq || seq->type != YAML_SEQUENCE_NODE)
        return 0;
    size_t i = 0;
    for (yaml_node_item_t *it = seq->data.sequence.items.start;
         it < seq->data.sequence.items.top && i < n; it++, i++) {
        char path[64];
        snprintf(path, sizeof path, "%s[%zu]", name, i);
        int rc = read_logger_maps(doc, yaml_document_get_node(doc, *it), &l[i], path, err,
                                  errlen);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int config_tree_settings(yaml_document_t *doc, berth_config *cfg, char *err, size_t errlen)
{
    int rc = read_list(doc, "job_loggers", cfg->job_loggers, cfg->njob_loggers, err, errlen);
    if (rc == 0)
        rc = read_list(doc, "loggers", cfg->loggers, cfg->nloggers, err, errlen);
    return rc;
}
