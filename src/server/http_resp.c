/* Building a response for the HTTP wrapper; see http.h. */
#include <string.h>
#include <unistd.h>

#include "server/http.h"
#include "server/http_stream.h"
#include "util/alloc.h"

void http_resp_init(http_resp *r)
{
    memset(r, 0, sizeof *r);
    r->status = 200;
    r->fd = -1;
    buf_init(&r->body, HTTP_RESP_MAX_BODY);
}

void http_resp_clear(http_resp *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        berth_free(r->hname[i]);
        berth_free(r->hvalue[i]);
    }
    r->nheaders = 0;
    buf_free(&r->body);
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    http_stream_free(r->stream);   /* only when it was never handed to MHD */
    r->stream = NULL;
}

void http_resp_header(http_resp *r, const char *name, const char *value)
{
    if (r->nheaders >= HTTP_RESP_MAX_HEADERS)
        return;
    r->hname[r->nheaders] = berth_strdup(name);
    r->hvalue[r->nheaders] = berth_strdup(value);
    r->nheaders++;
}

void http_resp_json(http_resp *r, int status)
{
    r->status = status;
    http_resp_header(r, "Accept", "application/json");
    http_resp_header(r, "Content-Type", "application/json");
}

void http_resp_text(http_resp *r, int status, const char *text)
{
    r->status = status;
    http_resp_header(r, "Content-Type", "text/plain; charset=utf-8");
    buf_reset(&r->body);
    buf_puts(&r->body, text);
}

void http_resp_file(http_resp *r, int status, int fd, uint64_t off, uint64_t len)
{
    r->status = status;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = fd;
    r->fd_off = off;
    r->fd_len = len;
}
