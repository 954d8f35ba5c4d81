/* Decoding the launch request; see request.h.
 *
 * jansson parses the document (through json_parse, which makes it accept what Go accepts);
 * three small walkers then apply the members of the root, of "job" and of "metadata" in
 * document order, each through json_field so that a wrong type gets Go's error text. The
 * common body Harbor core sends is read first by launch_scan.c, without jansson; whatever
 * it declines comes here. */
#include "model/request.h"

#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "model/json_field.h"
#include "model/json_parse.h"
#include "model/json_write.h"
#include "model/launch_scan.h"
#include "util/alloc.h"

void berth_request_free(berth_request *r)
{
    if (!r)
        return;
    berth_free(r->name);
    berth_free(r->parameters);
    berth_free(r->kind);
    berth_free(r->cron_spec);
    berth_free(r->status_hook);
    berth_free(r);
}

typedef struct walk {
    berth_request *r;
    bool lossy;      /* integers were decoded as reals (one overflowed int64) */
    char *err;
    size_t errlen;
} walk;

static int meta_member(walk *w, const char *k, const json_t *v)
{
    berth__json_field f = {"Metadata", NULL, "string"};
    if (berth__json_field_key_is(k, "kind")) {
        f.path = "job.metadata.kind";
        return berth__json_field_str(v, &f, &w->r->kind, w->err, w->errlen);
    }
    if (berth__json_field_key_is(k, "cron_spec")) {
        f.path = "job.metadata.cron_spec";
        return berth__json_field_str(v, &f, &w->r->cron_spec, w->err, w->errlen);
    }
    if (berth__json_field_key_is(k, "schedule_delay")) {
        f.path = "job.metadata.schedule_delay", f.gotype = "uint64";
        return berth__json_field_uint64(v, &f, w->lossy, &w->r->schedule_delay, w->err,
                                        w->errlen);
    }
    if (berth__json_field_key_is(k, "unique")) {
        f.path = "job.metadata.unique", f.gotype = "bool";
        return berth__json_field_bool(v, &f, &w->r->unique, w->err, w->errlen);
    }
    return 0;
}

static int set_metadata(walk *w, const json_t *v)
{
    berth__json_field f = {"RequestBody", "job.metadata", "job.Metadata"};
    JSON_WRITE_TRY(berth__json_field_object(v, &f, w->err, w->errlen));
    w->r->has_metadata = json_is_object(v);
    const char *k;
    json_t *m;
    json_object_foreach((json_t *)v, k, m) JSON_WRITE_TRY(meta_member(w, k, m));
    return 0;
}

static int set_parameters(walk *w, const json_t *v)
{
    berth__json_field f = {"RequestBody", "job.parameters", "job.Parameters"};
    JSON_WRITE_TRY(berth__json_field_object(v, &f, w->err, w->errlen));
    berth_free(w->r->parameters);
    w->r->parameters = NULL;
    if (json_is_null(v))
        return 0;
    buf b;
    /* no cap: the re-encoding of a document already parsed (Go escapes at most 6x) */
    buf_init(&b, 0);
    berth__json_write_value(&b, v);
    w->r->parameters = buf_release(&b);
    return 0;
}

static int job_member(walk *w, const char *k, const json_t *v)
{
    berth__json_field f = {"RequestBody", NULL, "string"};
    if (berth__json_field_key_is(k, "name")) {
        f.path = "job.name";
        return berth__json_field_str(v, &f, &w->r->name, w->err, w->errlen);
    }
    if (berth__json_field_key_is(k, "status_hook")) {
        f.path = "job.status_hook";
        return berth__json_field_str(v, &f, &w->r->status_hook, w->err, w->errlen);
    }
    if (berth__json_field_key_is(k, "parameters"))
        return set_parameters(w, v);
    if (berth__json_field_key_is(k, "metadata"))
        return set_metadata(w, v);
    return 0;
}

static int set_job(walk *w, const json_t *v)
{
    berth__json_field f = {"Request", "job", "job.RequestBody"};
    JSON_WRITE_TRY(berth__json_field_object(v, &f, w->err, w->errlen));
    w->r->has_job = json_is_object(v);
    const char *k;
    json_t *m;
    json_object_foreach((json_t *)v, k, m) JSON_WRITE_TRY(job_member(w, k, m));
    return 0;
}

static int root(walk *w, const json_t *j)
{
    JSON_WRITE_TRY(berth__json_field_root(j, "job.Request", w->err, w->errlen));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        if (berth__json_field_key_is(k, "job"))
            JSON_WRITE_TRY(set_job(w, v));
    }
    return 0;
}

int berth__request_parse_json(const char *body, size_t len, berth_request **out, char *err,
                              size_t errlen)
{
    json_t *j = NULL;
    walk w = {.err = err, .errlen = errlen};
    JSON_WRITE_TRY(berth__json_parse(body, len, BERTH_JSON_MAX_DEPTH, &j, &w.lossy, err, errlen));
    w.r = berth_calloc(1, sizeof *w.r);
    int rc = w.r ? root(&w, j) : BERTH_ENOMEM;
    json_decref(j);
    if (rc) {
        berth_request_free(w.r);
        return rc;
    }
    *out = w.r;
    return 0;
}

int berth_request_parse(const char *body, size_t len, berth_request **out, char *err,
                        size_t errlen)
{
    if (berth__launch_scan(body, len, out) == 0)
        return 0;
    return berth__request_parse_json(body, len, out, err, errlen);
}
