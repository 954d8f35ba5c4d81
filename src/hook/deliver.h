/* The HTTP side of hook delivery: one libcurl multi handle, one easy handle per event in
 * flight. Internal to src/hook. */
#ifndef BERTH_HOOK_DELIVER_H
#define BERTH_HOOK_DELIVER_H

#include "hook/event.h"

typedef struct hook_http hook_http;

/* per_host: connection cap per receiver host (a hanging receiver cannot starve others). */
hook_http *hook_http_new(unsigned per_host);
void hook_http_free(hook_http *h);        /* aborts transfers still in flight */
/* Starts POSTing ev->payload to ev->url; sets ev->inflight. 0, or -1 with ev->reason set
 * for a URL that can never work (the caller parks the event). */
int hook_http_send(hook_http *h, hook_event *ev);
/* Drives transfers for up to wait_ms. Each finished event gets inflight=false and either
 * outcome 'A' (HTTP 200) or attempts++ with reason set. Returns the number finished. */
int hook_http_poll(hook_http *h, int wait_ms);
/* Cancels ev's transfer if in flight (shutdown). */
void hook_http_cancel(hook_http *h, hook_event *ev);

#endif
