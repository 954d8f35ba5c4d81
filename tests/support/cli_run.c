/* The CLI runner of the e2e tests; see cli_run.h. */
#include "test.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_run.h"
#include "util/alloc.h"

extern char **environ;

/* The environment for the child: ours without the variables berth reads, plus `env`
 * ("NAME=value" entries, NULL-terminated; may be NULL). */
static char **child_env(const char *const *env)
{
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    char **e = berth_calloc(n + 16, sizeof *e);
    static const char *const drop[] = {"BERTH_ADDR=", "BERTH_SECRET=", "CORE_SECRET=",
                                       "http_proxy=", "HTTP_PROXY=", "all_proxy=",
                                       "ALL_PROXY=", NULL};
    for (size_t i = 0; i < n; i++) {
        bool keep = true;
        for (const char *const *d = drop; *d; d++)
            keep = keep && strncmp(environ[i], *d, strlen(*d));
        if (keep)
            e[k++] = environ[i];
    }
    for (size_t i = 0; env && env[i] && i < 12; i++)
        e[k++] = (char *)env[i];
    return e;
}

static char *berth_path(void)
{
    const char *dir = getenv("BERTH_BINARY_DIR");
    assert_non_null(dir);
    buf p;
    buf_init(&p, 0);
    buf_printf(&p, "%s/berth", dir);
    if (access(p.p, X_OK))
        fail_msg("no berth binary at %s: build the `berth` target first", p.p);
    return buf_release(&p);
}

/* Reads both pipes until EOF (or 60 s), calling on_out for stdout progress. */
static void drain(int fo, int fe, cli_run_out *r, on_stdout_fn on_out, pid_t pid)
{
    struct pollfd p[2] = {{fo, POLLIN, 0}, {fe, POLLIN, 0}};
    time_t until = time(NULL) + 60;
    char chunk[65536];
    while ((p[0].fd >= 0 || p[1].fd >= 0) && time(NULL) < until) {
        if (poll(p, 2, 200) <= 0)
            continue;
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !p[i].revents)
                continue;
            ssize_t n = read(p[i].fd, chunk, sizeof chunk);
            if (n <= 0) {
                close(p[i].fd);
                p[i].fd = -1;
                continue;
            }
            buf_append(i ? &r->err : &r->out, chunk, (size_t)n);
            if (!i && on_out)
                on_out(&r->out);
        }
    }
    if (p[0].fd >= 0 || p[1].fd >= 0)
        kill(pid, SIGKILL);
    for (int i = 0; i < 2; i++)
        if (p[i].fd >= 0)
            close(p[i].fd);
}

/* Runs berth with args (NULL-terminated) and env additions. */
cli_run_out cli_run_env(const char *const *env, on_stdout_fn on_out, const char *const *args)
{
    cli_run_out r = {.code = -1};
    buf_init(&r.out, 64u << 20);
    buf_init(&r.err, 1u << 20);
    buf_append(&r.out, "", 0);
    buf_append(&r.err, "", 0);
    int po[2], pe[2];
    assert_int_equal(pipe(po), 0);
    assert_int_equal(pipe(pe), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    posix_spawn_file_actions_addclose(&fa, po[0]);
    posix_spawn_file_actions_addclose(&fa, pe[0]);
    char *path = berth_path();
    size_t n = 0;
    while (args[n])
        n++;
    char **argv = berth_calloc(n + 2, sizeof *argv);
    argv[0] = path;
    memcpy(argv + 1, args, n * sizeof *argv);
    char **envp = child_env(env);
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, path, &fa, NULL, argv, envp), 0);
    close(po[1]);
    close(pe[1]);
    drain(po[0], pe[0], &r, on_out, pid);
    int st;
    waitpid(pid, &st, 0);
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    posix_spawn_file_actions_destroy(&fa);
    berth_free(envp);
    berth_free(argv);
    berth_free(path);
    return r;
}

void cli_run_free(cli_run_out *r)
{
    buf_free(&r->out);
    buf_free(&r->err);
}

