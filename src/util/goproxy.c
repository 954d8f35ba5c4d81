/* See goproxy.h. */
#include "util/goproxy.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

/* Go never proxies loopback; curl's NOPROXY takes CIDR since 7.86. */
#define LOOPBACK_NO_PROXY "localhost,127.0.0.0/8,::1"

/* The upper-case name first, then the lower-case one (Go's httpproxy.FromEnvironment). */
static const char *env_any(const char *upper, const char *lower)
{
    const char *v = getenv(upper);
    return v && *v ? v : getenv(lower);
}

void go_proxy_from_env(go_proxy *p)
{
    const char *cgi = getenv("REQUEST_METHOD");
    p->http = cgi && *cgi ? NULL : env_any("HTTP_PROXY", "http_proxy");
    p->https = env_any("HTTPS_PROXY", "https_proxy");
    p->no = env_any("NO_PROXY", "no_proxy");
}

void go_proxy_apply(CURL *h, const go_proxy *p, const char *url)
{
    bool https = url && strncasecmp(url, "https://", 8) == 0;
    const char *proxy = p ? (https ? p->https : p->http) : NULL;
    curl_easy_setopt(h, CURLOPT_PROXY, proxy ? proxy : "");   /* "": direct, env not read */
    char list[4096];
    const char *no = p && p->no ? p->no : "";
    snprintf(list, sizeof list, "%s%s%.*s", LOOPBACK_NO_PROXY, *no ? "," : "",
             (int)(sizeof list - sizeof LOOPBACK_NO_PROXY - 2), no);
    curl_easy_setopt(h, CURLOPT_NOPROXY, list);   /* copied by curl */
}
