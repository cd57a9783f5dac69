/* series: takes the workers' closed seconds, merges each one and spools it to disk. */
#include "engine/series.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/metrics.h"
#include "result/spool.h"

/* One worker's seconds taken and not yet merged: the seconds from the
 * series' next one on. Owns secs and their texts. */
typedef struct pending {
    metrics_second_t *secs;
    size_t n, cap;
    bool done;       /* had exited before its last take: n is all it has */
    lag_hist_t *lag; /* the loop lag's seconds from lag_next on */
    size_t nlag, caplag;
    bool lag_done;
} pending_t;

/* Owns spool, pend, cur and acc. */
struct series {
    size_t nsteps;
    unsigned n;
    res_spool_t *spool;
    pending_t *pend;              /* [n] */
    const metrics_second_t **cur; /* [n] the second being merged */
    hist_t **acc;                 /* [nsteps] */
    size_t next;                  /* the next second to merge */
    selfmon_lagsum_t lagsum;      /* the lag's seconds merged so far */
    bool failed;                  /* a second could not be merged or spooled */
};

series_t *series_new(size_t nsteps, unsigned n, char *err, size_t errlen)
{
    series_t *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->nsteps = nsteps;
    s->n = n;
    s->pend = calloc(n ? n : 1, sizeof(*s->pend));
    s->cur = calloc(n ? n : 1, sizeof(*s->cur));
    s->acc = calloc(nsteps ? nsteps : 1, sizeof(*s->acc));
    if (!s->pend || !s->cur || !s->acc)
        goto oom;
    for (size_t i = 0; i < nsteps; i++)
        if (!(s->acc[i] = hist_new()))
            goto oom;
    if (!(s->spool = spool_new(nsteps, err, errlen))) {
        series_free(s);
        return NULL;
    }
    return s;
oom:
    snprintf(err, errlen, "out of memory");
    series_free(s);
    return NULL;
}

void series_free(series_t *s)
{
    if (!s)
        return;
    for (unsigned w = 0; s->pend && w < s->n; w++) {
        for (size_t i = 0; i < s->pend[w].n; i++)
            metrics_second_clear(&s->pend[w].secs[i], s->nsteps);
        free(s->pend[w].secs);
        free(s->pend[w].lag);
    }
    selfmon_lagsum_release(&s->lagsum);
    free(s->pend);
    free(s->cur);
    for (size_t i = 0; s->acc && i < s->nsteps; i++)
        hist_free(s->acc[i]);
    free(s->acc);
    spool_free(s->spool);
    free(s);
}

/* Appends from[0..k) to p (the texts change owner). False when p cannot
 * grow: the seconds stay where they were. */
static bool pending_add(pending_t *p, metrics_second_t *from, size_t k)
{
    if (p->n + k > p->cap) {
        size_t cap = p->cap ? p->cap : 8;
        while (cap < p->n + k)
            cap *= 2;
        metrics_second_t *grown = realloc(p->secs, cap * sizeof(*grown));
        if (!grown)
            return false;
        p->secs = grown;
        p->cap = cap;
    }
    if (k)
        memcpy(&p->secs[p->n], from, k * sizeof(*from));
    p->n += k;
    return true;
}

/* Takes what worker w handed over; once it has exited, also what it could
 * not hand over (its metrics are no longer touched then). */
static void take(pending_t *p, worker_t *w)
{
    bool exited = atomic_load(&w->exited); /* before the take: then it has handed all */
    pthread_mutex_lock(&w->out_lock);
    if (pending_add(p, w->out, w->nout))
        w->nout = 0;
    pthread_mutex_unlock(&w->out_lock);
    if (exited && w->nout == 0 && pending_add(p, w->m->secs, w->m->nsecs))
        w->m->nsecs = 0;
    p->done = exited && w->nout == 0 && w->m->nsecs == 0;
}

/* Appends from[0..k) to p's lag seconds; false when they cannot grow. */
static bool pending_add_lag(pending_t *p, const lag_hist_t *from, size_t k)
{
    if (p->nlag + k > p->caplag) {
        size_t cap = p->caplag ? p->caplag : 8;
        while (cap < p->nlag + k)
            cap *= 2;
        lag_hist_t *grown = realloc(p->lag, cap * sizeof(*grown));
        if (!grown)
            return false;
        p->lag = grown;
        p->caplag = cap;
    }
    if (k)
        memcpy(&p->lag[p->nlag], from, k * sizeof(*from));
    p->nlag += k;
    return true;
}

/* take's counterpart for the loop lag. */
static void take_lag(pending_t *p, worker_t *w)
{
    bool exited = atomic_load(&w->exited);
    pthread_mutex_lock(&w->out_lock);
    if (pending_add_lag(p, w->lag_out, w->nlag_out))
        w->nlag_out = 0;
    pthread_mutex_unlock(&w->out_lock);
    if (exited && w->nlag_out == 0 && pending_add_lag(p, w->lag.secs, w->lag.nsecs))
        selfmon_lag_drop(&w->lag, w->lag.nsecs);
    p->lag_done = exited && w->nlag_out == 0 && w->lag.nsecs == 0;
}

/* Merges the next second of the loop lag of every worker that has it into
 * the sum, once every worker has it or has handed over all it has. */
static void merge_lag(series_t *s)
{
    for (;;) {
        bool any = false;
        for (unsigned w = 0; w < s->n; w++) {
            if (s->pend[w].nlag > 0)
                any = true;
            else if (!s->pend[w].lag_done)
                return;
        }
        if (!any)
            return;
        lag_hist_t sec;
        memset(&sec, 0, sizeof(sec));
        for (unsigned w = 0; w < s->n; w++) {
            pending_t *p = &s->pend[w];
            if (p->nlag == 0)
                continue;
            selfmon_lag_merge(&sec, &p->lag[0]);
            memmove(&p->lag[0], &p->lag[1], (p->nlag - 1) * sizeof(*p->lag));
            p->nlag--;
        }
        if (selfmon_lagsum_add(&s->lagsum, &sec) < 0)
            s->failed = true;
    }
}

/* True when every worker has closed the next second and some has it. */
static bool ready(const series_t *s)
{
    bool any = false;
    for (unsigned w = 0; w < s->n; w++) {
        if (s->pend[w].n > 0)
            any = true;
        else if (!s->pend[w].done)
            return false;
    }
    return any;
}

/* Merges the next second, spools it and hands it to fn, then drops it. */
static void merge_next(series_t *s, uint64_t active, series_fn fn, void *ctx)
{
    for (unsigned w = 0; w < s->n; w++)
        s->cur[w] = s->pend[w].n > 0 ? &s->pend[w].secs[0] : NULL;
    res_second_t sec = { .active = active };
    bool ok = metrics_merge_second(&sec, s->cur, s->n, s->nsteps, s->acc) == 0;
    if (!ok || !s->spool || spool_append(s->spool, &sec) < 0)
        s->failed = true;
    if (ok && fn)
        fn(&sec, s->next, (const hist_t *const *)s->acc, ctx);
    for (size_t i = 0; sec.step_hist && i < s->nsteps; i++)
        free(sec.step_hist[i]);
    free(sec.step_hist);
    for (unsigned w = 0; w < s->n; w++) {
        pending_t *p = &s->pend[w];
        if (p->n == 0)
            continue;
        metrics_second_clear(&p->secs[0], s->nsteps);
        memmove(&p->secs[0], &p->secs[1], (p->n - 1) * sizeof(*p->secs));
        p->n--;
    }
    s->next++;
}

void series_poll(series_t *s, worker_t *ws, const uint64_t *active, size_t nactive, bool final,
                 series_fn fn, void *ctx)
{
    for (unsigned w = 0; w < s->n; w++) {
        take(&s->pend[w], &ws[w]);
        take_lag(&s->pend[w], &ws[w]);
    }
    merge_lag(s);
    while (ready(s) && (final || s->next + 1 < nactive))
        merge_next(s, active && s->next < nactive ? active[s->next] : 0, fn, ctx);
}

const selfmon_lagsum_t *series_lag(const series_t *s)
{
    return &s->lagsum;
}

size_t series_count(const series_t *s)
{
    return s->next;
}

size_t series_held(const series_t *s)
{
    size_t held = 0;
    for (unsigned w = 0; w < s->n; w++)
        held += s->pend[w].n + s->pend[w].nlag;
    return held;
}

int series_result(series_t *s, result_t *r, char *err, size_t errlen)
{
    if (s->failed || !s->spool) {
        snprintf(err, errlen,
                 "cannot keep the run's per-second series (out of memory or no room in the "
                 "temporary directory; set TMPDIR to one with room)");
        return -1;
    }
    r->spool = s->spool; /* the reports read it one second at a time */
    r->nseconds = spool_count(s->spool);
    s->spool = NULL;
    return 0;
}
