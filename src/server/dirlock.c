/* Exclusive directory locks; see dirlock.h. */
#include "server/dirlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth/error.h"
#include "util/alloc.h"

struct dirlock {
    int fd;
};

int dirlock_make_dirs(const char *dir, char *err, size_t errlen)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0700);
            *p = '/';
        }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return BERTH_EIO;
    }
    return 0;
}

/* The pid the holder wrote, or 0 when unreadable (it may be writing it right now). */
static long holder_pid(int fd)
{
    char text[32] = "";
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    return n > 0 ? strtol(text, NULL, 10) : 0;
}

int dirlock_take(const char *dir, const char *name, const char *what, dirlock **out,
                 char *err, size_t errlen)
{
    *out = NULL;
    int rc = dirlock_make_dirs(dir, err, errlen);
    if (rc != 0)
        return rc;
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the lock file %s: %s", path, strerror(errno));
        return BERTH_EIO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int eno = errno;
        long pid = eno == EWOULDBLOCK ? holder_pid(fd) : 0;
        if (eno != EWOULDBLOCK)
            snprintf(err, errlen, "cannot lock %s: %s", path, strerror(eno));
        else if (pid > 0)
            snprintf(err, errlen, "%s %s is in use by another berthd (pid %ld, lock %s): "
                     "stop it first, or give this one its own directory", what, dir, pid, path);
        else
            snprintf(err, errlen, "%s %s is in use by another berthd (lock %s): stop it "
                     "first, or give this one its own directory", what, dir, path);
        close(fd);
        return eno == EWOULDBLOCK ? BERTH_ESTATE : BERTH_EIO;
    }
    char text[32];
    int n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)n, 0) != n) {
        snprintf(err, errlen, "cannot write the lock file %s: %s", path, strerror(errno));
        close(fd);
        return BERTH_EIO;
    }
    dirlock *l = berth_calloc(1, sizeof *l);
    l->fd = fd;
    *out = l;
    return 0;
}

void dirlock_release(dirlock *l)
{
    if (!l)
        return;
    close(l->fd);   /* drops the flock; the file stays for the next berthd */
    berth_free(l);
}
