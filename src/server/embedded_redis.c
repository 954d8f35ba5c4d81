/* Supervised private redis-server; see embedded_redis.h. One supervisor thread forks the
 * child (so PDEATHSIG is tied to a thread that lives as long as the supervision), waits for
 * it, and respawns it with back-off unless we are stopping. */
#include "server/embedded_redis.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "berth/error.h"
#include "store/redis.h"
#include "util/alloc.h"
#include "util/clock.h"

struct embedded_redis {
    char *server, *dir, *sock, *fsync;
    berth_log_fn log;
    void *log_ud;
    pthread_t thread;
    pthread_mutex_t mu;        /* guards pid, stopping, restarts, started, spawn_err */
    pthread_cond_t cv;         /* signalled when the first spawn finished */
    pid_t pid;
    bool stopping, started;
    bool taken;                /* another server answered on our socket: never replaced */
    int spawn_err;
    unsigned restarts;
};

__attribute__((format(printf, 3, 4)))
static void say(embedded_redis *r, berth_log_level lvl, const char *fmt, ...)
{
    if (!r->log)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->log(lvl, __FILE__, __LINE__, msg, r->log_ud);
}

static void exec_child(embedded_redis *r)
{
    /* berthd blocks SIGTERM/SIGINT/SIGHUP for sigwait; exec keeps the mask, so undo it. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    /* Its own process group: a Ctrl-C at berthd's terminal goes to the foreground group, and
     * Redis must outlive berthd's graceful shutdown (hand-back, last status writes); berthd
     * stops it last, and PDEATHSIG covers berthd dying. */
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0)
        dup2(devnull, 0), dup2(devnull, 1), dup2(devnull, 2);
    if (chdir(r->dir) != 0)
        _exit(126);
    execlp(r->server, r->server, "--port", "0", "--unixsocket", r->sock, "--unixsocketperm",
           "700", "--dir", r->dir, "--appendonly", "yes", "--appendfsync", r->fsync, "--save", "",
           "--daemonize", "no", "--logfile", "redis.log", (char *)NULL);
    _exit(127);
}

static bool answers(const char *sock)
{
    rtarget t = {.unix_path = (char *)sock};
    rconn rc;
    rconn_init(&rc, &t, 1000);
    rreply *rep = rconn_cmd(&rc, "PING");
    bool ok = rreply_str_is(rep, "PONG");
    rreply_free(rep);
    rconn_close(&rc);
    return ok;
}

/* Forks and waits until the server answers; returns the pid or -1. A socket some live
 * server answers on is left alone (redis-server would unlink it and take the path over):
 * -1 with taken set. It may be the Redis of a berthd killed a moment ago, stopping on its
 * PDEATHSIG, so it gets 3 s to go away first. */
static pid_t spawn(embedded_redis *r)
{
    for (int i = 0; i < 30 && answers(r->sock); i++)
        clock_sleep_ms(100);
    if (answers(r->sock)) {
        pthread_mutex_lock(&r->mu);
        r->taken = true;
        pthread_mutex_unlock(&r->mu);
        return -1;
    }
    unlink(r->sock);             /* stale: nothing serves it */
    pid_t pid = fork();
    if (pid == 0)
        exec_child(r);
    if (pid < 0)
        return -1;
    for (int i = 0; i < 1000; i++) {
        if (answers(r->sock))
            return pid;
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return -1;
        clock_sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static void *supervise(void *arg)
{
    embedded_redis *r = arg;
    int backoff = 100;
    for (;;) {
        pid_t pid = spawn(r);
        pthread_mutex_lock(&r->mu);
        r->pid = pid > 0 ? pid : 0;
        if (!r->started) {
            r->started = true;
            r->spawn_err = pid > 0 ? 0 : BERTH_EIO;
            pthread_cond_broadcast(&r->cv);
            if (pid <= 0)
                r->stopping = true;
        }
        bool stop = r->stopping;
        pthread_mutex_unlock(&r->mu);
        if (stop && pid <= 0)
            return NULL;
        if (stop)
            kill(pid, SIGTERM);  /* stop arrived while this child was starting */
        int status = 0;
        if (pid > 0) {
            backoff = 100;
            waitpid(pid, &status, 0);
        }
        pthread_mutex_lock(&r->mu);
        r->pid = 0;
        stop = r->stopping;
        if (!stop)
            r->restarts++;
        pthread_mutex_unlock(&r->mu);
        if (stop)
            return NULL;
        say(r, BERTH_LOG_ERROR, "embedded redis-server exited (status %d); restarting in %d ms",
            status, backoff);
        clock_sleep_ms(backoff);
        backoff = backoff < 5000 ? backoff * 2 : 5000;
    }
}

static int make_dir(const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create data dir %s: %s", dir, strerror(errno));
        return BERTH_EIO;
    }
    if (chmod(dir, 0700) != 0) {
        snprintf(err, errlen, "cannot set mode 0700 on %s: %s", dir, strerror(errno));
        return BERTH_EIO;
    }
    return 0;
}

static void free_redis(embedded_redis *r)
{
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    berth_free(r->server), berth_free(r->dir), berth_free(r->sock), berth_free(r->fsync);
    berth_free(r);
}

int embedded_redis_start(const embedded_redis_opts *o, embedded_redis **out, char *err,
                         size_t errlen)
{
    const char *fs = o->appendfsync ? o->appendfsync : "everysec";
    if (strcmp(fs, "always") && strcmp(fs, "everysec") && strcmp(fs, "no")) {
        snprintf(err, errlen, "appendfsync must be always, everysec or no, not '%s'", fs);
        return BERTH_ECONFIG;
    }
    if (!o->data_dir || !*o->data_dir) {
        snprintf(err, errlen, "the embedded redis needs a data dir");
        return BERTH_ECONFIG;
    }
    int rc = make_dir(o->data_dir, err, errlen);
    if (rc != 0)
        return rc;
    /* The child changes into the dir, so every path it gets must be absolute. */
    char *abs = realpath(o->data_dir, NULL);
    if (!abs || strlen(abs) > 80) {
        snprintf(err, errlen, "data dir %s: %s", o->data_dir,
                 abs ? "absolute path longer than 80 characters (unix socket limit)" : strerror(errno));
        free(abs);
        return BERTH_ECONFIG;
    }
    embedded_redis *r = berth_calloc(1, sizeof *r);
    if (!r) {
        free(abs);
        snprintf(err, errlen, "out of memory");
        return BERTH_ENOMEM;
    }
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->server = berth_strdup(o->server_path ? o->server_path : "redis-server");
    r->dir = berth_strdup(abs);
    free(abs);
    size_t n = r->dir ? strlen(r->dir) + 16 : 0;
    if ((r->sock = r->dir ? berth_malloc(n) : NULL))
        snprintf(r->sock, n, "%s/redis.sock", r->dir);
    r->fsync = berth_strdup(fs);
    r->log = o->log, r->log_ud = o->log_userdata;
    if (!r->server || !r->sock || !r->fsync ||
        pthread_create(&r->thread, NULL, supervise, r) != 0) {
        snprintf(err, errlen, "out of memory starting the embedded redis-server");
        free_redis(r);
        return BERTH_ENOMEM;
    }
    pthread_mutex_lock(&r->mu);
    while (!r->started)
        pthread_cond_wait(&r->cv, &r->mu);
    rc = r->spawn_err;
    pthread_mutex_unlock(&r->mu);
    if (rc != 0) {
        pthread_join(r->thread, NULL);
        if (r->taken)
            snprintf(err, errlen, "a redis-server already serves %s (another berthd on this "
                     "data directory?); refusing to replace it", r->sock);
        else
            snprintf(err, errlen, "cannot start %s in %s (see %s/redis.log)", r->server,
                     r->dir, r->dir);
        free_redis(r);
        return rc;
    }
    *out = r;
    return 0;
}

const char *embedded_redis_socket(const embedded_redis *r)
{
    return r->sock;
}

pid_t embedded_redis_pid(embedded_redis *r)
{
    pthread_mutex_lock(&r->mu);
    pid_t pid = r->pid;
    pthread_mutex_unlock(&r->mu);
    return pid;
}

unsigned embedded_redis_restarts(embedded_redis *r)
{
    pthread_mutex_lock(&r->mu);
    unsigned n = r->restarts;
    pthread_mutex_unlock(&r->mu);
    return n;
}

void embedded_redis_stop(embedded_redis *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stopping = true;
    pid_t pid = r->pid;
    pthread_mutex_unlock(&r->mu);
    if (pid > 0)
        kill(pid, SIGTERM);
    for (int i = 0; i < 500 && embedded_redis_pid(r) > 0; i++)
        clock_sleep_ms(10);
    pid = embedded_redis_pid(r);
    if (pid > 0)
        kill(pid, SIGKILL);
    pthread_join(r->thread, NULL);
    free_redis(r);
}
