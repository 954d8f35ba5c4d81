/* The fuzz targets' assertion: CHECK(c) aborts when c is false, which libFuzzer reports as a
 * crash with the input that caused it (cmocka has no place in a fuzz target). */
#ifndef BERTH_FUZZ_CHECK_H
#define BERTH_FUZZ_CHECK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

/* The input as a NUL-terminated string the target owns (free it): the parsers under test
 * take C strings. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    CHECK(text);
    memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

#endif
