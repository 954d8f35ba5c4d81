/* REPLICATION (spec harbor-jobs.md §7): copies the artifacts of one repository from a
 * source registry to a destination, or deletes them (or their tags) there, as Harbor's
 * job does: parameters checked at run time, both adapters created first, errors collected
 * per reference and reported once, stops ending the run with success (the engine keeps
 * Stopped). Registered with Harbor's MaxFails 3, ShouldRetry true, no concurrency limit,
 * priority 1000. Settings read at each run from the environment, as Harbor does:
 * COPY_BLOB_RETRY_COUNT, COPY_CHUNK_RETRY_COUNT, REPLICATION_CHUNK_SIZE,
 * REGISTRY_HTTP_CLIENT_TIMEOUT, CORE_URL, and Berth's BERTH_REPLICATION_BACKOFF_MS (the first
 * back-off between blob attempts, Harbor's 2 s by default; tests shorten it). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "berth/jobs.h"
#include "jobs/replication.h"
#include "util/buf.h"

static long env_long(const char *name, long def)
{
    const char *v = getenv(name);
    char *end;
    long n = v && *v ? strtol(v, &end, 10) : 0;
    return v && *v && *end == '\0' && n > 0 ? n : def;
}

static const char *gotype(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "map[string]interface {}";
    case JSON_ARRAY: return "[]interface {}";
    case JSON_STRING: return "string";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    case JSON_NULL: return "<nil>";
    default: return "float64";
    }
}

static int resource_param(json_t *o, const char *key, repl_resource *out, char *err,
                          size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        snprintf(err, errlen, "param %s not found", key);
        return BERTH_EINVAL;
    }
    if (!json_is_string(v)) {
        snprintf(err, errlen, "the value of %s isn't string", key);
        return BERTH_EINVAL;
    }
    return repl_resource_parse(json_string_value(v), out, err, errlen);
}

static int parse_params(repl_job *j, const char *params, char *err, size_t errlen)
{
    json_error_t je;
    json_t *o = params ? json_loads(params, 0, &je) : NULL;
    int rc = resource_param(o, "src_resource", &j->src, err, errlen);
    if (rc == 0)
        rc = resource_param(o, "dst_resource", &j->dst, err, errlen);
    json_t *speed = json_object_get(o, "speed");
    if (rc == 0 && speed && !json_is_number(speed)) {
        snprintf(err, errlen, "the value of speed isn't integer (%s)", gotype(speed));
        rc = BERTH_EINVAL;
    }
    if (rc == 0 && speed) {
        double s = json_number_value(speed);
        j->speed = s >= 9e15 ? (int64_t)9e15 : s <= -9e15 ? 0 : (int64_t)s;
    }
    j->by_chunk = json_is_true(json_object_get(o, "copy_by_chunk"));
    json_decref(o);
    return rc;
}

static void join(char **refs, size_t n, buf *out)
{
    for (size_t i = 0; i < n; i++)
        buf_printf(out, "%s%s", i ? "," : "", refs[i]);
}

static int run_copy(repl_job *j)
{
    buf s, d;
    buf_init(&s, 64 << 10);
    buf_init(&d, 64 << 10);
    join(j->src.refs, j->src.nrefs, &s);
    join(j->dst.refs, j->dst.nrefs, &d);
    const char *sr = s.p ? s.p : "", *dr = d.p ? d.p : "";
    BERTH_JINFO(j->ctx, "copying %s:[%s](source registry) to %s:[%s](destination registry)...",
                j->src.repo, sr, j->dst.repo, dr);
    if (j->speed > 0)
        BERTH_JINFO(j->ctx, "limit network speed at %lld kb/s", (long long)j->speed);
    int rc = 0, failed = 0;
    bool mismatch = j->dst.nrefs < j->src.nrefs;
    if (mismatch) {
        BERTH_JERROR(j->ctx, "the destination has %zu references for %zu source references",
                     j->dst.nrefs, j->src.nrefs);
        failed = 1;
    }
    /* a failed reference is remembered and the next one still copied (Harbor) */
    for (size_t i = 0; !mismatch && i < j->src.nrefs && rc != REPL_STOPPED; i++) {
        rc = repl_copy_artifact(j, j->src.repo, j->src.refs[i], j->dst.repo, j->dst.refs[i],
                                j->dst.override, 0);
        failed += rc < 0;
    }
    if (failed && repl_stopped(j))
        rc = REPL_STOPPED;   /* a request cut short by the stop: not a failure */
    if (failed && rc != REPL_STOPPED)
        BERTH_JERROR(j->ctx, "got error during the whole transfer period, mark the job failure");
    if (!failed && rc != REPL_STOPPED)
        BERTH_JINFO(j->ctx, "copy %s:[%s](source registry) to %s:[%s](destination registry) "
                    "completed", j->src.repo, sr, j->dst.repo, dr);
    buf_free(&s);
    buf_free(&d);
    if (rc == REPL_STOPPED)
        return 0;
    return failed ? berth_ctx_fail(j->ctx, "got error during the whole transfer period, mark "
                                   "the job failure") : 0;
}

static int delete_tags(repl_job *j)
{
    const char *repo = j->dst.repo;
    for (size_t i = 0; i < j->dst.ntags; i++) {
        const char *tag = j->dst.tags[i];
        bool nf = false;
        char err[2048];
        if (repl_adapter_delete_tag(&j->da, repo, tag, &nf, err, sizeof err) == 0) {
            BERTH_JINFO(j->ctx, "the tag %s:%s is deleted", repo, tag);
        } else if (nf) {
            BERTH_JINFO(j->ctx, "the tag %s:%s doesn't exist on the destination registry, skip",
                        repo, tag);
        } else {
            BERTH_JERROR(j->ctx, "failed to delete the tag %s:%s on the destination registry: %s",
                         repo, tag, err);
            return berth_ctx_fail(j->ctx, "%s", err);
        }
    }
    return 0;
}

static int delete_artifacts(repl_job *j)
{
    const char *repo = j->dst.repo;
    reg_client *c = j->da.cli;
    for (size_t i = 0; i < j->dst.nrefs; i++) {
        const char *ref = j->dst.refs[i];
        bool exists = false;
        if (reg_manifest_head(c, repo, ref, &exists, NULL, NULL) != 0) {
            BERTH_JERROR(j->ctx, "failed to check the existence of the manifest of artifact %s:%s "
                         "on the destination registry: %s", repo, ref, reg_client_error(c));
            return berth_ctx_fail(j->ctx, "%s", reg_client_error(c));
        }
        if (!exists) {
            BERTH_JINFO(j->ctx, "the artifact %s:%s doesn't exist on the destination registry, "
                        "skip", repo, ref);
            continue;
        }
        if (reg_manifest_delete(c, repo, ref) != 0) {
            BERTH_JERROR(j->ctx, "failed to delete the manifest of artifact %s:%s on the "
                         "destination registry: %s", repo, ref, reg_client_error(c));
            return berth_ctx_fail(j->ctx, "%s", reg_client_error(c));
        }
        BERTH_JINFO(j->ctx, "the manifest of artifact %s:%s is deleted", repo, ref);
    }
    return 0;
}

static int make_adapters(repl_job *j)
{
    char err[2048];
    const char *side[2] = {"source", "destination"};
    repl_resource *res[2] = {&j->src, &j->dst};
    repl_adapter *ad[2] = {&j->sa, &j->da};
    for (int i = 0; i < 2; i++) {
        if (repl_adapter_new(j, &res[i]->reg, ad[i], err, sizeof err) != 0) {
            BERTH_JERROR(j->ctx, "failed to create client for %s registry: %s", side[i], err);
            return berth_ctx_fail(j->ctx, "%s", err);
        }
        BERTH_JINFO(j->ctx, "client for %s registry [type: %s, URL: %s, insecure: %s] created",
                    side[i], res[i]->reg.type, res[i]->reg.url,
                    res[i]->reg.insecure ? "true" : "false");
    }
    return 0;
}

static int repl_run(berth_ctx *ctx, const char *params, void *ud)
{
    (void)ud;
    repl_job j = {.ctx = ctx};
    j.blob_tries = (int)env_long("COPY_BLOB_RETRY_COUNT", 5);
    j.chunk_tries = (int)env_long("COPY_CHUNK_RETRY_COUNT", 5);
    j.chunk_size = env_long("REPLICATION_CHUNK_SIZE", 10485760);
    j.timeout_s = env_long("REGISTRY_HTTP_CLIENT_TIMEOUT", 30) * 60;
    j.backoff_ms = (unsigned)env_long("BERTH_REPLICATION_BACKOFF_MS", 2000);
    char err[2048];
    int rc = parse_params(&j, params, err, sizeof err);
    if (rc != 0) {
        BERTH_JERROR(ctx, "%s: %s", strncmp(err, "transfer factory", 16) == 0
                     ? "failed to get transfer factory" : "failed to parse parameters", err);
        rc = berth_ctx_fail(ctx, "%s", err);
    }
    if (rc == 0)
        rc = make_adapters(&j);
    if (rc == 0 && !j.dst.deleted)
        rc = run_copy(&j);
    else if (rc == 0 && !repl_stopped(&j))
        rc = j.dst.is_delete_tag ? delete_tags(&j) : delete_artifacts(&j);
    repl_adapter_free(&j.sa);
    repl_adapter_free(&j.da);
    repl_resource_free(&j.src);
    repl_resource_free(&j.dst);
    return rc;
}

static bool repl_should_retry(void *ud)
{
    (void)ud;
    return true;
}

int berth_jobs_register_replication(berth_engine *e)
{
    berth_job_type t = {.name = "REPLICATION", .max_fails = 3, .max_concurrency = 0,
                        .priority = 1000, .should_retry = repl_should_retry, .run = repl_run};
    return berth_engine_register(e, &t);
}
