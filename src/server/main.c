/* berthd: Harbor-compatible job service. `berthd -c config.yml`. Signals: SIGTERM/SIGINT
 * graceful shutdown (a second one hands running jobs back at once), SIGHUP reopen log files. Exit codes: 0 after a clean shutdown, 1 when
 * a part failed to start, 2 for usage or configuration errors. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "berth/version.h"
#include "server/config.h"
#include "server/daemon.h"

static int usage(FILE *f, int code)
{
    fprintf(f, "usage: berthd -c <config.yml> | --version | --help\n"
               "  Harbor-compatible job service. Environment: CORE_SECRET (the secret clients\n"
               "  send as 'Authorization: Harbor-Secret <secret>'), JOB_SERVICE_* overrides.\n"
               "  See berthd(8) and docs/config.md.\n");
    return code;
}

static const char *config_path(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--config=", 9) == 0)
            return argv[i] + 9;
    }
    return NULL;
}

/* During the graceful stop: a second SIGINT/SIGTERM cuts the grace period short. Polls so
 * it can end when the stop is over without another signal. */
typedef struct hurry_watch {
    daemon_t *d;
    sigset_t set;
    atomic_bool done;
} hurry_watch;

static void *watch_second_signal(void *arg)
{
    hurry_watch *w = arg;
    struct timespec tick = {0, 100 * 1000000L};
    while (!atomic_load(&w->done)) {
        int sig = sigtimedwait(&w->set, NULL, &tick);
        if (sig == SIGINT || sig == SIGTERM)
            daemon_hurry(w->d);
        else if (sig == SIGHUP)
            daemon_reopen_logs(w->d);
    }
    return NULL;
}

static void stop_daemon(daemon_t *d, const sigset_t *set)
{
    hurry_watch w = {.d = d, .set = *set};
    atomic_init(&w.done, false);
    pthread_t t;
    bool watching = pthread_create(&t, NULL, watch_second_signal, &w) == 0;
    daemon_shutdown(d);
    atomic_store(&w.done, true);
    if (watching)
        pthread_join(t, NULL);
    daemon_stop(d);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return usage(stdout, 0);
        if (!strcmp(argv[i], "--version")) {
            puts("berthd " BERTH_VERSION);
            return 0;
        }
    }
    const char *path = config_path(argc, argv);
    if (!path)
        return usage(stderr, 2);
    berth_config cfg;
    char err[1024];
    if (config_load(path, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "berthd: %s\n", err);
        return 2;
    }
    /* Signals are taken by sigwait below; every thread started after this inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM), sigaddset(&set, SIGINT), sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    daemon_t *d = NULL;
    int rc = daemon_start(&cfg, getenv("CORE_SECRET"), &d, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "berthd: %s\n", err);
        config_free(&cfg);
        return rc == BERTH_ECONFIG ? 2 : 1;
    }
    for (;;) {
        int sig = 0;
        sigwait(&set, &sig);
        if (sig == SIGHUP) {
            daemon_reopen_logs(d);
            continue;
        }
        break;
    }
    stop_daemon(d, &set);
    config_free(&cfg);
    return 0;
}
