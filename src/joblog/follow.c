/* Follow cursors for GET /api/v1/jobs/{id}/log?follow=true: the tail of the log, then the
 * bytes appended after it, read by offset from the FILE (pread) or the REDIS key
 * (GETRANGE). The caller polls joblog_follow_read and decides when to stop (the job's final
 * status). A log that does not exist yet is waited for on the first getter. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth/error.h"
#include "joblog/joblog_internal.h"
#include "util/alloc.h"

struct joblog_cursor {
    joblog_set *s;
    joblog_kind kind;
    char path[4096];             /* FILE */
    int fd;                      /* FILE: -1 until the file exists */
    buf key;                     /* REDIS */
    rconn *rc;                   /* REDIS: borrowed from the set's pool */
    uint64_t off;                /* next byte to send */
};

/* The cursor's REDIS connection, borrowed on first use (and again after Redis was away). */
static rconn *redis_conn(joblog_cursor *c)
{
    if (!c->rc)
        c->rc = jl_conn_get(c->s, NULL, 0);
    return c->rc;
}

/* Current size of the log behind c, or -1 when it does not exist. */
static long long cur_size(joblog_cursor *c)
{
    if (c->kind == JOBLOG_FILE) {
        if (c->fd < 0)
            c->fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;
        return c->fd >= 0 && fstat(c->fd, &st) == 0 ? (long long)st.st_size : -1;
    }
    if (!redis_conn(c))
        return -1;
    rreply *r = rconn_read(c->rc, "STRLEN %s", c->key.p);
    long long n = -1;
    if (rreply_integer(c->rc, r, &n) != 0 || n <= 0)
        n = -1;
    rreply_free(r);
    return n;
}

static void cursor_on(joblog_cursor *c, size_t i, const char *id)
{
    const joblog_backend_cfg *b = &c->s->b[i];
    c->kind = b->kind;
    if (b->kind == JOBLOG_FILE) {
        if (!jl_file_path(b->base_dir, id, c->path, sizeof c->path))
            c->path[0] = '\0';
    } else {
        jl_key(c->s, id, &c->key);
    }
}

static void cursor_off(joblog_cursor *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    jl_conn_put(c->s, c->rc);
    c->rc = NULL;
}

int joblog_follow_open(joblog_set *s, const char *id, uint64_t tail_bytes,
                       joblog_cursor **out)
{
    *out = NULL;
    if (!joblog_set_has_getter(s))
        return BERTH_ESTATE;
    joblog_cursor *c = berth_calloc(1, sizeof *c);
    if (!c)
        return BERTH_ENOMEM;
    c->s = s;
    c->fd = -1;
    buf_init(&c->key, 0);  /* no cap: the namespace prefix plus a job id (jl_key) */
    size_t first = s->nb;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < s->nb; i++) {
            if (s->b[i].kind != (pass == 0 ? JOBLOG_REDIS : JOBLOG_FILE))
                continue;
            if (first == s->nb)
                first = i;
            cursor_on(c, i, id);
            long long size = cur_size(c);
            if (size >= 0) {
                c->off = tail_bytes > 0 && (uint64_t)size > tail_bytes ? (uint64_t)size - tail_bytes : 0;
                *out = c;
                return 0;
            }
            cursor_off(c);
        }
    cursor_on(c, first, id);     /* nothing yet: wait on the preferred getter */
    *out = c;
    return 0;
}

ssize_t joblog_follow_read(joblog_cursor *c, char *dst, size_t n)
{
    if (c->kind == JOBLOG_FILE) {
        if (c->fd < 0 && cur_size(c) < 0)
            return 0;
        ssize_t r = pread(c->fd, dst, n, (off_t)c->off);
        if (r > 0)
            c->off += (uint64_t)r;
        return r < 0 ? -1 : r;
    }
    if (!redis_conn(c))
        return -1;
    rreply *r = rconn_read(c->rc, "GETRANGE %s %llu %llu", c->key.p,
                           (unsigned long long)c->off, (unsigned long long)(c->off + n - 1));
    ssize_t got = -1;
    const char *bytes;
    size_t len;
    if (rreply_string(c->rc, r, &bytes, &len) == 0) {
        got = (ssize_t)(len < n ? len : n);
        memcpy(dst, bytes, (size_t)got);
        c->off += (uint64_t)got;
    }
    rreply_free(r);
    return got;
}

void joblog_follow_close(joblog_cursor *c)
{
    if (!c)
        return;
    cursor_off(c);
    buf_free(&c->key);
    berth_free(c);
}
