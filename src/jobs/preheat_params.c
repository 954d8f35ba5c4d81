/* See preheat_params.h. */
#include "jobs/preheat_params.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "jobs/job_params.h"
#include "model/json_field.h"
#include "model/json_parse.h"

/* Harbor's parseStrValue: present, not null, a non-empty string. */
static int str_param(const json_t *params, const char *key, const char **out, size_t *len,
                     char *err, size_t errlen)
{
    const json_t *v = params ? json_object_get(params, key) : NULL;
    if (!v || json_is_null(v)) {
        snprintf(err, errlen, "missing job parameter '%s'", key);
        return BERTH_EINVAL;
    }
    if (!json_is_string(v) || json_string_length(v) == 0) {
        snprintf(err, errlen, "bad job parameter '%s'", key);
        return BERTH_EINVAL;
    }
    *out = json_string_value(v);
    *len = json_string_length(v);
    return 0;
}

/* The inner document as Go's json.Unmarshal into a struct sees it: an object or null. */
static int load_doc(const char *text, size_t len, const char *go_type, const char *ctx,
                    json_t **out, char *err, size_t errlen)
{
    char why[512];
    if (berth__json_parse(text, len, BERTH_JSON_MAX_DEPTH, out, NULL, why, sizeof why) != 0) {
        snprintf(err, errlen, "parse job parameter error: %s: %s", ctx, why);
        return BERTH_EINVAL;
    }
    if (!json_is_object(*out) && !json_is_null(*out)) {
        snprintf(err, errlen, "parse job parameter error: %s: json: cannot unmarshal %s into "
                 "Go value of type %s", ctx, berth__json_field_type(*out), go_type);
        return BERTH_EINVAL;
    }
    return 0;
}

typedef struct field {
    const char *name;
    job_params_kind kind;
    size_t off;          /* offset of the destination in the struct */
} field;

static int decode(const json_t *doc, const char *go_struct, const field *f, size_t n, void *dst,
                  const char *ctx, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        char path[96], why[512];
        snprintf(path, sizeof path, "%s.%s", go_struct, f[i].name);
        if (job_params_go_field(doc, f[i].name, path, f[i].kind, (char *)dst + f[i].off, why,
                                sizeof why) != 0) {
            snprintf(err, errlen, "parse job parameter error: %s: %s", ctx, why);
            return BERTH_EINVAL;
        }
    }
    return 0;
}

#define F(type, member, kind, name) {name, kind, offsetof(type, member)}

static const field provider_fields[] = {
    F(ph_provider, name, JOB_PARAMS_STRING, "name"),
    F(ph_provider, vendor, JOB_PARAMS_STRING, "vendor"),
    F(ph_provider, endpoint, JOB_PARAMS_STRING, "endpoint"),
    F(ph_provider, auth_mode, JOB_PARAMS_STRING, "auth_mode"),
    F(ph_provider, auth_info, JOB_PARAMS_MAP_STRING, "auth_info"),
    F(ph_provider, insecure, JOB_PARAMS_BOOL, "insecure"),
};

static const field image_fields[] = {
    F(ph_image, type, JOB_PARAMS_STRING, "type"),
    F(ph_image, url, JOB_PARAMS_STRING, "url"),
    F(ph_image, headers, JOB_PARAMS_MAP_ANY, "headers"),
    F(ph_image, image, JOB_PARAMS_STRING, "image"),
    F(ph_image, tag, JOB_PARAMS_STRING, "tag"),
    F(ph_image, digest, JOB_PARAMS_STRING, "digest"),
    F(ph_image, extra_attrs, JOB_PARAMS_MAP_ANY, "extra_attrs"),
};

/* The struct fields Harbor declares but this job never reads still have to decode. */
static int unused_fields(const json_t *doc, char *err, size_t errlen)
{
    static const struct { const char *name; job_params_kind kind; } more[] = {
        {"id", JOB_PARAMS_INT64}, {"description", JOB_PARAMS_STRING}, {"status", JOB_PARAMS_STRING},
        {"enabled", JOB_PARAMS_BOOL}, {"default", JOB_PARAMS_BOOL},
        {"setup_timestamp", JOB_PARAMS_INT64},
    };
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        char path[64], why[512];
        long long ll;
        const char *s;
        bool b;
        void *out = more[i].kind == JOB_PARAMS_INT64 ? (void *)&ll
                  : more[i].kind == JOB_PARAMS_BOOL  ? (void *)&b : (void *)&s;
        snprintf(path, sizeof path, "Instance.%s", more[i].name);
        if (job_params_go_field(doc, more[i].name, path, more[i].kind, out, why, sizeof why)) {
            snprintf(err, errlen, "parse job parameter error: construct preheat instance "
                     "error: %s", why);
            return BERTH_EINVAL;
        }
    }
    return 0;
}

static int provider_check(const ph_provider *p, char *err, size_t errlen)
{
    if (!*p->vendor)
        snprintf(err, errlen, "missing vendor of preheat provider");
    else if (strcmp(p->auth_mode, "NONE") != 0 && json_object_size(p->auth_info) == 0)
        snprintf(err, errlen, "missing auth info for '%s' auth mode", p->auth_mode);
    else if (!*p->endpoint)
        snprintf(err, errlen, "missing endpoint of preheat provider");
    else
        return 0;
    return BERTH_EINVAL;
}

/* Go's url.Parse failures that a registry URL can show: a control byte, a bad %-escape,
 * a colon before any scheme. */
static const char *url_problem(const char *u, char *why, size_t whylen)
{
    for (const char *p = u; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return "net/url: invalid control character in URL";
        if (*p == '%' && !(isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]))) {
            snprintf(why, whylen, "invalid URL escape \"%.3s\"", p);
            return why;
        }
    }
    return u[0] == ':' ? "missing protocol scheme" : NULL;
}

static int image_check(const ph_image *img, char *err, size_t errlen)
{
    char why[64];
    const char *bad = url_problem(img->url, why, sizeof why);
    if (strcmp(img->type, "image") != 0 && strcmp(img->type, "cnai") != 0)
        snprintf(err, errlen, "parse job parameter error: unsupported type '%s'", img->type);
    else if (!*img->image || !*img->tag)
        snprintf(err, errlen, "parse job parameter error: missing image repository or tag");
    else if (json_object_size(img->headers) == 0)
        snprintf(err, errlen, "parse job parameter error: missing required headers");
    else if (bad)
        snprintf(err, errlen, "parse job parameter error: malformed registry URL: parse "
                 "\"%s\": %s", img->url, bad);
    else
        return 0;
    return BERTH_EINVAL;
}

static int parse_provider(const json_t *params, ph_params *p, char *err, size_t errlen)
{
    const char *text;
    size_t len;
    static const char ctx[] = "construct preheat instance error";
    int rc = str_param(params, "provider", &text, &len, err, errlen);
    if (rc == 0)
        rc = load_doc(text, len, "provider.Instance", ctx, &p->provider_doc, err, errlen);
    if (rc == 0)
        rc = decode(p->provider_doc, "Instance", provider_fields,
                    sizeof provider_fields / sizeof provider_fields[0], &p->provider, ctx, err,
                    errlen);
    if (rc == 0)
        rc = unused_fields(p->provider_doc, err, errlen);
    return rc == 0 ? provider_check(&p->provider, err, errlen) : rc;
}

static int parse_image(const json_t *params, ph_params *p, char *err, size_t errlen)
{
    const char *text;
    size_t len;
    static const char ctx[] = "construct preheating image error";
    int rc = str_param(params, "image", &text, &len, err, errlen);
    if (rc == 0)
        rc = load_doc(text, len, "provider.PreheatImage", ctx, &p->image_doc, err, errlen);
    if (rc == 0)
        rc = decode(p->image_doc, "PreheatImage", image_fields,
                    sizeof image_fields / sizeof image_fields[0], &p->image, ctx, err, errlen);
    return rc == 0 ? image_check(&p->image, err, errlen) : rc;
}

int ph_params_parse(const char *params_json, ph_params *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    json_t *params = NULL;
    int rc = job_params_load(params_json, &params, err, errlen);
    if (rc == 0)
        rc = parse_provider(params, p, err, errlen);
    if (rc == 0)
        rc = parse_image(params, p, err, errlen);
    json_decref(params);
    return rc;
}

void ph_params_free(ph_params *p)
{
    json_decref(p->provider_doc);
    json_decref(p->image_doc);
    memset(p, 0, sizeof *p);
}
