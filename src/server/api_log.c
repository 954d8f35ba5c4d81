/* GET /api/v1/jobs/{id}/log (spec §2.8) with Harbor's FILE getter: the file
 * <job_log_dir>/<id>.log, its last max_retrieve_bytes bytes (all when 0), sent from the
 * file descriptor (no copy in memory). Other log backends are another issue; without a log
 * directory the route answers as Harbor does with only STD_OUTPUT configured. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/api_error.h"
#include "server/api_internal.h"

/* Harbor's FILE getter check: the id up to its last '@' must be 24 hex characters. */
static const char *bad_log_id(const char *id)
{
    const char *at = strrchr(id, '@');
    size_t n = at ? (size_t)(at - id) : strlen(id);
    if (n != 24)
        return "invalid length of log identify";
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdefABCDEF", id[i]))
            return "invalid log identify";
    return NULL;
}

static void send_tail(const api_ctx *c, const char *id, http_resp *resp)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s.log", c->job_log_dir, id) >= sizeof path) {
        api_error(resp, BERTH_API_GET_LOG, "log path too long");
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = fd < 0 ? errno : ENOENT;
        if (fd >= 0)
            close(fd);
        if (e == ENOENT)
            api_error(resp, BERTH_API_NOT_FOUND, id);
        else {
            char eb[128];
            api_error(resp, BERTH_API_GET_LOG, strerror_r(e, eb, sizeof eb));
        }
        return;
    }
    uint64_t size = (uint64_t)st.st_size, off = 0;
    if (c->max_retrieve_bytes > 0 && size > (uint64_t)c->max_retrieve_bytes)
        off = size - (uint64_t)c->max_retrieve_bytes;
    http_resp_header(resp, "Content-Type", "text/plain; charset=utf-8");
    http_resp_file(resp, 200, fd, off, size - off);
}

void api_job_log(const http_req *req, http_resp *resp, void *ctx)
{
    const api_ctx *c = ctx;
    const char *id = req->job_id;
    if (strstr(id, "..") || strchr(id, '/')) {
        buf t;
        buf_init(&t, 0);
        buf_printf(&t, "invalid Job ID: %s", id);
        http_resp_text(resp, 400, t.p);
        buf_free(&t);
        return;
    }
    if (!c->job_log_dir || !*c->job_log_dir) {
        api_error(resp, BERTH_API_GET_LOG, "no log data getter is configured");
        return;
    }
    const char *why = bad_log_id(id);
    if (why)
        api_error(resp, BERTH_API_GET_LOG, why);
    else
        send_tail(c, id, resp);
}
