/* livefeed: hands each closed second of a running test, and the run so far, to a live watcher. */
#include "engine/livefeed.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "engine/selfmon.h"
#include "result/gen.h"

/* The seconds one worker closed, taken from its snapshot. Owns secs and
 * their texts (those of seconds already handed out are freed). */
typedef struct feed_worker {
    metrics_second_t *secs; /* seconds [0, nsecs) of the load */
    size_t nsecs, cap;
    bool done; /* had exited before its last take: nsecs is all it has */
} feed_worker_t;

/* Owns fw, sofar and lat. */
struct livefeed {
    size_t nsteps;
    unsigned n;
    feed_worker_t *fw; /* [n] */
    size_t next;       /* the next second to hand out */
    result_t sofar;    /* steps with histograms, refilled at each poll */
    hist_t **lat;      /* [nsteps] the second being handed out */
    double lag_limit_ms;
    res_gen_sec_t gen; /* the generator in the last second handed out */
    uint64_t saturated_secs;
    observer_t *obs; /* borrowed; NULL: none */
};

static int sofar_init(result_t *r, const spec_t *spec)
{
    if (!(r->steps = calloc(spec->nmetrics, sizeof(res_step_t))))
        return -1;
    r->nsteps = spec->nmetrics;
    for (size_t i = 0; i < spec->nmetrics; i++)
        if (!(r->steps[i].name = strdup(spec->metric_names[i])) ||
            !(r->steps[i].latency = hist_new()))
            return -1;
    if (!(r->spec_name = strdup(spec->name)))
        return -1;
    return 0;
}

livefeed_t *livefeed_new(const spec_t *spec, unsigned n)
{
    livefeed_t *lf = calloc(1, sizeof(*lf));
    if (!lf)
        return NULL;
    lf->n = n;
    lf->nsteps = spec->nmetrics;
    lf->lag_limit_ms = gen_lag_limit_ms(selfmon_min_expect_timeout(spec));
    lf->fw = calloc(n ? n : 1, sizeof(*lf->fw));
    lf->lat = calloc(lf->nsteps ? lf->nsteps : 1, sizeof(*lf->lat));
    if (!lf->fw || !lf->lat || sofar_init(&lf->sofar, spec) < 0)
        goto fail;
    for (size_t i = 0; i < lf->nsteps; i++)
        if (!(lf->lat[i] = hist_new()))
            goto fail;
    return lf;
fail:
    livefeed_free(lf);
    return NULL;
}

void livefeed_free(livefeed_t *lf)
{
    if (!lf)
        return;
    for (unsigned w = 0; lf->fw && w < lf->n; w++) {
        for (size_t s = 0; s < lf->fw[w].nsecs; s++)
            metrics_second_clear(&lf->fw[w].secs[s], lf->nsteps);
        free(lf->fw[w].secs);
    }
    free(lf->fw);
    for (size_t i = 0; lf->lat && i < lf->nsteps; i++)
        hist_free(lf->lat[i]);
    free(lf->lat);
    result_clear(&lf->sofar);
    free(lf);
}

void livefeed_observe(livefeed_t *lf, observer_t *obs)
{
    lf->obs = obs;
}

/* Moves the seconds in w's snapshot to fw (the texts change owner). Left
 * in the snapshot for the next poll when fw cannot grow. */
static void take_seconds(feed_worker_t *fw, worker_t *w)
{
    bool exited = atomic_load(&w->exited); /* before the take: then it has given all */
    pthread_mutex_lock(&w->snap_lock);
    metrics_t *snap = w->snap;
    if (fw->nsecs + snap->nsecs > fw->cap) {
        size_t cap = fw->cap ? fw->cap : 64;
        while (cap < fw->nsecs + snap->nsecs)
            cap *= 2;
        metrics_second_t *grown = realloc(fw->secs, cap * sizeof(*grown));
        if (!grown) {
            pthread_mutex_unlock(&w->snap_lock);
            return;
        }
        fw->secs = grown;
        fw->cap = cap;
    }
    if (snap->nsecs)
        memcpy(&fw->secs[fw->nsecs], snap->secs, snap->nsecs * sizeof(*snap->secs));
    fw->nsecs += snap->nsecs;
    snap->nsecs = 0;
    fw->done = exited;
    pthread_mutex_unlock(&w->snap_lock);
}

/* True when every worker has closed second s. */
static bool second_ready(const livefeed_t *lf, size_t s)
{
    bool any = false;
    for (unsigned w = 0; w < lf->n; w++) {
        if (lf->fw[w].nsecs > s)
            any = true;
        else if (!lf->fw[w].done)
            return false;
    }
    return any;
}

/* The workers' totals so far, from their snapshots. */
static void fill_sofar(livefeed_t *lf, worker_t *ws)
{
    result_t *r = &lf->sofar;
    for (size_t i = 0; i < r->nsteps; i++) {
        hist_reset(r->steps[i].latency);
        r->steps[i].ok = r->steps[i].failed = 0;
    }
    r->msgs_sent = r->msgs_received = r->bytes_sent = r->bytes_received = 0;
    r->connect_abandoned = r->reconnect_attempts = 0;
    r->slow = (res_slow_t){ 0 };
    memset(&r->wire, 0, sizeof(r->wire));
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        r->errors[k].count = 0; /* snapshots carry no samples */
    for (unsigned w = 0; w < lf->n; w++) {
        pthread_mutex_lock(&ws[w].snap_lock);
        metrics_merge_into(r, ws[w].snap); /* counts only: cannot fail */
        pthread_mutex_unlock(&ws[w].snap_lock);
    }
    r->peak_active = atomic_load(&ws[0].run->peak);
    r->errors[ERR_OBSERVE].count = observer_errors(lf->obs); /* kept by its thread */
}

/* Sums second s over the workers into sec and lf->lat, and frees the
 * workers' copies of it. */
static void merge_second(livefeed_t *lf, size_t s, res_second_t *sec)
{
    for (size_t i = 0; i < lf->nsteps; i++)
        hist_reset(lf->lat[i]);
    for (unsigned w = 0; w < lf->n; w++) {
        if (s >= lf->fw[w].nsecs)
            continue;
        metrics_second_t *ws = &lf->fw[w].secs[s];
        sec->sent += ws->sent;
        sec->received += ws->received;
        sec->errors += ws->errors;
        for (size_t i = 0; ws->lat && i < lf->nsteps; i++) {
            hist_t *h = ws->lat[i] ? hist_decode(ws->lat[i], NULL, 0) : NULL;
            if (h)
                hist_merge(lf->lat[i], h);
            hist_free(h);
        }
        metrics_second_clear(ws, lf->nsteps);
    }
}

/* lf->gen for second t: the workers' lag in it as they copied it, the
 * process's CPU and memory of its latest closed second. */
static void gen_second(livefeed_t *lf, worker_t *ws, const selfmon_proc_t *proc, size_t t)
{
    lag_hist_t lag;
    memset(&lag, 0, sizeof(lag));
    for (unsigned w = 0; w < lf->n; w++) {
        pthread_mutex_lock(&ws[w].snap_lock);
        if (t < ws[w].snap_nlag)
            selfmon_lag_merge(&lag, &ws[w].snap_lag[t]);
        pthread_mutex_unlock(&ws[w].snap_lock);
    }
    res_gen_sec_t *g = &lf->gen;
    g->loop_lag_p99_ms = (double)selfmon_lag_percentile(&lag, 99) / 1000.0;
    g->loop_lag_max_ms = (double)lag.max_us / 1000.0;
    if (proc && proc->n) {
        size_t i = t < proc->n ? t : proc->n - 1;
        g->cpu_pct = proc->cpu_pct[i];
        g->rss_mb = proc->rss_mb[i];
    }
    g->saturated = gen_sec_saturated(g->loop_lag_p99_ms, lf->lag_limit_ms);
    lf->saturated_secs += g->saturated;
}

static void hand_out(livefeed_t *lf, const engine_opts_t *opts, worker_t *ws,
                     const selfmon_proc_t *proc, const res_second_t *sec, size_t t, bool final)
{
    const run_ctx_t *run = ws[0].run;
    uint64_t now = clock_mono_us();
    engine_live_t lv = {
        .sec = sec,
        .t = t,
        .lat = (const hist_t *const *)lf->lat,
        .sofar = &lf->sofar,
        .active = atomic_load(&((run_ctx_t *)run)->active),
        .elapsed_s = now > run->t0 ? (double)(now - run->t0) / 1e6 : 0,
        .final = final,
        .gen = lf->gen,
        .lag_limit_ms = lf->lag_limit_ms,
        .saturated_secs = lf->saturated_secs,
        .cpu_s = proc ? (double)proc->last_cpu_us / 1e6 : 0,
    };
    opts->live(&lv, opts->live_ctx);
}

void livefeed_poll(livefeed_t *lf, const engine_opts_t *opts, worker_t *ws,
                   const selfmon_proc_t *proc, const uint64_t *active, size_t nactive, bool final)
{
    for (unsigned w = 0; w < lf->n; w++)
        take_seconds(&lf->fw[w], &ws[w]);
    bool filled = false;
    while (second_ready(lf, lf->next)) {
        if (!filled)
            fill_sofar(lf, ws);
        filled = true;
        size_t s = lf->next++;
        res_second_t sec = { .active = s < nactive ? active[s] : 0 };
        merge_second(lf, s, &sec);
        gen_second(lf, ws, proc, s);
        hand_out(lf, opts, ws, proc, &sec, s, false);
    }
    if (!final)
        return;
    if (!filled)
        fill_sofar(lf, ws);
    hand_out(lf, opts, ws, proc, NULL, lf->next, true);
}
