/* The preheat providers' HTTP client (spec harbor-jobs §11.2; Harbor's
 * preheat/provider/client/http_client.go and auth/ handlers): JSON in and out, the provider's
 * auth mode (NONE, BASIC, OAUTH, CUSTOM), TLS verification unless `insecure`, no proxy,
 * a whole-request timeout, and Harbor's error texts (`GET "<url>" error: <status> <body>`,
 * a POST answered 208 is an error too).
 *
 * Borrowed everywhere: the client only reads the provider and writes the caller's reply. */
#ifndef BERTH_JOBS_PREHEAT_CLIENT_H
#define BERTH_JOBS_PREHEAT_CLIENT_H

#include "berth/context.h"
#include "jobs/preheat_params.h"
#include "util/buf.h"

typedef struct ph_client {
    const ph_provider *provider;
    long timeout_ms;             /* Harbor: 30 s */
    berth_ctx *ctx;              /* a stop aborts the request (JHTTP_STOPPED) */
} ph_client;

/* GET (body NULL) or POST of body (compact JSON) to url. 0 with the 2xx reply in *reply
 * (initialised here; the caller frees it with buf_free); JHTTP_STOPPED; or BERTH_EIO /
 * BERTH_EINVAL with Harbor's text in err. */
int ph_client_call(const ph_client *c, const char *url, const char *body, buf *reply,
                   char *err, size_t errlen);

/* Harbor's lib.ValidateHTTPURL: trims blanks and trailing '/', adds "http://" when there is
 * no scheme, keeps scheme://host/path. 0, or BERTH_EINVAL with its text in err. */
int ph_client_check_url(const char *in, char *out, size_t outlen, char *err, size_t errlen);

#endif
