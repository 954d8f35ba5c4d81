/* Shared by the REPLICATION tests (tests/registry): the three real registries, the seeded
 * source images, Harbor-shaped launch bodies, waiting on a job through berthd's API, reading
 * its log, and checking a copy digest by digest. One set per test program (the global rh). */
#ifndef BERTH_TEST_REPLICATION_HELPERS_H
#define BERTH_TEST_REPLICATION_HELPERS_H

#include <stdbool.h>

#include "registry_fixture.h"

#define RH_CHUNK 1048576                 /* REPLICATION_CHUNK_SIZE in these tests */
#define RH_BIG (5 * RH_CHUNK / 2 + 123)  /* the big layer: three chunks, the last short */
#define RH_TAGS "v1,oci,multi,dlist"     /* lib/app: schema 2, OCI manifest, OCI index of two
                                            platforms, Docker manifest list of two */
#define RH_NTAGS 4

typedef enum { RH_COPY, RH_DELETE, RH_DELETE_TAG } rh_mode;

typedef struct rh_state {
    reg_fixture plain, basic, token;
} rh_state;

extern rh_state rh;
extern const char *const rh_tags[RH_NTAGS];

/* cmocka group setup: env, the API fixture with REPLICATION, registries, seeded images. */
int rh_setup(void **state);
int rh_teardown(void **state);

/* A Resource document (JSON text, the caller frees): repo with tags (comma list) on fx. */
char *rh_resource(const char *repo, const char *tags, const char *type, const reg_fixture *fx,
                  bool override, rh_mode mode);
/* The same at any URL with these credentials. */
char *rh_resource_at(const char *repo, const char *tags, const char *type, const char *url,
                     const char *user, const char *pass, bool override, rh_mode mode);
/* The same on the plain source registry (type docker-registry). */
char *rh_src_image(const char *repo, const char *tags);

/* Launches REPLICATION from src (freed here) to dst_repo on dst (its Resource built from
 * src's artifacts, as core does). Returns the job id (the caller frees). */
char *repl_launch(char *src, const char *dst_type, const reg_fixture *dst, const char *dst_repo,
                  bool override, int speed, bool by_chunk);
char *repl_launch_ex(char *src, const char *dst_type, const reg_fixture *dst,
                     const char *dst_repo, bool override, int speed, bool by_chunk, rh_mode mode);
char *repl_launch_hooked(char *src, const char *dst_type, const reg_fixture *dst,
                         const char *dst_repo, bool override, int speed, bool by_chunk,
                         int hook_port);
/* Copy to a destination at any URL. */
char *repl_launch_at(char *src, const char *dst_type, const char *url, const char *user,
                     const char *pass, const char *dst_repo, int speed, bool by_chunk);
/* Copy to an https registry with the endpoint's insecure flag and CA certificate (PEM or NULL). */
char *repl_launch_tls(char *src, const char *url, bool insecure, const char *ca_pem,
                      const char *dst_repo);
char *repl_launch_at_mode(char *src, const char *dst_type, const char *url, const char *user,
                          const char *pass, const char *dst_repo, rh_mode mode);
/* Launches REPLICATION with these parameters (a JSON object text). */
char *repl_launch_params(const char *params);

/* Waits (polling the API) until the job's status is want; prints the log on failure. */
void repl_wait(const char *id, const char *want, int ms);
/* Waits until the log holds text `runs` times (one per run), then asserts Error. */
void repl_wait_runs(const char *id, const char *text, int runs);
void repl_log_has(const char *id, const char *text);
void repl_log_lacks(const char *id, const char *text);
int repl_log_count(const char *id, const char *text);
/* Waits until text is in the log at least n times, up to ms; returns the last count. */
int repl_wait_log_count(const char *id, const char *text, int n, int ms);

/* Asserts dst_repo:ref on dst is src_repo:ref of src byte for byte, recursively: every
 * manifest and blob it refers to is at the destination under the source's digest. */
void rh_verify(reg_fixture *src, const char *src_repo, reg_fixture *dst, const char *dst_repo,
               const char *ref);
/* Pushes a one-layer schema 2 image (seeded bytes) as repo:tag; digest gets its digest. */
void rh_push_small_image(reg_fixture *fx, const char *repo, const char *tag, unsigned seed,
                         char digest[80]);

/* Pushes repo:tag as a signed schema 1 manifest (one layer), made by the registry itself. */
void rh_push_schema1_image(reg_fixture *fx, const char *repo, const char *tag);
/* Pushes repo:tag as a schema 2 image with a foreign layer (URL only, not in the registry)
 * before an ordinary one; foreign gets the foreign layer's digest. */
void rh_push_foreign_image(reg_fixture *fx, const char *repo, const char *tag,
                           char foreign[80]);

#endif
