/* The fuzz targets' assertion: CHECK(c) aborts when c is false, which libFuzzer reports as a
 * crash with the input that caused it (cmocka has no place in a fuzz target). */
#ifndef BERTH_FUZZ_CHECK_H
#define BERTH_FUZZ_CHECK_H

#include <stdlib.h>

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

#endif
