/* Server replies → model structs (reply.h). */
#include "cli/reply.h"

#include <jansson.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "model/json_parse.h"
#include "model/stats_from_json.h"
#include "util/alloc.h"

int reply_job(const char *text, size_t len, berth_stats **out)
{
    char err[256];
    if (berth_stats_from_json(text, len, true, out, err, sizeof err))
        return report_fail(CLI_SERVER, "cannot read the server's reply: %s", err);
    return CLI_OK;
}

/* Item i of the array: {"job":{StatsInfo}}. */
static int item(const json_t *el, bool lossy, berth_stats **out, char *err, size_t errlen)
{
    const json_t *job = json_object_get(el, "job");
    if (!json_is_object(job)) {
        snprintf(err, errlen, "an item is not {\"job\":{...}}");
        return -1;
    }
    berth_stats *s = berth_stats_new();
    if (berth__stats_from_tree(job, "job.", lossy, s, err, errlen)) {
        berth_stats_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

static int from_array(const json_t *a, bool lossy, reply_jobs *out, char *err, size_t errlen)
{
    size_t n = json_array_size(a);
    out->items = berth_calloc(n ? n : 1, sizeof *out->items);
    for (size_t i = 0; i < n; i++) {
        if (item(json_array_get(a, i), lossy, &out->items[i], err, errlen))
            return -1;
        out->n = i + 1;
    }
    return 0;
}

int reply_jobs_parse(const char *text, size_t len, reply_jobs *out)
{
    char err[256] = "";
    json_t *j = NULL;
    bool lossy = false;
    out->items = NULL;
    out->n = 0;
    int rc = berth__json_parse(text, len, BERTH_JSON_MAX_DEPTH, &j, &lossy, err, sizeof err);
    if (!rc && !json_is_array(j) && !json_is_null(j)) {
        snprintf(err, sizeof err, "expected a JSON array of jobs");
        rc = -1;
    }
    if (!rc && json_is_array(j))
        rc = from_array(j, lossy, out, err, sizeof err);
    json_decref(j);
    if (rc) {
        reply_jobs_free(out);
        return report_fail(CLI_SERVER, "cannot read the server's reply: %s", err);
    }
    return CLI_OK;
}

void reply_jobs_free(reply_jobs *l)
{
    for (size_t i = 0; i < l->n; i++)
        berth_stats_free(l->items[i]);
    berth_free(l->items);
    l->items = NULL;
    l->n = 0;
}
