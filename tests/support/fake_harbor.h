/* A fake Harbor in front of a real docker-registry (libmicrohttpd, 127.0.0.1): no Harbor
 * runs here, so this plays the part of its core for the harbor replication adapter. It
 * answers the three REST calls the adapter makes (GET /api/version, the repository search
 * by blob digest, tag deletion) and proxies every /v2/ request to the backend registry
 * (bodies buffered: test images are small), rewriting Location headers to its own URL.
 * Every request must carry `Authorization: Harbor-Secret <secret>` (the local Harbor),
 * else 401. */
#ifndef BERTH_TEST_FAKE_HARBOR_H
#define BERTH_TEST_FAKE_HARBOR_H

typedef struct fake_harbor fake_harbor;

fake_harbor *fh_start(const char *backend_url, const char *secret);
void fh_stop(fake_harbor *h);
const char *fh_url(const fake_harbor *h);
/* The repository search answers [{"name": repo}] for any digest ("" → []). */
void fh_set_mount_repo(fake_harbor *h, const char *repo);
/* Requests refused for lacking the secret; REST tag deletions seen (with a 200 for
 * existing = the tag named here, 404 for any other). */
int fh_refused(fake_harbor *h);
int fh_tag_deletions(fake_harbor *h);
void fh_set_existing_tag(fake_harbor *h, const char *tag);

#endif
