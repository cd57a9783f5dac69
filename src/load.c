#include "load.h"

/* Time within a linear ramp at which the user count crosses a level. */
static uint64_t ramp_time(uint64_t t_start, uint64_t d, uint64_t num, uint64_t den)
{
    return den ? t_start + (uint64_t)((long double)d * num / den) : t_start;
}

/* One activation change of user k: at time t it becomes active (on) or not. */
typedef struct change {
    uint64_t t;
    bool on;
} change_t;

/* Returns the next change of user k after index *stage_i (advancing it),
 * or false when the stages are exhausted. */
static bool next_change(const spec_t *s, uint32_t k, size_t *stage_i, uint64_t *t_stage,
                        unsigned *prev, change_t *out)
{
    while (*stage_i < s->nstages) {
        const spec_stage_t *st = &s->stages[*stage_i];
        uint64_t t = *t_stage;
        unsigned a = *prev, b = st->users;
        (*stage_i)++;
        *t_stage += st->duration_us;
        *prev = b;
        if (b > a && k >= a && k < b) {
            *out = (change_t){ ramp_time(t, st->duration_us, k - a, b - a), true };
            return true;
        }
        if (b < a && k >= b && k < a) {
            *out = (change_t){ ramp_time(t, st->duration_us, a - k, a - b), false };
            return true;
        }
    }
    return false;
}

bool load_interval(const spec_t *spec, uint32_t k, uint64_t from_us, uint64_t *start_us,
                   uint64_t *stop_us)
{
    size_t i = 0;
    uint64_t t = 0;
    unsigned prev = 0;
    change_t c;
    while (next_change(spec, k, &i, &t, &prev, &c)) {
        if (!c.on || c.t < from_us)
            continue;
        *start_us = c.t;
        *stop_us = spec->duration_us;
        while (next_change(spec, k, &i, &t, &prev, &c)) {
            if (!c.on) {
                *stop_us = c.t;
                break;
            }
        }
        return *start_us < *stop_us;
    }
    return false;
}

unsigned load_scenario_for(const spec_t *spec, uint32_t k)
{
    unsigned sum = spec->scenario_weight_sum ? spec->scenario_weight_sum : 1;
    unsigned r = k % sum;
    for (size_t i = 0; i < spec->nscenarios; i++) {
        if (r < spec->scenarios[i].weight)
            return (unsigned)i;
        r -= spec->scenarios[i].weight;
    }
    return 0;
}
