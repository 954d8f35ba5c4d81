/* Test hook receiver; see hook_receiver.h. */
#include "hook_receiver.h"

#include "mhd_upload.h"
#include "wait.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BODIES 1000000

struct hook_receiver {
    struct MHD_Daemon *d;    /* NULL while down (hr_down) */
    int port;                /* kept across hr_down / hr_up */
    pthread_mutex_t mu;      /* guards everything below */
    hr_mode mode;
    char **bodies;           /* grows by doubling up to MAX_BODIES */
    size_t n, cap, attempts;
    size_t ok;               /* answered 200, also past MAX_BODIES */
    int stopping;
};


static enum MHD_Result redirect(hook_receiver *r, struct MHD_Connection *c)
{
    char loc[64];
    pthread_mutex_lock(&r->mu);
    r->attempts++;
    snprintf(loc, sizeof loc, "http://127.0.0.1:%d/redirected", r->port);
    pthread_mutex_unlock(&r->mu);
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Location", loc);
    enum MHD_Result ret = MHD_queue_response(c, 307, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result answer(hook_receiver *r, struct MHD_Connection *c, const char *url,
                              mhd_upload *u)
{
    pthread_mutex_lock(&r->mu);
    hr_mode m = r->mode;
    if (m == HR_REDIRECT && strcmp(url, "/redirected") != 0) {
        pthread_mutex_unlock(&r->mu);
        return redirect(r, c);
    }
    if (m == HR_REDIRECT)
        m = HR_OK;
    r->attempts++;
    if (m == HR_OK && r->n == r->cap && r->cap < MAX_BODIES) {
        char **more = realloc(r->bodies, (r->cap ? r->cap * 2 : 1024) * sizeof *more);
        if (more)
            r->bodies = more, r->cap = r->cap ? r->cap * 2 : 1024;
    }
    if (m == HR_OK && r->n < r->cap)
        r->bodies[r->n++] = strndup(u->p ? u->p : "", u->len);
    r->ok += m == HR_OK;
    pthread_mutex_unlock(&r->mu);
    if (m == HR_RESET)
        return MHD_NO;
    for (int i = 0; m == HR_HANG && i < 600; i++) {   /* up to 60 s, or until stopped */
        pthread_mutex_lock(&r->mu);
        int done = r->stopping || r->mode != HR_HANG;
        pthread_mutex_unlock(&r->mu);
        if (done)
            break;
        wait_sleep_ms(100);
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(c, m == HR_OK ? 200 : 500, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *data,
                                 size_t *size, void **state)
{
    (void)method, (void)version;
    mhd_upload *u = NULL;
    if (!mhd_upload_step(state, data, size, &u))
        return MHD_YES;
    return answer(cls, c, url, u);
}

static struct MHD_Daemon *listen_on(hook_receiver *r, int port)
{
    return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
                            (uint16_t)port, NULL, NULL, on_access, r,
                            MHD_OPTION_NOTIFY_COMPLETED, mhd_upload_done, r,
                            MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_END);
}

hook_receiver *hr_start(void)
{
    hook_receiver *r = calloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    r->d = listen_on(r, 0);
    const union MHD_DaemonInfo *i =
        r->d ? MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    r->port = i ? i->port : 0;
    return r;
}

int hr_port(const hook_receiver *r)
{
    return r->port;
}

void hr_down(hook_receiver *r)
{
    pthread_mutex_lock(&r->mu);
    r->stopping = 1;               /* hanging answers end */
    struct MHD_Daemon *d = r->d;
    r->d = NULL;
    pthread_mutex_unlock(&r->mu);
    if (d)
        MHD_stop_daemon(d);        /* closes the listener and every connection */
}

int hr_up(hook_receiver *r)
{
    pthread_mutex_lock(&r->mu);
    r->stopping = 0;
    pthread_mutex_unlock(&r->mu);
    if (r->d)
        return 0;
    for (int i = 0; i < 50 && !r->d; i++) {   /* the port may be busy a moment */
        r->d = listen_on(r, r->port);
        if (!r->d)
            wait_sleep_ms(100);
    }
    return r->d ? 0 : -1;
}

void hr_set_mode(hook_receiver *r, hr_mode m)
{
    pthread_mutex_lock(&r->mu);
    r->mode = m;
    pthread_mutex_unlock(&r->mu);
}

size_t hr_delivered(hook_receiver *r, char **out, size_t max)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->ok;
    for (size_t i = 0; out && i < r->n && i < max; i++)
        out[i] = strdup(r->bodies[i]);
    pthread_mutex_unlock(&r->mu);
    return n;
}

size_t hr_attempts(hook_receiver *r)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->attempts;
    pthread_mutex_unlock(&r->mu);
    return n;
}

typedef struct count_wait {
    hook_receiver *r;
    size_t n, got;
    size_t (*count)(hook_receiver *r);
} count_wait;

static size_t delivered(hook_receiver *r)
{
    return hr_delivered(r, NULL, 0);
}

static bool reached(void *arg)
{
    count_wait *w = arg;
    w->got = w->count(w->r);
    return w->got >= w->n;
}

size_t hr_wait(hook_receiver *r, size_t n, int ms)
{
    count_wait w = {r, n, 0, delivered};
    wait_until(reached, &w, ms);
    return w.got;
}

size_t hr_wait_attempts(hook_receiver *r, size_t n, int ms)
{
    count_wait w = {r, n, 0, hr_attempts};
    wait_until(reached, &w, ms);
    return w.got;
}

void hr_stop(hook_receiver *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stopping = 1;
    pthread_mutex_unlock(&r->mu);
    if (r->d)
        MHD_stop_daemon(r->d);
    for (size_t i = 0; i < r->n; i++)
        free(r->bodies[i]);
    free(r->bodies);
    pthread_mutex_destroy(&r->mu);
    free(r);
}
