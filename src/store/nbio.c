/* Non-blocking script calls on an rconn; see nbio.h. */
#include "store/nbio.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "berth/error.h"
#include "store/resp.h"
#include "util/alloc.h"

/* Bytes read per recv: a batch's reply (up to 256 short strings) fits in one. */
#define READ_CHUNK 16384

bool rnb_ready(const rconn *rc, script_id id)
{
    return rc && rc->c && rconn_pipelines(rc) && rc->sha[id][0];
}

int rnb_fd(const rconn *rc)
{
    return rc && rc->c ? rc->c->fd : -1;
}

int rnb_add_eval(rconn *rc, buf *out, script_id id, const rargs *a)
{
    if (a->err)
        return BERTH_ENOMEM;
    const char **argv = NULL;
    size_t *lens = NULL;
    int argc = rconn_eval_argv(rc, id, a, &argv, &lens);
    char *cmd = NULL;
    long len = argc < 0 ? -1 : resp_format_argv(&cmd, argc, argv, lens);
    int err = len < 0 ? BERTH_ENOMEM : buf_append(out, cmd, (size_t)len);
    berth_free(cmd);
    berth_free(argv);
    berth_free(lens);
    return err ? BERTH_ENOMEM : 0;
}

int rnb_add_cmd(buf *out, const char *words)
{
    const char *argv[8];
    size_t lens[8];
    int argc = 0;
    for (const char *p = words; *p && argc < 8;) {
        size_t n = strcspn(p, " ");
        argv[argc] = p, lens[argc++] = n;
        p += n;
        p += *p == ' ';
    }
    char *cmd = NULL;
    long len = resp_format_argv(&cmd, argc, argv, lens);
    int err = len < 0 ? BERTH_ENOMEM : buf_append(out, cmd, (size_t)len);
    berth_free(cmd);
    return err ? BERTH_ENOMEM : 0;
}

int rnb_write(rconn *rc, const buf *out, size_t *off)
{
    if (!rc->c) {
        snprintf(rc->err, sizeof rc->err, "connection lost");
        return BERTH_EREDIS;
    }
    while (*off < out->len) {
        ssize_t n = send(rc->c->fd, out->p + *off, out->len - *off, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            *off += (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 1;
        } else if (!(n < 0 && errno == EINTR)) {
            rconn_broke(rc, n < 0 ? strerror(errno) : "connection lost");
            return BERTH_EREDIS;
        }
    }
    return 0;
}

/* A reply already whole in the reader: 0 (*out set or NULL), or BERTH_EREDIS. */
static int buffered(rconn *rc, rreply **out)
{
    void *r = NULL;
    if (redisReaderGetReply(rc->c->reader, &r) != REDIS_OK) {
        rconn_broke(rc, rc->c->reader->errstr[0] ? rc->c->reader->errstr : "protocol error");
        return BERTH_EREDIS;
    }
    *out = r;
    return 0;
}

int rnb_read(rconn *rc, rreply **out)
{
    *out = NULL;
    if (!rc->c) {
        snprintf(rc->err, sizeof rc->err, "connection lost");
        return BERTH_EREDIS;
    }
    char chunk[READ_CHUNK];
    for (;;) {
        int err = buffered(rc, out);
        if (err || *out)
            return err;
        ssize_t n = recv(rc->c->fd, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rconn_broke(rc, n == 0 ? "server closed the connection" : strerror(errno));
            return BERTH_EREDIS;
        }
        if (redisReaderFeed(rc->c->reader, chunk, (size_t)n) != REDIS_OK) {
            rconn_broke(rc, "out of memory reading a reply");
            rc->nomem = true;
            return BERTH_EREDIS;
        }
    }
}
