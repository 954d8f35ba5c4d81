/* Polling with a deadline; see wait.h. */
#include "wait.h"

#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

#define POLL_MAX_MS 20   /* the slowest poll: a condition is seen at most this late */

long long wait_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void wait_sleep_ms(int ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)   /* cut short: sleep the rest */
        ;
}

bool wait_until_every(wait_pred pred, void *arg, int deadline_ms, int every_ms)
{
    long long end = wait_now_ms() + deadline_ms;
    int step = 1;
    for (;;) {
        if (pred(arg))
            return true;
        long long left = end - wait_now_ms();
        if (left <= 0)
            return false;
        wait_sleep_ms(step < left ? step : (int)left);
        if (step < every_ms)
            step = step * 2 < every_ms ? step * 2 : every_ms;
    }
}

bool wait_until(wait_pred pred, void *arg, int deadline_ms)
{
    return wait_until_every(pred, arg, deadline_ms, POLL_MAX_MS);
}

typedef struct pid_file {
    const char *path;
    long pid;
} pid_file;

static bool pid_written(void *arg)
{
    pid_file *p = arg;
    FILE *f = fopen(p->path, "r");
    if (!f || fscanf(f, "%ld", &p->pid) != 1)
        p->pid = 0;
    if (f)
        fclose(f);
    return p->pid > 0;
}

long wait_pid_file(const char *path, int deadline_ms)
{
    pid_file p = {path, 0};
    return wait_until(pid_written, &p, deadline_ms) ? p.pid : 0;
}

typedef struct child {
    pid_t pid;
    int status;
} child;

static bool exited(void *arg)
{
    child *c = arg;
    return waitpid(c->pid, &c->status, WNOHANG) == c->pid;
}

int wait_exit(pid_t pid, int deadline_ms)
{
    child c = {pid, 0};
    if (!wait_until(exited, &c, deadline_ms))
        return -1;
    return WIFEXITED(c.status) ? WEXITSTATUS(c.status) : 128 + WTERMSIG(c.status);
}
