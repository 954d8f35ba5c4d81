/* Copying one artifact (spec §7.6, §7.7) with Harbor's log lines: pull the manifest, skip
 * when the destination has the same digest (or a different one and override is false),
 * copy every reference (manifests recursively, foreign layers skipped, blobs with mount,
 * retries and back-off, monolithic or by chunk), then push the manifest's original bytes.
 * A stop at a checkpoint, or during a transfer (the registry client polls it), ends the
 * copy with REPL_STOPPED. */
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "jobs/replication.h"
#include "util/alloc.h"

#define MAX_DEPTH 8     /* an index of indexes of ... deeper than this is refused */
#define SKIP 1          /* nothing (more) to do: present, mounted or skipped; a success */

bool repl_stopped(repl_job *j)
{
    if (!berth_ctx_op_command(j->ctx) && !berth_ctx_system_done(j->ctx))
        return false;
    BERTH_JINFO(j->ctx, "the job is stopped");
    return true;
}

/* Go's time.Duration text for whole seconds or milliseconds. */
static void duration(unsigned ms, char *out, size_t outlen)
{
    if (ms % 1000 == 0)
        snprintf(out, outlen, "%us", ms / 1000);
    else
        snprintf(out, outlen, "%ums", ms);
}

/* Between attempts: true when a stop came during the wait. */
static bool backoff(repl_job *j, int attempt, const char *digest)
{
    unsigned ms = j->backoff_ms << (attempt - 1 < 16 ? attempt - 1 : 16);
    char d[32];
    duration(ms, d, sizeof d);
    BERTH_JINFO(j->ctx, "will retry %s later", d);
    if (berth_ctx_sleep(j->ctx, ms))
        return repl_stopped(j);
    (void)digest;
    return false;
}

/* 0: go on copying; SKIP: nothing to do (present or mounted); REPL_STOPPED; < 0: failed. */
static int try_mount(repl_job *j, const char *src_repo, const char *dst_repo,
                     const char *digest)
{
    if (repl_stopped(j))
        return REPL_STOPPED;
    bool exists = false;
    if (reg_blob_head(j->da.cli, dst_repo, digest, &exists) != 0) {
        BERTH_JERROR(j->ctx, "failed to check the existence of blob %s on the destination "
                     "registry: %s", digest, reg_client_error(j->da.cli));
        return -1;
    }
    if (exists) {
        BERTH_JINFO(j->ctx, "the blob %s already exists on the destination registry, skip",
                    digest);
        return SKIP;
    }
    char from[512], err[1024];
    if (repl_adapter_can_mount(&j->da, digest, from, sizeof from, err, sizeof err) != 0) {
        BERTH_JERROR(j->ctx, "failed to check whether the blob %s can be mounted on the "
                     "destination registry: %s", digest, err);
        return -1;
    }
    if (!from[0])
        return 0;
    bool mounted = false;
    if (reg_blob_mount(j->da.cli, dst_repo, digest, from, &mounted) != 0) {
        BERTH_JERROR(j->ctx, "failed to mount the blob %s on the destination registry: %s",
                     digest, reg_client_error(j->da.cli));
        return -1;
    }
    if (!mounted)
        return 0;   /* Harbor would take a 202 as mounted (quirk Q7); Berth copies instead */
    BERTH_JINFO(j->ctx, "the blob %s mounted from the repository %s on the destination "
                "registry directly", digest, from);
    (void)src_repo;
    return SKIP;
}

static void limiter(repl_job *j, reg_limiter *l)
{
    reg_limiter_init(l, j->speed > 0 ? (double)j->speed * 128.0 : 0, 1024000.0);
}

static int copy_whole(repl_job *j, const char *src_repo, const char *dst_repo,
                      const reg_desc *d)
{
    for (int attempt = 1; attempt <= j->blob_tries; attempt++) {
        BERTH_JINFO(j->ctx, "copying the blob %s(the %dth running)...", d->digest, attempt);
        int rc = try_mount(j, src_repo, dst_repo, d->digest);
        if (rc == REPL_STOPPED)
            return rc;
        if (rc == SKIP)
            return 0;
        if (rc == 0) {
            reg_limiter l;
            limiter(j, &l);
            rc = reg_blob_copy(j->sa.cli, src_repo, j->da.cli, dst_repo, d->digest,
                               d->size < 0 ? 0 : d->size, &l);
            if (rc == BERTH_ESTATE) {
                repl_stopped(j);
                return REPL_STOPPED;
            }
            if (rc == 0) {
                BERTH_JINFO(j->ctx, "copy the blob %s completed", d->digest);
                return 0;
            }
            const char *e = reg_client_error(j->da.cli);
            if (strncmp(e, "pull: ", 6) == 0)
                BERTH_JERROR(j->ctx, "failed to pulling the blob %s: %s", d->digest, e + 6);
            else
                BERTH_JERROR(j->ctx, "failed to pushing the blob %s, size %lld: %s", d->digest,
                             (long long)d->size, e);
        }
        if (attempt < j->blob_tries && backoff(j, attempt, d->digest))
            return REPL_STOPPED;
    }
    return -1;
}

/* One attempt of a chunked copy; u keeps the state between attempts. */
static int chunk_attempt(repl_job *j, const char *src_repo, const char *dst_repo,
                         const reg_desc *d, reg_upload *u)
{
    int rc = try_mount(j, src_repo, dst_repo, d->digest);
    if (rc != 0)
        return rc == SKIP ? 0 : rc;
    reg_limiter l;
    limiter(j, &l);
    for (bool done = false; !done;) {
        int64_t s = u->end + 1;
        int64_t e = s + j->chunk_size - 1 < d->size - 1 ? s + j->chunk_size - 1 : d->size - 1;
        BERTH_JINFO(j->ctx, "copying the blob chunk: %lld-%lld/%lld", (long long)s,
                    (long long)e, (long long)d->size);
        rc = reg_blob_copy_chunk(j->sa.cli, src_repo, j->da.cli, dst_repo, d->digest, d->size,
                                 j->chunk_size, u, &l, &done);
        if (rc == BERTH_ESTATE) {
            repl_stopped(j);
            return REPL_STOPPED;
        }
        if (rc != 0) {
            const char *err = reg_client_error(j->da.cli);
            if (strncmp(err, "pull: ", 6) == 0)
                BERTH_JERROR(j->ctx, "failed to pulling the blob chunk: %lld-%lld/%lld, "
                             "error: %s", (long long)s, (long long)e, (long long)d->size,
                             err + 6);
            else
                BERTH_JERROR(j->ctx, "failed to pushing the blob chunk: %lld-%lld/%lld, "
                             "error: %s", (long long)s, (long long)e, (long long)d->size, err);
            return -1;
        }
        BERTH_JINFO(j->ctx, "copy the blob chunk: %lld-%lld/%lld completed", (long long)s,
                    (long long)e, (long long)d->size);
    }
    BERTH_JINFO(j->ctx, "copy the blob %s by chunk completed", d->digest);
    return 0;
}

static int copy_chunked(repl_job *j, const char *src_repo, const char *dst_repo,
                        const reg_desc *d)
{
    reg_upload u;
    reg_upload_init(&u);
    int rc = -1;
    for (int attempt = 1; attempt <= j->chunk_tries; attempt++) {
        BERTH_JINFO(j->ctx, "copying the blob %s by chunk(chunkSize: %lld)(the %dth "
                    "running)...", d->digest, (long long)j->chunk_size, attempt);
        rc = chunk_attempt(j, src_repo, dst_repo, d, &u);
        if (rc == 0 || rc == REPL_STOPPED)
            break;
        if (attempt < j->chunk_tries && backoff(j, attempt, d->digest)) {
            rc = REPL_STOPPED;
            break;
        }
    }
    reg_upload_clear(&u);
    return rc;
}

static int copy_blob(repl_job *j, const char *src_repo, const char *dst_repo,
                     const reg_desc *d)
{
    if (j->by_chunk && d->size > j->chunk_size)
        return copy_chunked(j, src_repo, dst_repo, d);
    return copy_whole(j, src_repo, dst_repo, d);
}

static int copy_refs(repl_job *j, const char *src_repo, const char *dst_repo,
                     const reg_manifest *m, int depth)
{
    reg_desc *refs = NULL;
    size_t n = 0;
    char err[512];
    if (reg_manifest_refs(m, &refs, &n, err, sizeof err) != 0) {
        BERTH_JERROR(j->ctx, "failed to parse the manifest: %s", err);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        reg_media k = reg_media_kind(refs[i].media_type);
        if (k == REG_MT_FOREIGN) {
            BERTH_JINFO(j->ctx, "the layer %s is a foreign layer, skip", refs[i].digest);
        } else if (reg_media_is_manifest(k) && refs[i].media_type[0]) {
            rc = repl_copy_artifact(j, src_repo, refs[i].digest, dst_repo, refs[i].digest, true,
                                    depth + 1);
        } else {
            rc = copy_blob(j, src_repo, dst_repo, &refs[i]);
        }
    }
    berth_free(refs);
    return rc;
}

/* 0: copy; SKIP (a success); < 0: failed. */
static int check_destination(repl_job *j, const char *dst_repo, const char *dst_ref,
                             const reg_manifest *m, bool override)
{
    bool exists = false;
    char digest[REG_DIGEST_MAX];
    if (reg_manifest_head(j->da.cli, dst_repo, dst_ref, &exists, digest, NULL) != 0) {
        BERTH_JERROR(j->ctx, "failed to check the existence of the manifest of artifact %s:%s "
                     "on the destination registry: %s", dst_repo, dst_ref,
                     reg_client_error(j->da.cli));
        return -1;
    }
    if (!exists)
        return 0;
    if (m->digest[0] && strcmp(digest, m->digest) == 0) {
        BERTH_JINFO(j->ctx, "the artifact %s:%s already exists on the destination registry, "
                    "skip", dst_repo, dst_ref);
        return SKIP;
    }
    if (!override) {
        BERTH_JWARN(j->ctx, "the same name artifact %s:%s exists on the destination registry, "
                    "but the \"override\" is set to false, skip", dst_repo, dst_ref);
        return SKIP;
    }
    BERTH_JWARN(j->ctx, "the same name artifact %s:%s exists on the destination registry and "
                "the \"override\" is set to true, continue...", dst_repo, dst_ref);
    return 0;
}

int repl_copy_artifact(repl_job *j, const char *src_repo, const char *src_ref,
                       const char *dst_repo, const char *dst_ref, bool override, int depth)
{
    BERTH_JINFO(j->ctx, "copying %s:%s(source registry) to %s:%s(destination registry)...",
                src_repo, src_ref, dst_repo, dst_ref);
    if (depth > MAX_DEPTH) {
        BERTH_JERROR(j->ctx, "the manifest %s:%s nests deeper than %d levels", src_repo,
                     src_ref, MAX_DEPTH);
        return -1;
    }
    if (repl_stopped(j))
        return REPL_STOPPED;
    BERTH_JINFO(j->ctx, "pulling the manifest of artifact %s:%s ...", src_repo, src_ref);
    reg_manifest m;
    if (reg_manifest_get(j->sa.cli, src_repo, src_ref, &m) != 0) {
        BERTH_JERROR(j->ctx, "failed to pull the manifest of artifact %s:%s: %s", src_repo,
                     src_ref, reg_client_error(j->sa.cli));
        return -1;
    }
    BERTH_JINFO(j->ctx, "the manifest of artifact %s:%s pulled", src_repo, src_ref);
    int rc = check_destination(j, dst_repo, dst_ref, &m, override);
    if (rc == 0)
        rc = copy_refs(j, src_repo, dst_repo, &m, depth);
    if (rc == 0 && repl_stopped(j))
        rc = REPL_STOPPED;
    if (rc == 0) {
        BERTH_JINFO(j->ctx, "pushing the manifest of artifact %s:%s ...", dst_repo, dst_ref);
        if (reg_manifest_put(j->da.cli, dst_repo, dst_ref, &m) != 0) {
            BERTH_JERROR(j->ctx, "failed to push manifest of artifact %s:%s: %s", dst_repo,
                         dst_ref, reg_client_error(j->da.cli));
            rc = -1;
        } else {
            BERTH_JINFO(j->ctx, "the manifest of artifact %s:%s pushed", dst_repo, dst_ref);
        }
    }
    if (rc == 0)
        BERTH_JINFO(j->ctx, "copy %s:%s(source registry) to %s:%s(destination registry) "
                    "completed", src_repo, src_ref, dst_repo, dst_ref);
    if (rc == SKIP)
        rc = 0;
    reg_manifest_clear(&m);
    return rc;
}
