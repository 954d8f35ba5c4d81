/* Reply accessors over hiredis's redisReply; see reply.h. */
#include "store/reply.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "store/redis.h"

#define R(r) ((const redisReply *)(r))

static const char *type_name(const rreply *r)
{
    if (!r)
        return "no reply";
    switch (R(r)->type) {
    case REDIS_REPLY_STRING: return "string";
    case REDIS_REPLY_ARRAY: return "array";
    case REDIS_REPLY_INTEGER: return "integer";
    case REDIS_REPLY_NIL: return "nil";
    case REDIS_REPLY_STATUS: return "status";
    case REDIS_REPLY_ERROR: return "error";
    default: return "unknown reply";
    }
}

/* NULL (connection lost: rc->err already says why) and error replies fail every checked
 * accessor; a wrong shape says what was expected. */
static int shape_error(rconn *rc, const rreply *r, const char *want)
{
    if (!r || R(r)->type == REDIS_REPLY_ERROR) {
        (void)rconn_ok(rc, r);   /* copies the error text */
        return BERTH_EREDIS;
    }
    if (rc)
        snprintf(rc->err, sizeof rc->err, "unexpected redis reply: expected %s, got %s", want,
                 type_name(r));
    return BERTH_EREDIS;
}

void rreply_free(rreply *r)
{
    if (r)
        freeReplyObject((void *)r);
}

int rreply_array(rconn *rc, const rreply *r, size_t n)
{
    if (r && R(r)->type == REDIS_REPLY_ARRAY && (n == RREPLY_ANY || R(r)->elements == n))
        return 0;
    if (r && R(r)->type == REDIS_REPLY_ARRAY) {
        if (rc)
            snprintf(rc->err, sizeof rc->err,
                     "unexpected redis reply: expected an array of %zu, got %zu elements", n,
                     R(r)->elements);
        return BERTH_EREDIS;
    }
    return shape_error(rc, r, "an array");
}

int rreply_string(rconn *rc, const rreply *r, const char **s, size_t *len)
{
    if (!r || (R(r)->type != REDIS_REPLY_STRING && R(r)->type != REDIS_REPLY_STATUS) ||
        !R(r)->str)
        return shape_error(rc, r, "a string");
    *s = R(r)->str;
    if (len)
        *len = R(r)->len;
    return 0;
}

int rreply_integer(rconn *rc, const rreply *r, long long *v)
{
    if (r && R(r)->type == REDIS_REPLY_INTEGER) {
        *v = R(r)->integer;
        return 0;
    }
    const char *s = rreply_str(r);
    if (s && *s) {
        char *end = NULL;
        errno = 0;
        long long x = strtoll(s, &end, 10);
        if (errno == 0 && end == s + R(r)->len) {
            *v = x;
            return 0;
        }
    }
    return shape_error(rc, r, "an integer");
}

int rreply_number(rconn *rc, const rreply *r, double *v)
{
    if (r && R(r)->type == REDIS_REPLY_INTEGER) {
        *v = (double)R(r)->integer;
        return 0;
    }
    const char *s = rreply_str(r);
    if (s && *s) {
        char *end = NULL;
        double x = strtod(s, &end);
        if (end == s + R(r)->len && !isnan(x)) {
            *v = x;
            return 0;
        }
    }
    return shape_error(rc, r, "a number");
}

size_t rreply_len(const rreply *r)
{
    return r && R(r)->type == REDIS_REPLY_ARRAY ? R(r)->elements : 0;
}

const rreply *rreply_at(const rreply *r, size_t i)
{
    return i < rreply_len(r) ? (const rreply *)R(r)->element[i] : NULL;
}

const char *rreply_str(const rreply *r)
{
    if (!r || (R(r)->type != REDIS_REPLY_STRING && R(r)->type != REDIS_REPLY_STATUS))
        return NULL;
    return R(r)->str;
}

bool rreply_str_is(const rreply *r, const char *s)
{
    const char *t = rreply_str(r);
    return t && strlen(s) == R(r)->len && memcmp(t, s, R(r)->len) == 0;
}

bool rreply_is_nil(const rreply *r)
{
    return r && R(r)->type == REDIS_REPLY_NIL;
}

bool rreply_is_error(const rreply *r)
{
    return r && R(r)->type == REDIS_REPLY_ERROR;
}

const char *rreply_error(const rreply *r)
{
    return rreply_is_error(r) && R(r)->str ? R(r)->str : NULL;
}

size_t rreply_parse(const char *data, size_t size, rreply **out, size_t max)
{
    redisReader *rd = redisReaderCreate();
    size_t n = 0;
    if (!rd)
        return 0;
    if (redisReaderFeed(rd, data, size) == REDIS_OK) {
        void *reply = NULL;
        while (n < max && redisReaderGetReply(rd, &reply) == REDIS_OK && reply) {
            out[n++] = reply;
            reply = NULL;
        }
    }
    redisReaderFree(rd);
    return n;
}
