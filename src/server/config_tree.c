/* The one parse of the config text (libyaml builds a tree) and the table-driven walk over
 * it (config_internal.h) that fills berth_config.
 *
 * Why libyaml's tree and no schema library: the walk needs the tree anyway, to report a
 * syntax error where it is, to warn about unknown keys with their position and to read
 * the loggers' free-form settings; a schema loader (libcyaml) parsed the text a second time
 * and then read "1.5" as 1 and "flase" as true, which the tree had to check first.
 * docs/design-notes.md has the full reason.
 *
 * Aliases: libyaml's loader shares an aliased node instead of copying it, so a "billion
 * laughs" file is small as a tree but huge as a walk. The parse refuses any node reached
 * twice from the root (and a file nested deeper than a config ever is), so every walk
 * visits each node at most once. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "berth/error.h"
#include "server/config_internal.h"
#include "util/alloc.h"

/* ---- nodes ---- */

const char *config_node_scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

bool config_node_empty(const yaml_node_t *n)
{
    const char *v = config_node_scalar(n);
    return v && !*v;
}

bool config_node_null(const yaml_node_t *n)
{
    const char *v = config_node_scalar(n);
    return v && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (!*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
            strcmp(v, "NULL") == 0); /* YAML 1.1's nulls, as Go's decoder reads them */
}

const yaml_node_t *config_node(const config_walk *w, int index)
{
    return yaml_document_get_node(w->doc, index);
}

static const char *kind_name(const yaml_node_t *n)
{
    return n->type == YAML_MAPPING_NODE    ? "a mapping"
           : n->type == YAML_SEQUENCE_NODE ? "a sequence"
                                           : "a scalar";
}

int config_node_fail(config_walk *w, const yaml_node_t *n, const char *path, const char *fmt,
                     ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return config_fail(w->err, w->errlen, "line %zu, column %zu: %s%s%s",
                       n->start_mark.line + 1, n->start_mark.column + 1, path,
                       *path ? ": " : "", msg);
}

int config_node_string(config_walk *w, const yaml_node_t *n, const char *path,
                       const char **out)
{
    *out = NULL;
    if (n->type != YAML_SCALAR_NODE)
        return config_node_fail(w, n, path, "expected a string, found %s", kind_name(n));
    if (!config_node_null(n) && !config_node_empty(n))
        *out = config_node_scalar(n);
    return 0;
}

/* ---- parse ---- */

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

#define MAX_DEPTH 64

/* The search for aliases: every node is reached once from the root, so a node reached a
 * second time is an alias (or an anchor's own subtree, a cycle); seen marks the reached. */
typedef struct alias_search {
    yaml_document_t *doc;
    unsigned char *seen;
    char *err;
    size_t errlen;
} alias_search;

static int search(alias_search *s, const yaml_node_t *n, const char *path, int depth);

/* Child node c of path, found at position at (its key, or its sequence). */
static int reach(alias_search *s, int c, const yaml_node_t *at, const char *path, int depth)
{
    if (s->seen[c - 1]++)
        return config_fail(s->err, s->errlen, "line %zu, column %zu: %s%sYAML alias unsupported",
                           at->start_mark.line + 1, at->start_mark.column + 1, path,
                           *path ? ": " : "");
    return search(s, yaml_document_get_node(s->doc, c), path, depth + 1);
}

static int search(alias_search *s, const yaml_node_t *n, const char *path, int depth)
{
    if (depth > MAX_DEPTH)
        return config_fail(s->err, s->errlen, "line %zu, column %zu: %s: nested deeper than %d "
                           "levels", n->start_mark.line + 1, n->start_mark.column + 1, path,
                           MAX_DEPTH);
    char sub[256];
    int rc = 0;
    if (n->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
             rc == 0 && p < n->data.mapping.pairs.top; p++) {
            const yaml_node_t *k = yaml_document_get_node(s->doc, p->key);
            const char *ks = config_node_scalar(k);
            rc = reach(s, p->key, n, path, depth);
            snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", ks ? ks : "?");
            if (rc == 0)
                rc = reach(s, p->value, k, sub, depth);
        }
    else if (n->type == YAML_SEQUENCE_NODE)
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             rc == 0 && it < n->data.sequence.items.top; it++) {
            snprintf(sub, sizeof sub, "%s[%zu]", path,
                     (size_t)(it - n->data.sequence.items.start));
            rc = reach(s, *it, n, sub, depth);
        }
    return rc;
}

static int refuse_aliases(yaml_document_t *doc, char *err, size_t errlen)
{
    size_t count = (size_t)(doc->nodes.top - doc->nodes.start);
    alias_search s = {doc, berth_calloc(count ? count : 1, 1), err, errlen};
    s.seen[0] = 1; /* the root */
    int rc = search(&s, yaml_document_get_root_node(doc), "", 0);
    berth_free(s.seen);
    return rc;
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
    if (!root || config_node_null(root)) /* "", "---", "~" */
        rc = config_fail(err, errlen, "the config is empty (no YAML document)");
    else if (root->type != YAML_MAPPING_NODE)
        rc = config_fail(err, errlen,
                         "line %zu, column %zu: the top level must be a mapping of keys "
                         "(protocol, port, worker_pool, ...)",
                         root->start_mark.line + 1, root->start_mark.column + 1);
    else
        rc = refuse_aliases(doc, err, errlen);
    if (rc != 0)
        yaml_document_delete(doc);
    return rc;
}

/* ---- mappings ---- */

static const config_field *find_field(const config_field *f, const char *key)
{
    for (; f && f->key; f++)
        if (strcmp(f->key, key) == 0)
            return f;
    return NULL;
}

/* The first pair of mapping m whose key is k. */
static const yaml_node_pair_t *find_pair(const config_walk *w, const yaml_node_t *m,
                                         const char *k)
{
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top;
         pr++) {
        const char *pk = config_node_scalar(config_node(w, pr->key));
        if (pk && strcmp(pk, k) == 0)
            return pr;
    }
    return NULL;
}

static int read_pair(config_walk *w, const yaml_node_t *m, const yaml_node_pair_t *pr,
                     const config_field *fields, void *base, const char *path)
{
    const yaml_node_t *kn = config_node(w, pr->key), *vn = config_node(w, pr->value);
    const char *k = config_node_scalar(kn);
    if (!k)
        return config_node_fail(w, kn, path, "keys must be scalars");
    char sub[256];
    snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", k);
    const yaml_node_pair_t *first = find_pair(w, m, k);
    if (first != pr)
        return config_fail(w->err, w->errlen,
                           "line %zu, column %zu: %s: duplicate key (first at line %zu)",
                           kn->start_mark.line + 1, kn->start_mark.column + 1, sub,
                           config_node(w, first->key)->start_mark.line + 1);
    const config_field *f = find_field(fields, k);
    if (!f) {
        config_warn(w->cfg, "line %zu, column %zu: unknown key \"%s\" ignored",
                    kn->start_mark.line + 1, kn->start_mark.column + 1, sub);
        return 0;
    }
    if (f->seen && !config_node_empty(vn))
        *(bool *)((char *)base + f->seen - 1) = true;
    return f->read(w, vn, f, base, sub);
}

int config_walk_map(config_walk *w, const yaml_node_t *n, const config_field *fields,
                    void *base, const char *path)
{
    if (n->type != YAML_MAPPING_NODE)
        return config_node_fail(w, n, path, "expected a mapping, found %s", kind_name(n));
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
         pr++) {
        int rc = read_pair(w, n, pr, fields, base, path);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int config_read_map(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                    const char *path)
{
    if (config_node_empty(n)) /* "key:" means absent */
        return 0;
    return config_walk_map(w, n, f->sub, base, path);
}

int config_read_seq(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                    const char *path)
{
    if (config_node_empty(n))
        return 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return config_node_fail(w, n, path, "expected a sequence, found %s", kind_name(n));
    void **slot = (void **)((char *)base + f->off);
    size_t *count = (size_t *)((char *)base + f->count_off);
    size_t want = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (want == 0) /* the slot is still empty: a repeated key is refused before this */
        return 0;
    char *items = berth_calloc(want, f->elem_size);
    *slot = items;
    for (size_t i = 0; i < want; i++) {
        if (f->init)
            f->init(items + i * f->elem_size);
        *count = i + 1;
    }
    for (size_t i = 0; i < want; i++) {
        char sub[256];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        int rc = config_walk_map(w, config_node(w, n->data.sequence.items.start[i]), f->sub,
                                 items + i * f->elem_size, sub);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- scalars ---- */

int config_read_str(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                    const char *path)
{
    const char *v;
    int rc = config_node_string(w, n, path, &v);
    if (rc == 0)
        config_set_str((char **)((char *)base + f->off), v);
    return rc;
}

/* The text of a scalar row that is not a string; an error for anything else. */
static int scalar_text(config_walk *w, const yaml_node_t *n, const char *path,
                       const char *what, const char **out)
{
    *out = config_node_scalar(n);
    if (!*out)
        return config_node_fail(w, n, path, "expected %s, found %s", what, kind_name(n));
    return 0;
}

/* Go's decoder refuses "1.5" and "1e3" as integers, and so do we. Accepted: an optional
 * sign, then decimal digits or 0x hex (a leading 0 reads as octal, as strtoll does). */
static int parse_integer(config_walk *w, const yaml_node_t *n, const config_field *f,
                         const char *path, int64_t *out)
{
    const char *v;
    int rc = scalar_text(w, n, path, "an integer", &v);
    if (rc != 0)
        return rc;
    const char *p = v + (*v == '-' || *v == '+');
    bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
    const char *digits = hex ? p + 2 : p;
    size_t n_ok = strspn(digits, hex ? "0123456789abcdefABCDEF" : "0123456789");
    if (n_ok == 0 || digits[n_ok] != '\0')
        return config_node_fail(w, n, path, "not an integer: '%s'", v);
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 0);
    if (*end) /* "09": a leading 0 is octal, as in Go */
        return config_node_fail(w, n, path, "not an integer: '%s'", v);
    if (errno || x < f->min || x > f->max)
        return config_node_fail(w, n, path, "not a%s integer (or out of range): '%s'",
                                f->min == 0 ? " non-negative" : "n", v);
    *out = x;
    return 0;
}

int config_read_int(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                    const char *path)
{
    int64_t v;
    int rc = parse_integer(w, n, f, path, &v);
    if (rc == 0) /* clamped: validation then names the value as too big or too small */
        *(int *)((char *)base + f->off) = v > INT_MAX ? INT_MAX : v < INT_MIN ? INT_MIN : (int)v;
    return rc;
}

int config_read_i64(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                    const char *path)
{
    int64_t v;
    int rc = parse_integer(w, n, f, path, &v);
    if (rc == 0)
        *(int64_t *)((char *)base + f->off) = v;
    return rc;
}

/* Any word but false/no/off would read as true to a lax reader, so "flase" would turn a
 * feature on; Go's decoder refuses such a value, and so do we. */
int config_read_bool(config_walk *w, const yaml_node_t *n, const config_field *f, void *base,
                     const char *path)
{
    static const char *words[] = {"true", "yes", "on", "false", "no", "off"};
    const char *v;
    int rc = scalar_text(w, n, path, "a boolean", &v);
    for (size_t i = 0; rc == 0 && i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(v, words[i]) == 0) {
            *(bool *)((char *)base + f->off) = i < 3;
            return 0;
        }
    return rc ? rc : config_node_fail(w, n, path, "not a boolean: '%s' (use true or false)", v);
}

int config_read_number(config_walk *w, const yaml_node_t *n, const config_field *f,
                       void *base, const char *path)
{
    if (config_node_empty(n))
        return 0;
    const char *v;
    int rc = scalar_text(w, n, path, "a number", &v);
    if (rc != 0)
        return rc;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (!*v || *end || errno == ERANGE)
        return config_node_fail(w, n, path, "not a number: '%s'", v);
    *(double *)((char *)base + f->off) = d;
    return 0;
}
