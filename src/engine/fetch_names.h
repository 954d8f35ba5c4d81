/* The effective id and name of a job in fetch.lua's reply. fetch.lua sends them after the
 * job's code ("<code>\0<id>\0<name>") unless the queued JSON starts with Berth's head,
 * '{"name":"<name>","id":"<id>"', with the queue's name and an id free of '"' and '\': then
 * the code is one byte and the client cuts both from the JSON (two reply entries less per
 * job). The entries come from Redis, written by any node or tool, so this is a parser of
 * untrusted text (fuzzed: tests/fuzz/fuzz_fetch_names.c).
 *
 * Ownership: the results point into the caller's buffers; nothing is allocated. No state,
 * no locking. */
#ifndef BERTH_ENGINE_FETCH_NAMES_H
#define BERTH_ENGINE_FETCH_NAMES_H

#include <stddef.h>

/* Reads id and name from code (codelen bytes, at least 1) or, when the code is one byte,
 * from the head of raw (rawlen bytes; neither needs a terminating NUL). Returns 0, or -1
 * when the entries carry neither: a code of 2 or more bytes not of the form above, or a
 * JSON without Berth's head, or a head whose name or id holds an escape (a backslash: the
 * text would not be the value, and fetch.lua never sends such a head short). */
int fetch_names(const char *code, size_t codelen, const char *raw, size_t rawlen,
                const char **id, size_t *idlen, const char **name, size_t *namelen);

#endif
