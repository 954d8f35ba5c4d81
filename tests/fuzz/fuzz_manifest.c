/* libFuzzer target for the manifest reference parser (src/registry/manifest.c): the first
 * byte picks the media type (each one Harbor accepts, a foreign layer, an unknown type, or
 * a Content-Type with parameters), the rest is the manifest body.
 *
 * Checks beyond sanitizer reports: a failure has a message and no references; a success
 * only for a manifest media type, and every reference has a valid digest, a terminated
 * media type and a size that is ≥ 0 (or -1 for schema 1). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "fuzz_check.h"
#include "registry/registry.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    static const char *const types[] = {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/json", "", "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "text/plain", "application/vnd.oci.image.manifest.v1+json; charset=utf-8"};
    reg_manifest m = {0};
    snprintf(m.media_type, sizeof m.media_type, "%s", types[data[0] % 11]);
    m.len = size - 1;
    m.bytes = berth_malloc(m.len + 1);
    memcpy(m.bytes, data + 1, m.len);
    m.bytes[m.len] = '\0';
    reg_desc *refs = NULL;
    size_t n = 99;
    char err[256] = "";
    int rc = reg_manifest_refs(&m, &refs, &n, err, sizeof err);
    if (rc != 0) {
        CHECK(rc == BERTH_EINVAL && err[0] && !refs && n == 0);
    } else {
        CHECK(reg_media_is_manifest(reg_media_kind(m.media_type)));
        CHECK(n == 0 || refs);
        for (size_t i = 0; i < n; i++) {
            CHECK(reg_digest_valid(refs[i].digest));
            CHECK(memchr(refs[i].media_type, '\0', sizeof refs[i].media_type));
            CHECK(refs[i].size >= -1);
            (void)reg_media_kind(refs[i].media_type);
        }
    }
    berth_free(refs);
    reg_manifest_clear(&m);
    return 0;
}
