/* Error codes of libberth. Every public function that can fail returns 0 on success or one
 * of these negative codes; berth_strerror() turns a code into a static string. Functions
 * that can say more fill a caller-supplied `char *err, size_t errlen` buffer. */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

#include "berth/api.h"

enum berth_err {
    BERTH_OK = 0,
    BERTH_ENOMEM = -1,       /* allocation failed */
    BERTH_EINVAL = -2,       /* bad argument or malformed input */
    BERTH_ENOTFOUND = -3,    /* no such job, policy or key */
    BERTH_EREDIS = -4,       /* Redis unreachable, timed out or answered an error */
    BERTH_EMISMATCH = -5,    /* status compare-and-set refused (spec §5.3) */
    BERTH_EDUP = -6,         /* a unique job with the same name and parameters is queued */
    BERTH_EUNKNOWN = -7,     /* job name not registered */
    BERTH_ESTATE = -8,       /* call not allowed in the current state (e.g. engine stopped) */
    BERTH_EIO = -9,          /* file or socket error */
    BERTH_ETOOBIG = -10,     /* input over its size cap */
    BERTH_ECONFIG = -11,     /* invalid configuration */
    BERTH_EJOB = -12,        /* the job's run function reported failure */
    BERTH_ESCHEMA = -13,     /* Redis holds a newer Berth's layout (docs/operations.md) */
    BERTH_EVERSION = -14,    /* the Redis server is older than Berth needs (6.2) */
};

/* Static text for a code; never NULL, never to be freed. */
BERTH_API const char *berth_strerror(int code);

#endif
