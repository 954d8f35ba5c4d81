/* A TCP relay between a client (the engine, a job-log set) and a real redis-server that
 * can break a connection at an exact command: the tests of what a client does when Redis
 * ran some of its calls and the connection broke before the rest, or after a call ran but
 * before its reply arrived. Nothing is faked: every byte is the client's and Redis's; the
 * relay only reads the RESP framing to count requests and replies per connection.
 *
 * Armed (rr_arm), the relay watches every request (a RESP array from the client) that
 * contains all of the given needles; it lets `skip` of them pass, and at the next one:
 *   RR_REFUSE      the request is not forwarded (Redis never sees it); the replies of the
 *                  requests before it on that connection are delivered, then the
 *                  connection is cut (what a client sees when Redis dies between two
 *                  pipelined calls);
 *   RR_DROP_REPLY  the request is forwarded and runs, its reply is thrown away and the
 *                  connection is cut (a reply lost after the call was applied).
 *   RR_DELAY_REPLY the needles are looked for in Redis's replies instead, and the first
 *                  reply that holds them all is delivered late (rr_arm_delay): a client
 *                  that stalls between sending a call and reading its answer (a frozen
 *                  process, a long pause), the call having run on time.
 * One shot: after the cut (or the late reply) the relay forwards everything again (the client's next
 * connection works). Connections whose replies are not one per request (pub/sub) pass
 * through; do not arm needles that match their requests.
 *
 * Threads: one accepting, two per connection; the state is under one mutex. */
#ifndef BERTH_TEST_REDIS_RELAY_H
#define BERTH_TEST_REDIS_RELAY_H

#include <stdbool.h>

typedef struct redis_relay redis_relay;

typedef enum { RR_REFUSE, RR_DROP_REPLY, RR_DELAY_REPLY } rr_mode;

/* Listens on a free loopback port and relays each connection to 127.0.0.1:redis_port.
 * NULL if it cannot listen. */
redis_relay *rr_start(int redis_port);
int rr_port(const redis_relay *r);
/* Arms the relay (see above). needles: up to 4 byte strings, NULL-terminated list; each
 * must occur in the request's bytes (its RESP encoding: argument texts appear as-is). */
void rr_arm(redis_relay *r, rr_mode mode, int skip, const char *const *needles);
/* Arms RR_DELAY_REPLY: the first reply holding every needle waits delay_ms. */
void rr_arm_delay(redis_relay *r, int delay_ms, const char *const *needles);
/* Connections cut (or replies delayed) so far by an armed rule. */
int rr_cuts(redis_relay *r);
/* Cuts every connection, joins every thread, frees. NULL is a no-op. */
void rr_stop(redis_relay *r);

#endif
