/* libcurl multi for hook delivery; see deliver.h. Harbor's client: POST, no Content-Type,
 * no auth, 30 s total, connections kept alive, proxies as Go reads them (util/goproxy.h);
 * success is HTTP 200 exactly. */
#include "hook/deliver.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/goproxy.h"
#include "util/internal_tls.h"

#define RESP_CAP 512

struct hook_http {
    CURLM *multi;
};

hook_http *hook_http_new(unsigned per_host)
{
    hook_http *h = berth_calloc(1, sizeof *h);
    if (h && !(h->multi = curl_multi_init())) {
        berth_free(h);
        return NULL;
    }
    if (!h)
        return NULL;
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)(per_host ? per_host : 16));
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 64L);
    return h;
}

void hook_http_cancel(hook_http *h, hook_event *ev)
{
    if (!ev->easy)
        return;
    curl_multi_remove_handle(h->multi, ev->easy);
    curl_easy_cleanup(ev->easy);
    curl_slist_free_all(ev->hdrs);
    ev->easy = NULL;
    ev->hdrs = NULL;
    ev->inflight = false;
}

void hook_http_free(hook_http *h)
{
    if (!h)
        return;
    curl_multi_cleanup(h->multi);
    berth_free(h);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    hook_event *ev = ud;
    size_t len = size * n;
    if (ev->resp.len < RESP_CAP)
        buf_append(&ev->resp, p, len < RESP_CAP - ev->resp.len ? len : RESP_CAP - ev->resp.len);
    return len;
}

int hook_http_send(hook_http *h, hook_event *ev)
{
    if (strncmp(ev->url, "http://", 7) != 0 && strncmp(ev->url, "https://", 8) != 0) {
        snprintf(ev->reason, sizeof ev->reason, "bad web hook URL: %.120s", ev->url);
        return -1;
    }
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, ev->url);
    go_proxy px;   /* Harbor's hook client: http.ProxyFromEnvironment */
    go_proxy_from_env(&px);
    go_proxy_apply(c, &px, ev->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, ev->payload);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(ev->payload));
    struct curl_slist *none = curl_slist_append(NULL, "Content-Type:");  /* Harbor sends none */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, none);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, ev);
    curl_easy_setopt(c, CURLOPT_PRIVATE, ev);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "berth-hook/0.1");
    /* Go's http.Client (Harbor's hook client) follows up to 10 redirects: 307/308 repeat
     * the POST, 301/302/303 turn it into a GET without a body; curl does the same. */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    internal_tls_apply(c, NULL);   /* core may require berthd's certificate */
    ev->easy = c;
    ev->hdrs = none;          /* must outlive the transfer */
    ev->inflight = true;
    buf_free(&ev->resp);
    buf_init(&ev->resp, RESP_CAP);
    if (curl_multi_add_handle(h->multi, c) != CURLM_OK) {
        hook_http_cancel(h, ev);
        snprintf(ev->reason, sizeof ev->reason, "cannot start the request");
        return -1;
    }
    return 0;
}

static void finished(hook_http *h, CURL *c, CURLcode res)
{
    hook_event *ev = NULL;
    curl_easy_getinfo(c, CURLINFO_PRIVATE, (char **)&ev);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    ev->answered = true;
    if (res == CURLE_OK && status == 200) {
        ev->outcome = 'A';
    } else {
        ev->attempts++;
        ev->next_ms = 0;      /* the dispatcher schedules the retry or parks it */
        if (res != CURLE_OK)
            snprintf(ev->reason, sizeof ev->reason, "%s", curl_easy_strerror(res));
        else
            snprintf(ev->reason, sizeof ev->reason, "HTTP %ld: %.100s", status,
                     ev->resp.p ? ev->resp.p : "");
    }
    hook_http_cancel(h, ev);
}

int hook_http_poll(hook_http *h, int wait_ms)
{
    int running = 0, done = 0, left = 0;
    curl_multi_perform(h->multi, &running);
    if (wait_ms > 0)
        curl_multi_poll(h->multi, NULL, 0, wait_ms, NULL);
    curl_multi_perform(h->multi, &running);
    CURLMsg *m;
    while ((m = curl_multi_info_read(h->multi, &left))) {
        if (m->msg == CURLMSG_DONE) {
            finished(h, m->easy_handle, m->data.result);
            done++;
        }
    }
    return done;
}
