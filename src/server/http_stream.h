/* Internal to the HTTP wrapper (http.c, http_resp.c, http_stream.c): streamed response
 * bodies, see http_resp_stream in http.h. */
#ifndef BERTH_SERVER_HTTP_STREAM_H
#define BERTH_SERVER_HTTP_STREAM_H

#include <microhttpd.h>

#include "server/http.h"

struct http_stream {
    http_stream_read_fn read;
    void (*done)(void *cls);
    void *cls;
};

/* Calls done(cls) and frees s. NULL is a no-op. */
void http_stream_free(struct http_stream *s);
/* An MHD response reading from s; the response owns s from here (NULL on failure, s then
 * still the caller's). */
struct MHD_Response *http_stream_response(struct http_stream *s);

#endif
