/* Go's http.ProxyFromEnvironment for libcurl handles, so that every HTTP client of Berth
 * picks its proxy as Harbor's Go clients do (spec harbor-jobs §2.5, §18): HTTP_PROXY for
 * http:// URLs and HTTPS_PROXY for https:// URLs (the upper-case name first, then the
 * lower-case one; HTTP_PROXY ignored when REQUEST_METHOD is set, Go's httpoxy rule),
 * NO_PROXY, and localhost and loopback addresses never proxied. libcurl's own reading of the
 * environment differs (it ignores upper-case HTTP_PROXY and proxies loopback), so callers
 * always set both options through go_proxy_apply. Stateless; no allocation kept. */
#ifndef BERTH_UTIL_GOPROXY_H
#define BERTH_UTIL_GOPROXY_H

#include <curl/curl.h>

typedef struct go_proxy {
    const char *http;    /* for http:// URLs; NULL or "": direct */
    const char *https;   /* for https:// URLs */
    const char *no;      /* the NO_PROXY list; loopback is direct whatever it says */
} go_proxy;

/* The three values from the environment: pointers into it (valid while it is unchanged;
 * copy them to keep them longer). */
void go_proxy_from_env(go_proxy *p);

/* Sets CURLOPT_PROXY (by url's scheme) and CURLOPT_NOPROXY on h; p NULL: direct. */
void go_proxy_apply(CURL *h, const go_proxy *p, const char *url);

#endif
