/* See scan_sbom.h. */
#include "jobs/scan_sbom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "model/json_field.h"
#include "model/json_parse.h"
#include "util/buf.h"

/* Go's json.Marshal escapes these inside strings (HTML safety); outside strings they never
 * occur in JSON, so a plain replacement is exact. */
static char *go_escape(const char *s)
{
    buf b;
    buf_init(&b, 0);  /* no cap: re-encoding a document read under the report cap */
    buf_puts(&b, "");
    for (const char *p = s; *p; p++) {
        if (*p == '<')
            buf_puts(&b, "\\u003c");
        else if (*p == '>')
            buf_puts(&b, "\\u003e");
        else if (*p == '&')
            buf_puts(&b, "\\u0026");
        else if (!strncmp(p, "\xe2\x80\xa8", 3) || !strncmp(p, "\xe2\x80\xa9", 3))
            buf_puts(&b, p[2] == '\xa8' ? "\\u2028" : "\\u2029"), p += 2;
        else
            buf_append(&b, p, 1);
    }
    char *out = strdup(b.p);
    buf_free(&b);
    return out;
}

int scan_sbom_content(const char *raw, size_t len, char **sbom, json_t **scanner, char *err,
                      size_t errlen)
{
    *sbom = NULL;
    *scanner = NULL;
    json_t *doc = NULL;
    char why[512];
    if (berth__json_parse(raw, len, BERTH_JSON_MAX_DEPTH, &doc, NULL, why, sizeof why) != 0 ||
        !json_is_object(doc)) {
        snprintf(err, errlen, "%s", doc ? "json: cannot unmarshal into Go value of type "
                                          "sbom.Report" : why);
        json_decref(doc);
        return BERTH_EINVAL;
    }
    json_t *s = json_object_get(doc, "sbom");
    size_t flags = JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15);
    char *text = s ? json_dumps(s, flags) : strdup("null");
    *sbom = text ? go_escape(text) : NULL;
    free(text);
    json_t *sc = json_object_get(doc, "scanner");
    *scanner = json_is_object(sc) ? json_incref(sc) : NULL;
    json_decref(doc);
    return *sbom ? 0 : BERTH_ENOMEM;
}

static json_t *desc(const char *media, const char *digest, int64_t size)
{
    return json_pack("{s:s,s:s,s:I}", "mediaType", media, "digest", digest, "size",
                     (json_int_t)size);
}

int scan_sbom_push(reg_client *c, const char *repo, const char *sbom, const scan_subject *s,
                   const char *created, char digest[REG_DIGEST_MAX])
{
    char layer[REG_DIGEST_MAX], config[REG_DIGEST_MAX];
    size_t slen = strlen(sbom);
    int rc = reg_blob_put(c, repo, sbom, slen, layer);
    if (rc != 0)
        return rc;
    json_t *cfg = json_pack("{s:s,s:s,s:{s:s,s:[s]},s:[{s:s,s:s,s:s}]}", "architecture", "",
                            "os", "", "rootfs", "type", "layers", "diff_ids", layer, "history",
                            "created", created, "author", "harbor", "created_by", "harbor");
    char *cfg_text = json_dumps(cfg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(cfg);
    size_t clen = strlen(cfg_text);
    rc = reg_blob_put(c, repo, cfg_text, clen, config);
    free(cfg_text);
    if (rc != 0)
        return rc;
    json_t *m = json_pack("{s:i,s:s,s:o,s:[o],s:o,s:{s:s,s:s,s:s,s:s}}", "schemaVersion", 2,
                          "mediaType", "application/vnd.oci.image.manifest.v1+json", "config",
                          desc(SCAN_SBOM_CONFIG_MEDIA, config, (int64_t)clen), "layers",
                          desc("application/vnd.oci.image.layer.v1.tar", layer, (int64_t)slen),
                          "subject", desc(s->media_type, s->digest, s->size), "annotations",
                          "created", created, "created-by", "Harbor",
                          "org.opencontainers.artifact.created", created,
                          "org.opencontainers.artifact.description", "SPDX JSON SBOM");
    reg_manifest mf = {.bytes = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER)};
    json_decref(m);
    mf.len = strlen(mf.bytes);
    snprintf(mf.media_type, sizeof mf.media_type, "application/vnd.oci.image.manifest.v1+json");
    char md[REG_DIGEST_MAX];
    reg_sha256_digest(mf.bytes, mf.len, md);
    rc = reg_manifest_put(c, repo, md, &mf);
    free(mf.bytes);
    if (rc == 0)
        snprintf(digest, REG_DIGEST_MAX, "%s", md);
    return rc;
}

char *scan_sbom_summary(long long duration_s, const char *start, const char *end,
                        const char *digest, const char *repo, const json_t *scanner)
{
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:O?,s:s}", "duration", (json_int_t)duration_s,
                          "end_time", end, "sbom_digest", digest, "sbom_repository", repo,
                          "scan_status", "Success", "scanner", scanner, "start_time", start);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}
