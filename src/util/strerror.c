/* Text for libberth's error codes (include/berth/error.h). */
#include "berth/error.h"

const char *berth_strerror(int code)
{
    switch (code) {
    case BERTH_OK: return "success";
    case BERTH_ENOMEM: return "out of memory";
    case BERTH_EINVAL: return "invalid argument";
    case BERTH_ENOTFOUND: return "not found";
    case BERTH_EREDIS: return "redis error";
    case BERTH_EMISMATCH: return "mismatch job status";
    case BERTH_EDUP: return "duplicate unique job";
    case BERTH_EUNKNOWN: return "unknown job name";
    case BERTH_ESTATE: return "not allowed in the current state";
    case BERTH_EIO: return "i/o error";
    case BERTH_ETOOBIG: return "input too large";
    case BERTH_ECONFIG: return "invalid configuration";
    case BERTH_EJOB: return "job failed";
    case BERTH_ESCHEMA: return "the Redis namespace was written by a newer Berth (upgrade "
                               "this node; see docs/operations.md)";
    case BERTH_EVERSION: return "the Redis server is too old (Berth needs Redis 6.2 or newer)";
    default: return "unknown error";
    }
}
