/* load: per-user schedules and arrivals as pure functions of the plan; see load.h. */
#include "spec/load.h"

#include <math.h>
#include <stdlib.h>

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

/* ---- open model ---- */

#define ARRIVAL_EPS 1e-9L

/* Arrivals in stage i, which ramps from r0 to its rate. */
static long double stage_arrivals(const spec_arrival_stage_t *st, long double r0)
{
    return (r0 + st->rate_per_s) / 2 * ((long double)st->duration_us / 1e6L);
}

uint64_t load_arrivals_total(const spec_t *spec)
{
    if (!spec->open_model)
        return 0;
    long double n = 0, r0 = 0;
    for (size_t i = 0; i < spec->open.nstages; i++) {
        n += stage_arrivals(&spec->open.stages[i], r0);
        r0 = spec->open.stages[i].rate_per_s;
    }
    n = ceill(n - ARRIVAL_EPS);
    if (n >= 18446744073709551615.0L) /* saturates: spec.c rejects it */
        return UINT64_MAX;
    return n > 0 ? (uint64_t)n : 0;
}

/* Seconds into a stage ramping from r0 to r1 over d seconds at which n
 * arrivals have come: the root of r0 t + (r1 - r0) t^2 / (2d) = n, in the
 * form that stays exact for a flat stage (r1 == r0: t = n / r0). */
static long double stage_offset(long double r0, long double r1, long double d, long double n)
{
    if (n <= 0)
        return 0;
    long double disc = r0 * r0 + 2 * (r1 - r0) * n / d;
    long double den = r0 + sqrtl(disc > 0 ? disc : 0);
    return den > 0 ? 2 * n / den : 0;
}

uint64_t load_arrival_time(const spec_t *spec, uint64_t k)
{
    long double before = 0, r0 = 0;
    uint64_t t_us = 0;
    size_t final = 0; /* the last stage that lasts: rounding never leaves k behind */
    for (size_t i = 0; i < spec->open.nstages; i++)
        if (spec->open.stages[i].duration_us > 0)
            final = i;
    for (size_t i = 0; i < spec->open.nstages; i++) {
        const spec_arrival_stage_t *st = &spec->open.stages[i];
        long double a = stage_arrivals(st, r0);
        bool last = i == final;
        if (st->duration_us > 0 && ((long double)k < before + a || last)) {
            long double d = (long double)st->duration_us / 1e6L;
            long double tau = stage_offset(r0, st->rate_per_s, d, (long double)k - before);
            uint64_t off = (uint64_t)llroundl(tau * 1e6L);
            if (off >= st->duration_us)
                off = st->duration_us - 1;
            return t_us + off;
        }
        before += a;
        r0 = st->rate_per_s;
        t_us += st->duration_us;
    }
    return spec->duration_us ? spec->duration_us - 1 : 0;
}

uint64_t load_share(uint64_t total, uint64_t index, uint64_t n)
{
    if (n == 0 || index >= total)
        return 0;
    return (total - index + n - 1) / n;
}

load_slice_t load_slice(uint64_t total, uint64_t first, uint64_t step)
{
    load_slice_t sl = { first, step ? step : 1, 0 };
    sl.count = load_share(total, first, sl.step);
    return sl;
}

int load_pool_init(load_pool_t *p, uint32_t cap)
{
    p->free = malloc((cap ? cap : 1) * sizeof(*p->free));
    p->cap = p->nfree = p->free ? cap : 0;
    for (uint32_t i = 0; i < p->nfree; i++)
        p->free[i] = p->nfree - 1 - i; /* slot 0 is taken first */
    return p->free ? 0 : -1;
}

void load_pool_release(load_pool_t *p)
{
    free(p->free);
    p->free = NULL;
    p->nfree = p->cap = 0;
}

bool load_pool_take(load_pool_t *p, uint32_t *slot)
{
    if (p->nfree == 0)
        return false;
    *slot = p->free[--p->nfree];
    return true;
}

void load_pool_give(load_pool_t *p, uint32_t slot)
{
    if (p->nfree < p->cap)
        p->free[p->nfree++] = slot;
}
