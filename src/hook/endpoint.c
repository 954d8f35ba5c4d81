/* Receiver endpoint state for the "receiver is back" rule; see endpoint.h. */
#include "hook/endpoint.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void hook_endpoint_key(const char *url, char *out, size_t outlen)
{
    const char *sep = strstr(url, "://");
    if (!sep) {
        snprintf(out, outlen, "%s", url);
        return;
    }
    const char *host = sep + 3;
    size_t alen = strcspn(host, "/?#");      /* the authority: [user@]host[:port] */
    for (size_t i = alen; i > 0; i--)
        if (host[i - 1] == '@') {
            alen -= i;
            host += i;
            break;
        }
    const char *bracket = memchr(host, ']', alen);   /* IPv6 literal: its colons are not ports */
    const char *from = bracket ? bracket : host;
    bool port = memchr(from, ':', alen - (size_t)(from - host)) != NULL;
    size_t slen = (size_t)(sep - url);
    const char *dflt = slen == 5 && strncasecmp(url, "https", 5) == 0 ? ":443" : ":80";
    snprintf(out, outlen, "%.*s://%.*s%s", (int)slen, url, (int)alen, host, port ? "" : dflt);
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
}

hook_endpoint *hook_endpoints_get(hook_endpoints *t, const char *key, int64_t now)
{
    hook_endpoint *oldest = &t->e[0];
    for (int i = 0; i < HOOK_ENDPOINTS; i++) {
        hook_endpoint *ep = &t->e[i];
        if (strcmp(ep->key, key) == 0) {
            ep->used_ms = now;
            return ep;
        }
        if (ep->used_ms < oldest->used_ms)
            oldest = ep;          /* free slots have used_ms 0: taken first */
    }
    memset(oldest, 0, sizeof *oldest);
    snprintf(oldest->key, sizeof oldest->key, "%s", key);
    oldest->used_ms = now;
    return oldest;
}

void hook_endpoint_result(hook_endpoint *ep, bool ok, int64_t now, int64_t gap_ms)
{
    if (!ok) {
        if (++ep->fails_in_row >= HOOK_DOWN_AFTER) {
            ep->down = true;
            ep->recovering = false;    /* down again: released events go back to back-off */
        }
        return;
    }
    ep->fails_in_row = 0;
    if (ep->down && (ep->epoch == 0 || now - ep->recovered_ms >= gap_ms)) {
        ep->down = false;
        ep->recovering = true;
        ep->epoch++;
        ep->recovered_ms = now;
    }
}
