/* sbuf: growable byte buffer for rendering messages and reports. */
#ifndef WSGATE_SBUF_H
#define WSGATE_SBUF_H

#include <stddef.h>
#include <stdarg.h>

/* Owns data (malloc'd). len excludes the NUL that is always kept after it. */
typedef struct sbuf {
    char *data;
    size_t len;
    size_t cap;
} sbuf_t;

#define SBUF_INIT                                                                                  \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* All return 0, or -1 on allocation failure (the buffer is left valid). */
int sbuf_reserve(sbuf_t *b, size_t extra);
int sbuf_append(sbuf_t *b, const void *data, size_t n);
int sbuf_puts(sbuf_t *b, const char *s);
int sbuf_putc(sbuf_t *b, char c);
int sbuf_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sbuf_vprintf(sbuf_t *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Keeps the first n bytes (n <= len). */
void sbuf_truncate(sbuf_t *b, size_t n);
void sbuf_free(sbuf_t *b);

#endif
