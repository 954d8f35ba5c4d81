/* Go's re-encoding of job parameters; see params.h. */
#include "model/params.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "model/json_parse.h"
#include "model/json_write.h"

/* Is text[i] the sign of a number -0 that has no fraction or exponent? (A '-' after e/E is
 * an exponent's sign; a digit after the 0 is not JSON, left to the parser.) */
static bool negative_zero_at(const char *text, size_t i, size_t len)
{
    if (text[i] != '-' || i + 1 >= len || text[i + 1] != '0')
        return false;
    if (i > 0 && (text[i - 1] == 'e' || text[i - 1] == 'E'))
        return false;
    return i + 2 >= len || !memchr(".eE0123456789", text[i + 2], 13);
}

int berth_params_signed_zeros(const char *text, size_t len, buf *out)
{
    bool in_str = false;
    size_t from = 0;
    for (size_t i = 0; i < len; i++) {
        if (in_str) {
            if (text[i] == '\\')
                i++;
            else if (text[i] == '"')
                in_str = false;
        } else if (text[i] == '"') {
            in_str = true;
        } else if (negative_zero_at(text, i, len)) {
            JSON_WRITE_TRY(buf_append(out, text + from, i + 2 - from));
            JSON_WRITE_TRY(buf_append(out, ".0", 2));
            from = i + 2;
        }
    }
    return buf_append(out, text + from, len - from);
}

bool berth_params_stored_as_is(const char *text, size_t len)
{
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '\\')
            return false;
        if (c == '"')
            in_str = !in_str;        /* no escapes: every quote opens or closes a string */
        else if (in_str)
            continue;
        else if (c == 't' || c == 'n')
            i += 3;                  /* true, null: their letters are not a number's */
        else if (c == 'f')
            i += 4;                  /* false */
        else if (c == '.' || c == 'e' || c == 'E' || (c == '-' && i + 1 < len &&
                                                        text[i + 1] == '0'))
            return false;
    }
    return true;
}

/* Parses parameter text as Go does into an interface{} value. 0, BERTH_EINVAL or
 * BERTH_ENOMEM. */
static int load(const char *params_json, json_t **j)
{
    buf t;
    buf_init(&t, 0);  /* no cap: params_json plus ".0" after each -0 */
    char err[160];
    int rc = berth_params_signed_zeros(params_json, strlen(params_json), &t);
    if (rc == 0)
        rc = berth__json_parse(t.p ? t.p : "", t.len, BERTH_JSON_MAX_DEPTH, j, NULL, err,
                               sizeof err);
    buf_free(&t);
    return rc == 0 || rc == BERTH_ENOMEM ? rc : BERTH_EINVAL;
}

static int encode(const char *params_json, bool newline, buf *out)
{
    if (!params_json || !*params_json)
        return 0;
    json_t *j = NULL;
    int rc = load(params_json, &j);
    if (rc != 0)
        return rc;
    if (json_is_object(j)) {
        rc = berth__json_write_value(out, j);
        if (rc == 0 && newline)
            rc = buf_append(out, "\n", 1);
    } else if (!json_is_null(j)) {
        rc = BERTH_EINVAL;
    }
    json_decref(j);
    return rc;
}

int berth_params_canonical(const char *params_json, buf *out)
{
    return encode(params_json, true, out);
}

int berth_params_compact(const char *params_json, buf *out)
{
    return encode(params_json, false, out);
}

int berth_params_format_number(double v, buf *out)
{
    return berth__json_write_float(out, v);
}

int berth_unique_key(const char *ns, const char *name, const char *params_json, buf *out)
{
    int rc = buf_printf(out, "{%s}:unique:%s:", ns ? ns : "", name ? name : "");
    return rc ? rc : berth_params_canonical(params_json, out);
}

/* Text the API re-encoded (go_encoded) that is the stored form already is taken as it is:
 * a second parse of every launch's parameters was a tenth of berthd's instructions per
 * launch. */
int berth_params_stored(const char *text, bool go_encoded, char **out, char *err,
                        size_t errlen)
{
    if (go_encoded && berth_params_stored_as_is(text, strlen(text))) {
        if (!(*out = strdup(text))) {
            snprintf(err, errlen, "out of memory reading the parameters");
            return BERTH_ENOMEM;
        }
        return 0;
    }
    buf t;
    buf_init(&t, 0);  /* no cap: the caller's text plus ".0" after each -0 */
    berth_params_signed_zeros(text, strlen(text), &t);
    if (t.err) {
        snprintf(err, errlen, "out of memory reading the parameters");
        return BERTH_ENOMEM;
    }
    const char *in = t.p ? t.p : "";
    json_error_t jerr;
    json_t *j = json_loads(in, JSON_REJECT_DUPLICATES, &jerr);
    bool big = false;
    if (!j) {   /* integers past int64 are valid JSON (Go reads them as float64) */
        j = json_loads(in, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
        big = j != NULL;
    }
    int rc = 0;
    if (!json_is_object(j)) {
        snprintf(err, errlen, "parameters must be a JSON object: %s",
                 j ? "not an object" : jerr.text);
        rc = BERTH_EINVAL;
    } else if (!(*out = big ? strdup(in) : json_dumps(j, JSON_COMPACT))) {
        snprintf(err, errlen, "out of memory reading the parameters");
        rc = BERTH_ENOMEM;
    }
    json_decref(j);
    buf_free(&t);
    return rc;
}
