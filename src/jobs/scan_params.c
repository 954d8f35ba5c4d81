/* See scan_params.h. The order of the checks is Harbor's Validate: registration, scan
 * request, MIME types, robot account, auth type; the first failure is the answer. */
#include "jobs/scan_params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "jobs/job_params.h"
#include "jobs/preheat_client.h"
#include "model/json_field.h"
#include "model/json_parse.h"
#include "util/alloc.h"

/* params[key] must be a JSON string holding a JSON object (Go: FromJSON into a struct). */
static int inner_doc(const json_t *params, const char *key, json_t **out, char *err,
                     size_t errlen)
{
    const json_t *v = json_object_get(params, key);
    if (!v) {
        snprintf(err, errlen, "missing job parameter '%s'", key);
        return BERTH_EINVAL;
    }
    if (!json_is_string(v)) {
        snprintf(err, errlen, "malformed job parameter '%s', expecting string but got %s", key,
                 job_params_go_type(v));
        return BERTH_EINVAL;
    }
    if (json_string_length(v) == 0) {
        snprintf(err, errlen, "empty json data to parse");
        return BERTH_EINVAL;
    }
    char why[512];
    if (berth__json_parse(json_string_value(v), json_string_length(v), BERTH_JSON_MAX_DEPTH,
                           out, NULL, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s", why);
        return BERTH_EINVAL;
    }
    if (!json_is_object(*out)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type %s",
                 berth__json_field_type(*out), key);
        return BERTH_EINVAL;
    }
    return 0;
}

typedef struct sfield {
    const char *name;
    job_params_kind kind;
    void *out;
} sfield;

static int fields(const json_t *doc, const char *go_struct, const sfield *f, size_t n,
                  char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        char path[96];
        snprintf(path, sizeof path, "%s.%s", go_struct, f[i].name);
        int rc = job_params_go_field(doc, f[i].name, path, f[i].kind, f[i].out, err, errlen);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int registration(scan_params *p, char *err, size_t errlen)
{
    scan_reg *r = &p->reg;
    const char *url = "";
    sfield f[] = {{"uuid", JOB_PARAMS_STRING, &r->uuid},
                  {"name", JOB_PARAMS_STRING, &r->name},
                  {"url", JOB_PARAMS_STRING, &url}, {"auth", JOB_PARAMS_STRING, &r->auth},
                  {"access_credential", JOB_PARAMS_STRING, &r->credential},
                  {"skip_certVerify", JOB_PARAMS_BOOL, &r->skip_cert_verify}};
    int rc = inner_doc(p->params, "registration", &p->reg_doc, err, errlen);
    if (rc == 0)
        rc = fields(p->reg_doc, "Registration", f, sizeof f / sizeof *f, err, errlen);
    if (rc != 0)
        return rc;
    char why[1024];
    if (!*r->uuid)
        snprintf(err, errlen, "malformed endpoint");
    else if (!*r->name)
        snprintf(err, errlen, "missing registration name");
    else if (ph_client_check_url(url, r->url, sizeof r->url, why, sizeof why) != 0)
        snprintf(err, errlen, "scanner registration validate: %s", why);
    else if (scanner_auth_parse(r->auth, &r->auth_kind, err, errlen) != 0)
        return BERTH_EINVAL;
    else if (*r->auth && !*r->credential)
        snprintf(err, errlen, "access_credential is required for auth type %s", r->auth);
    else
        return 0;
    return BERTH_EINVAL;
}

static int scan_request(scan_params *p, char *err, size_t errlen)
{
    int rc = inner_doc(p->params, "scanRequest", &p->req_doc, err, errlen);
    if (rc != 0)
        return rc;
    const json_t *reg = job_params_field(p->req_doc, "registry");
    const json_t *art = job_params_field(p->req_doc, "artifact");
    const json_t *caps = job_params_field(p->req_doc, "enabled_capabilities");
    const char *type = "";
    sfield rf[] = {{"url", JOB_PARAMS_STRING, &p->registry_url},
                   {"insecure", JOB_PARAMS_BOOL, &p->registry_insecure}};
    sfield af[] = {{"repository", JOB_PARAMS_STRING, &p->repository},
                   {"tag", JOB_PARAMS_STRING, &p->tag},
                   {"digest", JOB_PARAMS_STRING, &p->digest},
                   {"mime_type", JOB_PARAMS_STRING, &p->mime_type},
                   {"size", JOB_PARAMS_INT64, &p->size}};
    p->registry_url = p->repository = p->tag = p->digest = p->mime_type = "";
    if ((reg && !json_is_object(reg)) || (art && !json_is_object(art)) ||
        (caps && !json_is_array(caps))) {
        snprintf(err, errlen, "json: cannot unmarshal scan request: wrong type of registry, "
                 "artifact or enabled_capabilities");
        return BERTH_EINVAL;
    }
    if ((reg && fields(reg, "ScanRequest.registry", rf, 2, err, errlen) != 0) ||
        (art && fields(art, "ScanRequest.artifact", af, 5, err, errlen) != 0))
        return BERTH_EINVAL;
    const json_t *c0 = caps ? json_array_get(caps, 0) : NULL;
    if (c0 && job_params_go_field(c0, "type", "ScanRequest.enabled_capabilities.type",
                               JOB_PARAMS_STRING, &type, err, errlen) != 0)
        return BERTH_EINVAL;
    if (!*p->registry_url) {
        snprintf(err, errlen, "scan request: invalid registry");
        return BERTH_EINVAL;
    }
    if (!*p->digest || !*p->repository || !*p->mime_type) {
        snprintf(err, errlen, "scan request: invalid artifact");
        return BERTH_EINVAL;
    }
    if (*type && strcmp(type, "vulnerability") != 0 && strcmp(type, "sbom") != 0) {
        snprintf(err, errlen, "failed to get scan handler, request type %s", type);
        return BERTH_EINVAL;
    }
    p->sbom = !strcmp(type, "sbom");
    return 0;
}

static int mime_types(scan_params *p, char *err, size_t errlen)
{
    const json_t *v = json_object_get(p->params, "mimeTypes");
    if (!v) {
        snprintf(err, errlen, "missing job parameter 'mimeTypes'");
        return BERTH_EINVAL;
    }
    if (!json_is_array(v)) {
        snprintf(err, errlen, "malformed job parameter 'mimeTypes', expecting []any but got %s",
                 job_params_go_type(v));
        return BERTH_EINVAL;
    }
    p->nmimes = json_array_size(v);
    if (!(p->mimes = berth_calloc(p->nmimes + 1, sizeof *p->mimes))) {
        snprintf(err, errlen, "out of memory");
        return BERTH_ENOMEM;
    }
    for (size_t i = 0; i < p->nmimes; i++) {
        const json_t *m = json_array_get(v, i);
        if (!json_is_string(m)) {
            snprintf(err, errlen, "expect string but got %s", job_params_go_type(m));
            return BERTH_EINVAL;
        }
        p->mimes[i] = json_string_value(m);
        if (strpbrk(p->mimes[i], "\r\n")) {
            snprintf(err, errlen, "malformed mime type '%s'", p->mimes[i]);
            return BERTH_EINVAL;
        }
    }
    return 0;
}

static int robot_and_auth(scan_params *p, char *err, size_t errlen)
{
    sfield f[] = {{"name", JOB_PARAMS_STRING, &p->robot_name},
                  {"secret", JOB_PARAMS_STRING, &p->robot_secret}};
    int rc = inner_doc(p->params, "robotAccount", &p->robot_doc, err, errlen);
    if (rc == 0)
        rc = fields(p->robot_doc, "Robot", f, 2, err, errlen);
    if (rc != 0)
        return rc;
    const json_t *a = json_object_get(p->params, "authType");
    if (!a) {
        snprintf(err, errlen, "missing job parameter 'authType'");
        return BERTH_EINVAL;
    }
    if (!json_is_string(a)) {
        snprintf(err, errlen, "malformed job parameter 'authType', expecting string but got %s",
                 job_params_go_type(a));
        return BERTH_EINVAL;
    }
    const char *t = json_string_value(a);
    if (strcmp(t, "Bearer") != 0 && strcmp(t, "Basic") != 0) {
        snprintf(err, errlen, "not support auth type %s", t);
        return BERTH_EINVAL;
    }
    p->bearer = !strcmp(t, "Bearer");
    return 0;
}

int scan_params_parse(const char *params_json, scan_params *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    int rc = job_params_load(params_json, &p->params, err, errlen);
    if (rc != 0)
        return rc;
    if (!p->params) {
        snprintf(err, errlen, "missing parameter of scan job");
        return BERTH_EINVAL;
    }
    rc = registration(p, err, errlen);
    if (rc == 0)
        rc = scan_request(p, err, errlen);
    if (rc == 0)
        rc = mime_types(p, err, errlen);
    if (rc == 0)
        rc = robot_and_auth(p, err, errlen);
    return rc;
}

void scan_params_free(scan_params *p)
{
    json_decref(p->reg_doc);
    json_decref(p->req_doc);
    json_decref(p->robot_doc);
    json_decref(p->params);
    berth_free(p->mimes);
    memset(p, 0, sizeof *p);
}

char *scan_params_reg_log(const scan_params *p)
{
    json_t *c = json_deep_copy(p->reg_doc);
    if (json_object_get(c, "access_credential"))
        json_object_set_new(c, "access_credential", json_string("[HIDDEN]"));
    char *s = json_dumps(c, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(c);
    return s;
}

static json_t *artifact(const scan_params *p)
{
    json_t *a = json_pack("{s:s,s:s,s:s,s:s}", "repository", p->repository, "tag", p->tag,
                          "digest", p->digest, "mime_type", p->mime_type);
    if (p->size)
        json_object_set_new(a, "size", json_integer(p->size));
    return a;
}

char *scan_params_req_log(const scan_params *p)
{
    json_t *r = json_pack("{s:{s:s,s:s,s:b},s:o}", "registry", "url", p->registry_url,
                          "authorization", "[HIDDEN]", "insecure", p->registry_insecure,
                          "artifact", artifact(p));
    char *s = json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(r);
    return s;
}

char *scan_params_request(const scan_params *p, const char *auth)
{
    json_t *cap = p->sbom
        ? json_pack("{s:s,s:[s],s:{s:[s]}}", "type", "sbom", "produces_mime_types",
                    SCAN_MIME_SBOM, "parameters", "sbom_media_types", SCAN_SBOM_MEDIA)
        : json_pack("{s:s,s:[s],s:n}", "type", "vulnerability", "produces_mime_types",
                    SCAN_MIME_VULN, "parameters");
    json_t *r = json_pack("{s:{s:s,s:s,s:b},s:o,s:[o]}", "registry", "url", p->registry_url,
                          "authorization", auth, "insecure", p->registry_insecure,
                          "artifact", artifact(p), "enabled_capabilities", cap);
    char *s = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(r);
    return s;
}
