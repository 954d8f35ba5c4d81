/* One hexadecimal digit's value: the readers of %xx escapes (request targets, Redis URLs)
 * and of JSON's \uXXXX share it. Pure; no state. */
#ifndef BERTH_UTIL_HEX_H
#define BERTH_UTIL_HEX_H

/* 0-15 for 0-9, a-f, A-F; -1 for any other byte. */
static inline int hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;   /* 'A'-'F' to 'a'-'f'; no other byte lands on 'a'-'f' */
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

#endif
