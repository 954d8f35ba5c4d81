/* Stats hash → berth_stats; see stats_hash.h. */
#include "model/stats_hash.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "util/alloc.h"

static int64_t num(const char *v)
{
    char *end;
    long long x = strtoll(v, &end, 10);
    return (*v && *end == '\0') ? (int64_t)x : 0;
}

static void parse_ack(berth_ack *ack, const char *v)
{
    json_t *j = json_loads(v, 0, NULL);
    const char *st = json_string_value(json_object_get(j, "status"));
    if (st) {
        ack->status = berth_strdup(st);
        ack->revision = (int64_t)json_number_value(json_object_get(j, "revision"));
        ack->check_in_at = (int64_t)json_number_value(json_object_get(j, "check_in_at"));
    }
    json_decref(j);
}

static void set_str(char **dst, const char *v)
{
    berth_free(*dst);
    *dst = v && *v ? berth_strdup(v) : NULL;
}

static void apply(berth_stats *s, const char *f, const char *v)
{
    if (!strcmp(f, "id")) set_str(&s->id, v);
    else if (!strcmp(f, "status")) set_str(&s->status, v);
    else if (!strcmp(f, "name")) set_str(&s->name, v);
    else if (!strcmp(f, "kind")) set_str(&s->kind, v);
    else if (!strcmp(f, "unique")) s->unique = strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
    else if (!strcmp(f, "ref_link")) set_str(&s->ref_link, v);
    else if (!strcmp(f, "cron_spec")) set_str(&s->cron_spec, v);
    else if (!strcmp(f, "enqueue_time")) s->enqueue_time = num(v);
    else if (!strcmp(f, "update_time")) s->update_time = num(v);
    else if (!strcmp(f, "run_at")) s->run_at = num(v);
    else if (!strcmp(f, "check_in_at")) s->check_in_at = num(v);
    else if (!strcmp(f, "die_at")) s->die_at = num(v);
    else if (!strcmp(f, "web_hook_url")) set_str(&s->web_hook_url, v);
    else if (!strcmp(f, "upstream_job_id")) set_str(&s->upstream_job_id, v);
    else if (!strcmp(f, "numeric_policy_id")) s->numeric_policy_id = num(v);
    else if (!strcmp(f, "parameters")) set_str(&s->parameters, v);
    else if (!strcmp(f, "revision")) s->revision = num(v);
    else if (!strcmp(f, "ack")) parse_ack(&s->ack, v);
}

int berth_stats_from_hash(const char *const *fields, const char *const *values, size_t n,
                          berth_stats **out)
{
    if (n == 0)
        return BERTH_ENOTFOUND;
    berth_stats *s = berth_calloc(1, sizeof *s);
    for (size_t i = 0; i < n; i++)
        if (fields[i] && values[i])
            apply(s, fields[i], values[i]);
    *out = s;
    return 0;
}
