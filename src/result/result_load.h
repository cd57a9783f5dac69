/* result_load: reads a result.json (schema 1, docs/result-schema.md) back
 * into a result_t, so reports can be rendered again (`wsgate report`) and
 * shard results merged (`wsgate merge`). Histograms come from their encoded form, so
 * every percentile is recomputed exactly. */
#ifndef WSGATE_RESULT_LOAD_H
#define WSGATE_RESULT_LOAD_H

#include <stddef.h>

#include "result/result.h"

#define RESULT_MAX_MB_DEFAULT 256   /* without $WSGATE_MAX_RESULT_MB */
#define RESULT_MAX_MB_LIMIT 1048576 /* the most $WSGATE_MAX_RESULT_MB may give (1 TiB) */
#define RESULT_STR_MAX 65536        /* the longest string in a result, in bytes */
#define RESULT_WARNINGS_MAX 1000    /* the most "warnings" a result may have */

/* Parses text (a whole result.json). Returns 0 and fills r (the caller
 * clears it with result_clear), or -1 with a one-line reason in err; r is
 * then left cleared. The reason names the field that is missing or
 * malformed, or says "empty file", "not a JSON object (...)", or starts with
 * the position "LINE:COLUMN: truncated JSON (ends inside ...)" or
 * "LINE:COLUMN: malformed JSON (...)" (from 1; columns count bytes). */
int result_from_json(const char *text, result_t *r, char *err, size_t errlen);

/* The most MiB result_load_file reads: $WSGATE_MAX_RESULT_MB, or
 * RESULT_MAX_MB_DEFAULT when unset. Returns 0, or -1 with a reason in err
 * when the variable is not a whole number from 1 to RESULT_MAX_MB_LIMIT. */
int result_max_mb(size_t *mb, char *err, size_t errlen);

/* Reads and parses the file at path, as above; err starts with the path
 * ("PATH:LINE:COLUMN: ..." for a position). Reads at most the limit of
 * result_max_mb plus one byte, so a pipe or /dev/zero stops there: "PATH:
 * larger than N MiB (WSGATE_MAX_RESULT_MB raises the limit)". */
int result_load_file(const char *path, result_t *r, char *err, size_t errlen);

#endif
