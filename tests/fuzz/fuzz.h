/* fuzz.h: what the libFuzzer targets share: the entry point's prototype and
 * a NUL-terminated copy of the input, since the parsers read C strings. */
#ifndef WSGATE_FUZZ_H
#define WSGATE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A malloc'd NUL-terminated copy of data (a NUL inside ends the string
 * early, as it would for a C caller). Aborts when out of memory. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
