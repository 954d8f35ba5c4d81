/* The embedded default (ARCHITECTURE §7): with no redis_url configured, berthd runs a
 * private redis-server on a unix socket in its data directory (directory mode 0700, no TCP
 * port, AOF on), restarts it if it dies, and stops it on exit. The child gets
 * PR_SET_PDEATHSIG so it cannot outlive a berthd killed with SIGKILL and keep the AOF. */
#ifndef BERTH_SERVER_EMBEDDED_REDIS_H
#define BERTH_SERVER_EMBEDDED_REDIS_H

#include <stddef.h>
#include <sys/types.h>

#include "berth/log.h"

typedef struct embedded_redis_opts {
    const char *server_path;   /* redis-server binary; NULL → "redis-server" from PATH */
    const char *data_dir;      /* created with mode 0700 if missing; holds socket, AOF, log */
    const char *appendfsync;   /* "always", "everysec" (NULL → everysec) or "no" */
    berth_log_fn log;          /* restarts and failures are logged here; may be NULL */
    void *log_userdata;
} embedded_redis_opts;

typedef struct embedded_redis embedded_redis;

/* Starts the server and waits (up to 10 s) until it answers PING on its socket. On
 * failure returns BERTH_EIO/BERTH_ECONFIG with a message. Free with embedded_redis_stop. */
int embedded_redis_start(const embedded_redis_opts *o, embedded_redis **out, char *err,
                         size_t errlen);
/* The unix socket path; owned by r. */
const char *embedded_redis_socket(const embedded_redis *r);
/* Pid of the current child (changes after a restart); 0 while none runs. */
pid_t embedded_redis_pid(embedded_redis *r);
/* How many times the supervisor restarted the server. */
unsigned embedded_redis_restarts(embedded_redis *r);
/* SIGTERM (SIGKILL after 5 s), joins the supervisor, frees r. NULL is a no-op. */
void embedded_redis_stop(embedded_redis *r);

#endif
