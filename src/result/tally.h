/* tally: whether a finished result's counts add up, checked once at the
 * end of every run and merge in O(steps). What does not add up becomes a
 * sentence in result_t.warnings, which result.json keeps and every report
 * shows: a verdict must never rest silently on counts that contradict each
 * other. The rules:
 *   - every connect the run owed ended once: connect ok + failed +
 *     connections.abandoned == connections.attempts (when the result
 *     knows its attempts, counts_known);
 *   - never more connections open at once than users: connections.peak
 *     <= users_planned (the open model's max_users). */
#ifndef WSGATE_TALLY_H
#define WSGATE_TALLY_H

#include <stdarg.h>

#include "result/result.h"

/* Appends a copy of text (one sentence without a final period) to
 * r->warnings unless the same text is already there. Returns 0, or -1
 * when out of memory. */
int tally_add(result_t *r, const char *text);

/* tally_add of a printf-formatted text (at most 511 bytes). */
int tally_warn(result_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Checks the rules above on r and appends a warning for each one broken.
 * Returns the number of rules broken, or -1 when out of memory. */
int tally_check(result_t *r);

#endif
