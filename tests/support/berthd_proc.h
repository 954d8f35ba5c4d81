/* The real berthd binary as a child process, for the end-to-end tests that start it
 * themselves (test_berthd, test_security, test_internal_tls). The binary is
 * $BERTH_BINARY_DIR/berthd. The child's environment gets CORE_SECRET, BERTH_DEMO_HOLD_MS
 * and the caller's extra entries; its stdout and stderr go where the options say.
 * No state: every call stands alone. Call from the test's own thread (cmocka asserts): the
 * child gets PR_SET_PDEATHSIG (SIGKILL) tied to that thread, so it dies with the test. */
#ifndef BERTH_TEST_BERTHD_PROC_H
#define BERTH_TEST_BERTHD_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* Where a child's stdout or stderr goes (or a descriptor of the caller's, >= 0). */
#define BERTHD_INHERIT (-1)   /* the test's own */
#define BERTHD_NULL (-2)      /* /dev/null */
#define BERTHD_PIPE (-3)      /* a pipe; its read end is returned in *pipe_fd */

typedef struct berthd_proc_opts {
    const char *const *argv;  /* arguments after the binary's name, NULL-terminated */
    const char *secret;       /* CORE_SECRET; NULL: whatever the test's environment has */
    const char *hold_ms;      /* BERTH_DEMO_HOLD_MS (the DEMO job's run time); NULL: none */
    const char *const *env;   /* more "NAME=value" entries, NULL-terminated, or NULL */
    int out, err;             /* BERTHD_INHERIT, BERTHD_NULL, BERTHD_PIPE or a descriptor */
    bool own_group;           /* the child leads a new process group (as under a terminal) */
} berthd_proc_opts;

/* Forks and execs berthd. With BERTHD_PIPE for out or err, *pipe_fd gets the pipe's read
 * end (at most one of the two may be a pipe). Returns the child's pid (the test fails on a
 * fork or pipe error). */
pid_t berthd_spawn(const berthd_proc_opts *o, int *pipe_fd);

/* `berthd -c config` with stderr on a pipe (*errfd) and stdout in /dev/null: the common
 * case. */
pid_t berthd_spawn_config(const char *config, const char *secret, const char *hold_ms,
                          int *errfd);

/* Waits up to timeout_ms for pid to exit and reaps it. Returns its exit code (128 + signal
 * when a signal ended it), or -1 when it still ran: then it is killed and reaped. */
int berthd_reap(pid_t pid, int timeout_ms);

#endif
