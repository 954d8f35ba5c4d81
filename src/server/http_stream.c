/* Streamed response bodies on libmicrohttpd: MHD_create_response_from_callback with an
 * unknown size (chunked encoding). MHD calls the reader when the socket can take more; a
 * reader with nothing to send returns 0 and MHD asks again at once, so a stream that says
 * "nothing yet" is asked again here after HTTP_STREAM_RETRY_MS on MHD's thread (http.h;
 * berthd's own event loop waits with a timer instead). MHD calls the free callback once,
 * whether the stream ended or the client left. */
#include "server/http_stream.h"

#include "util/alloc.h"
#include "util/clock.h"

void http_resp_stream(http_resp *r, int status, http_stream_read_fn read,
                      void (*done)(void *cls), void *cls)
{
    http_stream_free(r->stream);
    r->status = status;
    r->stream = berth_calloc(1, sizeof *r->stream);
    r->stream->read = read;
    r->stream->done = done;
    r->stream->cls = cls;
}

void http_stream_free(struct http_stream *s)
{
    if (!s)
        return;
    if (s->done)
        s->done(s->cls);
    berth_free(s);
}

static ssize_t on_read(void *cls, uint64_t pos, char *dst, size_t max)
{
    struct http_stream *s = cls;
    (void)pos;
    long n = s->read(s->cls, dst, max);
    if (n == HTTP_STREAM_AGAIN) {
        clock_sleep_ms(HTTP_STREAM_RETRY_MS);
        n = s->read(s->cls, dst, max);
    }
    if (n == HTTP_STREAM_END)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    return (ssize_t)n;
}

static void on_free(void *cls)
{
    http_stream_free(cls);
}

struct MHD_Response *http_stream_response(struct http_stream *s)
{
    return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, on_read, s, on_free);
}
