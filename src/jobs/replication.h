/* REPLICATION's internals (spec harbor-jobs.md §7), split by concept:
 *   replication.c           parameters, run (copy or deletion), registration
 *   replication_resource.c  Harbor's Resource/Registry documents → repl_resource
 *   replication_adapter.c   adapters: docker-registry (native) and harbor (probe, mount, tags)
 *   replication_copy.c      copying one artifact: manifests, recursion, blobs with retries
 * A repl_job lives for one run on the worker's thread; nothing is shared between runs. */
#ifndef BERTH_JOBS_REPLICATION_H
#define BERTH_JOBS_REPLICATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "berth/context.h"
#include "registry/registry.h"

typedef struct repl_registry {
    char *type, *url, *access_key, *access_secret, *ca_certificate;
    bool insecure;
} repl_registry;

typedef struct repl_resource {
    char *repo;
    char **refs;           /* the reference list (§7.2) */
    size_t nrefs;
    char **tags;           /* every tag of metadata.artifacts (tag deletion) */
    size_t ntags;
    repl_registry reg;
    bool deleted, is_delete_tag, override;
} repl_resource;

/* Parses the JSON text of a Resource. BERTH_EINVAL with Harbor-like text in err
 * (including "transfer factory for <type> not found"). */
int repl_resource_parse(const char *json, repl_resource *out, char *err, size_t errlen);
void repl_resource_free(repl_resource *r);

/* An adapter: a registry client plus what differs per registry type. */
typedef struct repl_adapter {
    reg_client *cli;
    bool harbor;           /* type harbor */
    char api_base[1100];   /* harbor: <url>/api/<version> (v2) or <url>/api (v1) */
    bool harbor_v2;
} repl_adapter;

typedef struct repl_job {
    berth_ctx *ctx;
    repl_resource src, dst;
    repl_adapter sa, da;
    int64_t speed;         /* Harbor's unit (× 128 bytes/s); ≤ 0 unlimited */
    bool by_chunk;
    int64_t chunk_size;
    int blob_tries, chunk_tries;
    unsigned backoff_ms;   /* first back-off between blob attempts (Harbor: 2 s) */
    long timeout_s;
} repl_job;

#define REPL_STOPPED 2     /* a checkpoint saw a stop: the job ends with success */

/* Creates the adapter for r's registry (the Harbor version probe included). err gets
 * "adapter factory for <type> not found" for other types. */
int repl_adapter_new(repl_job *j, const repl_registry *r, repl_adapter *out, char *err,
                     size_t errlen);
void repl_adapter_free(repl_adapter *a);
/* Harbor v2 only: the repository a blob can be mounted from ("" when none). */
int repl_adapter_can_mount(repl_adapter *a, const char *digest, char *repo, size_t repolen,
                           char *err, size_t errlen);
/* DELETE a tag; *not_found when the registry said 404. docker-registry: unsupported. */
int repl_adapter_delete_tag(repl_adapter *a, const char *repo, const char *tag,
                            bool *not_found, char *err, size_t errlen);

/* Copies src_repo:src_ref to dst_repo:dst_ref (§7.6). 0, REPL_STOPPED, or < 0 (logged). */
int repl_copy_artifact(repl_job *j, const char *src_repo, const char *src_ref,
                       const char *dst_repo, const char *dst_ref, bool override, int depth);
/* True (and logs "the job is stopped") when a stop was requested. */
bool repl_stopped(repl_job *j);

#endif
