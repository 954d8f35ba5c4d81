/* Bracket-and-quote scanner over JSON text; see json_scan.h. */
#include "util/json_scan.h"

#include <stdio.h>
#include <string.h>

static size_t scan_string(const char *p, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '"')
            return i + 1;
    }
    return 0;
}

size_t json_scan_value(const char *p, size_t n)
{
    if (n == 0)
        return 0;
    if (*p == '"')
        return scan_string(p, n);
    if (*p != '{' && *p != '[') {
        size_t i = 0;
        while (i < n && !strchr(",}] \t\r\n", p[i]))
            i++;
        return i;
    }
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"') {
            size_t s = scan_string(p + i, n - i);
            if (!s)
                return 0;
            i += s - 1;
        } else if (p[i] == '{' || p[i] == '[') {
            depth++;
        } else if (p[i] == '}' || p[i] == ']') {
            if (--depth == 0)
                return i + 1;
        }
    }
    return 0;
}

const char *json_scan_member(const char *obj, const char *key, size_t *len)
{
    char pat[128];
    int pn = snprintf(pat, sizeof pat, "\"%s\":", key);
    if (pn <= 0 || (size_t)pn >= sizeof pat)
        return NULL;
    for (const char *p = strstr(obj, pat); p; p = strstr(p + 1, pat)) {
        if (p > obj && p[-1] == '\\')
            continue;
        const char *v = p + pn;
        size_t n = json_scan_value(v, strlen(v));
        if (!n)
            return NULL;
        *len = n;
        return v;
    }
    return NULL;
}
