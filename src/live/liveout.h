/* liveout: where the --live lines go (a file, a FIFO or stdout), written
 * so that the run never waits for a slow or stuck reader: a pipe or FIFO
 * is written without blocking, and a line it cannot take now is dropped
 * and counted (a line it takes in part is finished before the next one, so
 * the stream stays whole lines). A regular file takes every line; one that
 * fails (disk full) is counted too. */
#ifndef WSGATE_LIVEOUT_H
#define WSGATE_LIVEOUT_H

#include <stddef.h>
#include <stdint.h>

typedef struct liveout liveout_t;

/* Opens path for writing ("-": stdout), emptying a regular file. Opening
 * a FIFO waits for its reader. Returns the writer, or NULL with a reason
 * in err; close it with liveout_close. */
liveout_t *liveout_open(const char *path, char *err, size_t errlen);

/* Writes the len bytes of line (one line, '\n' included) if the file takes
 * it now; else counts it lost. Never blocks on a pipe or FIFO. */
void liveout_write(liveout_t *o, const char *line, size_t len);

/* Like liveout_write, but waits up to timeout_ms for a slow reader to take
 * the rest of an earlier line and this one (for the last line). */
void liveout_write_last(liveout_t *o, const char *line, size_t len, int timeout_ms);

/* Lines written in part or not at all (the rest of one still pending at
 * close counts), with the first reason in *why (borrowed from o; "" when
 * none). */
uint64_t liveout_lost(const liveout_t *o, const char **why);

/* Closes the file (stdout is left open, its flags as they were) and frees
 * o; NULL is a no-op. */
void liveout_close(liveout_t *o);

#endif
