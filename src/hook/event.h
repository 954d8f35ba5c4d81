/* One hook event held by the leading dispatcher, from its read off the outbox to its
 * settlement (delivered, parked or dropped). Internal to src/hook. */
#ifndef BERTH_HOOK_EVENT_H
#define BERTH_HOOK_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "hook/endpoint.h"
#include "util/buf.h"

typedef struct hook_event {
    char sid[48];           /* stream entry id */
    char *job, *status, *url, *checkin;   /* owned */
    int64_t revision, checkin_at, at;
    char **snap;            /* the stats when the event was recorded: name, value, ... */
    size_t nsnap;           /* entries in snap (twice the fields); 0: an older event */
    char *payload;          /* JSON body, built once prepared; owned */
    bool prepared;
    bool inflight;
    char outcome;           /* 0 while open; 'A', 'P', 'D' once settled */
    char reason[160];       /* why it was parked */
    int attempts;
    int64_t first_ms;       /* first attempt, for the retry period */
    int64_t next_ms;        /* earliest next attempt */
    bool answered;          /* an attempt finished since the dispatcher last looked */
    unsigned released;      /* endpoint recovery (epoch) that last released it early */
    char ep[HOOK_ENDPOINT_LEN];   /* its receiver endpoint (hook_endpoint_key of url) */
    void *easy;             /* CURL * while in flight */
    void *hdrs;             /* its struct curl_slist * */
    buf resp;               /* response body (capped), for the park reason */
} hook_event;

void hook_event_free(hook_event *e);

#endif
