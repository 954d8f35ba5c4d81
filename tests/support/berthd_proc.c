/* berthd as a child process: see berthd_proc.h. */
#include "test.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berthd_proc.h"
#include "wait.h"

/* In the child: points fd (1 or 2) where how says. pipe_w is the pipe's write end. */
static void redirect(int fd, int how, int pipe_w)
{
    if (how == BERTHD_PIPE)
        dup2(pipe_w, fd);
    else if (how == BERTHD_NULL) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, fd);
    } else if (how >= 0)
        dup2(how, fd);
}

/* In the child: the environment, then exec. Never returns. */
static void exec_berthd(const berthd_proc_opts *o)
{
    if (o->secret)
        setenv("CORE_SECRET", o->secret, 1);
    if (o->hold_ms)
        setenv("BERTH_DEMO_HOLD_MS", o->hold_ms, 1);
    for (const char *const *e = o->env; e && *e; e++)
        putenv((char *)*e);   /* exec follows at once: the strings outlive their use */
    char bin[512];
    snprintf(bin, sizeof bin, "%s/berthd", getenv("BERTH_BINARY_DIR"));
    const char *argv[16] = {bin};
    size_t n = 1;
    for (const char *const *a = o->argv; a && *a && n < 15; a++)
        argv[n++] = *a;
    argv[n] = NULL;
    execv(bin, (char *const *)argv);
    _exit(127);
}

pid_t berthd_spawn(const berthd_proc_opts *o, int *pipe_fd)
{
    bool piped = o->out == BERTHD_PIPE || o->err == BERTHD_PIPE;
    int p[2] = {-1, -1};
    if (piped)
        assert_int_equal(pipe(p), 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Die with the test process: a test that fails between spawn and reap leaves no
         * node running, and none holding ctest's output pipe (BERTHD_INHERIT), which ctest
         * would wait on until the test's timeout (300 s) although the test had ended. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);   /* the test died before the line above */
        if (o->own_group)
            setpgid(0, 0);
        redirect(1, o->out, p[1]);
        redirect(2, o->err, p[1]);
        if (piped)
            close(p[0]);
        exec_berthd(o);
    }
    if (piped) {
        close(p[1]);
        *pipe_fd = p[0];
    }
    return pid;
}

pid_t berthd_spawn_config(const char *config, const char *secret, const char *hold_ms,
                          int *errfd)
{
    const char *argv[] = {"-c", config, NULL};
    berthd_proc_opts o = {.argv = argv, .secret = secret, .hold_ms = hold_ms,
                          .out = BERTHD_NULL, .err = BERTHD_PIPE};
    return berthd_spawn(&o, errfd);
}

int berthd_reap(pid_t pid, int timeout_ms)
{
    int code = wait_exit(pid, timeout_ms);
    if (code < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return code;
}
