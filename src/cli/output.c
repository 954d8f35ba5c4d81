/* Human-readable output (output.h). */
#include "cli/output.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char *output_time(int64_t t, char out[OUTPUT_TIME_SIZE])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t <= 0 || !gmtime_r(&tt, &tm) ||
        !strftime(out, OUTPUT_TIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, OUTPUT_TIME_SIZE, "%s", t ? "?" : "-");
    return out;
}

static void field(const char *name, const char *value)
{
    if (value && *value)
        printf("%-12s %s\n", name, value);
}

static void time_field(const char *name, int64_t t)
{
    char ts[OUTPUT_TIME_SIZE];
    if (t)
        printf("%-12s %s (%" PRId64 ")\n", name, output_time(t, ts), t);
}

static void number_field(const char *name, int64_t v)
{
    if (v)
        printf("%-12s %" PRId64 "\n", name, v);
}

void output_job(const berth_stats *s)
{
    field("id", s->id);
    field("name", s->name);
    field("kind", s->kind);
    field("status", s->status);
    field("unique", s->unique ? "true" : "false");
    field("cron", s->cron_spec);
    time_field("enqueued", s->enqueue_time);
    time_field("updated", s->update_time);
    time_field("run at", s->run_at);
    time_field("checked in", s->check_in_at);
    field("check-in", s->check_in);
    field("hook", s->web_hook_url);
    field("upstream", s->upstream_job_id);
    number_field("policy id", s->numeric_policy_id);
    number_field("revision", s->revision);
    if (s->ack.status)
        printf("%-12s %s (revision %" PRId64 ", check-in %" PRId64 ")\n", "hook ack",
               s->ack.status, s->ack.revision, s->ack.check_in_at);
    field("parameters", s->parameters);
}

void output_job_rows(const reply_jobs *l)
{
    char ts[OUTPUT_TIME_SIZE];
    printf("%-40s %-9s %-9s %-24s %s\n", "ID", "STATUS", "KIND", "NAME", "UPDATED");
    for (size_t i = 0; i < l->n; i++) {
        const berth_stats *s = l->items[i];
        printf("%-40s %-9s %-9s %-24s %s\n", s->id ? s->id : "-", s->status ? s->status : "-",
               s->kind ? s->kind : "-", s->name ? s->name : "-",
               output_time(s->update_time, ts));
    }
}

void output_raw(const char *text, size_t len)
{
    fwrite(text, 1, len, stdout);
    fputc('\n', stdout);
}

static bool all_digits(const char *s)
{
    if (!*s || strlen(s) > 20)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

void output_page_json(const char *array, size_t len, const char *count_key, const char *count)
{
    fputs("{\"jobs\":", stdout);
    if (len == 4 && !memcmp(array, "null", 4))
        fputs("[]", stdout);
    else
        fwrite(array, 1, len, stdout);
    if (all_digits(count))
        printf(",\"%s\":%s", count_key, count);
    fputs("}\n", stdout);
}
