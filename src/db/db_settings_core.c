/* db_settings_fetch: asks Harbor core for the database settings, as Harbor's job service
 * does at start-up (GET {CORE_URL}/api/v2.0/internalconfig, `Authorization: Harbor-Secret
 * <JOBSERVICE_SECRET>`; spec harbor-jobs §2.2). Berth asks on every run of a database job,
 * so a changed password is picked up without a restart. The reply carries the password in
 * clear text: it is parsed in memory and never logged; error texts name the URL and the
 * status only. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "db/db.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/internal_tls.h"

#define REPLY_MAX (4 * 1024 * 1024)   /* core's whole configuration is a few KB */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    return buf_append(ud, p, size * n) == 0 ? size * n : 0;
}

/* GET url into body; the HTTP status in *status. 0 or BERTH_EIO / BERTH_ENOMEM. */
static int get(const char *url, const char *auth, long timeout_ms, buf *body, long *status,
               char *err, size_t errlen)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, auth);
    if (!h || !hdr) {
        curl_easy_cleanup(h);
        curl_slist_free_all(hdr);
        return BERTH_ENOMEM;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    internal_tls_apply(h, NULL);   /* core over internal TLS */
    CURLcode cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdr);
    if (cc == CURLE_OK)
        return 0;
    snprintf(err, errlen, "failed to get the database settings from %s: %s", url,
             curl_easy_strerror(cc));
    return BERTH_EIO;
}

int db_settings_fetch(const char *core_url, const char *secret, long timeout_ms,
                      db_settings *s, char *err, size_t errlen)
{
    if (!core_url || !*core_url) {
        snprintf(err, errlen, "no database settings: neither CORE_URL nor berth.database is set");
        return BERTH_ECONFIG;
    }
    buf url, auth, body;
    buf_init(&url, 4096);
    buf_init(&auth, 4096);
    buf_init(&body, REPLY_MAX);
    size_t n = strlen(core_url);
    while (n && core_url[n - 1] == '/')
        n--;
    buf_printf(&url, "%.*s/api/v2.0/internalconfig", (int)n, core_url);
    buf_printf(&auth, "Authorization: Harbor-Secret %s", secret ? secret : "");
    long status = 0;
    int rc = url.err || auth.err ? BERTH_ENOMEM : 0;
    if (rc == 0)
        rc = get(url.p, auth.p, timeout_ms, &body, &status, err, errlen);
    if (rc == 0 && status != 200) {
        snprintf(err, errlen, "failed to get the database settings from %s: HTTP %ld", url.p,
                 status);
        rc = BERTH_EIO;
    }
    if (rc == 0)
        rc = db_settings_from_internalconfig(body.p ? body.p : "", body.len, s, err, errlen);
    buf_free(&url);
    buf_free(&auth);
    buf_free(&body);
    return rc;
}
