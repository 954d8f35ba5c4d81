/* A child process in its own process group, with its standard streams and a control
 * descriptor on pipes: the process plumbing of command jobs (src/exec/run.c), kept apart
 * from what a job means.
 *
 * Why this shape:
 *   - posix_spawn (glibc: clone with CLONE_VFORK), never fork: a large multi-threaded
 *     berthd does not copy its page tables per job, and no code runs between fork and exec.
 *   - POSIX_SPAWN_SETPGROUP: the child leads a new process group, so a stop reaches
 *     everything it started (kill(-pgid)), grandchildren included.
 *   - Every descriptor is made close-on-exec (pipe2 O_CLOEXEC, pidfd) and the child closes
 *     every descriptor from 4 up before exec (closefrom), so a child inherits exactly
 *     stdin, stdout, stderr and the control descriptor 3, whatever the rest of the process
 *     left open (hiredis sockets are not close-on-exec).
 *   - The signal mask is emptied and every signal reset to its default in the child
 *     (berthd blocks SIGTERM for sigwait and ignores SIGPIPE; both are inherited by exec).
 *   - Processes of the group that outlive their parent are reparented to this process
 *     when it is a child subreaper (exec_proc_subreaper), and exec_proc_reap reaps them
 *     by process group, so no zombie is left even where PID 1 does not reap.
 * An exec_proc belongs to the thread that spawned it; nothing here locks. */
#ifndef BERTH_EXEC_PROC_H
#define BERTH_EXEC_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct exec_proc {
    pid_t pid;        /* the child; also its process group id */
    int pidfd;        /* readable once the child exits; -1 when the kernel has none */
    int in;           /* write end of the child's stdin (non-blocking); -1 once closed */
    int out;          /* read end of its stdout (non-blocking); -1 once closed */
    int err;          /* read end of its stderr */
    int ctl;          /* read end of its descriptor 3, the control channel */
    bool reaped;      /* the child was waited for; status is valid */
    bool exited;      /* it exited (code in code), else it was killed (signal in code) */
    int code;         /* exit code or signal number */
    bool core;        /* killed with a core dump */
} exec_proc;

typedef struct exec_spawn_opts {
    const char *const *argv;  /* argv[0] is the program: a path, or a name looked up in
                                 this process's PATH */
    const char *const *envp;  /* the child's whole environment, NULL-terminated */
    const char *dir;          /* working directory; NULL or "" keeps this process's */
} exec_spawn_opts;

/* Starts the child. 0, or a negative BERTH_E* with the reason in err (missing program,
 * not executable, bad working directory, out of descriptors); nothing is left open then. */
int exec_proc_spawn(const exec_spawn_opts *o, exec_proc *p, char *err, size_t errlen);
/* Sends sig to the child's whole process group, and to the child itself until it is
 * reaped (in case it left the group). 0, or -1 when neither is there. */
int exec_proc_signal(const exec_proc *p, int sig);
/* Reaps the child if it has exited (no wait), then every exited process of its group that
 * is this process's child (orphans reparented to a subreaper). True once the child is. */
bool exec_proc_reap(exec_proc *p);
/* True while any process of the child's group exists (zombies count until reaped). */
bool exec_proc_group_alive(const exec_proc *p);
/* Closes the descriptor *fd and sets it to -1 (no-op when already -1). */
void exec_proc_close_fd(int *fd);
/* Closes every descriptor of p. Does not signal or wait: the caller ends the group first. */
void exec_proc_close(exec_proc *p);
/* Makes this process a child subreaper (Linux), once per process: orphaned descendants of
 * a job come back to it for exec_proc_reap instead of to PID 1. Process-wide. */
void exec_proc_subreaper(void);

/* "SIGSEGV" for 11; "signal 99" for an unknown number (into out). */
const char *exec_proc_signame(int sig, char *out, size_t outlen);

#endif
