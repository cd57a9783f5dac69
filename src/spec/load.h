/* load: turns the spec's load shape into per-user schedules. Pure
 * functions of the plan, so every worker and every shard derives
 * the same schedule without talking to the others. */
#ifndef WSGATE_LOAD_H
#define WSGATE_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "spec/spec.h"

/* Finds the first interval in which user k (0-based) is active that starts
 * at or after from_us (offsets from the run's start). Users start evenly
 * across a ramp-up (user k of a ramp from a to b users over d starts at
 * d*(k-a)/(b-a)) and the highest-numbered stop first on a ramp-down.
 * *stop_us is spec->duration_us when the user stays to the end.
 * Returns false when the user never (again) becomes active. */
bool load_interval(const spec_t *spec, uint32_t k, uint64_t from_us, uint64_t *start_us,
                   uint64_t *stop_us);

/* Scenario index for user k: deterministic, in proportion to weights
 * (exact over every block of scenario_weight_sum consecutive users). */
unsigned load_scenario_for(const spec_t *spec, uint32_t k);

/* ---- open model (spec->open_model) ----
 * Arrival k (0-based) comes at the first time the integral of the arrival
 * rate reaches k: with a constant rate r, at k/r. The arrivals of a run are
 * those that come before spec->duration_us; the schedule is a pure function
 * of the spec, so shards and workers slice it without talking. */

/* How many arrivals the whole spec has. 0 for a closed-model spec. */
uint64_t load_arrivals_total(const spec_t *spec);

/* Offset from the run's start, in microseconds, of arrival k, for
 * k < load_arrivals_total(spec); always below spec->duration_us. */
uint64_t load_arrival_time(const spec_t *spec, uint64_t k);

/* How many of the numbers 0 .. total-1 are congruent to index modulo n
 * (index < n): the size of one slice when items are dealt round robin, so
 * the slices of index 0 .. n-1 add up to total. */
uint64_t load_share(uint64_t total, uint64_t index, uint64_t n);

/* One slice of the arrivals: numbers first, first + step, ... below the
 * total (a shard K/N of W workers: worker w takes first = w*N + K-1,
 * step = W*N). count is how many there are. */
typedef struct load_slice {
    uint64_t first, step, count;
} load_slice_t;

load_slice_t load_slice(uint64_t total, uint64_t first, uint64_t step);

/* The free session slots of one worker (open model): an arrival takes one
 * or, when none is free (max_users sessions running), is dropped. Owns
 * free. */
typedef struct load_pool {
    uint32_t *free;
    uint32_t nfree, cap;
} load_pool_t;

/* Every slot 0 .. cap-1 free. Returns 0, or -1 when out of memory. */
int load_pool_init(load_pool_t *p, uint32_t cap);
void load_pool_release(load_pool_t *p);
/* Takes a free slot into *slot; false when all cap slots are taken. */
bool load_pool_take(load_pool_t *p, uint32_t *slot);
/* Returns a slot taken before. */
void load_pool_give(load_pool_t *p, uint32_t slot);

#endif
