/* serve_timer: one binary min-heap of deadlines per serve worker. Every
 * per-connection timer (delayed replies, pushes, quotes, drops) lives here
 * and the worker keeps a single lws timer on the earliest deadline: lws 4.1
 * keeps its timers in one sorted list per thread, so a timer per
 * connection made each schedule walk that list (O(pending)); here it is
 * O(log pending). The heap only points at the timers, which live in their
 * owners (conn_t); an owner cancels its timers before it goes away.
 * A typed layer on base/heap: a timer is a heap node with a callback. */
#ifndef WSGATE_SERVE_TIMER_H
#define WSGATE_SERVE_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/heap.h"

typedef struct stimer stimer_t;
typedef void (*stimer_cb_t)(stimer_t *t);

/* Zero it before first use (idle). */
struct stimer {
    heap_node_t node; /* in the heap, keyed by due (us, the caller's clock) */
    stimer_cb_t cb;   /* run by whoever pops it */
};

/* Owns the array only, not the timers. Zero it to start empty. */
typedef struct stimer_heap {
    heap_t h;
} stimer_heap_t;

/* Schedules (or moves) t at due with cb. Returns 0, or -1 without memory
 * (t is then left unscheduled). */
int stimer_set(stimer_heap_t *h, stimer_t *t, stimer_cb_t cb, uint64_t due);
/* Unschedules t if it is scheduled. */
void stimer_cancel(stimer_heap_t *h, stimer_t *t);
/* Whether t is scheduled. */
bool stimer_pending(const stimer_t *t);
/* The earliest deadline: false when empty. */
bool stimer_next(const stimer_heap_t *h, uint64_t *due);
/* Removes and returns the earliest timer due at or before now, or NULL. */
stimer_t *stimer_pop_due(stimer_heap_t *h, uint64_t now);
/* Frees the array (the timers are their owners'). */
void stimer_heap_free(stimer_heap_t *h);

#endif
