/* gen: the load generator's own figures, the saturation rule and its warning; see gen.h. */
#include "result/gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WARN_RANGES 3 /* ranges named in the warning; the rest are counted */

double gen_lag_limit_ms(uint64_t min_timeout_us)
{
    if (min_timeout_us == 0)
        min_timeout_us = GEN_DEFAULT_TIMEOUT_US;
    double ms = (double)min_timeout_us / 1000.0 * GEN_LAG_LIMIT_SHARE;
    if (ms > GEN_LAG_LIMIT_MAX_MS)
        return GEN_LAG_LIMIT_MAX_MS;
    return ms < GEN_LAG_LIMIT_MIN_MS ? GEN_LAG_LIMIT_MIN_MS : ms;
}

int gen_add_range(res_gen_t *g, uint32_t from, uint32_t to)
{
    res_gen_range_t *grown = realloc(g->ranges, (g->nranges + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    g->ranges = grown;
    g->ranges[g->nranges++] = (res_gen_range_t){ from, to };
    return 0;
}

static void max_into(double *dst, double v)
{
    if (v > *dst)
        *dst = v;
}

int gen_summarize(res_gen_t *g)
{
    if (g->nsecs == 0) { /* a summary without its seconds (a merge's shard) */
        g->saturated |= g->nranges > 0;
        return 0;
    }
    free(g->ranges);
    g->ranges = NULL;
    g->nranges = 0;
    g->cpu_pct_max = g->loop_lag_max_ms = g->rss_max_mb = 0;
    size_t open = SIZE_MAX; /* start of the range being built */
    for (size_t t = 0; t <= g->nsecs; t++) {
        res_gen_sec_t *s = t < g->nsecs ? &g->secs[t] : NULL;
        if (s) {
            s->saturated |= gen_sec_saturated(s->loop_lag_p99_ms, g->lag_limit_ms);
            max_into(&g->cpu_pct_max, s->cpu_pct);
            max_into(&g->loop_lag_max_ms, s->loop_lag_max_ms);
            max_into(&g->rss_max_mb, s->rss_mb);
        }
        if (s && s->saturated && open == SIZE_MAX)
            open = t;
        if ((!s || !s->saturated) && open != SIZE_MAX) {
            if (gen_add_range(g, (uint32_t)open, (uint32_t)t) < 0)
                return -1;
            open = SIZE_MAX;
        }
    }
    g->saturated = g->nranges > 0;
    return 0;
}

bool gen_sec_saturated(double loop_lag_p99_ms, double lag_limit_ms)
{
    return loop_lag_p99_ms > lag_limit_ms;
}

double gen_cpu_all_cores_pct(const res_gen_t *g)
{
    return g->cores ? g->cpu_pct_max / g->cores : 0;
}

/* Appends to the NUL-terminated text in buf (cut when full). */
__attribute__((format(printf, 3, 4))) static void put(char *buf, size_t n, const char *fmt, ...)
{
    size_t used = strnlen(buf, n);
    if (used + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, n - used, fmt, ap);
    va_end(ap);
}

/* "from t=12 s to t=31 s", "from t=12 s to t=31 s and from t=40 s to
 * t=41 s", "... and 2 more times". */
static void put_ranges(const res_gen_t *g, char *buf, size_t n)
{
    for (size_t i = 0; i < g->nranges && i < WARN_RANGES; i++)
        put(buf, n, "%sfrom t=%u s to t=%u s",
            i == 0                ? ""
            : i + 1 == g->nranges ? " and "
                                  : ", ",
            g->ranges[i].from, g->ranges[i].to);
    if (g->nranges > WARN_RANGES)
        put(buf, n, " and %zu more time%s", g->nranges - WARN_RANGES,
            g->nranges - WARN_RANGES == 1 ? "" : "s");
}

void gen_warning(const res_gen_t *g, char *buf, size_t n)
{
    if (n == 0)
        return;
    buf[0] = '\0';
    if (!g || !g->saturated)
        return;
    put(buf, n, "The load generator was saturated ");
    if (g->nranges)
        put_ranges(g, buf, n);
    else
        put(buf, n, "during the run");
    put(buf, n,
        ": latencies there include up to %.0f ms of runner delay (loop lag p99 above %.0f ms",
        g->loop_lag_max_ms, g->lag_limit_ms);
    if (g->cpu_pct_max > 0)
        put(buf, n, "; CPU up to %.0f%% of one core", g->cpu_pct_max);
    if (g->cpu_pct_max > 0 && g->cores > 1)
        put(buf, n, ", %.0f%% of %u cores", gen_cpu_all_cores_pct(g), g->cores);
    put(buf, n, ")");
}

static void *dup_array(const void *src, size_t n, size_t size, bool *failed)
{
    if (!src || n == 0)
        return NULL;
    void *copy = malloc(n * size);
    if (!copy)
        *failed = true;
    else
        memcpy(copy, src, n * size);
    return copy;
}

res_gen_t *gen_copy(const res_gen_t *g)
{
    if (!g)
        return NULL;
    res_gen_t *c = malloc(sizeof(*c));
    if (!c)
        return NULL;
    bool failed = false;
    *c = *g;
    c->secs = dup_array(g->secs, g->nsecs, sizeof(*g->secs), &failed);
    c->ranges = dup_array(g->ranges, g->nranges, sizeof(*g->ranges), &failed);
    c->shards = g->nshards ? calloc(g->nshards, sizeof(*c->shards)) : NULL;
    failed |= g->nshards && !c->shards;
    for (size_t i = 0; c->shards && i < g->nshards; i++) {
        c->shards[i].index = g->shards[i].index;
        c->shards[i].gen = gen_copy(g->shards[i].gen);
        failed |= g->shards[i].gen && !c->shards[i].gen;
    }
    if (!c->shards)
        c->nshards = 0;
    if (failed) {
        gen_free(c);
        return NULL;
    }
    return c;
}

void gen_free(res_gen_t *g)
{
    if (!g)
        return;
    for (size_t i = 0; g->shards && i < g->nshards; i++)
        gen_free(g->shards[i].gen);
    free(g->shards);
    free(g->secs);
    free(g->ranges);
    free(g);
}
