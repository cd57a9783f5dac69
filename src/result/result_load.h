/* result_load: reads a result.json (schema 1, docs/result-schema.md) back
 * into a result_t, so reports can be rendered again (`wsgate report`) and
 * shard results merged (`wsgate merge`). Histograms come from their encoded form, so
 * every percentile is recomputed exactly. */
#ifndef WSGATE_RESULT_LOAD_H
#define WSGATE_RESULT_LOAD_H

#include <stddef.h>

#include "result/result.h"

/* Parses text (a whole result.json). Returns 0 and fills r (the caller
 * clears it with result_clear), or -1 with a one-line reason in err naming
 * the field that is missing or malformed; r is then left cleared. */
int result_from_json(const char *text, result_t *r, char *err, size_t errlen);

/* Reads and parses the file at path, as above; err starts with the path. */
int result_load_file(const char *path, result_t *r, char *err, size_t errlen);

#endif
