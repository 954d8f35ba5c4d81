/* libFuzzer target for the registry client's WWW-Authenticate parser and the scope rules
 * (src/registry/auth.c): the first byte picks the HTTP method, the rest is split at the
 * first newline into a challenge header and a request path.
 *
 * Checks beyond sanitizer reports: every output string is terminated inside its buffer; a
 * parsed realm or service only comes with the scheme that carries it; scopes are empty
 * unless the path has "/v2/", and otherwise name a repository or the catalog with one of
 * Harbor's action sets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "registry/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192)
        return 0;
    static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
    const char *method = methods[data[0] % 6];
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    char *nl = strchr(text, '\n');
    const char *path = "";
    if (nl) {
        *nl = '\0';
        path = nl + 1;
    }
    reg_challenge ch;
    reg_challenge_parse(text, &ch);
    CHECK(memchr(ch.realm, '\0', sizeof ch.realm) && memchr(ch.service, '\0', sizeof ch.service));
    CHECK(memchr(ch.others, '\0', sizeof ch.others));
    CHECK(!ch.service[0] || ch.bearer);
    CHECK(!ch.realm[0] || ch.bearer || ch.basic);
    CHECK(!ch.others[0] || ch.other);
    char scopes[2048];
    memset(scopes, 'X', sizeof scopes);
    reg_scopes(method, path, scopes, sizeof scopes);
    CHECK(memchr(scopes, '\0', sizeof scopes));
    if (!strstr(path, "/v2/"))
        CHECK(scopes[0] == '\0');
    else if (scopes[0] && strlen(scopes) < sizeof scopes - 1)
        CHECK(strncmp(scopes, "repository:", 11) == 0 || strcmp(scopes, "registry:catalog:*") == 0);
    free(text);
    return 0;
}
