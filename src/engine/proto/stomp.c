/* stomp: STOMP frames parsed and written; see stomp.h. */
#include "engine/proto/stomp.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STOMP_MAX_BODY (1u << 20)

typedef struct stomp_reader {
    const char *buf;
    size_t len, pos;
    char *err;
    size_t errlen;
} stomp_reader_t;

static cJSON *bad(stomp_reader_t *r, cJSON *partial, const char *why)
{
    snprintf(r->err, r->errlen, "%s (byte %zu)", why, r->pos);
    cJSON_Delete(partial);
    return NULL;
}

/* Skips heart-beat EOLs (LF or CRLF). */
static void skip_eols(stomp_reader_t *r)
{
    while (r->pos < r->len) {
        if (r->buf[r->pos] == '\n')
            r->pos++;
        else if (r->buf[r->pos] == '\r' && r->pos + 1 < r->len && r->buf[r->pos + 1] == '\n')
            r->pos += 2;
        else
            return;
    }
}

/* The line at r->pos (without its LF or CRLF) as [*start, *start + *n);
 * false when no LF ends it or it holds a NUL. */
static bool read_line(stomp_reader_t *r, size_t *start, size_t *n)
{
    const char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
    if (!nl)
        return false;
    *start = r->pos;
    *n = (size_t)(nl - r->buf) - r->pos;
    r->pos += *n + 1;
    if (*n && r->buf[*start + *n - 1] == '\r')
        (*n)--;
    return memchr(r->buf + *start, '\0', *n) == NULL;
}

/* Unescapes s[0..n) into a new string; NULL for an undefined escape. */
static char *unescape(const char *s, size_t n, bool escapes)
{
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\' || !escapes) {
            *o++ = s[i];
            continue;
        }
        char c = ++i < n ? s[i] : '\0';
        if (c != '\\' && c != 'n' && c != 'r' && c != 'c') {
            free(out);
            return NULL;
        }
        *o++ = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 'c' ? ':' : '\\';
    }
    *o = '\0';
    return out;
}

/* name:value; the first of a repeated header counts. Returns 0 or -1. */
static int read_header(stomp_reader_t *r, cJSON *headers, size_t start, size_t n, bool escapes)
{
    const char *line = r->buf + start;
    const char *colon = memchr(line, ':', n);
    if (!colon || colon == line)
        return -1;
    size_t kn = (size_t)(colon - line);
    char *k = unescape(line, kn, escapes), *v = unescape(colon + 1, n - kn - 1, escapes);
    int rc = k && v ? 0 : -1;
    if (rc == 0 && !cJSON_GetObjectItemCaseSensitive(headers, k) &&
        !cJSON_AddStringToObject(headers, k, v))
        rc = -1;
    free(k);
    free(v);
    return rc;
}

/* content-length: digits only, at most STOMP_MAX_BODY; -1 otherwise. */
static long content_length(const cJSON *headers)
{
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(headers, "content-length");
    if (!cJSON_IsString(cl))
        return -2; /* none: the body ends at the first NUL */
    const char *s = cl->valuestring;
    size_t n = strspn(s, "0123456789");
    if (n == 0 || s[n] || n > 8)
        return -1;
    long v = strtol(s, NULL, 10);
    return v <= (long)STOMP_MAX_BODY ? v : -1;
}

/* The body: content-length bytes then a NUL, or up to the first NUL. */
static int read_body(stomp_reader_t *r, const cJSON *headers, size_t *start, size_t *n)
{
    long cl = content_length(headers);
    *start = r->pos;
    if (cl == -1)
        return -1;
    if (cl >= 0) {
        if (r->len - r->pos < (size_t)cl + 1 || r->buf[r->pos + (size_t)cl] != '\0')
            return -1;
        *n = (size_t)cl;
    } else {
        const char *nul = memchr(r->buf + r->pos, '\0', r->len - r->pos);
        if (!nul)
            return -1;
        *n = (size_t)(nul - r->buf) - r->pos;
    }
    r->pos += *n + 1;
    return 0;
}

static bool is_command(const char *s, size_t n)
{
    if (n == 0 || n > 15)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isupper((unsigned char)s[i]))
            return false;
    return true;
}

/* body and json of the object from the body's n bytes at s. */
static int add_body(cJSON *o, const char *s, size_t n)
{
    char *b = malloc(n + 1);
    if (!b)
        return -1;
    memcpy(b, s, n);
    b[n] = '\0';
    cJSON *json = n ? cJSON_ParseWithLength(s, n) : NULL;
    int rc = cJSON_AddStringToObject(o, "body", b) ? 0 : -1;
    free(b);
    if (!json)
        json = cJSON_CreateNull();
    if (rc < 0 || !cJSON_AddItemToObject(o, "json", json)) {
        cJSON_Delete(json);
        return -1;
    }
    return 0;
}

cJSON *stomp_parse(const char *buf, size_t len, char *err, size_t errlen)
{
    stomp_reader_t r = { .buf = buf, .len = len, .err = err, .errlen = errlen };
    size_t start, n;
    if (errlen)
        err[0] = '\0';
    skip_eols(&r);
    if (r.pos == r.len)
        return NULL; /* heart-beats only */
    if (!read_line(&r, &start, &n) || !is_command(buf + start, n))
        return bad(&r, NULL, "no command line (an upper-case word and a newline)");
    cJSON *o = cJSON_CreateObject(), *headers = cJSON_CreateObject();
    if (!o || !headers || !cJSON_AddItemToObject(o, "headers", headers)) {
        cJSON_Delete(headers);
        return bad(&r, o, "out of memory");
    }
    char cmd[16];
    snprintf(cmd, sizeof(cmd), "%.*s", (int)n, buf + start);
    bool escapes = strcmp(cmd, "CONNECT") != 0 && strcmp(cmd, "CONNECTED") != 0;
    if (!cJSON_AddStringToObject(o, "command", cmd))
        return bad(&r, o, "out of memory");
    for (size_t count = 0;; count++) {
        if (!read_line(&r, &start, &n))
            return bad(&r, o, "the frame ends inside its headers");
        if (n == 0)
            break;
        if (count == STOMP_MAX_HEADERS)
            return bad(&r, o, "more than 128 headers");
        if (read_header(&r, headers, start, n, escapes) < 0)
            return bad(&r, o, "a header is not name:value with valid escapes");
    }
    if (read_body(&r, headers, &start, &n) < 0)
        return bad(&r, o, "the body does not end with NUL where content-length says");
    if (add_body(o, buf + start, n) < 0)
        return bad(&r, o, "out of memory");
    skip_eols(&r);
    if (r.pos != r.len)
        return bad(&r, o, "bytes after the frame's NUL");
    return o;
}

int stomp_put_header(sbuf_t *out, const char *name, const char *value, size_t len, bool escape)
{
    if (sbuf_puts(out, name) < 0 || sbuf_putc(out, ':') < 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = value[i];
        const char *esc = !escape     ? NULL
                          : c == '\\' ? "\\\\"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                          : c == ':'  ? "\\c"
                                      : NULL;
        if ((esc ? sbuf_append(out, esc, 2) : sbuf_putc(out, c)) < 0)
            return -1;
    }
    return sbuf_putc(out, '\n');
}
