/* The daemon's log sinks; see daemon_log.h. A mutex keeps lines from interleaving and
 * guards the FILE*s against a concurrent reopen. */
#include "server/daemon_log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "berth/error.h"
#include "util/alloc.h"

typedef struct sink {
    FILE *out;            /* the open file, or the stream */
    char *path;           /* NULL when logging to a stream */
    berth_log_level min;
} sink;

struct daemon_log {
    pthread_mutex_t mu;   /* guards every sink's out and every write */
    sink s[DAEMON_LOG_MAX_SINKS];
    size_t n;             /* fixed after start-up (adds happen before any thread logs) */
};

static FILE *open_append(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "a");
    if (!f)
        close(fd);
    return f;
}

int daemon_log_add(daemon_log *dl, const char *path, FILE *stream, berth_log_level min,
                   char *err, size_t errlen)
{
    if (dl->n >= DAEMON_LOG_MAX_SINKS) {
        snprintf(err, errlen, "at most %d loggers", DAEMON_LOG_MAX_SINKS);
        return BERTH_EINVAL;
    }
    FILE *out = stream;
    if (path && *path) {
        out = open_append(path);
        if (!out) {
            char eb[128];
            snprintf(err, errlen, "cannot open log file %s: %s", path,
                     strerror_r(errno, eb, sizeof eb));
            return BERTH_EIO;
        }
    }
    dl->s[dl->n++] = (sink){out, (path && *path) ? berth_strdup(path) : NULL, min};
    return 0;
}

daemon_log *daemon_log_new(const char *path, FILE *stream, berth_log_level min,
                           char *err, size_t errlen)
{
    daemon_log *dl = berth_calloc(1, sizeof *dl);
    pthread_mutex_init(&dl->mu, NULL);
    if (daemon_log_add(dl, path, stream, min, err, errlen) != 0) {
        daemon_log_free(dl);
        return NULL;
    }
    return dl;
}

berth_log_level daemon_log_min_level(const daemon_log *dl)
{
    berth_log_level m = BERTH_LOG_FATAL;
    for (size_t i = 0; i < dl->n; i++)
        if (dl->s[i].min < m)
            m = dl->s[i].min;
    return m;
}

void daemon_log_free(daemon_log *dl)
{
    if (!dl)
        return;
    for (size_t i = 0; i < dl->n; i++) {
        if (dl->s[i].path && dl->s[i].out)
            fclose(dl->s[i].out);
        berth_free(dl->s[i].path);
    }
    pthread_mutex_destroy(&dl->mu);
    berth_free(dl);
}

int daemon_log_reopen(daemon_log *dl)
{
    int rc = 0;
    for (size_t i = 0; i < dl->n; i++) {
        if (!dl->s[i].path)
            continue;
        FILE *f = open_append(dl->s[i].path);
        if (!f) {
            rc = BERTH_EIO;
            continue;
        }
        pthread_mutex_lock(&dl->mu);
        FILE *old = dl->s[i].out;
        dl->s[i].out = f;
        pthread_mutex_unlock(&dl->mu);
        fclose(old);
    }
    return rc;
}

size_t daemon_log_format(char *out, size_t outlen, long long unix_sec, berth_log_level lvl,
                         const char *file, int line, const char *msg)
{
    time_t t = (time_t)unix_sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int n = snprintf(out, outlen, "%s [%s] [%s:%d]: %s\n", ts, berth_log_level_name(lvl),
                     file ? file : "?", line, msg);
    if (n < 0)
        return 0;
    return (size_t)n < outlen ? (size_t)n : outlen - 1;
}

void daemon_log_write(berth_log_level lvl, const char *file, int line, const char *msg,
                      void *userdata)
{
    daemon_log *dl = userdata;
    if (!dl || lvl < daemon_log_min_level(dl))
        return;
    char text[2048];
    size_t n = daemon_log_format(text, sizeof text, (long long)time(NULL), lvl, file, line, msg);
    pthread_mutex_lock(&dl->mu);
    for (size_t i = 0; i < dl->n; i++) {
        if (lvl < dl->s[i].min)
            continue;
        fwrite(text, 1, n, dl->s[i].out);
        fflush(dl->s[i].out);
    }
    pthread_mutex_unlock(&dl->mu);
}
