/* redact: hides secrets (tokens, passwords) before they reach a report. */
#include "base/redact.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/sbuf.h"

/* Substrings that mark a parameter or header as secret. */
static const char *const secret_words[] = {
    "token", "key", "secret", "password", "passwd", "auth", "jwt", "session", "cookie", "signature",
};

bool redact_is_secret_name(const char *name, unsigned long len)
{
    char lower[64];
    if (len >= sizeof(lower))
        len = sizeof(lower) - 1;
    for (unsigned long i = 0; i < len; i++)
        lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    lower[len] = '\0';
    for (size_t i = 0; i < sizeof(secret_words) / sizeof(secret_words[0]); i++)
        if (strstr(lower, secret_words[i]))
            return true;
    return false;
}

/* Appends one "name=value" pair, hiding the value when the name is secret. */
static int put_param(sbuf_t *out, const char *p, size_t n)
{
    const char *eq = memchr(p, '=', n);
    if (!eq || !redact_is_secret_name(p, (unsigned long)(eq - p)))
        return sbuf_append(out, p, n);
    if (sbuf_append(out, p, (size_t)(eq - p) + 1) < 0)
        return -1;
    return sbuf_puts(out, "***");
}

char *redact_url(const char *url)
{
    const char *q = strchr(url, '?');
    sbuf_t out = SBUF_INIT;
    if (sbuf_append(&out, url, q ? (size_t)(q - url) + 1 : strlen(url)) < 0)
        goto fail;
    for (const char *p = q ? q + 1 : NULL; p && *p;) {
        size_t n = strcspn(p, "&#");
        if (put_param(&out, p, n) < 0)
            goto fail;
        p += n;
        if (*p == '&') {
            if (sbuf_putc(&out, '&') < 0)
                goto fail;
            p++;
        } else if (*p == '#') {
            if (sbuf_puts(&out, p) < 0)
                goto fail;
            break;
        }
    }
    return out.data;
fail:
    sbuf_free(&out);
    return NULL;
}

/* ---- values read from the environment ---- */

/* Owns its values, kept longest first so a value inside another is not
 * hidden in part before the longer one. */
struct redact_secrets {
    char **v;
    size_t n;
};

redact_secrets_t *redact_secrets_new(void)
{
    return calloc(1, sizeof(redact_secrets_t));
}

void redact_secrets_free(redact_secrets_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    free(s);
}

int redact_secrets_add(redact_secrets_t *s, const char *value)
{
    size_t len = strlen(value), at = 0;
    if (len < REDACT_MIN_SECRET)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], value) == 0)
            return 0;
    char **v = realloc(s->v, (s->n + 1) * sizeof(*v));
    if (!v)
        return -1;
    s->v = v;
    char *copy = strdup(value);
    if (!copy)
        return -1;
    while (at < s->n && strlen(s->v[at]) >= len)
        at++;
    memmove(&s->v[at + 1], &s->v[at], (s->n - at) * sizeof(*v));
    s->v[at] = copy;
    s->n++;
    return 0;
}

void redact_secrets_scrub(const redact_secrets_t *s, char *text)
{
    for (size_t i = 0; s && text && i < s->n; i++) {
        size_t len = strlen(s->v[i]);
        char *p;
        while ((p = strstr(text, s->v[i])) != NULL) { /* "***" is shorter: shift left */
            memcpy(p, "***", 3);
            memmove(p + 3, p + len, strlen(p + len) + 1);
        }
    }
}
