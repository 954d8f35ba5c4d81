/* Harbor's Resource document (spec §7.2) and its Registry (§7.3), parsed with jansson into
 * a repl_resource: the repository, the ordered reference list (each artifact's tags, else
 * its digest; else v_tags), every tag (for tag deletion), the registry and the flags.
 * Absent or null members read as Go's zero values; members of the wrong JSON type are
 * errors (Go's decoder refuses them too). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "jobs/replication.h"
#include "model/json_field.h"
#include "model/json_parse.h"
#include "util/alloc.h"

#define MAX_REFS 10000

/* A string member: NULL when absent/null; error for another type. */
static int str_member(json_t *o, const char *key, const char *where, char **out, char *err,
                      size_t errlen)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into field %s%s of type string",
                 berth__json_field_type(v), where, key);
        return BERTH_EINVAL;
    }
    if (!(*out = berth_strdup(json_string_value(v)))) {
        snprintf(err, errlen, "out of memory");
        return BERTH_ENOMEM;
    }
    return 0;
}

static int bool_member(json_t *o, const char *key, const char *where, bool *out, char *err,
                       size_t errlen)
{
    json_t *v = json_object_get(o, key);
    *out = false;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into field %s%s of type bool",
                 berth__json_field_type(v), where, key);
        return BERTH_EINVAL;
    }
    *out = json_is_true(v);
    return 0;
}

/* Appends a copy of s: 0, or BERTH_ENOMEM (err filled, arr unchanged). */
static int push(char ***arr, size_t *n, const char *s, char *err, size_t errlen)
{
    char *copy = berth_strdup(s);
    char **v = copy ? berth_realloc(*arr, (*n + 1) * sizeof **arr) : NULL;
    if (!v) {
        berth_free(copy);
        snprintf(err, errlen, "out of memory");
        return BERTH_ENOMEM;
    }
    *arr = v;
    (*arr)[(*n)++] = copy;
    return 0;
}

/* A JSON array of strings (null/absent: none) appended to arr. */
static int str_array(json_t *v, const char *what, char ***arr, size_t *n, char *err,
                     size_t errlen)
{
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into field %s of type []string",
                 berth__json_field_type(v), what);
        return BERTH_EINVAL;
    }
    size_t i;
    json_t *s;
    json_array_foreach(v, i, s) {
        if (!json_is_string(s)) {
            snprintf(err, errlen, "json: cannot unmarshal %s into field %s of type string",
                     berth__json_field_type(s), what);
            return BERTH_EINVAL;
        }
        if (*n >= MAX_REFS) {
            snprintf(err, errlen, "too many references (over %d)", MAX_REFS);
            return BERTH_EINVAL;
        }
        int rc = push(arr, n, json_string_value(s), err, errlen);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int parse_artifacts(json_t *arts, repl_resource *r, char *err, size_t errlen)
{
    if (!arts || json_is_null(arts))
        return 0;
    if (!json_is_array(arts)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into field metadata.artifacts",
                 berth__json_field_type(arts));
        return BERTH_EINVAL;
    }
    size_t i;
    json_t *a;
    json_array_foreach(arts, i, a) {
        if (!json_is_object(a)) {
            snprintf(err, errlen, "json: cannot unmarshal %s into an artifact",
                     berth__json_field_type(a));
            return BERTH_EINVAL;
        }
        size_t before = r->ntags;
        int rc = str_array(json_object_get(a, "tags"), "artifacts.tags", &r->tags, &r->ntags,
                           err, errlen);
        if (rc != 0)
            return rc;
        char *digest = NULL;
        if ((rc = str_member(a, "digest", "artifacts.", &digest, err, errlen)) != 0)
            return rc;
        for (size_t k = before; k < r->ntags && rc == 0; k++)
            rc = push(&r->refs, &r->nrefs, r->tags[k], err, errlen);
        if (rc == 0 && r->ntags == before && digest && *digest)
            rc = push(&r->refs, &r->nrefs, digest, err, errlen);
        berth_free(digest);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int parse_registry(json_t *g, repl_registry *reg, char *err, size_t errlen)
{
    if (!json_is_object(g)) {
        snprintf(err, errlen, "the resource has no registry");
        return BERTH_EINVAL;
    }
    int rc = str_member(g, "type", "registry.", &reg->type, err, errlen);
    if (rc == 0)
        rc = str_member(g, "url", "registry.", &reg->url, err, errlen);
    if (rc == 0)
        rc = bool_member(g, "insecure", "registry.", &reg->insecure, err, errlen);
    if (rc == 0)
        rc = str_member(g, "ca_certificate", "registry.", &reg->ca_certificate, err, errlen);
    json_t *cred = json_object_get(g, "credential");
    if (rc == 0 && cred && !json_is_null(cred)) {
        if (!json_is_object(cred)) {
            snprintf(err, errlen, "json: cannot unmarshal %s into field registry.credential",
                     berth__json_field_type(cred));
            return BERTH_EINVAL;
        }
        rc = str_member(cred, "access_key", "credential.", &reg->access_key, err, errlen);
        if (rc == 0)
            rc = str_member(cred, "access_secret", "credential.", &reg->access_secret, err,
                            errlen);
    }
    if (rc == 0 && (!reg->type || !reg->url)) {
        snprintf(err, errlen, "the registry has no %s", reg->type ? "url" : "type");
        rc = BERTH_EINVAL;
    }
    return rc;
}

static int parse(json_t *o, repl_resource *r, char *err, size_t errlen)
{
    char *type = NULL;
    int rc = str_member(o, "type", "", &type, err, errlen);
    if (rc == 0 && (!type || (strcmp(type, "image") != 0 && strcmp(type, "artifact") != 0))) {
        snprintf(err, errlen, "transfer factory for %s not found", type ? type : "");
        rc = BERTH_EINVAL;
    }
    berth_free(type);
    json_t *md = json_object_get(o, "metadata");
    if (rc == 0 && !json_is_object(md)) {
        snprintf(err, errlen, "the resource has no metadata");
        rc = BERTH_EINVAL;
    }
    json_t *repo = rc == 0 ? json_object_get(md, "repository") : NULL;
    if (rc == 0 && !json_is_object(repo)) {
        snprintf(err, errlen, "the resource has no repository");
        rc = BERTH_EINVAL;
    }
    if (rc == 0)
        rc = str_member(repo, "name", "repository.", &r->repo, err, errlen);
    if (rc == 0 && (!r->repo || !*r->repo)) {
        snprintf(err, errlen, "the resource's repository has no name");
        rc = BERTH_EINVAL;
    }
    if (rc == 0)
        rc = parse_artifacts(json_object_get(md, "artifacts"), r, err, errlen);
    if (rc == 0 && r->nrefs == 0)
        rc = str_array(json_object_get(md, "v_tags"), "v_tags", &r->refs, &r->nrefs, err,
                       errlen);
    if (rc == 0)
        rc = parse_registry(json_object_get(o, "registry"), &r->reg, err, errlen);
    if (rc == 0)
        rc = bool_member(o, "deleted", "", &r->deleted, err, errlen);
    if (rc == 0)
        rc = bool_member(o, "is_delete_tag", "", &r->is_delete_tag, err, errlen);
    if (rc == 0)
        rc = bool_member(o, "override", "", &r->override, err, errlen);
    return rc;
}

int repl_resource_parse(const char *text, repl_resource *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_t *o = NULL;
    int rc = berth__json_parse(text, strlen(text), BERTH_JSON_MAX_DEPTH, &o, NULL, err, errlen);
    if (rc == 0 && !json_is_object(o)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type model.Resource",
                 berth__json_field_type(o));
        rc = BERTH_EINVAL;
    } else if (rc == 0) {
        rc = parse(o, out, err, errlen);
    }
    json_decref(o);
    if (rc != 0)
        repl_resource_free(out);
    return rc;
}

static void free_list(char **a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        berth_free(a[i]);
    berth_free(a);
}

void repl_resource_free(repl_resource *r)
{
    if (!r)
        return;
    berth_free(r->repo);
    free_list(r->refs, r->nrefs);
    free_list(r->tags, r->ntags);
    berth_free(r->reg.type);
    berth_free(r->reg.url);
    berth_free(r->reg.access_key);
    berth_free(r->reg.access_secret);
    berth_free(r->reg.ca_certificate);
    memset(r, 0, sizeof *r);
}
