/* data: CSV data rows for templates ({{data.COLUMN}}), e.g. one login per
 * virtual user. The file is read once when the spec loads: RFC 4180 fields
 * (quoted fields may hold commas, doubled quotes and line breaks), LF or
 * CRLF line ends, an optional UTF-8 byte order mark; the first line names
 * the columns. Blank lines are skipped. Each user keeps one row for its
 * whole life (see data_pick). */
#ifndef WSGATE_DATA_H
#define WSGATE_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DATA_MAX_BYTES (64u << 20) /* a larger file is an error */
#define DATA_MAX_COLUMNS 256

typedef struct data data_t;

/* Parses CSV text; name is what errors call the file (its path). Returns a
 * table the caller frees with data_free(), or NULL with one line in err:
 *   "users.csv:7: row has 3 fields but the header has 2 (username,
 *    password); quote a field that contains a comma"
 * (empty file, header only, unterminated quote, bad or duplicate column
 * name, wrong field count, NUL byte, too large). */
data_t *data_parse(const char *text, size_t len, const char *name, char *err, size_t errlen);

/* Reads path (at most DATA_MAX_BYTES) and parses it like data_parse. On
 * error *line is the CSV line the message names (it starts "path:LINE: "),
 * or 0 for a problem with the whole file (unreadable, too large). */
data_t *data_load(const char *path, char *err, size_t errlen, int *line);

size_t data_ncolumns(const data_t *d);
const char *const *data_columns(const data_t *d); /* header names */
size_t data_nrows(const data_t *d);               /* >= 1 */

/* The fields of row (< data_nrows), by column; valid until data_free. */
const char *const *data_row(const data_t *d, size_t row);

/* Index of column name, or -1. */
int data_column(const data_t *d, const char *name);

/* The row user (its global 0-based id) takes out of nrows rows.
 * Sequential: user mod nrows. Random: a permutation of the rows drawn from
 * seed, a fresh one for each further pass over the rows: the first nrows
 * users get distinct rows in shuffled order, as do the next nrows. The
 * same seed gives the same rows (and shards of one run, with disjoint user
 * ids and the same --seed, get disjoint rows while users <= rows). */
size_t data_pick(size_t nrows, bool random, uint64_t seed, uint64_t user);

void data_free(data_t *d);

#endif
