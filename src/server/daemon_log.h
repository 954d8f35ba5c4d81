/* The daemon's own log: where berthd's lines (and libberth's, through the callback) go.
 * Built from the config's `loggers` list: up to DAEMON_LOG_MAX_SINKS sinks, each a stream
 * (stdout/stderr) or an appended file, each with its own minimum level. Thread-safe; lines
 * look like Harbor's: `<RFC3339 UTC> [<LEVEL>] [<file>:<line>]: <message>`. */
#ifndef BERTH_SERVER_DAEMON_LOG_H
#define BERTH_SERVER_DAEMON_LOG_H

#include <stdio.h>

#include "berth/log.h"

#define DAEMON_LOG_MAX_SINKS 8

typedef struct daemon_log daemon_log;

/* The first sink. path: NULL or "" → stream (stdout or stderr); otherwise appended to that
 * file (0600). Returns NULL and fills err if the file cannot be opened. Free with
 * daemon_log_free. */
daemon_log *daemon_log_new(const char *path, FILE *stream, berth_log_level min,
                           char *err, size_t errlen);
/* Adds another sink (same rules). 0, or BERTH_EIO / BERTH_EINVAL (too many) with err. */
int daemon_log_add(daemon_log *dl, const char *path, FILE *stream, berth_log_level min,
                   char *err, size_t errlen);
/* The lowest level any sink takes (what the engine need not format below). */
berth_log_level daemon_log_min_level(const daemon_log *dl);
void daemon_log_free(daemon_log *dl);
/* Reopens every file sink (after logrotate moved it; called on SIGHUP). 0 or BERTH_EIO
 * (the sinks that failed keep their old file). */
int daemon_log_reopen(daemon_log *dl);
/* A berth_log_fn: pass the daemon_log as userdata. */
void daemon_log_write(berth_log_level lvl, const char *file, int line, const char *msg,
                      void *dl);
/* Formats one line as Harbor does into out (always terminated); returns its length. */
size_t daemon_log_format(char *out, size_t outlen, long long unix_sec, berth_log_level lvl,
                         const char *file, int line, const char *msg);

#endif
