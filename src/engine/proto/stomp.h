/* stomp: STOMP 1.2 frames as bytes (https://stomp.github.io/stomp-specification-1.2.html):
 * one received frame into an object, and header lines with their escapes.
 * Pure functions: the fuzz target (tests/fuzz/fuzz_stomp.c) calls them. */
#ifndef WSGATE_STOMP_H
#define WSGATE_STOMP_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/sbuf.h"

#define STOMP_MAX_HEADERS 128

/* Parses one WebSocket message holding one frame, which heart-beat EOLs
 * (LF or CRLF) may precede and follow. Returns the frame as an object
 *   {command: "MESSAGE", headers: {name: value, ...}, body: "...",
 *    json: <the body parsed as JSON, or null>}
 * (header values unescaped except in CONNECT and CONNECTED frames; a
 * repeated header keeps its first value; a body with content-length may
 * hold NUL bytes, body then ends at the first), which the caller frees with
 * cJSON_Delete. Returns NULL with err "" for a message of heart-beats only,
 * or NULL with the reason in err for a malformed frame (bytes after the
 * frame's NUL included). */
cJSON *stomp_parse(const char *buf, size_t len, char *err, size_t errlen);

/* Appends "name:value\n" to out, the value's len bytes escaped when escape
 * is set (\\ \n \r \c, STOMP 1.1 and 1.2 outside CONNECT). Returns 0, or
 * -1 when out of memory. */
int stomp_put_header(sbuf_t *out, const char *name, const char *value, size_t len, bool escape);

#endif
