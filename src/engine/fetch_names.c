/* The id and name of a fetched job (fetch_names.h). Bounded by the entries' lengths:
 * every search is a memchr over what is left, never past the end and never a C-string
 * function. */
#include "engine/fetch_names.h"

#include <string.h>

/* The JSON string value starting at p (after its opening quote): its end, the closing
 * quote, or NULL when there is none before end or the value holds an escape. */
static const char *plain_string_end(const char *p, const char *end)
{
    const char *q = memchr(p, '"', (size_t)(end - p));
    return q && !memchr(p, '\\', (size_t)(q - p)) ? q : NULL;
}

/* "<code>\0<id>\0<name>": the name is the rest, NULs and all (fetch.lua's own text). */
static int names_after_code(const char *code, size_t codelen, const char **id, size_t *idlen,
                            const char **name, size_t *namelen)
{
    const char *p = code + 2, *end = code + codelen;
    const char *q = code[1] == '\0' ? memchr(p, '\0', (size_t)(end - p)) : NULL;
    if (!q)
        return -1;
    *id = p, *idlen = (size_t)(q - p);
    *name = q + 1, *namelen = (size_t)(end - q - 1);
    return 0;
}

int fetch_names(const char *code, size_t codelen, const char *raw, size_t rawlen,
                const char **id, size_t *idlen, const char **name, size_t *namelen)
{
    static const char NAME[] = "{\"name\":\"", ID[] = "\",\"id\":\"";
    if (codelen == 0)
        return -1;
    if (codelen > 1)
        return names_after_code(code, codelen, id, idlen, name, namelen);
    const char *end = raw + rawlen, *p, *q;
    if (rawlen < sizeof NAME - 1 || memcmp(raw, NAME, sizeof NAME - 1) != 0)
        return -1;
    p = raw + sizeof NAME - 1;
    q = plain_string_end(p, end);
    if (!q || (size_t)(end - q) < sizeof ID - 1 || memcmp(q, ID, sizeof ID - 1) != 0)
        return -1;
    *name = p, *namelen = (size_t)(q - p);
    p = q + sizeof ID - 1;
    q = plain_string_end(p, end);
    if (!q)
        return -1;
    *id = p, *idlen = (size_t)(q - p);
    return 0;
}
