/* Harbor's error codes and the JSON error body; see api_error.h. */
#include "model/api_error.h"

#include <stddef.h>

#include "berth/error.h"
#include "model/json_write.h"

static const char *const messages[] = {
    "read request body failed with error",
    "handle json data failed with error",
    "missing backend controller to handle the requests",
    "launch job failed with error",
    "check stats of server failed with error",
    "get job stats failed with error",
    "stop job failed with error",
    "retry job failed with error",
    "unknown job action name",
    "failed to get the job log",
    "object is not found",
    "unauthorized",
    "conflict",
    "bad request",
    "failed to get scheduled jobs",
    "failed to get periodic executions",
    "mismatch job status",
};

const char *berth_api_error_message(int code)
{
    int i = code - BERTH_API_READ_BODY;
    if (i < 0 || i >= (int)(sizeof messages / sizeof messages[0]))
        return NULL;
    return messages[i];
}

int berth_api_error_http_status(int code)
{
    switch (code) {
    case BERTH_API_BAD_REQUEST: return 400;
    case BERTH_API_UNAUTHORIZED: return 401;
    case BERTH_API_NOT_FOUND: return 404;
    case BERTH_API_CONFLICT: return 409;
    case BERTH_API_UNKNOWN_ACTION: return 501;
    default: return 500;
    }
}

static int put_body(int code, const char *message, const char *details, buf *out)
{
    JSON_WRITE_TRY(buf_printf(out, "{\"code\":%d,\"message\":", code));
    JSON_WRITE_TRY(berth__json_write_cstr(out, message));
    if (details && *details) {
        JSON_WRITE_TRY(berth__json_write_key(out, "details", false));
        JSON_WRITE_TRY(berth__json_write_cstr(out, details));
    }
    return buf_append(out, "}", 1);
}

int berth_api_error_body_msg(int code, const char *message, const char *details, buf *out)
{
    const char *std = berth_api_error_message(code);
    if (!std)
        return BERTH_EINVAL;
    size_t len = out->len;
    int rc = put_body(code, message ? message : std, details, out);
    if (rc && out->p) {
        out->len = len;
        out->p[len] = '\0';
    }
    return rc;
}

int berth_api_error_body(int code, const char *details, buf *out)
{
    return berth_api_error_body_msg(code, NULL, details, out);
}
