/* utf8: validation shared by the reporters, which must stay well-formed
 * whatever bytes a server put into an error sample. */
#ifndef WSGATE_UTF8_H
#define WSGATE_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one
 * (overlong forms and surrogates included). */
size_t utf8_len(const unsigned char *s);

#endif
