/* suggest: the "did you mean" distance shared by every error message that
 * proposes a near name (spec keys, template variables, assertion metrics). */
#ifndef WSGATE_SUGGEST_H
#define WSGATE_SUGGEST_H

#include <stddef.h>

#define SUGGEST_MAXLEN 63

/* Case-insensitive optimal-string-alignment distance (edits, with an
 * adjacent swap counting as one). SIZE_MAX when either word is longer than
 * SUGGEST_MAXLEN, so overlong words are never suggested. */
size_t suggest_distance(const char *a, const char *b);

#endif
