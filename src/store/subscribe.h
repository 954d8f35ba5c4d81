/* A pub/sub subscription: one blocking connection that waits for messages on a fixed set
 * of channels. Used by the engine's control subscriber (stop commands) and by its
 * fetcher's waker (wake-ups, waited for with poll() and drained without blocking).
 * On a Redis Cluster (t->nnodes > 0) the channels are shard channels (SSUBSCRIBE, Redis
 * 7.0), all in the namespace's slot, subscribed on the master that serves it: the scripts
 * SPUBLISH there (_lib.lua publish), and the cluster keeps those messages within the
 * slot's shard instead of broadcasting them to every node. When the slot moves away the
 * node ends the subscription (a "sunsubscribe" push), which rsub_next reports as a lost
 * connection so that the caller subscribes again at the new owner.
 *
 * Owned by the thread that opened it, which alone calls rsub_next and rsub_close; another
 * thread may call rsub_interrupt to make a blocked rsub_next return (shutdown), under a
 * lock of the caller's that also covers rsub_close. */
#ifndef BERTH_STORE_SUBSCRIBE_H
#define BERTH_STORE_SUBSCRIBE_H

#include <stddef.h>

#include "store/redis.h"

typedef struct rsub rsub;

/* Dials t (5 s timeout; none once subscribed) and subscribes to the n channels (shard channels in a cluster).
 * NULL when Redis cannot be reached or refuses (err gets why). */
rsub *rsub_open(const rtarget *t, const char *const *channels, size_t n, char *err,
                size_t errlen);
/* Waits for the next message. 0 with *chan and *body (body is *len bytes, not
 * NUL-terminated) valid until the next call; BERTH_EREDIS when the connection is gone
 * (or was interrupted, or a cluster moved the slot away): close it and open another.
 * Replies that are not messages (such as subscribe confirmations, or anything of an
 * unexpected shape) are skipped. */
int rsub_next(rsub *s, const char **chan, const char **body, size_t *len);
/* The socket, for a caller that waits with poll() instead of rsub_next. */
int rsub_fd(const rsub *s);
/* Reads what the socket has (once: call it when poll() says it is readable) and discards
 * every complete message. 0, or BERTH_EREDIS when the connection is gone or a cluster
 * moved the slot away (as rsub_next). */
int rsub_drain(rsub *s);
/* Shuts the socket down so a blocked rsub_next returns; safe from another thread. */
void rsub_interrupt(rsub *s);
void rsub_close(rsub *s);   /* NULL-safe */

#endif
