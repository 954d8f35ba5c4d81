/* The daemon's log sink; see daemon_log.h. A mutex keeps lines from interleaving and
 * guards the FILE* against a concurrent reopen. */
#include "server/daemon_log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "berth/error.h"
#include "util/alloc.h"

struct daemon_log {
    pthread_mutex_t mu;   /* guards out and every write */
    FILE *out;            /* the open file, or the stream */
    char *path;           /* NULL when logging to a stream */
    berth_log_level min;
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

daemon_log *daemon_log_new(const char *path, FILE *stream, berth_log_level min,
                           char *err, size_t errlen)
{
    FILE *out = stream;
    if (path && *path) {
        out = open_append(path);
        if (!out) {
            snprintf(err, errlen, "cannot open log file %s: %s", path, strerror(errno));
            return NULL;
        }
    }
    daemon_log *dl = berth_calloc(1, sizeof *dl);
    pthread_mutex_init(&dl->mu, NULL);
    dl->out = out;
    dl->path = (path && *path) ? berth_strdup(path) : NULL;
    dl->min = min;
    return dl;
}

void daemon_log_free(daemon_log *dl)
{
    if (!dl)
        return;
    if (dl->path && dl->out)
        fclose(dl->out);
    pthread_mutex_destroy(&dl->mu);
    berth_free(dl->path);
    berth_free(dl);
}

int daemon_log_reopen(daemon_log *dl)
{
    if (!dl->path)
        return 0;
    FILE *f = open_append(dl->path);
    if (!f)
        return BERTH_EIO;
    pthread_mutex_lock(&dl->mu);
    FILE *old = dl->out;
    dl->out = f;
    pthread_mutex_unlock(&dl->mu);
    fclose(old);
    return 0;
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
    if (!dl || lvl < dl->min)
        return;
    char text[2048];
    size_t n = daemon_log_format(text, sizeof text, (long long)time(NULL), lvl, file, line, msg);
    pthread_mutex_lock(&dl->mu);
    fwrite(text, 1, n, dl->out);
    fflush(dl->out);
    pthread_mutex_unlock(&dl->mu);
}
