/* Non-blocking script calls on an rconn, for a caller that owns an event loop (the engine's
 * launcher, engine/launcher.c): it writes calls without waiting for the socket to drain
 * and reads replies as far as the bytes that have arrived go, and its loop watches
 * rnb_fd for the rest. Nothing here dials, loads a script or waits: the connection must
 * be open with the script loaded (rnb_ready), as one taken idle from the pool.
 *
 * The socket stays as rconn made it (blocking, with its timeout, for rconn's other calls):
 * every read and write here is MSG_DONTWAIT, the bytes read are fed to hiredis's own
 * reader of the connection, and the bytes to write are the caller's buffer (rconn's
 * output buffer stays empty). A caller that has read every reply of the calls it wrote
 * leaves the connection as it found it: it may go back to the pool. One that gives up
 * (overdue replies) calls rconn_broke: a connection with replies on the way must never be
 * read by anyone else.
 *
 * Ownership: the caller owns rc and out, on one thread; nothing here locks. */
#ifndef BERTH_STORE_NBIO_H
#define BERTH_STORE_NBIO_H

#include <stdbool.h>

#include "store/redis.h"
#include "util/buf.h"

/* rc is open, not a Redis Cluster (rconn_pipelines) and has script id loaded: a call can
 * be written without waiting for Redis. */
bool rnb_ready(const rconn *rc, script_id id);
/* The socket to watch, or -1 when rc is not connected. */
int rnb_fd(const rconn *rc);
/* Appends the EVALSHA call of script id with a to out (no I/O): 0, or BERTH_ENOMEM. */
int rnb_add_eval(rconn *rc, buf *out, script_id id, const rargs *a);
/* Appends a command of plain words (no argument holds a space: "INFO memory"): 0, or
 * BERTH_ENOMEM. */
int rnb_add_cmd(buf *out, const char *words);
/* Writes out from *off on, as far as the socket takes without waiting: 0 when all of it
 * is written, 1 when the rest must wait for POLLOUT, BERTH_EREDIS when the connection
 * broke (rc dropped, rc->err says why). */
int rnb_write(rconn *rc, const buf *out, size_t *off);
/* The next whole reply, reading what has arrived: 0 with *out a reply (the caller frees
 * it), 0 with *out NULL when its bytes are not all there yet (wait for POLLIN), or
 * BERTH_EREDIS when the connection broke or sent bytes that are not RESP (rc dropped). */
int rnb_read(rconn *rc, rreply **out);

#endif
