/* FILE sweepers (spec §11): each FILE backend with sweep_days > 0 deletes, from its
 * sweep_dir, the job logs whose mtime is older than sweep_days days, once when the set
 * starts and then every sweep_days × 24 h. Unlike Harbor, which deletes every old file in
 * work_dir, only regular files named like job logs (<24 hex>[@<digits>].log) are touched:
 * the directory may hold other things. The REDIS backend needs no sweeper: its keys expire
 * (sweep_days, if set, caps their TTL). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "joblog/joblog_internal.h"
#include "util/clock.h"

/* name is "<id>.log" with a safe id. */
static bool owned_name(const char *name)
{
    size_t n = strlen(name);
    char id[64];
    if (n < 5 || n - 4 >= sizeof id || strcmp(name + n - 4, ".log") != 0)
        return false;
    memcpy(id, name, n - 4);
    id[n - 4] = '\0';
    return joblog_id_safe(id);
}

static size_t sweep_dir(const joblog_set *s, const char *dir, int days, time_t now)
{
    DIR *d = opendir(dir);
    if (!d) {
        char eb[128];
        BLOG_WARN(&s->log, "job log sweeper: cannot open %s: %s", dir,
                  strerror_r(errno, eb, sizeof eb));
        return 0;
    }
    time_t cutoff = now - (time_t)days * 86400;
    size_t deleted = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (!owned_name(de->d_name) ||
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode) || st.st_mtime >= cutoff)
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0)
            deleted++;
        else {
            char eb[128];
            BLOG_WARN(&s->log, "job log sweeper: cannot delete %s/%s: %s", dir, de->d_name,
                      strerror_r(errno, eb, sizeof eb));
        }
    }
    closedir(d);
    return deleted;
}

size_t joblog_sweep_now(joblog_set *s, time_t now)
{
    size_t total = 0;
    for (size_t i = 0; i < s->nb; i++)
        if (s->b[i].kind == JOBLOG_FILE && s->b[i].sweep_days > 0)
            total += sweep_dir(s, s->b[i].sweep_dir, s->b[i].sweep_days, now);
    if (total > 0)
        BLOG_INFO(&s->log, "job log sweeper: deleted %zu old job logs", total);
    return total;
}

/* The shortest sweep period, in seconds; 0 when no FILE sweeper is configured. */
static int period_s(const joblog_set *s)
{
    int best = 0;
    for (size_t i = 0; i < s->nb; i++)
        if (s->b[i].kind == JOBLOG_FILE && s->b[i].sweep_days > 0 &&
            (best == 0 || s->b[i].sweep_days * 86400 < best))
            best = s->b[i].sweep_days * 86400;
    return best;
}

static void *sweeper_main(void *arg)
{
    joblog_set *s = arg;
    int period = period_s(s);
    pthread_mutex_lock(&s->sw_mu);
    while (!s->sw_stop) {
        pthread_mutex_unlock(&s->sw_mu);
        joblog_sweep_now(s, time(NULL));
        pthread_mutex_lock(&s->sw_mu);
        s->sw_passes++;
        struct timespec dl;
        clock_deadline(&dl, (int64_t)period * 1000);
        while (!s->sw_stop && pthread_cond_timedwait(&s->sw_cv, &s->sw_mu, &dl) == 0)
            ;
    }
    pthread_mutex_unlock(&s->sw_mu);
    return NULL;
}

void jl_sweeper_start(joblog_set *s)
{
    if (period_s(s) == 0)
        return;
    pthread_mutex_lock(&s->sw_mu);
    s->sw_thread = pthread_create(&s->sweeper, NULL, sweeper_main, s) == 0;
    pthread_mutex_unlock(&s->sw_mu);
}

void jl_sweeper_stop(joblog_set *s)
{
    pthread_mutex_lock(&s->sw_mu);
    s->sw_stop = true;
    bool joined = s->sw_thread;
    s->sw_thread = false;
    pthread_cond_broadcast(&s->sw_cv);
    pthread_mutex_unlock(&s->sw_mu);
    if (joined)
        pthread_join(s->sweeper, NULL);
}

unsigned joblog_sweep_passes(joblog_set *s)
{
    pthread_mutex_lock(&s->sw_mu);
    unsigned n = s->sw_passes;
    pthread_mutex_unlock(&s->sw_mu);
    return n;
}
