/* utf8: validation and escaped writing shared by the reporters, which must
 * stay well-formed whatever bytes a server put into an error sample. */
#ifndef WSGATE_UTF8_H
#define WSGATE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one
 * (overlong forms and surrogates included). */
size_t utf8_len(const unsigned char *s);

/* Writes s to out as it is, except: each ASCII byte goes through ascii (the
 * format's escaping); a byte that starts no valid UTF-8 sequence, or a valid
 * multi-byte sequence that bad refuses (bad NULL: none), becomes U+FFFD.
 * Stops after max bytes of s (0: no limit) and marks the cut with "…".
 * NULL writes nothing. */
void utf8_write(FILE *out, const char *s, size_t max, void (*ascii)(FILE *out, unsigned char c),
                bool (*bad)(const unsigned char *p, size_t n));

#endif
