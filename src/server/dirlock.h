/* One berthd per directory: an exclusive flock(2) on <dir>/<name>, held for the daemon's
 * life, with the holder's pid written in the file so a second berthd can name it. flock
 * is released by the kernel when the process dies, so a berthd killed with SIGKILL leaves
 * nothing to clean up; the file itself stays (it is not the lock, the flock is). */
#ifndef BERTH_SERVER_DIRLOCK_H
#define BERTH_SERVER_DIRLOCK_H

#include <stddef.h>

typedef struct dirlock dirlock;

/* Creates dir (mode 0700) if missing and locks <dir>/<name>. On refusal returns
 * BERTH_ESTATE with err naming the holder: "<what> <dir> is in use by berthd pid N ...";
 * BERTH_EIO when the directory or file cannot be made. what says which directory
 * ("berth.data_dir", "job log directory") for the message. */
int dirlock_take(const char *dir, const char *name, const char *what, dirlock **out,
                 char *err, size_t errlen);
/* mkdir -p with mode 0700 for what it creates. 0, or BERTH_EIO with err filled. */
int dirlock_make_dirs(const char *dir, char *err, size_t errlen);
/* Releases and frees; NULL is a no-op. */
void dirlock_release(dirlock *l);

#endif
