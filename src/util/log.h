/* Internal logging: a logger is a callback plus a minimum level, carried by whoever logs
 * (the engine handle, a module's state). A NULL logger or callback drops the line. */
#ifndef BERTH_UTIL_LOG_H
#define BERTH_UTIL_LOG_H

#include "berth/log.h"

typedef struct berth_logger {
    berth_log_fn fn;          /* may be NULL: lines are dropped */
    void *userdata;           /* passed back to fn */
    berth_log_level min;      /* lines below this level are dropped before formatting */
} berth_logger;

void berth__log(const berth_logger *lg, berth_log_level lvl, const char *file, int line,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define BLOG(lg, lvl, ...) berth__log((lg), (lvl), __FILE__, __LINE__, __VA_ARGS__)
#define BLOG_DEBUG(lg, ...) BLOG(lg, BERTH_LOG_DEBUG, __VA_ARGS__)
#define BLOG_INFO(lg, ...) BLOG(lg, BERTH_LOG_INFO, __VA_ARGS__)
#define BLOG_WARN(lg, ...) BLOG(lg, BERTH_LOG_WARNING, __VA_ARGS__)
#define BLOG_ERROR(lg, ...) BLOG(lg, BERTH_LOG_ERROR, __VA_ARGS__)

#endif
