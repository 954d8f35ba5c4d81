/* A small HTTP proxy for the proxy tests of REPLICATION, WEBHOOK and SLACK: forward proxy
 * for http:// (absolute-form requests, sent on with "Connection: close" so that every
 * proxied request is one connection) and CONNECT tunnels for https://, on a free loopback
 * port, counting what it was asked for.
 *
 * It is a fake, on purpose: it connects every host name to 127.0.0.1 at the requested port.
 * A real proxy (Debian's tinyproxy installs here) resolves the names it is given, and these
 * tests must use names that are not loopback — Harbor's Go client, and Berth after it, never
 * proxies localhost or a loopback address — while nothing resolves a made-up name offline
 * without editing /etc/hosts. Everything else is the real protocol, and the targets behind
 * it are the real docker-registry and the tests' receivers. */
#ifndef BERTH_TEST_FAKE_PROXY_H
#define BERTH_TEST_FAKE_PROXY_H

#include <stddef.h>

typedef struct fake_proxy fake_proxy;

/* NULL if it cannot listen. */
fake_proxy *fp_start(void);
/* Cuts every open connection, joins every thread, frees. NULL is a no-op. */
void fp_stop(fake_proxy *p);
int fp_port(const fake_proxy *p);
/* Requests so far whose line ("GET http://host:port/path", "CONNECT host:port") contains
 * needle ("" counts them all). */
size_t fp_count(fake_proxy *p, const char *needle);

#endif
