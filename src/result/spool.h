/* spool: a run's per-second series kept on disk while the run goes on, so
 * closed seconds leave memory (a long soak stays flat) and come back one at
 * a time at the end, for result.json and the reports (spool_each; a
 * result_t whose series is on disk holds its spool: result_series_each). Each second is one record
 * in an unlinked temporary file: its counters, and each step's latency as the hist_encode text
 * result.json embeds. Nothing is left on disk, even when the process dies: the file has no name
 * from the moment it is open. */
#ifndef WSGATE_SPOOL_H
#define WSGATE_SPOOL_H

#include <stddef.h>

#include "result/result.h"

typedef struct res_spool res_spool_t;

/* A spool for seconds of nsteps steps, in $TMPDIR (else /tmp). Returns
 * NULL with the reason in err (the directory cannot take a file, out of
 * memory). Free it with spool_free. */
res_spool_t *spool_new(size_t nsteps, char *err, size_t errlen);
/* Closes the file (which takes its space with it) and frees sp. */
void spool_free(res_spool_t *sp);

/* Appends sec as the next second; sec is left as it was. Returns 0, or -1
 * when the file cannot take it (disk full): the spool then refuses every
 * later second too, so the series it gives back has no hole. */
int spool_append(res_spool_t *sp, const res_second_t *sec);
/* Seconds appended so far. */
size_t spool_count(const res_spool_t *sp);
/* Bytes the seconds take on disk. */
size_t spool_bytes(const res_spool_t *sp);

/* Calls fn for each second appended, in order, read back one at a time
 * into a second that is freed after fn returns (memory does not grow with
 * the count). Stops at fn's first non-zero return and returns it; -1 when
 * the file cannot be read back (or an append had failed). Appends may go on
 * afterwards; fn must not use sp. */
int spool_each(res_spool_t *sp, res_second_fn fn, void *ctx);

#endif
