/* proto_json: protocol json, a message is one JSON document (the default); see proto.h. */
#include "engine/proto/proto.h"

#include <stdbool.h>
#include <string.h>

/* Beyond this nesting of a skipped value, and for a number longer than
 * cJSON 1.7's 63-byte buffer, the message goes to cJSON whole. */
#define SKIP_MAX_DEPTH 64
#define SKIP_MAX_NUMBER 60

/* ---- skipping the fields nobody reads ----
 * Strict RFC 8259 JSON, and only the part of it this scanner is sure cJSON
 * reads the same way: each skip returns the position after the value, or
 * NULL for anything else (invalid JSON, a \u escape, a control character,
 * deep nesting, a long number). On NULL the caller parses the whole
 * message with cJSON, so a message is accepted or refused, and its fields
 * read, exactly as a whole parse does. */

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at the opening quote. */
static const char *skip_string(const char *p, const char *e)
{
    for (p++; p < e; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c < 0x20)
            return NULL;
        if (c == '\\') {
            if (++p >= e || !*p || !strchr("\"\\/bfnrt", *p))
                return NULL;
        }
    }
    return NULL;
}

static const char *skip_digits(const char *p, const char *e)
{
    const char *s = p;
    while (p < e && *p >= '0' && *p <= '9')
        p++;
    return p > s ? p : NULL;
}

static const char *skip_number(const char *p, const char *e)
{
    const char *s = p;
    if (p < e && *p == '-')
        p++;
    if (p < e && *p == '0')
        p++;
    else if (!(p = skip_digits(p, e)))
        return NULL;
    if (p < e && *p == '.' && !(p = skip_digits(p + 1, e)))
        return NULL;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (!(p = skip_digits(p, e)))
            return NULL;
    }
    return p - s <= SKIP_MAX_NUMBER ? p : NULL;
}

static const char *skip_word(const char *p, const char *e, const char *w)
{
    size_t n = strlen(w);
    return (size_t)(e - p) >= n && memcmp(p, w, n) == 0 ? p + n : NULL;
}

static const char *skip_value(const char *p, const char *e, int depth);

/* p at '[' or '{'. */
static const char *skip_container(const char *p, const char *e, int depth)
{
    char close = *p == '[' ? ']' : '}';
    bool object = close == '}';
    if (depth >= SKIP_MAX_DEPTH)
        return NULL;
    p = skip_ws(p + 1, e);
    if (p < e && *p == close)
        return p + 1;
    for (;;) {
        if (object) {
            if (p >= e || *p != '"' || !(p = skip_string(p, e)))
                return NULL;
            p = skip_ws(p, e);
            if (p >= e || *p != ':')
                return NULL;
            p = skip_ws(p + 1, e);
        }
        if (!(p = skip_value(p, e, depth + 1)))
            return NULL;
        p = skip_ws(p, e);
        if (p < e && *p == close)
            return p + 1;
        if (p >= e || *p != ',')
            return NULL;
        p = skip_ws(p + 1, e);
    }
}

static const char *skip_value(const char *p, const char *e, int depth)
{
    if (p >= e)
        return NULL;
    switch (*p) {
    case '"':
        return skip_string(p, e);
    case '{':
    case '[':
        return skip_container(p, e, depth);
    case 't':
        return skip_word(p, e, "true");
    case 'f':
        return skip_word(p, e, "false");
    case 'n':
        return skip_word(p, e, "null");
    default:
        return skip_number(p, e);
    }
}

/* ---- reading the fields the scenario reads ---- */

/* The wanted key equal to the len bytes at k, or NULL. */
static const char *wanted(const proto_rx_t *rx, const char *k, size_t len)
{
    for (size_t i = 0; i < rx->nkeys; i++)
        if (strncmp(rx->keys[i], k, len) == 0 && rx->keys[i][len] == '\0')
            return rx->keys[i];
    return NULL;
}

/* The members of the top-level object at p ('{') into o: wanted ones
 * parsed by cJSON (the first of repeated keys, as cJSON's lookup finds),
 * the rest skipped. Returns false when the message needs a whole parse. */
static bool read_members(const char *p, const char *e, const proto_rx_t *rx, cJSON *o)
{
    p = skip_ws(p + 1, e);
    if (p < e && *p == '}')
        return true;
    for (;;) {
        const char *k = p;
        if (p >= e || *p != '"' || !(p = skip_string(p, e)) || memchr(k, '\\', (size_t)(p - k)))
            return false; /* an escaped key: cJSON compares it unescaped */
        const char *key = wanted(rx, k + 1, (size_t)(p - k) - 2);
        p = skip_ws(p, e);
        if (p >= e || *p != ':')
            return false;
        p = skip_ws(p + 1, e);
        const char *v = p;
        if (!(p = skip_value(p, e, 1)))
            return false;
        if (key && !cJSON_GetObjectItemCaseSensitive(o, key)) {
            cJSON *item = cJSON_ParseWithLength(v, (size_t)(p - v));
            if (!item || !cJSON_AddItemToObjectCS(o, key, item)) {
                cJSON_Delete(item);
                return false;
            }
        }
        p = skip_ws(p, e);
        if (p < e && *p == '}')
            return true; /* what follows is ignored, as cJSON_ParseWithLength does */
        if (p >= e || *p != ',')
            return false;
        p = skip_ws(p + 1, e);
    }
}

/* Not JSON: NULL, which no predicate matches. Nothing is copied. With
 * rx->keys, an object holds only those of its fields. */
static cJSON *json_parse(void *st, const char *msg, size_t len, proto_rx_t *rx)
{
    (void)st;
    if (!rx || !rx->keys)
        return cJSON_ParseWithLength(msg, len);
    const char *e = msg + len, *p = skip_ws(msg, e);
    if (p >= e || *p != '{')
        return cJSON_ParseWithLength(msg, len);
    cJSON *o = cJSON_CreateObject();
    if (o && read_members(p, e, rx, o))
        return o;
    cJSON_Delete(o);
    return cJSON_ParseWithLength(msg, len);
}

const proto_t proto_json = {
    .name = "json",
    .parse = json_parse,
};
