/* Harbor's API error codes and error body (spec §2.3):
 *   {"code":N,"message":"<text>","details":"<detail>"}   (details left out when empty)
 * written with Go's escaping. The HTTP status that goes with each code is given too. */
#ifndef BERTH_MODEL_API_ERROR_H
#define BERTH_MODEL_API_ERROR_H

#include "util/buf.h"

enum berth_api_code {
    BERTH_API_READ_BODY = 10000,        /* read request body failed with error (500) */
    BERTH_API_JSON = 10001,             /* handle json data failed with error (500) */
    BERTH_API_MISSING_BACKEND = 10002,  /* unused by Harbor */
    BERTH_API_LAUNCH = 10003,           /* launch job failed with error (500) */
    BERTH_API_CHECK_STATS = 10004,      /* check stats of server failed with error (500) */
    BERTH_API_GET_JOB = 10005,          /* get job stats failed with error (500) */
    BERTH_API_STOP_JOB = 10006,         /* stop job failed with error (500) */
    BERTH_API_RETRY_JOB = 10007,        /* unused by Harbor */
    BERTH_API_UNKNOWN_ACTION = 10008,   /* unknown job action name (501) */
    BERTH_API_GET_LOG = 10009,          /* failed to get the job log (500) */
    BERTH_API_NOT_FOUND = 10010,        /* object is not found (404) */
    BERTH_API_UNAUTHORIZED = 10011,     /* unauthorized (401) */
    BERTH_API_CONFLICT = 10012,         /* conflict (409) */
    BERTH_API_BAD_REQUEST = 10013,      /* bad request (400) */
    BERTH_API_GET_JOBS = 10014,         /* failed to get scheduled jobs (500) */
    BERTH_API_GET_EXECUTIONS = 10015,   /* failed to get periodic executions (500) */
    BERTH_API_STATUS_MISMATCH = 10016,  /* mismatch job status (internal) */
};

/* Harbor's message text for code (static), or NULL for a code outside 10000..10016. For
 * 10014 this is the fixed part; Harbor appends ", q=<query JSON>" (use _body_msg). */
const char *berth_api_error_message(int code);
/* The HTTP status Harbor answers with for code: 400, 401, 404, 409, 501, else 500. */
int berth_api_error_http_status(int code);
/* Appends the error body with Harbor's message for code. details NULL or "" is left out.
 * 0; BERTH_EINVAL for an unknown code (nothing appended); BERTH_ETOOBIG at out's cap (out
 * restored). */
int berth_api_error_body(int code, const char *details, buf *out);
/* As berth_api_error_body with the message given (NULL = Harbor's text). */
int berth_api_error_body_msg(int code, const char *message, const char *details, buf *out);

#endif
