/* Child processes in their own process group; see proc.h for the why. */
#include "exec/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth/error.h"

void exec_proc_close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

void exec_proc_close(exec_proc *p)
{
    exec_proc_close_fd(&p->in);
    exec_proc_close_fd(&p->out);
    exec_proc_close_fd(&p->err);
    exec_proc_close_fd(&p->ctl);
    exec_proc_close_fd(&p->pidfd);
}

static void set_subreaper(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1);
}

void exec_proc_subreaper(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, set_subreaper);
}

const char *exec_proc_signame(int sig, char *out, size_t outlen)
{
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev)
        snprintf(out, outlen, "SIG%s", abbrev);
    else
        snprintf(out, outlen, "signal %d", sig);
    return out;
}

/* The descriptors 0..3 are the child's targets: a pipe end that landed there (this
 * process had one of them closed) is moved up, so one dup2 cannot overwrite another. */
static int lift(int fd)
{
    if (fd > 3)
        return fd;
    int up = fcntl(fd, F_DUPFD_CLOEXEC, 4);
    close(fd);
    return up;
}

/* pipes[i] = {read, write}; all close-on-exec, none in 0..3. */
static int make_pipes(int pipes[4][2])
{
    for (int i = 0; i < 4; i++)
        pipes[i][0] = pipes[i][1] = -1;
    for (int i = 0; i < 4; i++) {
        if (pipe2(pipes[i], O_CLOEXEC) != 0)
            return -1;
        pipes[i][0] = lift(pipes[i][0]);
        pipes[i][1] = lift(pipes[i][1]);
        if (pipes[i][0] < 0 || pipes[i][1] < 0)
            return -1;
    }
    return 0;
}

static void close_pipes(int pipes[4][2])
{
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++)
            exec_proc_close_fd(&pipes[i][j]);
}

/* The child's side: stdin from pipe 0, stdout/stderr/3 to pipes 1..3, nothing else open,
 * the working directory, a new process group, no blocked signal, default dispositions. */
static int spawn_child(const exec_spawn_opts *o, int pipes[4][2], pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    int rc = posix_spawn_file_actions_adddup2(&fa, pipes[0][0], 0);
    for (int i = 1; rc == 0 && i < 4; i++)
        rc = posix_spawn_file_actions_adddup2(&fa, pipes[i][1], i);
    if (rc == 0)
        rc = posix_spawn_file_actions_addclosefrom_np(&fa, 4);
    if (rc == 0 && o->dir && *o->dir)
        rc = posix_spawn_file_actions_addchdir_np(&fa, o->dir);
    if (rc == 0)
        rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                               POSIX_SPAWN_SETSIGDEF);
    if (rc == 0)
        rc = posix_spawnattr_setpgroup(&at, 0);
    if (rc == 0)
        rc = posix_spawnattr_setsigmask(&at, &none);
    if (rc == 0)
        rc = posix_spawnattr_setsigdefault(&at, &all);
    char *const *argv = (char *const *)o->argv;
    char *const *envp = (char *const *)o->envp;
    if (rc == 0)
        rc = strchr(o->argv[0], '/') ? posix_spawn(pid, o->argv[0], &fa, &at, argv, envp)
                                     : posix_spawnp(pid, o->argv[0], &fa, &at, argv, envp);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

/* posix_spawn says only errno; tell a bad working directory from a bad program. */
static void spawn_error(const exec_spawn_opts *o, int rc, char *err, size_t errlen)
{
    if (o->dir && *o->dir && access(o->dir, X_OK) != 0)
        snprintf(err, errlen, "cannot start %s: working directory %s: %s", o->argv[0], o->dir,
                 strerror(errno));
    else if (rc == EACCES)
        snprintf(err, errlen, "cannot start %s: not executable (%s)", o->argv[0],
                 strerror(rc));
    else
        snprintf(err, errlen, "cannot start %s: %s", o->argv[0], strerror(rc));
}

static void nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int exec_proc_spawn(const exec_spawn_opts *o, exec_proc *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->pidfd = p->in = p->out = p->err = p->ctl = -1;
    int pipes[4][2];
    if (make_pipes(pipes) != 0) {
        snprintf(err, errlen, "cannot start %s: pipe: %s", o->argv[0], strerror(errno));
        close_pipes(pipes);
        return BERTH_EIO;
    }
    int rc = spawn_child(o, pipes, &p->pid);
    if (rc != 0) {
        spawn_error(o, rc, err, errlen);
        close_pipes(pipes);
        return BERTH_EIO;
    }
    p->in = pipes[0][1], pipes[0][1] = -1;
    p->out = pipes[1][0], pipes[1][0] = -1;
    p->err = pipes[2][0], pipes[2][0] = -1;
    p->ctl = pipes[3][0], pipes[3][0] = -1;
    close_pipes(pipes);                       /* the child's ends */
    nonblock(p->in), nonblock(p->out), nonblock(p->err), nonblock(p->ctl);
    p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);   /* close-on-exec by the kernel */
    return 0;
}

int exec_proc_signal(const exec_proc *p, int sig)
{
    int rc = kill(-p->pid, sig) == 0 || errno == EPERM ? 0 : -1;
    /* The child itself too, while it is ours (not reaped, so its pid cannot have been
     * reused): it may have left its group with setsid(). */
    if (!p->reaped && kill(p->pid, sig) == 0)
        rc = 0;
    return rc;
}

static void note_status(exec_proc *p, const siginfo_t *si)
{
    p->reaped = true;
    p->exited = si->si_code == CLD_EXITED;
    p->code = si->si_status;
    p->core = si->si_code == CLD_DUMPED;
}

bool exec_proc_reap(exec_proc *p)
{
    siginfo_t si;
    if (!p->reaped) {
        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG) == 0 && si.si_pid == p->pid)
            note_status(p, &si);
    }
    /* Orphans of the group that came back to this (subreaper) process. */
    for (int i = 0; i < 64; i++) {
        memset(&si, 0, sizeof si);
        if (waitid(P_PGID, (id_t)p->pid, &si, WEXITED | WNOHANG) != 0 || si.si_pid == 0)
            break;
        if (si.si_pid == p->pid)
            note_status(p, &si);
    }
    return p->reaped;
}

bool exec_proc_group_alive(const exec_proc *p)
{
    return kill(-p->pid, 0) == 0 || errno == EPERM;
}
