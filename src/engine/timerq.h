/* timerq: an indexed binary min-heap of deadlines, one entry per id.
 * Each worker keeps one for all its virtual users, so pacing costs
 * O(log users) per change and the event loop needs a single lws timer
 * (set to the earliest deadline) instead of one per user. A typed layer
 * on base/heap: ids instead of nodes, and no allocation after timerq_new. */
#ifndef WSGATE_TIMERQ_H
#define WSGATE_TIMERQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct timerq timerq_t;

/* Returns a queue for ids 0..capacity-1 (its memory all taken here), or
 * NULL without memory. Free with timerq_free(). */
timerq_t *timerq_new(uint32_t capacity);
/* Frees q and its entries; NULL is allowed. */
void timerq_free(timerq_t *q);

/* Sets (or moves) id's deadline. id < capacity. Cannot fail. */
void timerq_set(timerq_t *q, uint32_t id, uint64_t due);
/* Removes id's deadline if it has one. */
void timerq_cancel(timerq_t *q, uint32_t id);
/* Whether id has a deadline; how many ids have one. */
bool timerq_pending(const timerq_t *q, uint32_t id);
size_t timerq_size(const timerq_t *q);

/* Earliest entry: returns false when empty. */
bool timerq_peek(const timerq_t *q, uint32_t *id, uint64_t *due);
/* Removes and returns the earliest entry whose deadline is <= now.
 * Returns false when there is none. */
bool timerq_pop_due(timerq_t *q, uint64_t now, uint32_t *id);

#endif
