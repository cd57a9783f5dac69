/* selfmon: per-worker loop lag, process CPU and memory, and their merge into the result. */
#include "engine/selfmon.h"

#include "base/clock.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define LINEAR_US 256u  /* lags below land in bucket 0: timer noise */
#define TOP_BITS 24u    /* four buckets per power of two below 2^24 us */
#define MAX_SPAN_S 3600 /* seconds one stalled tick is spread over */

size_t selfmon_lag_bucket(uint64_t v)
{
    if (v < LINEAR_US)
        return 0;
    unsigned top = 63u - (unsigned)__builtin_clzll(v); /* >= 8 */
    if (top >= TOP_BITS)
        return SELFMON_LAG_BUCKETS - 1;
    return 1 + (size_t)(top - 8u) * 4 + (size_t)((v >> (top - 2u)) & 3u);
}

/* The midpoint of bucket i (the overflow bucket: UINT64_MAX, clamped by max). */
static uint64_t bucket_mid(size_t i)
{
    if (i == 0)
        return LINEAR_US / 2;
    if (i >= SELFMON_LAG_BUCKETS - 1)
        return UINT64_MAX;
    unsigned top = 8u + (unsigned)(i - 1) / 4u;
    uint64_t width = 1ull << (top - 2u);
    uint64_t lo = (4u + (i - 1) % 4u) * width;
    return lo + width / 2;
}

uint64_t selfmon_lag_percentile(const lag_hist_t *h, double p)
{
    if (h->count == 0)
        return 0;
    uint64_t rank = (uint64_t)ceil(p / 100.0 * h->count), seen = 0;
    if (rank == 0)
        rank = 1;
    if (rank >= h->count) /* the largest sample is known exactly */
        return h->max_us;
    for (size_t i = 0; i < SELFMON_LAG_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t mid = bucket_mid(i);
            return mid < h->max_us ? mid : h->max_us;
        }
    }
    return h->max_us;
}

void selfmon_lag_merge(lag_hist_t *dst, const lag_hist_t *src)
{
    dst->count += src->count;
    if (src->max_us > dst->max_us)
        dst->max_us = src->max_us;
    for (size_t i = 0; i < SELFMON_LAG_BUCKETS; i++)
        dst->b[i] += src->b[i];
}

void selfmon_lag_init(selfmon_lag_t *l, uint64_t t0_us)
{
    memset(l, 0, sizeof(*l));
    l->t0_us = t0_us;
    const char *stall = getenv("WSGATE_TEST_STALL_MS");
    if (stall)
        l->stall_us = strtoull(stall, NULL, 10) * 1000u;
}

void selfmon_lag_release(selfmon_lag_t *l, struct ev_loop *loop)
{
    if (loop)
        ev_timer_stop(loop, &l->probe);
    free(l->secs);
    memset(l, 0, sizeof(*l));
}

/* The histogram of second sec, grown into when first reached; NULL when
 * out of memory (or, never expected, for a second already dropped). */
static lag_hist_t *lag_second(selfmon_lag_t *l, size_t sec)
{
    if (sec < l->base)
        return NULL;
    size_t i = sec - l->base;
    if (i >= l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        while (cap <= i)
            cap *= 2;
        lag_hist_t *grown = realloc(l->secs, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        memset(grown + l->cap, 0, (cap - l->cap) * sizeof(*grown));
        l->secs = grown;
        l->cap = cap;
    }
    if (i >= l->nsecs)
        l->nsecs = i + 1;
    return &l->secs[i];
}

size_t selfmon_lag_final(const selfmon_lag_t *l)
{
    if (l->due_us < l->t0_us)
        return 0;
    size_t due_sec = (size_t)((l->due_us - l->t0_us) / 1000000u);
    size_t k = due_sec > l->base ? due_sec - l->base : 0;
    return k < l->nsecs ? k : l->nsecs;
}

void selfmon_lag_drop(selfmon_lag_t *l, size_t k)
{
    if (k > l->nsecs)
        k = l->nsecs;
    if (k == 0)
        return;
    memmove(l->secs, l->secs + k, (l->nsecs - k) * sizeof(*l->secs));
    memset(l->secs + (l->nsecs - k), 0, k * sizeof(*l->secs));
    l->nsecs -= k;
    l->base += k;
}

int selfmon_lagsum_add(selfmon_lagsum_t *s, const lag_hist_t *sec)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        double *p99 = realloc(s->p99_ms, cap * sizeof(*p99));
        if (!p99)
            return -1;
        s->p99_ms = p99;
        double *max = realloc(s->max_ms, cap * sizeof(*max));
        if (!max)
            return -1;
        s->max_ms = max;
        s->cap = cap;
    }
    s->p99_ms[s->n] = (double)selfmon_lag_percentile(sec, 99) / 1000.0;
    s->max_ms[s->n] = (double)sec->max_us / 1000.0;
    s->n++;
    selfmon_lag_merge(&s->all, sec);
    return 0;
}

void selfmon_lagsum_release(selfmon_lagsum_t *s)
{
    free(s->p99_ms);
    free(s->max_ms);
    memset(s, 0, sizeof(*s));
}

static void lag_add(selfmon_lag_t *l, size_t sec, uint64_t lag_us)
{
    lag_hist_t *h = lag_second(l, sec);
    if (!h)
        return;
    h->count++;
    h->b[selfmon_lag_bucket(lag_us)]++;
    uint32_t v = lag_us > UINT32_MAX ? UINT32_MAX : (uint32_t)lag_us;
    if (v > h->max_us)
        h->max_us = v;
}

void selfmon_lag_record(selfmon_lag_t *l, uint64_t due_us, uint64_t now_us)
{
    if (now_us < l->t0_us)
        return;
    if (now_us <= due_us) { /* on time (or early) */
        lag_add(l, (size_t)((due_us - l->t0_us) / 1000000u), 0);
        return;
    }
    uint64_t late = now_us - due_us;
    if (late > MAX_SPAN_S * 1000000ull) /* keep the catch-up bounded */
        due_us = now_us - MAX_SPAN_S * 1000000ull;
    for (uint64_t d = due_us; d < now_us; d += SELFMON_PROBE_US)
        if (d >= l->t0_us)
            lag_add(l, (size_t)((d - l->t0_us) / 1000000u), now_us - d);
}

static void on_probe(struct ev_loop *loop, ev_timer *probe, int revents)
{
    (void)revents;
    selfmon_lag_t *l = (selfmon_lag_t *)((char *)probe - offsetof(selfmon_lag_t, probe));
    uint64_t now = clock_mono_us();
    selfmon_lag_record(l, l->due_us, now);
    l->due_us = now + SELFMON_PROBE_US;
    ev_now_update(loop); /* libev counts from its cached loop time */
    ev_timer_set(probe, (double)SELFMON_PROBE_US / 1e6, 0.);
    ev_timer_start(loop, probe);
}

void selfmon_lag_start(selfmon_lag_t *l, struct ev_loop *loop, uint64_t now_us)
{
    l->due_us = now_us;
    ev_timer_init(&l->probe, on_probe, 0., 0.);
    ev_timer_start(loop, &l->probe);
}

void selfmon_test_stall(selfmon_lag_t *l, uint64_t now_us)
{
    if (!l->stall_us || now_us < l->next_stall || now_us < l->t0_us)
        return;
    usleep((useconds_t)l->stall_us);
    l->next_stall = now_us + 1000000u;
}

/* ---- the process ---- */

static uint64_t cpu_used_us(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return 0;
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

bool selfmon_parse_statm(const char *text, long page_size, double *mb)
{
    unsigned long long size, resident;
    if (page_size <= 0 || sscanf(text, "%llu %llu", &size, &resident) != 2)
        return false;
    *mb = (double)resident * (double)page_size / 1048576.0;
    return true;
}

/* Resident MiB now; 0 when /proc is not there. */
static double rss_now(void)
{
    char text[128] = "";
    double mb = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fgets(text, sizeof(text), f))
        selfmon_parse_statm(text, sysconf(_SC_PAGESIZE), &mb);
    fclose(f);
    return mb;
}

void selfmon_proc_start(selfmon_proc_t *p, uint64_t t0_us, uint64_t now_us)
{
    memset(p, 0, sizeof(*p));
    p->t0_us = t0_us;
    p->last_us = now_us;
    p->last_cpu_us = cpu_used_us();
}

/* Records seconds [p->n, upto) at cpu_pct and rss (best effort). */
static void proc_fill(selfmon_proc_t *p, size_t upto, double cpu_pct, double rss)
{
    if (upto > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        while (cap < upto)
            cap *= 2;
        double *c = realloc(p->cpu_pct, cap * sizeof(*c));
        if (c)
            p->cpu_pct = c;
        double *m = c ? realloc(p->rss_mb, cap * sizeof(*m)) : NULL;
        if (!m)
            return;
        p->rss_mb = m;
        p->cap = cap;
    }
    for (; p->n < upto; p->n++) {
        p->cpu_pct[p->n] = cpu_pct;
        p->rss_mb[p->n] = rss;
    }
}

/* Closes the seconds before upto with the CPU used since the last close,
 * over at least min_wall_us (the run's partial last second counts as a
 * whole one: the process did nothing for the run after its end). */
static void proc_close(selfmon_proc_t *p, uint64_t now_us, size_t upto, uint64_t min_wall_us)
{
    uint64_t cpu = cpu_used_us();
    uint64_t span = now_us - p->last_us;
    double wall = (double)(span > min_wall_us ? span : min_wall_us);
    double pct =
        wall > 0 && cpu >= p->last_cpu_us ? 100.0 * (double)(cpu - p->last_cpu_us) / wall : 0;
    proc_fill(p, upto, pct, rss_now());
    p->last_us = now_us;
    p->last_cpu_us = cpu;
}

void selfmon_proc_sample(selfmon_proc_t *p, uint64_t now_us)
{
    if (now_us < p->t0_us)
        return;
    size_t sec = (size_t)((now_us - p->t0_us) / 1000000u);
    if (sec <= p->sec)
        return;
    proc_close(p, now_us, sec, 0);
    p->sec = sec;
}

void selfmon_proc_finish(selfmon_proc_t *p, uint64_t now_us)
{
    selfmon_proc_sample(p, now_us);
    if (now_us > p->t0_us && now_us > p->last_us) /* the partial last second */
        proc_close(p, now_us, p->sec + 1, 1000000u);
}

void selfmon_proc_release(selfmon_proc_t *p)
{
    free(p->cpu_pct);
    free(p->rss_mb);
    memset(p, 0, sizeof(*p));
}

/* ---- the result ---- */

uint64_t selfmon_min_expect_timeout(const spec_t *spec)
{
    uint64_t m = 0;
    for (size_t s = 0; s < spec->nscenarios; s++) {
        const spec_scenario_t *sc = &spec->scenarios[s];
        for (size_t i = 0; i < sc->non_start; i++)
            if (sc->on_start[i].expect && (!m || sc->on_start[i].expect_timeout_us < m))
                m = sc->on_start[i].expect_timeout_us;
        for (size_t t = 0; t < sc->ntasks; t++)
            for (size_t i = 0; i < sc->tasks[t].nsteps; i++)
                if (sc->tasks[t].steps[i].expect &&
                    (!m || sc->tasks[t].steps[i].expect_timeout_us < m))
                    m = sc->tasks[t].steps[i].expect_timeout_us;
    }
    return m;
}

/* To 0.001, as result.json keeps them: reports rendered again from the
 * file (whose derived figures, such as CPU over all cores, start from the
 * kept values) match the run's byte for byte. */
static double milli(double v)
{
    return round(v * 1000.0) / 1000.0;
}

int selfmon_result(result_t *r, const selfmon_lagsum_t *lag, const selfmon_proc_t *p,
                   double limit_ms, unsigned cores)
{
    res_gen_t *g = calloc(1, sizeof(*g));
    size_t len = p && p->n > lag->n ? p->n : lag->n;
    if (!g || (len && !(g->secs = calloc(len, sizeof(*g->secs))))) {
        free(g);
        return -1;
    }
    g->nsecs = len;
    g->cores = cores;
    g->lag_limit_ms = limit_ms;
    for (size_t t = 0; t < len; t++) {
        if (t < lag->n) {
            g->secs[t].loop_lag_p99_ms = lag->p99_ms[t];
            g->secs[t].loop_lag_max_ms = lag->max_ms[t];
        }
        if (p && t < p->n) {
            g->secs[t].cpu_pct = milli(p->cpu_pct[t]);
            g->secs[t].rss_mb = milli(p->rss_mb[t]);
        }
    }
    g->loop_lag_p99_ms = (double)selfmon_lag_percentile(&lag->all, 99) / 1000.0;
    gen_free(r->generator);
    r->generator = g;
    return gen_summarize(g);
}
