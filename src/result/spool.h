/* spool: a run's per-second series kept on disk while the run goes on, so
 * closed seconds leave memory (a long soak stays flat) and come back once,
 * at the end, for result.json and the reports. Each second is one record in
 * an unlinked temporary file: its counters, and each step's latency as the
 * hist_encode text result.json embeds. Nothing is left on disk, even when
 * the process dies: the file has no name from the moment it is open. */
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

/* Sets r->series to every second appended, in order (r->nsteps must be
 * the spool's nsteps; r->series must be empty). Returns 0, or -1 when out
 * of memory or the file cannot be read back, with r->series empty. */
int spool_read(res_spool_t *sp, result_t *r);

#endif
