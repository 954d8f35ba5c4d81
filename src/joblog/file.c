/* FILE backend: <base_dir>/<id>.log, mode 0600. Each run opens the file with O_APPEND (so a
 * retry adds to the log after its separator instead of overwriting it, as Harbor does) and
 * O_NOFOLLOW (a symlink planted in a shared log directory is not followed). Each line is one
 * write(2), atomic for O_APPEND on a regular file. Ids reach a path only after
 * joblog_id_safe (writing) or joblog_bad_id plus the `/`/`..` check (reading). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "joblog/joblog_internal.h"
#include "model/id.h"

bool joblog_id_safe(const char *id)
{
    return id && (berth_id_valid(id) || berth_execution_id_valid(id));
}

const char *joblog_bad_id(const char *id)
{
    const char *at = strrchr(id, '@');
    size_t n = at ? (size_t)(at - id) : strlen(id);
    if (n != 24)
        return "invalid length of log identify";
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdefABCDEF", id[i]))
            return "invalid log identify";
    return NULL;
}

bool jl_file_path(const char *dir, const char *id, char *path, size_t pathlen)
{
    int n = snprintf(path, pathlen, "%s/%s.log", dir, id);
    return n > 0 && (size_t)n < pathlen;
}

int jl_file_open(const char *dir, const char *id, const berth_logger *lg)
{
    char path[4096];
    if (!joblog_id_safe(id) || !jl_file_path(dir, id, path, sizeof path)) {
        BLOG_ERROR(lg, "job id %s is not a safe log file name: no FILE log for this run", id);
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        char eb[128];
        BLOG_ERROR(lg, "cannot open job log %s: %s (the job runs without its FILE log)", path,
                   strerror_r(errno, eb, sizeof eb));
    }
    return fd;
}

int jl_file_write(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : ENOSPC;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}
