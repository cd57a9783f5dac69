/* text: the sanitiser every reporter runs untrusted text through. */
#include "reporters/text.h"

#include <stdlib.h>
#include <string.h>

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */
#define ELLIPSIS "\xe2\x80\xa6"    /* U+2026 */

bool text_hidden(unsigned long cp)
{
    if (cp < 0x20)
        return cp != '\t' && cp != '\n' && cp != '\r';
    if (cp >= 0x7f && cp <= 0x9f)
        return true;
    if (cp == 0x061c || cp == 0x200e || cp == 0x200f)
        return true; /* bidi marks */
    if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
        return true; /* bidi embeddings, overrides and isolates */
    return (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe;
}

size_t text_utf8_len(const unsigned char *s, size_t avail)
{
    if (avail == 0)
        return 0;
    unsigned char c = s[0];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || n > avail || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (n == 3 && ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0)))
        return 0; /* overlong or surrogate */
    if (n == 4 && ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90)))
        return 0; /* overlong or above U+10FFFF */
    return n;
}

/* The code point of the valid n-byte sequence at s. */
static unsigned long decode(const unsigned char *s, size_t n)
{
    static const unsigned char lead_bits[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
    unsigned long cp = s[0] & lead_bits[n];
    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (s[i] & 0x3f);
    return cp;
}

/* Writes the character of n bytes at p (n 0: an invalid byte). */
static void write_char(FILE *out, const unsigned char *p, size_t n, const text_style_t *st)
{
    unsigned long cp = n ? decode(p, n) : 0;
    if (n == 0)
        fputs(REPLACEMENT, out);
    else if (cp == 0)
        fputs("\\0", out);
    else if (st->show_hidden && text_hidden(cp))
        fprintf(out, "\\u%04lX", cp);
    else if (n == 1 && st->ascii)
        st->ascii(out, *p);
    else
        fwrite(p, 1, n, out);
}

void text_write_n(FILE *out, const char *s, size_t len, size_t max, const text_style_t *st)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t used = 0;
    while (used < len) {
        size_t n = text_utf8_len(p + used, len - used);
        size_t step = n ? n : 1;
        if (max && used + step > max) {
            fputs(ELLIPSIS, out);
            return;
        }
        write_char(out, p + used, n, st);
        used += step;
    }
}

void text_write(FILE *out, const char *s, size_t max, const text_style_t *st)
{
    if (s)
        text_write_n(out, s, strlen(s), max, st);
}

char *text_clean(const char *s, size_t max, const text_style_t *st)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    text_write(f, s, max, st);
    bool failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Line breaks and tabs as the text "\n", "\r", "\t". */
static void one_line_char(FILE *out, unsigned char c)
{
    if (c == '\n')
        fputs("\\n", out);
    else if (c == '\r')
        fputs("\\r", out);
    else if (c == '\t')
        fputs("\\t", out);
    else
        fputc(c, out);
}

const text_style_t text_one_line = { .ascii = one_line_char, .show_hidden = true };
