/* Redis replies as the rest of Berth sees them: an opaque rreply read only through the
 * accessors below, so no code outside store/ walks hiredis structures by hand.
 *
 * Redis stores what Berth wrote, but its data may also come from Harbor core, an operator,
 * another Berth version or a damaged AOF, so a reply of an unexpected shape must be an
 * error, never a crash. Two kinds of accessor:
 *   - checked ones (rreply_array, rreply_string, rreply_integer, rreply_number) return 0 or
 *     BERTH_EREDIS and then say why in rc->err ("expected an array of 5, got integer"); a
 *     NULL reply (connection lost) and an error reply fail them too, so one call replaces
 *     "connection ok, not an error, right type, right length";
 *   - lenient ones (rreply_len, rreply_at, rreply_str, rreply_is_*) answer 0 / NULL / false
 *     for anything of another shape, for loops that skip what they do not understand.
 * A reply and everything reached through it is the caller's; free the top one with
 * rreply_free (NULL-safe). Nothing here locks: a reply belongs to one thread. */
#ifndef BERTH_STORE_REPLY_H
#define BERTH_STORE_REPLY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rreply rreply;   /* hiredis's reply, opaque outside store/ */
struct rconn;

#define RREPLY_ANY ((size_t)-1) /* rreply_array: any number of elements */

void rreply_free(rreply *r);

/* Checked: r is an array of exactly n elements (or any number with RREPLY_ANY). */
int rreply_array(struct rconn *rc, const rreply *r, size_t n);
/* Checked: r is a string or status reply; *s (and *len when not NULL) point into r. */
int rreply_string(struct rconn *rc, const rreply *r, const char **s, size_t *len);
/* Checked: an integer reply, or a string holding exactly a decimal integer. */
int rreply_integer(struct rconn *rc, const rreply *r, long long *v);
/* Checked: an integer, or a string holding exactly a decimal number (a zset score). */
int rreply_number(struct rconn *rc, const rreply *r, double *v);

/* Lenient. */
size_t rreply_len(const rreply *r);                  /* elements of an array, else 0 */
const rreply *rreply_at(const rreply *r, size_t i);  /* element i, or NULL */
const char *rreply_str(const rreply *r);             /* string/status text, or NULL */
bool rreply_str_is(const rreply *r, const char *s);  /* a string equal to s */
bool rreply_is_nil(const rreply *r);
bool rreply_is_error(const rreply *r);
const char *rreply_error(const rreply *r);           /* an error reply's text, or NULL */

/* Parses up to max replies from RESP bytes (fuzzing and tests) into out; returns how many
 * (stops at the first incomplete or malformed one). Free each with rreply_free. */
size_t rreply_parse(const char *data, size_t size, rreply **out, size_t max);

#endif
