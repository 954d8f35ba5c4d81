/* berth_stats ↔ the stats hash; see stats_hash.h.
 *
 * Reading mirrors Harbor's tracker Load (strconv with errors ignored), for both layouts:
 * Harbor's, and Berth's compact one (written by stats_hset() in src/store/lua/_lib.lua,
 * docs/redis-schema.md): short names n/e/p for name/enqueue_time/parameters, values over
 * 64 bytes in pieces "<field>#1", "<field>#2"..., the ack as "<status> <revision>
 * <check_in_at>", and id, kind Generic and unique false left out. Writing is Berth's
 * choice: empty optional fields are not stored at all (Harbor writes "" and "0"), which
 * reads back the same through Load and saves memory per job. */
#include "model/stats_hash.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "model/ack.h"
#include "model/json_parse.h"
#include "util/alloc.h"
#include "util/buf.h"

/* Go's strconv.ParseInt(v, 10, 64) with the error ignored: bad syntax → 0, overflow →
 * the limit in the number's direction. */
static int64_t go_parse_int(const char *v)
{
    bool neg = *v == '-';
    if (*v == '+' || *v == '-')
        v++;
    if (!*v)
        return 0;
    uint64_t acc = 0, cut = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return 0;
        acc = acc * 10 + (uint64_t)(*v - '0');
        if (acc > cut)
            return neg ? INT64_MIN : INT64_MAX;
    }
    return neg ? (int64_t)(0 - acc) : (int64_t)acc;
}

static bool go_parse_bool(const char *v)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (strcmp(v, yes[i]) == 0)
            return true;
    return false;
}

/* 0 or BERTH_ENOMEM. */
static int set_str(char **dst, const char *v)
{
    return berth_strdup_to(dst, *v ? v : NULL);
}

/* Kept verbatim when it is a JSON object, dropped otherwise (Go: Unmarshal error → nil). */
static int set_params(char **dst, const char *v)
{
    json_t *j = NULL;
    char err[160];
    berth_free(*dst);
    *dst = NULL;
    int rc = berth__json_parse(v, strlen(v), BERTH_JSON_MAX_DEPTH, &j, NULL, err, sizeof err);
    if (rc != 0)
        return rc == BERTH_ENOMEM ? rc : 0;
    rc = json_is_object(j) ? berth_strdup_to(dst, v) : 0;
    json_decref(j);
    return rc;
}

/* Berth's "<status> <revision>" or "<status> <revision> <+/-delta>" (check_in_at =
 * revision + delta; absent: 0); 0, BERTH_EINVAL (not that form) or BERTH_ENOMEM. */
static int compact_ack(const char *v, berth_ack *out)
{
    size_t sl = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    char *end = NULL;
    if (v[sl] != ' ' || (v[sl + 1] != '-' && (v[sl + 1] < '0' || v[sl + 1] > '9')))
        return BERTH_EINVAL;
    long long rev = strtoll(v + sl + 1, &end, 10), cat = 0;
    if (end == v + sl + 1 || (*end && *end != ' '))
        return BERTH_EINVAL;
    if (*end) {
        const char *d = end + 1;
        if ((*d != '+' && *d != '-') || d[1] < '0' || d[1] > '9')
            return BERTH_EINVAL;
        long long delta = strtoll(d, &end, 10);
        if (*end || __builtin_add_overflow(rev, delta, &cat))
            return BERTH_EINVAL;
    }
    if (!(out->status = berth_strndup(v, sl)))
        return BERTH_ENOMEM;
    out->revision = rev;
    out->check_in_at = cat;
    return 0;
}

static void set_ack(berth_ack *a, const char *v)
{
    berth_ack fresh = {0};
    if (compact_ack(v, &fresh) != 0 && berth_ack_parse(v, &fresh) != 0)
        return;
    berth_free(a->status);
    *a = fresh;
}

/* 1 when f is a string field (set), 0 when not, BERTH_ENOMEM. */
static int apply_str(berth_stats *s, const char *f, const char *v)
{
    char **dst = !strcmp(f, "id") ? &s->id
               : !strcmp(f, "status") ? &s->status
               : !strcmp(f, "name") || !strcmp(f, "n") ? &s->name
               : !strcmp(f, "kind") ? &s->kind
               : !strcmp(f, "ref_link") ? &s->ref_link
               : !strcmp(f, "cron_spec") ? &s->cron_spec
               : !strcmp(f, "web_hook_url") ? &s->web_hook_url
               : !strcmp(f, "upstream_job_id") ? &s->upstream_job_id
               : NULL;
    if (!dst)
        return 0;
    return set_str(dst, v) ? BERTH_ENOMEM : 1;
}

static bool apply_int(berth_stats *s, const char *f, const char *v)
{
    int64_t *dst = !strcmp(f, "enqueue_time") || !strcmp(f, "e") ? &s->enqueue_time
                 : !strcmp(f, "update_time") ? &s->update_time
                 : !strcmp(f, "run_at") ? &s->run_at
                 : !strcmp(f, "check_in_at") ? &s->check_in_at
                 : !strcmp(f, "die_at") ? &s->die_at
                 : !strcmp(f, "numeric_policy_id") ? &s->numeric_policy_id
                 : !strcmp(f, "revision") ? &s->revision
                 : NULL;
    if (dst)
        *dst = go_parse_int(v);
    return dst != NULL;
}

static int apply(berth_stats *s, const char *f, const char *v)
{
    int rc = apply_str(s, f, v);
    if (rc != 0 || apply_int(s, f, v))
        return rc < 0 ? rc : 0;
    if (!strcmp(f, "unique"))
        s->unique = go_parse_bool(v);
    else if (!strcmp(f, "parameters") || !strcmp(f, "p"))
        return set_params(&s->parameters, v);
    else if (!strcmp(f, "ack"))
        set_ack(&s->ack, v);
    /* check_in is never read back (spec §2.6); anything else is unknown */
    return 0;
}

/* The piece number of "<base>#<k>" (k >= 1) and the base's length, or 0 for any other
 * field name. */
static size_t piece_of(const char *f, size_t *baselen)
{
    const char *h = strchr(f, '#');
    if (!h || h == f || h[1] < '1' || h[1] > '9' || strspn(h + 1, "0123456789") != strlen(h + 1))
        return 0;
    *baselen = (size_t)(h - f);
    return (size_t)strtoul(h + 1, NULL, 10);
}

/* Joins the pieces of the field whose piece 1 is fields[at] (pieces 1, 2, ... up to the
 * first one missing, at most MAX_PIECES: a listpack hash has at most 128 entries, Berth
 * writes at most 48 pieces) and applies the whole value. 0 or BERTH_ENOMEM. */
#define MAX_PIECES 128
static int apply_pieces(berth_stats *s, const char *const *fields, const char *const *values,
                        size_t n, size_t at, size_t baselen)
{
    buf b;
    buf_init(&b, 0);  /* no cap: the pieces are already in memory */
    char name[64];
    if (baselen >= sizeof name)
        return 0;     /* not a field Berth writes */
    memcpy(name, fields[at], baselen);
    name[baselen] = '\0';
    for (size_t k = 1, found = 1; found && k <= MAX_PIECES; k++) {
        found = 0;
        for (size_t i = 0; i < n && !found; i++) {
            size_t bl = 0;
            if (fields[i] && values[i] && piece_of(fields[i], &bl) == k && bl == baselen &&
                !strncmp(fields[i], name, baselen)) {
                buf_append(&b, values[i], strlen(values[i]));
                found = 1;
            }
        }
    }
    int rc = b.err ? BERTH_ENOMEM : 0;
    if (rc == 0 && buf_append(&b, "", 1) == 0)
        rc = apply(s, name, b.p);
    buf_free(&b);
    return rc;
}

/* Whether the hash has field f (its value may be anything). */
static bool has_field(const char *const *fields, const char *const *values, size_t n,
                      const char *f)
{
    for (size_t i = 0; i < n; i++)
        if (fields[i] && values[i] && !strcmp(fields[i], f))
            return true;
    return false;
}

/* Berth's layout leaves out what it can derive: the id (the key's), kind Generic, unique
 * false (already the default), and while a job is untouched since its launch its status,
 * Pending then, and its enqueue time and update_time, which equal its revision then
 * (enqueue.c; every status change writes the status and update_time, and every script
 * that changes a revision writes `e` first: keep_e in src/store/lua/_lib.lua). The status
 * follows the scripts' rule (stats_status in _lib.lua): none with a revision is Pending.
 * A hash is Berth's when it has the short name "n". */
static int derive(berth_stats *s, const char *id, const char *const *fields,
                  const char *const *values, size_t n)
{
    if (!has_field(fields, values, n, "n"))
        return 0;
    if (!has_field(fields, values, n, "e") && !has_field(fields, values, n, "enqueue_time"))
        s->enqueue_time = s->revision;
    if (!has_field(fields, values, n, "update_time"))
        s->update_time = s->revision;
    if (!s->status && has_field(fields, values, n, "revision") &&
        berth_strdup_to(&s->status, berth_status_name(BERTH_STATUS_PENDING)) != 0)
        return BERTH_ENOMEM;
    if (!s->id && id && *id && berth_strdup_to(&s->id, id) != 0)
        return BERTH_ENOMEM;
    if (!s->kind && berth_strdup_to(&s->kind, BERTH_KIND_GENERIC) != 0)
        return BERTH_ENOMEM;
    return 0;
}

bool berth_stats_field_is_params(const char *f)
{
    size_t bl = 0;
    return f && (!strcmp(f, "parameters") || !strcmp(f, "p") ||
                 (piece_of(f, &bl) && bl == 1 && f[0] == 'p'));
}

int berth_stats_from_hash(const char *const *fields, const char *const *values, size_t n,
                          berth_stats **out)
{
    return berth_stats_from_hash_id(NULL, fields, values, n, out);
}

int berth_stats_from_hash_id(const char *id, const char *const *fields,
                             const char *const *values, size_t n, berth_stats **out)
{
    if (n == 0)
        return BERTH_ENOTFOUND;
    berth_stats *s = berth_stats_new();
    int rc = s ? 0 : BERTH_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t bl = 0;
        if (!fields[i] || !values[i])
            continue;
        size_t k = piece_of(fields[i], &bl);
        if (k == 0)
            rc = apply(s, fields[i], values[i]);
        else if (k == 1)
            rc = apply_pieces(s, fields, values, n, i, bl);
    }
    if (rc == 0)
        rc = derive(s, id, fields, values, n);
    if (rc != 0) {
        berth_stats_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* ---- writing ------------------------------------------------------------------------- */

/* Out of memory (value NULL) the pair is left out and h->nomem set. */
static void add(berth_stats_hash *h, const char *field, char *value)
{
    if (!value) {
        h->nomem = true;
        return;
    }
    h->fields[h->n] = field;
    h->values[h->n++] = value;
}

static void add_str(berth_stats_hash *h, const char *field, const char *v, bool always)
{
    if (always || (v && *v))
        add(h, field, berth_strdup(v ? v : ""));
}

static void add_int(berth_stats_hash *h, const char *field, int64_t v, bool always)
{
    if (!always && v == 0)
        return;
    char t[24];
    snprintf(t, sizeof t, "%" PRId64, v);
    add(h, field, berth_strdup(t));
}

static void add_ack(berth_stats_hash *h, const berth_ack *a)
{
    if (!a->status)
        return;
    buf b;
    buf_init(&b, 0);  /* no cap: three short fields of an ack already in memory */
    berth_ack_to_json(a, &b);
    add(h, "ack", buf_release(&b));   /* NULL when b ran out of memory */
}

int berth_stats_to_hash(const berth_stats *s, berth_stats_hash **out)
{
    berth_stats_hash *h = berth_calloc(1, sizeof *h);
    if (!h)
        return BERTH_ENOMEM;
    add_str(h, "id", s->id, true);
    add_str(h, "name", s->name, true);
    add_str(h, "kind", s->kind, true);
    add_str(h, "unique", s->unique ? "1" : "0", true);
    add_str(h, "status", s->status, true);
    add_str(h, "ref_link", s->ref_link, false);
    add_int(h, "enqueue_time", s->enqueue_time, true);
    add_int(h, "update_time", s->update_time, true);
    add_int(h, "run_at", s->run_at, false);
    add_str(h, "cron_spec", s->cron_spec, false);
    add_str(h, "web_hook_url", s->web_hook_url, false);
    add_int(h, "numeric_policy_id", s->numeric_policy_id, false);
    add_str(h, "check_in", s->check_in && *s->check_in ? "[REDUNDANT]" : NULL, false);
    add_int(h, "check_in_at", s->check_in_at, false);
    add_int(h, "die_at", s->die_at, false);
    add_str(h, "upstream_job_id", s->upstream_job_id, false);
    add_str(h, "parameters", s->parameters, false);
    add_int(h, "revision", s->revision, true);
    add_ack(h, &s->ack);
    if (h->nomem) {
        berth_stats_hash_free(h);
        return BERTH_ENOMEM;
    }
    *out = h;
    return 0;
}

void berth_stats_hash_free(berth_stats_hash *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        berth_free(h->values[i]);
    berth_free(h);
}
