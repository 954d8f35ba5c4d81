/* Launches from an event loop the caller owns: berthd's HTTP loop threads, or any host with
 * its own epoll or poll loop.
 *
 * A berth_launcher belongs to one thread. It collects the launches added during one turn of
 * that thread's loop and sends them as one enqueue script call at berth_launcher_flush, on a
 * Redis connection it keeps, without ever waiting for Redis: the host watches the
 * connection's socket (the watch callback says which, and when it changes) and calls
 * berth_launcher_io when it is ready or when berth_launcher_timeout_ms has passed. The
 * answers (done) then run on that same thread. No other thread, lock or wake-up takes part,
 * which is what berth_engine_launch_async costs: its sender thread, and a hand-back to the
 * caller's thread for every batch.
 *
 * One batch is in flight per launcher; launches added meanwhile wait for its reply and go
 * in the next call (up to 256 per call, as berth_engine_launch_async's batches). When
 * fewer are queued than half the batch answered last, they are held up to a millisecond
 * more for the rest (under load the answered launches' callers are about to launch again,
 * and one call for them all costs Redis less than two): berth_launcher_timeout_ms then
 * says when the host's loop must come back. One launch at a time is never held. The
 * answers are berth_engine_launch's, text for text: the same rc, err and stats, a unique
 * duplicate as BERTH_EDUP, a refusal by Redis or a broken connection as BERTH_EREDIS for
 * every launch of the batch (the script is atomic: none of it was written, or all of it
 * and the connection broke after it ran).
 *
 * When the launcher has no connection it can use without waiting (none idle in the
 * engine's pool, a Redis Cluster, a connection that broke or lost its script), a launch
 * goes the engine's shared way (berth_engine_launch_async), and its done then runs on the
 * engine's sender thread as that function says: the host's done must be thread-safe.
 *
 * The same goes for a batch whose call could not be written whole (it did not run) or that
 * Redis refused with NOSCRIPT (its script cache was flushed: it did not run either).
 *
 * Ownership and threads: every call on a launcher comes from its thread; the engine
 * outlives the launcher (free every launcher before berth_engine_free). berth_engine_stop
 * changes nothing for launchers: it stops the engine's workers, not its launches (as
 * berth_engine_launch works before start and after stop), so launches pending at a stop
 * are answered as usual, and later ones still go to Redis. done runs exactly once per
 * launch: inside berth_launcher_add when the launch fails before reaching Redis or is
 * Periodic (stored at once, waiting for Redis), inside berth_launcher_io,
 * berth_launcher_flush (a batch that could not be built: out of memory) or
 * berth_launcher_free otherwise (or on the sender thread, above). done may call
 * berth_launcher_add and berth_launcher_flush on the same launcher (a flush from a done
 * run by berth_launcher_io is done by that io call when the answers are over), never
 * berth_launcher_free. */
#ifndef BERTH_LAUNCHER_H
#define BERTH_LAUNCHER_H

#include "berth/api.h"
#include "berth/berth.h"

typedef struct berth_launcher berth_launcher;

/* The socket the host must watch changes: from old_fd (-1: none) to fd (-1: none), for the
 * poll(2) events in `events` (POLLIN, and POLLOUT while a call is only partly written).
 * old_fd may already be closed. The socket is watched for as long as the launcher keeps its
 * connection, between batches too (POLLIN then says Redis closed it: io gives it up), so
 * the callback runs when the connection changes, not at every batch. A launcher with a
 * watch relies on it for that and does not check the connection before each batch (one
 * system call less per batch); one without checks it then. An epoll host may
 * register fd once for both directions, edge-triggered, and call berth_launcher_io on
 * every event. Called from add, flush, io and free, on the launcher's thread. */
typedef void (*berth_launcher_watch_fn)(int old_fd, int fd, unsigned events, void *ud);

/* A launcher for the calling thread. No I/O here (the connection is taken from the engine's
 * pool when the first batch is sent). watch may be NULL for a host that only calls
 * berth_launcher_free (its pending launches are then answered there). 0 with *out, or
 * BERTH_ENOMEM / BERTH_EINVAL (e or out NULL). */
BERTH_API int berth_launcher_new(berth_engine *e, berth_launcher_watch_fn watch, void *ud,
                                 berth_launcher **out);
/* Checks and prepares one launch (as berth_engine_launch_async) and queues it for the next
 * flush. l is not kept after the call; l NULL is answered BERTH_EINVAL inside the call. */
BERTH_API void berth_launcher_add(berth_launcher *lr, const berth_launch *l,
                                  berth_launch_done_fn done, void *ud);
/* Sends what was added since the last flush, unless a batch is in flight (it then goes when
 * that one is answered, from berth_launcher_io) or what is queued is held (it goes at a
 * later flush or io, by the end of the hold). Never waits for Redis. A host calls it once
 * per turn of its loop, after it has handled that turn's events. */
BERTH_API void berth_launcher_flush(berth_launcher *lr);
/* The watched socket is ready, or the timeout passed: reads what Redis sent, answers the
 * batch in flight once its reply is whole (or its connection broke, or its reply is overdue:
 * BERTH_EREDIS for each, as a blocking call's socket timeout gives), and sends the next. */
BERTH_API void berth_launcher_io(berth_launcher *lr);
/* Milliseconds until berth_launcher_io must be called even if the socket stays quiet (the
 * batch in flight's deadline, or the end of a held batch's wait: at most 1), 0 when now,
 * -1 when nothing is in flight or held. */
BERTH_API int berth_launcher_timeout_ms(const berth_launcher *lr);
/* Launches added or in flight (not yet answered): for hosts that wait for them at stop. */
BERTH_API size_t berth_launcher_pending(const berth_launcher *lr);
/* Answers everything still pending (waits for the batch in flight, up to its deadline, and
 * sends what is queued, blocking), gives the connection back, then frees lr. NULL is a
 * no-op. */
BERTH_API void berth_launcher_free(berth_launcher *lr);

#endif
