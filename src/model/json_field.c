/* Reading fields from a decoded JSON object with Go's rules and error texts; see json_field.h. */
#include "model/json_field.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "berth/error.h"
#include "model/json_write.h"
#include "util/alloc.h"
#include "util/buf.h"

int berth__json_field_mismatch(const json_t *v, const char *what, const berth__json_field *f,
                               char *err, size_t errlen)
{
    snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field %s.%s of type %s",
             what ? what : berth__json_field_type(v), f->strct, f->path, f->gotype);
    return BERTH_EINVAL;
}

/* "number <literal>" for a number that does not fit the field. */
static int bad_number(const json_t *v, const berth__json_field *f, char *err, size_t errlen)
{
    buf b;
    buf_init(&b, 64);
    buf_puts(&b, "number ");
    if (json_is_integer(v))
        buf_printf(&b, "%" PRId64, (int64_t)json_integer_value(v));
    else
        berth__json_write_float(&b, json_real_value(v));
    int rc = berth__json_field_mismatch(v, b.p, f, err, errlen);
    buf_free(&b);
    return rc;
}

int berth__json_field_str(const json_t *v, const berth__json_field *f, char **dst, char *err,
                          size_t errlen)
{
    if (json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return berth__json_field_mismatch(v, NULL, f, err, errlen);
    return berth_strdup_to(dst, json_string_value(v));
}

int berth__json_field_bool(const json_t *v, const berth__json_field *f, bool *dst, char *err,
                           size_t errlen)
{
    if (json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return berth__json_field_mismatch(v, NULL, f, err, errlen);
    *dst = json_is_true(v);
    return 0;
}

/* The value of an integral number as a double, or NAN when it has a fraction. */
static double integral(const json_t *v, bool lossy)
{
    if (json_is_integer(v))
        return (double)json_integer_value(v);
    double d = json_real_value(v);
    return lossy && d == trunc(d) ? d : NAN;
}

int berth__json_field_int64(const json_t *v, const berth__json_field *f, bool lossy,
                            int64_t *dst, char *err, size_t errlen)
{
    if (json_is_null(v))
        return 0;
    if (!json_is_number(v))
        return berth__json_field_mismatch(v, NULL, f, err, errlen);
    if (json_is_integer(v)) {
        *dst = (int64_t)json_integer_value(v);
        return 0;
    }
    double d = integral(v, lossy);
    if (isnan(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
        return bad_number(v, f, err, errlen);
    *dst = (int64_t)d;
    return 0;
}

int berth__json_field_uint64(const json_t *v, const berth__json_field *f, bool lossy,
                             uint64_t *dst, char *err, size_t errlen)
{
    if (json_is_null(v))
        return 0;
    if (!json_is_number(v))
        return berth__json_field_mismatch(v, NULL, f, err, errlen);
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0)
            return bad_number(v, f, err, errlen);
        *dst = (uint64_t)json_integer_value(v);
        return 0;
    }
    double d = integral(v, lossy);
    if (isnan(d) || d < 0 || d >= 18446744073709551616.0)
        return bad_number(v, f, err, errlen);
    *dst = (uint64_t)d;
    return 0;
}

int berth__json_field_object(const json_t *v, const berth__json_field *f, char *err,
                             size_t errlen)
{
    if (json_is_null(v) || json_is_object(v))
        return 0;
    return berth__json_field_mismatch(v, NULL, f, err, errlen);
}

int berth__json_field_root(const json_t *j, const char *gotype, char *err, size_t errlen)
{
    if (json_is_null(j) || json_is_object(j))
        return 0;
    snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type %s",
             berth__json_field_type(j), gotype);
    return BERTH_EINVAL;
}

bool berth__json_field_key_is(const char *key, const char *field)
{
    const unsigned char *k = (const unsigned char *)key;
    for (const char *f = field; *f; f++) {
        if (k[0] == 0xe2 && k[1] == 0x84 && k[2] == 0xaa && *f == 'k') {
            k += 3;  /* KELVIN SIGN */
        } else if (k[0] == 0xc5 && k[1] == 0xbf && *f == 's') {
            k += 2;  /* LATIN SMALL LETTER LONG S */
        } else if (*k && *k < 0x80 && tolower(*k) == tolower((unsigned char)*f)) {
            k++;
        } else {
            return false;
        }
    }
    return *k == '\0';
}

const char *berth__json_field_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    default: return "null";
    }
}
