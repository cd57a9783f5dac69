/* sbuf: a growable byte buffer with printf; see sbuf.h. */
#include "base/sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sbuf_reserve(sbuf_t *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    if (!b->data)
        p[0] = '\0'; /* a fresh buffer is a valid empty string */
    b->data = p;
    b->cap = cap;
    return 0;
}

int sbuf_append(sbuf_t *b, const void *data, size_t n)
{
    if (sbuf_reserve(b, n) < 0)
        return -1;
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int sbuf_puts(sbuf_t *b, const char *s)
{
    return sbuf_append(b, s, strlen(s));
}

int sbuf_putc(sbuf_t *b, char c)
{
    return sbuf_append(b, &c, 1);
}

int sbuf_vprintf(sbuf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || sbuf_reserve(b, (size_t)n) < 0)
        return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int sbuf_printf(sbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = sbuf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void sbuf_truncate(sbuf_t *b, size_t n)
{
    if (n < b->len) {
        b->len = n;
        b->data[n] = '\0';
    }
}

void sbuf_free(sbuf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
