/* Receiver endpoints as the hook dispatcher sees them, for the "receiver is back" rule
 * (docs/hooks.md). An endpoint is the scheme, host and port of a hook URL. After
 * HOOK_DOWN_AFTER failed attempts in a row with no success between, the endpoint is down;
 * the first success on a down endpoint (at most one per `gap`) starts a recovery: the
 * dispatcher then retries that endpoint's events waiting in back-off at once, each once per
 * recovery, at most per_host in flight. A single event the receiver always refuses cannot
 * make a busy endpoint look down (its failures are not in a row), so it keeps its back-off.
 * Internal to src/hook; used by the dispatcher thread only. */
#ifndef BERTH_HOOK_ENDPOINT_H
#define BERTH_HOOK_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOOK_DOWN_AFTER 3
#define HOOK_ENDPOINTS 32
#define HOOK_ENDPOINT_LEN 128

typedef struct hook_endpoint {
    char key[HOOK_ENDPOINT_LEN];   /* "scheme://host:port", lower case; "" for a free slot */
    int fails_in_row;              /* failed attempts since the last success */
    bool down;                     /* HOOK_DOWN_AFTER failures in a row, no recovery since */
    bool recovering;               /* back after being down: waiting events are released */
    unsigned epoch;                /* recoveries so far; an event is released once per one */
    int64_t recovered_ms;          /* when the last recovery started */
    int64_t used_ms;               /* last lookup, for eviction */
} hook_endpoint;

typedef struct hook_endpoints {
    hook_endpoint e[HOOK_ENDPOINTS];
} hook_endpoints;

/* The endpoint key of url ("http://User@Host/x" → "http://host:80"); a URL without
 * "://" is its own key. Truncated to outlen. */
void hook_endpoint_key(const char *url, char *out, size_t outlen);
/* The entry for key, made if new (evicting the least recently used when the table is
 * full, which only forgets that endpoint's state). Never NULL. */
hook_endpoint *hook_endpoints_get(hook_endpoints *t, const char *key, int64_t now);
/* One attempt's result. A success on a down endpoint starts a recovery when the last one
 * is at least gap_ms old (otherwise the endpoint stays down until a later success). */
void hook_endpoint_result(hook_endpoint *ep, bool ok, int64_t now, int64_t gap_ms);

#endif
