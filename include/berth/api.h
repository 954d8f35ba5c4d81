/* BERTH_API marks the functions libberth exports. The library is built with
 * -fvisibility=hidden, so everything else (internal helpers, even those named berth_*)
 * stays out of libberth.so's dynamic symbol table; scripts/check-boundaries.sh checks that
 * only berth_* symbols are exported. */
#ifndef BERTH_API_H
#define BERTH_API_H

#if defined(__GNUC__) || defined(__clang__)
#define BERTH_API __attribute__((visibility("default")))
#else
#define BERTH_API
#endif

#endif
