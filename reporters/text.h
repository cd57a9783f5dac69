/* text: the one sanitiser for untrusted text on its way into a report
 * (error samples from servers, spec, step and region names, CI variables).
 * Every format runs the same walk and brings only its own escaping, so no
 * report can be broken, or read in another order, by what a server sent. */
#ifndef WSGATE_TEXT_H
#define WSGATE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* How one format writes text. */
typedef struct text_style {
    /* Writes one ASCII character: printable, tab, LF or CR, escaped for the
     * format. NULL: written as it is. */
    void (*ascii)(FILE *out, unsigned char c);
    /* true: hidden code points (text_hidden) are shown as the literal text
     * "\uXXXX". false: they pass as they are (JSON, whose writer escapes
     * what it must). */
    bool show_hidden;
} text_style_t;

/* True for a code point a reader cannot see or that changes what is around
 * it: C0 controls but tab, LF and CR; DEL; C1 controls (U+0085 included);
 * the bidirectional marks, embeddings, overrides and isolates (U+061C,
 * U+200E, U+200F, U+202A-U+202E, U+2066-U+2069); noncharacters
 * (U+FDD0-U+FDEF, U+xFFFE, U+xFFFF). NUL is apart: always "\0". */
bool text_hidden(unsigned long cp);

/* Length of the valid UTF-8 sequence at s[0..avail) (1-4), or 0 when s
 * starts none: a stray continuation byte, a sequence cut short, an
 * overlong form, a surrogate or a value above U+10FFFF. */
size_t text_utf8_len(const unsigned char *s, size_t avail);

/* Writes s[0..len) to out in style st: valid UTF-8 only (every byte that
 * starts no valid sequence becomes U+FFFD), NUL as the text "\0", hidden
 * code points as st says, ASCII through st->ascii, the rest as it is.
 * Writes whole characters from at most max bytes of s (0: no limit) and
 * ends a cut with "…". Errors show in ferror(out). */
void text_write_n(FILE *out, const char *s, size_t len, size_t max, const text_style_t *st);

/* One line per text (CSV cells, the stdout summary): line breaks and tabs
 * as the text "\n", "\r", "\t", hidden code points as "\uXXXX". */
extern const text_style_t text_one_line;

/* text_write_n of the string s; NULL writes nothing. */
void text_write(FILE *out, const char *s, size_t max, const text_style_t *st);

/* text_write of s (NULL: "") into a new string the caller frees, or NULL
 * when out of memory. */
char *text_clean(const char *s, size_t max, const text_style_t *st);

#endif
