/* Ids; see id.h. */
#include "model/id.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

void berth_id_new(char out[25])
{
    unsigned char b[12];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof b) {  /* getrandom cannot fail after boot; keep ids distinct anyway */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        memcpy(b, &ts, sizeof b < sizeof ts ? sizeof b : sizeof ts);
    }
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 12; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[24] = '\0';
}

static bool hex24(const char *s)
{
    for (int i = 0; i < 24; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

bool berth_id_valid(const char *id)
{
    return id && strlen(id) == 24 && hex24(id);
}

bool berth_execution_id_valid(const char *id)
{
    if (!id || strlen(id) < 26 || strlen(id) > 44 || !hex24(id) || id[24] != '@')
        return false;
    for (const char *p = id + 25; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}
