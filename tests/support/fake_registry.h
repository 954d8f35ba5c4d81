/* A small fake source registry (libmicrohttpd on 127.0.0.1) for the three bad replies a real
 * docker-registry never gives: it refuses to store a manifest that is not JSON or larger
 * than 4 MiB, and it never closes a connection in the middle of a blob. It speaks the
 * Registry v2 read protocol (GET /v2/, HEAD/GET manifests with Content-Type and
 * Docker-Content-Digest, GET blobs with Content-Length and byte ranges) for the repository
 * "fake/app":
 *   good     a schema 2 image: config + one layer of FR_LAYER bytes
 *   notjson  Content-Type schema 2, body "this is not JSON"
 *   huge     Content-Type OCI manifest, a JSON object of 5 MiB
 * and can cut the layer's body after some bytes (announcing the full length). */
#ifndef BERTH_TEST_FAKE_REGISTRY_H
#define BERTH_TEST_FAKE_REGISTRY_H

#define FR_LAYER (3 * 1048576 / 2)   /* more than one chunk of the tests' 1 MiB */

typedef struct fake_registry fake_registry;

fake_registry *fr_start(void);
void fr_stop(fake_registry *r);
/* "http://127.0.0.1:<port>" (owned by r). */
const char *fr_url(const fake_registry *r);
/* The next `times` GETs of the layer stop after `bytes` bytes and close the connection. */
void fr_cut(fake_registry *r, long bytes, int times);
/* Digests of the good image's layer and manifest (owned by r). */
const char *fr_layer_digest(const fake_registry *r);
const char *fr_good_digest(const fake_registry *r);

#endif
