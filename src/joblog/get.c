/* Getters for the log API (spec §2.8): the tail of a job's log from REDIS (any node can
 * serve any job) or FILE (the node that ran it). Harbor picks the first getter by sorted
 * backend name, so its shared DB beats FILE; REDIS takes DB's place here. A getter with no
 * log for the id passes to the next one, so FILE + REDIS nodes answer from either. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth/error.h"
#include "joblog/joblog_internal.h"
#include "util/alloc.h"

static int file_get(const char *dir, const char *id, uint64_t tail, joblog_data *out,
                    char *err, size_t errlen)
{
    char path[4096];
    if (!jl_file_path(dir, id, path, sizeof path)) {
        snprintf(err, errlen, "log path too long");
        return BERTH_EIO;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = fd < 0 ? errno : ENOENT;
        if (fd >= 0)
            close(fd);
        if (e == ENOENT || e == ELOOP)
            return BERTH_ENOTFOUND;
        strerror_r(e, err, errlen);
        return BERTH_EIO;
    }
    uint64_t size = (uint64_t)st.st_size;
    out->fd = fd;
    out->off = tail > 0 && size > tail ? size - tail : 0;
    out->len = size - out->off;
    return 0;
}

static int redis_get(joblog_set *s, const char *id, uint64_t tail, joblog_data *out,
                     char *err, size_t errlen)
{
    buf key;
    buf_init(&key, 0);  /* no cap: the namespace prefix plus a job id (jl_key) */
    jl_key(s, id, &key);
    char why[256];
    rconn *rc = jl_conn_get(s, why, sizeof why);
    if (!rc) {
        snprintf(err, errlen, "redis: %s", why);
        buf_free(&key);
        return BERTH_EREDIS;
    }
    rreply *r = rconn_read(rc, "EXISTS %s", key.p);
    long long exists = 0;
    bool ok = rreply_integer(rc, r, &exists) == 0;
    int rv = ok && exists == 1 ? 0 : BERTH_ENOTFOUND;
    rreply_free(r);
    r = NULL;
    if (ok && rv == 0) {
        long long from = tail > 0 ? -(long long)tail : 0;
        r = rconn_read(rc, "GETRANGE %s %lld -1", key.p, from);
        const char *bytes;
        size_t len;
        ok = rreply_string(rc, r, &bytes, &len) == 0;
        if (ok && (out->bytes = berth_malloc(len + 1))) {
            memcpy(out->bytes, bytes, len);
            out->bytes[len] = '\0';
            out->bytes_len = len;
        } else if (ok) {
            snprintf(err, errlen, "out of memory reading the job log");
            rv = BERTH_ENOMEM;
        }
    }
    if (!ok) {
        snprintf(err, errlen, "redis: %s", rc->err);
        rv = BERTH_EREDIS;
    }
    rreply_free(r);
    jl_conn_put(s, rc);
    buf_free(&key);
    return rv;
}

int joblog_get(joblog_set *s, const char *id, uint64_t tail_bytes, joblog_data *out,
               char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->fd = -1;
    if (!joblog_set_has_getter(s))
        return BERTH_ESTATE;
    int rc = BERTH_ENOTFOUND;
    for (int pass = 0; pass < 2 && rc == BERTH_ENOTFOUND; pass++) {
        joblog_kind want = pass == 0 ? JOBLOG_REDIS : JOBLOG_FILE;
        for (size_t i = 0; i < s->nb && rc == BERTH_ENOTFOUND; i++) {
            if (s->b[i].kind != want)
                continue;
            rc = want == JOBLOG_REDIS ? redis_get(s, id, tail_bytes, out, err, errlen)
                                      : file_get(s->b[i].base_dir, id, tail_bytes, out, err,
                                                 errlen);
        }
    }
    return rc;
}
