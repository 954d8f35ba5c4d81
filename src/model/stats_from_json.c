/* StatsInfo JSON → berth_stats; see stats_from_json.h.
 *
 * A table maps each JSON field to its place in the struct and its Go type; one loop over
 * the object's members (document order, so the first wrong type is reported, like Go)
 * applies them. */
#include "model/stats_from_json.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "model/ack.h"
#include "model/json_field.h"
#include "model/json_parse.h"
#include "model/json_write.h"
#include "util/alloc.h"

enum ftype { F_STR, F_INT, F_BOOL, F_PARAMS, F_ACK };

static const struct sfield {
    const char *name;
    enum ftype type;
    size_t off;
} fields[] = {
    {"id", F_STR, offsetof(berth_stats, id)},
    {"status", F_STR, offsetof(berth_stats, status)},
    {"name", F_STR, offsetof(berth_stats, name)},
    {"kind", F_STR, offsetof(berth_stats, kind)},
    {"unique", F_BOOL, offsetof(berth_stats, unique)},
    {"ref_link", F_STR, offsetof(berth_stats, ref_link)},
    {"cron_spec", F_STR, offsetof(berth_stats, cron_spec)},
    {"enqueue_time", F_INT, offsetof(berth_stats, enqueue_time)},
    {"update_time", F_INT, offsetof(berth_stats, update_time)},
    {"run_at", F_INT, offsetof(berth_stats, run_at)},
    {"check_in", F_STR, offsetof(berth_stats, check_in)},
    {"check_in_at", F_INT, offsetof(berth_stats, check_in_at)},
    {"die_at", F_INT, offsetof(berth_stats, die_at)},
    {"web_hook_url", F_STR, offsetof(berth_stats, web_hook_url)},
    {"upstream_job_id", F_STR, offsetof(berth_stats, upstream_job_id)},
    {"numeric_policy_id", F_INT, offsetof(berth_stats, numeric_policy_id)},
    {"parameters", F_PARAMS, offsetof(berth_stats, parameters)},
    {"revision", F_INT, offsetof(berth_stats, revision)},
    {"ack", F_ACK, offsetof(berth_stats, ack)},
};

static const char *const gotypes[] = {"string", "int64", "bool", "job.Parameters", "job.ACK"};

/* parameters: an object (kept re-encoded) or null (cleared). */
static int set_params(const json_t *v, const berth__json_field *f, char **dst, char *err,
                      size_t errlen)
{
    JSON_WRITE_TRY(berth__json_field_object(v, f, err, errlen));
    berth_free(*dst);
    *dst = NULL;
    if (json_is_null(v))
        return 0;
    buf b;
    /* no cap: the re-encoding of a document already parsed (Go escapes at most 6x) */
    buf_init(&b, 0);
    berth__json_write_value(&b, v);
    *dst = buf_release(&b);
    return 0;
}

static int set_ack(const json_t *v, const berth__json_field *f, bool lossy, berth_ack *dst,
                   char *err, size_t errlen)
{
    JSON_WRITE_TRY(berth__json_field_object(v, f, err, errlen));
    if (json_is_null(v)) {
        berth_free(dst->status);
        *dst = (berth_ack){0};
        return 0;
    }
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s.", f->path);
    return berth__ack_from_tree(v, prefix, lossy, dst, err, errlen);
}

static int apply(const struct sfield *d, const json_t *v, const char *prefix, bool lossy,
                 berth_stats *s, char *err, size_t errlen)
{
    char path[64];
    snprintf(path, sizeof path, "%s%s", prefix, d->name);
    berth__json_field f = {"StatsInfo", path, gotypes[d->type]};
    char *base = (char *)s + d->off;
    switch (d->type) {
    case F_STR: return berth__json_field_str(v, &f, (char **)base, err, errlen);
    case F_INT: return berth__json_field_int64(v, &f, lossy, (int64_t *)base, err, errlen);
    case F_BOOL: return berth__json_field_bool(v, &f, (bool *)base, err, errlen);
    case F_PARAMS: return set_params(v, &f, (char **)base, err, errlen);
    default: return set_ack(v, &f, lossy, (berth_ack *)base, err, errlen);
    }
}

int berth__stats_from_tree(const json_t *o, const char *prefix, bool lossy, berth_stats *s,
                           char *err, size_t errlen)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            if (!berth__json_field_key_is(k, fields[i].name))
                continue;
            JSON_WRITE_TRY(apply(&fields[i], v, prefix, lossy, s, err, errlen));
            break;
        }
    }
    return 0;
}

/* The member of o named "job" (Go's case-insensitive match; the last one wins). */
static const json_t *member(const json_t *o, const char *name)
{
    const json_t *found = NULL;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) if (berth__json_field_key_is(k, name)) found = v;
    return found;
}

static int from_root(const json_t *j, bool wrapped, bool lossy, berth_stats *s, char *err,
                     size_t errlen)
{
    JSON_WRITE_TRY(berth__json_field_root(j, wrapped ? "job.Stats" : "job.StatsInfo", err, errlen));
    if (!wrapped)
        return berth__stats_from_tree(j, "", lossy, s, err, errlen);
    const json_t *job = member(j, "job");
    berth__json_field f = {"Stats", "job", "job.StatsInfo"};
    if (job)
        JSON_WRITE_TRY(berth__json_field_object(job, &f, err, errlen));
    if (!job || json_is_null(job)) {
        snprintf(err, errlen, "missing \"job\" object in stats JSON");
        return BERTH_EINVAL;
    }
    return berth__stats_from_tree(job, "job.", lossy, s, err, errlen);
}

int berth_stats_from_json(const char *text, size_t len, bool wrapped, berth_stats **out,
                          char *err, size_t errlen)
{
    json_t *j = NULL;
    bool lossy = false;
    JSON_WRITE_TRY(berth__json_parse(text, len, BERTH_JSON_MAX_DEPTH, &j, &lossy, err, errlen));
    berth_stats *s = berth_stats_new();
    int rc = from_root(j, wrapped, lossy, s, err, errlen);
    json_decref(j);
    if (rc) {
        berth_stats_free(s);
        return rc;
    }
    *out = s;
    return 0;
}
