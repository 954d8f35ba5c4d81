/* berthd's command jobs and plugins; see daemon_jobs.h. */
#include "server/daemon_jobs.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exec/command.h"
#include "plugin/plugin.h"
#include "util/alloc.h"

struct daemon_jobs {
    exec_job **jobs;
    size_t njobs;
    plugin_set *plugins;
};

static void say(berth_log_fn log, void *ud, berth_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void say(berth_log_fn log, void *ud, berth_log_level lvl, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (log)
        log(lvl, __FILE__, __LINE__, msg, ud);
}

/* A program named by path that is not executable now is most likely a typo: say so at
 * start rather than only in the first run's log. */
static void check_program(const exec_command *c, berth_log_fn log, void *ud)
{
    const char *prog = c->argv[0];
    char path[4096];
    if (strchr(prog, '/') && c->dir && prog[0] != '/')
        snprintf(path, sizeof path, "%s/%s", c->dir, prog);
    else
        snprintf(path, sizeof path, "%s", prog);
    if (strchr(prog, '/') && access(path, X_OK) != 0)
        say(log, ud, BERTH_LOG_WARNING, "job %s: %s is not an executable file now; its runs "
            "will fail until it is", c->name, path);
}

int daemon_jobs_register(berth_engine *e, const berth_config *c, berth_log_fn log,
                         void *log_ud, daemon_jobs **out, char *err, size_t errlen)
{
    daemon_jobs *j = berth_calloc(1, sizeof *j);
    *out = j;
    j->jobs = c->njobs ? berth_calloc(c->njobs, sizeof *j->jobs) : NULL;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < c->njobs; i++) {
        rc = exec_job_new(e, &c->jobs[i], &j->jobs[j->njobs], err, errlen);
        if (rc != 0)
            break;
        j->njobs++;
        check_program(&c->jobs[i], log, log_ud);
        unsigned grace = c->jobs[i].stop_grace_ms ? c->jobs[i].stop_grace_ms
                                                  : EXEC_DEFAULT_STOP_GRACE_MS;
        if (grace >= (unsigned)c->grace_seconds * 1000u)
            say(log, log_ud, BERTH_LOG_WARNING, "job %s: its stop grace (%u ms) is not below "
                "berth.grace_seconds (%d s): at shutdown berthd may stop waiting for it before "
                "its processes are killed", c->jobs[i].name, grace, c->grace_seconds);
        say(log, log_ud, BERTH_LOG_INFO, "command job %s: %s", c->jobs[i].name,
            c->jobs[i].argv[0]);
    }
    if (rc == 0 && c->nplugins) {
        rc = plugin_set_load(e, (const char *const *)c->plugins, c->nplugins, &j->plugins,
                             err, errlen);
        for (size_t i = 0; rc == 0 && i < c->nplugins; i++)
            say(log, log_ud, BERTH_LOG_INFO, "plugin loaded: %s", c->plugins[i]);
    }
    return rc;
}

void daemon_jobs_free(daemon_jobs *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->njobs; i++)
        exec_job_free(j->jobs[i]);
    berth_free(j->jobs);
    plugin_set_free(j->plugins);
    berth_free(j);
}
