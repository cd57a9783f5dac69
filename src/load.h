/* load: turns the spec's load shape into per-user schedules. Pure
 * functions of the plan, so every worker (and, later, every shard) derives
 * the same schedule without talking to the others. */
#ifndef WSGATE_LOAD_H
#define WSGATE_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "spec.h"

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

#endif
